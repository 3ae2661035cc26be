/**
 * Layer-2 mode (`ingest --layer2`): ARP requests and replies counted and paired, exact, on a
 * generated capture; `export arp`'s CSV files, flags and warnings; `remove`.
 */
import { after, before, beforeEach, test } from 'node:test'
import assert from 'node:assert/strict'
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { potiron } from './helpers/cli.js'
import { pcapOf } from './helpers/captures.js'
import { LT_ETHERNET } from './helpers/frames.js'
import { ARP_PACKETS, writeArpCapture } from './helpers/arp-day.js'
import { dump, startRedis, type TestRedis } from './helpers/redis.js'

const SENSOR = 'lab-arp-1'

let redis: TestRedis
let dir: string
let file: string

before(async () => {
  redis = await startRedis()
  dir = mkdtempSync(join(tmpdir(), 'potiron-arp-'))
  file = writeArpCapture(dir, SENSOR)
})

after(async () => {
  await redis.stop()
  rmSync(dir, { recursive: true, force: true })
})

beforeEach(async () => { await redis.client.flushall() })

test('ingest --layer2: request and reply counts (the original\'s key), who-has and is-at pairs, per hour', async () => {
  const run = await potiron('ingest', file, '--layer2', '--unix', redis.socket, '--json')
  assert.equal(run.status, 0, run.err.join('\n'))
  assert.equal((JSON.parse(run.out[0]!) as { counted: number }).counted, 7)
  const d = await dump(redis.client)
  assert.deepEqual(d[`${SENSOR}_20170301_count`], { type: 'zset', value: { request: 3, reply: 3 } })
  assert.deepEqual(d[`${SENSOR}:20170301:arp-who-has`]?.value, { '192.0.2.1 192.0.2.10 02:00:00:00:00:0a': 2, '192.0.2.20 0.0.0.0 02:00:00:00:00:20': 1 })
  assert.deepEqual(d[`${SENSOR}:20170301:arp-is-at`]?.value, { '192.0.2.1 02:00:00:00:00:01': 1, '192.0.2.1 02:00:00:00:00:66': 1, '192.0.2.30 02:00:00:00:00:66': 1 })
  assert.deepEqual(d[`${SENSOR}:20170301:arp-hours`]?.value, { '00 request': 1, '00 reply': 1, '01 request': 1, '01 reply': 2, '02 request': 1 })
  assert.deepEqual(d[`${SENSOR}_20170302_count`]?.value, { request: 1 })
  assert.equal(d[`${SENSOR}:20170302:arp-is-at`], undefined)
  assert.deepEqual(d[`${SENSOR}_DAYS`]?.value, ['20170301', '20170302'])
  assert.deepEqual(d.PARAMETERS?.value, { format: 'layer2', ck: 'False', tshark_filter: '', selection: 'default', tz: 'UTC' })
})

test('export arp: the IP-MAC pairs flagged, the requests, the day\'s page; a warning per spoofed IP and per MAC of several IPs', async () => {
  assert.equal((await potiron('ingest', file, '--layer2', '--unix', redis.socket)).status, 0)
  const out = join(dir, 'out')
  const run = await potiron('export', 'arp', '--sensor', SENSOR, '--date', '2017-03-01', '--unix', redis.socket, '--out', out)
  assert.equal(run.status, 0, run.err.join('\n'))
  assert.deepEqual(run.out, [`3 files written under ${out}: 3 requests, 3 replies, 4 IP-MAC pairs (3 flagged); open ${join(out, `${SENSOR}_arp_2017-03-01.html`)}`])
  assert.deepEqual(run.err.slice(1), [
    'potiron: warning: 192.0.2.1 is claimed by 2 MACs: 02:00:00:00:00:01, 02:00:00:00:00:66',
    'potiron: warning: 02:00:00:00:00:66 claims 2 IPs: 192.0.2.1, 192.0.2.30'
  ])
  assert.equal(readFileSync(join(out, `${SENSOR}_arp_2017-03-01.csv`), 'utf8'), [
    'ip,mac,replies,requests,flag',
    '192.0.2.1,02:00:00:00:00:01,1,0,ip-several-macs',
    '192.0.2.1,02:00:00:00:00:66,1,0,ip-several-macs;mac-several-ips',
    '192.0.2.10,02:00:00:00:00:0a,0,2,',
    '192.0.2.30,02:00:00:00:00:66,1,0,mac-several-ips',
    ''
  ].join('\n'))
  assert.equal(readFileSync(join(out, `${SENSOR}_arp-who-has_2017-03-01.csv`), 'utf8'), 'target_ip,sender_ip,sender_mac,requests\n192.0.2.1,192.0.2.10,02:00:00:00:00:0a,2\n192.0.2.20,0.0.0.0,02:00:00:00:00:20,1\n')
  const html = readFileSync(join(out, `${SENSOR}_arp_2017-03-01.html`), 'utf8')
  const figure = JSON.parse(/id="arp-hours-figure">(.*?)<\/script>/.exec(html)![1]!) as { data: Array<{ name: string, y: number[] }> }
  assert.deepEqual(figure.data.map(t => [t.name, t.y.slice(0, 3), t.y.slice(3).every(n => n === 0)]), [['request', [1, 1, 1], true], ['reply', [1, 2, 0], true]])
  const none = await potiron('export', 'arp', '--sensor', SENSOR, '--date', '2017-03-05', '--unix', redis.socket, '--out', out)
  assert.deepEqual([none.status, none.err.at(-1)], [2, `potiron: no ARP for sensor ${SENSOR} on 2017-03-05`])
  const isn = await potiron('plot', 'isn', '--sensor', SENSOR, '--date', '2017-03-01', '--unix', redis.socket, '--out', out)
  assert.deepEqual([isn.status, isn.err.at(-1)], [2, "potiron: this database holds ARP requests and replies (ingest --layer2): 'export arp', not TCP SYN records (ingest --isn)"])
})

test('remove takes a layer-2 file back out exactly', async () => {
  const other = join(dir, `${SENSOR}-20170301010000.pcap`)
  writeFileSync(other, pcapOf(LT_ETHERNET, ARP_PACKETS.slice(0, 2)))
  assert.equal((await potiron('ingest', other, '--layer2', '--unix', redis.socket)).status, 0)
  const before = await dump(redis.client)
  assert.equal((await potiron('ingest', file, '--unix', redis.socket)).status, 0)
  const removed = await potiron('remove', file, '--unix', redis.socket)
  assert.equal(removed.status, 0, removed.err.join('\n'))
  assert.deepEqual(await dump(redis.client), before)
})
