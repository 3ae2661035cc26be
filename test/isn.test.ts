/**
 * ISN mode (`ingest --isn`): the records of TCP SYN and SYN-ACK packets, exact, on a generated
 * capture; the hour and source-port queries; `remove`; one format per database.
 */
import { after, before, beforeEach, test } from 'node:test'
import assert from 'node:assert/strict'
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { potiron } from './helpers/cli.js'
import { pcapOf } from './helpers/captures.js'
import { LT_ETHERNET } from './helpers/frames.js'
import { tcp4, tcp6 } from './helpers/modes.js'
import { dump, startRedis, type TestRedis } from './helpers/redis.js'
import { readIsn, timeRange, type IsnQuery } from '../src/store/isn-read.js'

const SENSOR = 'lab-isn-1'
/** 2017-03-01 00:00:01 UTC. */
const T0 = 1488326401
const NAME = `${SENSOR}-20170301000000.pcap`
/** Four SYNs (one IPv6, one from port 0), a SYN-ACK, an ACK and a RST that are not kept, one SYN the next day. */
const PACKETS = [
  { frame: tcp4(51234, 22, 3000000000, 0, '02'), sec: T0, usec: 123456 },
  { frame: tcp4(22, 51234, 777, 3000000001, '12'), sec: T0, usec: 123500 },
  { frame: tcp4(51234, 22, 3000000001, 778, '10'), sec: T0, usec: 123600 },
  { frame: tcp6(40000, 23, 0xc6336402, 0, '02'), sec: T0 + 3600, usec: 5 },
  { frame: tcp4(0, 2323, 12345, 0, '02'), sec: T0 + 7200, usec: 0 },
  { frame: tcp4(60000, 80, 1, 0, '04'), sec: T0 + 7300, usec: 0 },
  { frame: tcp4(1024, 443, 42, 0, '02'), sec: T0 + 86400, usec: 999999 }
]

let redis: TestRedis
let dir: string
let file: string

before(async () => {
  redis = await startRedis()
  dir = mkdtempSync(join(tmpdir(), 'potiron-isn-'))
  file = join(dir, NAME)
  writeFileSync(file, pcapOf(LT_ETHERNET, PACKETS))
})

after(async () => {
  await redis.stop()
  rmSync(dir, { recursive: true, force: true })
})

beforeEach(async () => { await redis.client.flushall() })

test('ingest --isn: one member per SYN and SYN-ACK, scored by time and by source port', async () => {
  const run = await potiron('ingest', file, '--isn', '--unix', redis.socket, '--json')
  assert.equal(run.status, 0, run.err.join('\n'))
  const summary = JSON.parse(run.out[0]!) as { counted: number, members: number }
  assert.deepEqual([summary.counted, summary.members], [5, 10])
  const d = await dump(redis.client)
  const m = (time: string, rest: string): string => `${time} ${rest} ${NAME}`
  assert.deepEqual(d[`${SENSOR}:20170301:isn`], {
    type: 'zset',
    value: {
      [m('1488326401.123456', '51234 22 3000000000 0 S 0')]: 1488326401.123456,
      [m('1488326401.123500', '22 51234 777 3000000001 SA 1')]: 1488326401.1235,
      [m('1488330001.000005', '40000 23 3325256706 0 S 3')]: 1488330001.000005,
      [m('1488333601.000000', '0 2323 12345 0 S 4')]: 1488333601
    }
  })
  assert.deepEqual(d[`${SENSOR}:20170301:isn-sport`], {
    type: 'zset',
    value: {
      [m('1488326401.123456', '51234 22 3000000000 0 S 0')]: 51234,
      [m('1488326401.123500', '22 51234 777 3000000001 SA 1')]: 22,
      [m('1488330001.000005', '40000 23 3325256706 0 S 3')]: 40000,
      [m('1488333601.000000', '0 2323 12345 0 S 4')]: 0
    }
  })
  assert.deepEqual(d[`${SENSOR}:20170302:isn`]?.value, { [m('1488412801.999999', '1024 443 42 0 S 6')]: 1488412801.999999 })
  assert.deepEqual(d[`${SENSOR}_DAYS`], { type: 'set', value: ['20170301', '20170302'] })
  assert.deepEqual(d.PARAMETERS?.value, { format: 'isn', ck: 'False', tshark_filter: '', selection: 'default', tz: 'UTC' })
  assert.deepEqual(d.JSON_FIELDS?.value, ['sport', 'dport', 'tcpseq', 'tcpack'])
})

test('remove takes an ISN file back out exactly: the database as before, a source port 0 record of another file kept', async () => {
  const other = join(dir, `${SENSOR}-20170301010000.pcap`)
  writeFileSync(other, pcapOf(LT_ETHERNET, [{ frame: tcp4(0, 23, 5, 0, '02'), sec: T0 + 60 }]))
  assert.equal((await potiron('ingest', other, '--isn', '--unix', redis.socket)).status, 0)
  const before = await dump(redis.client)
  assert.equal((await potiron('ingest', file, '--unix', redis.socket)).status, 0)
  const removed = await potiron('remove', file, '--unix', redis.socket)
  assert.equal(removed.status, 0, removed.err.join('\n'))
  assert.deepEqual(await dump(redis.client), before)
})

test('one format per database: --layer2 or --fields onto ISN records, --isn onto standard counts, are refused, the database unchanged', async () => {
  assert.equal((await potiron('ingest', file, '--isn', '--unix', redis.socket)).status, 0)
  const before = await dump(redis.client)
  const report = await potiron('ingest', file, '--report', join(dir, 'site'), '--unix', redis.socket)
  assert.deepEqual([report.status, report.err.at(-1)?.split('\n')[0]], [2, 'potiron: --isn keeps no field counts: --json-out and --report are for the standard format (then plot isn, export arp)'])
  const layer2 = await potiron('ingest', file, '--layer2', '--unix', redis.socket)
  assert.equal(layer2.status, 1)
  assert.match(layer2.err.join('\n'), /format is 'isn' in Redis but 'layer2' here \(--isn, --layer2: one format per database\)/)
  const fields = await potiron('ingest', file, '--fields', 'dport', '--unix', redis.socket)
  assert.equal(fields.status, 1)
  assert.match(fields.err.join('\n'), /fields are sport,dport,tcpseq,tcpack in Redis but dport here/)
  assert.deepEqual(await dump(redis.client), before)
  await redis.client.flushall()
  assert.equal((await potiron('ingest', file, '--unix', redis.socket)).status, 0)
  const isn = await potiron('ingest', file, '--isn', '--unix', redis.socket)
  assert.equal(isn.status, 1)
  assert.match(isn.err.join('\n'), /format is 'standard' in Redis but 'isn' here/)
  const both = await potiron('ingest', file, '--isn', '--layer2', '--unix', redis.socket)
  assert.equal(both.status, 2)
  assert.match(both.err.join('\n'), /--isn and --layer2: one format per database, choose one/)
})

test('an hour, a source port range, both: one ZRANGEBYSCORE each, records of counted files only', async () => {
  assert.equal((await potiron('ingest', file, '--isn', '--unix', redis.socket)).status, 0)
  const packets = async (q: Omit<IsnQuery, 'sensor'>): Promise<number[]> => (await readIsn(redis.client, { sensor: SENSOR, ...q }, 'UTC')).records.map(r => r.packet)
  assert.deepEqual(await packets({ day: '20170301' }), [0, 1, 3, 4])
  assert.deepEqual(await packets({ day: '20170301', hour: 0 }), [0, 1])
  assert.deepEqual(await packets({ day: '20170301', hour: 1 }), [3])
  assert.deepEqual(await packets({ day: '20170301', hour: 23 }), [])
  assert.deepEqual(await packets({ day: '20170301', sports: [0, 1023] }), [4, 1])
  assert.deepEqual(await packets({ day: '20170301', sports: [40000, 65535] }), [3, 0])
  assert.deepEqual(await packets({ day: '20170301', hour: 0, sports: [50000, 60000] }), [0])
  assert.deepEqual(await packets({ day: '20170302', hour: 0 }), [6])
  const limited = await readIsn(redis.client, { sensor: SENSOR, day: '20170301', limit: 3 }, 'UTC')
  assert.deepEqual([limited.records.length, limited.cut], [3, true])
  // In Europe/Luxembourg (UTC+1), 2017-03-01 01:00 local is 00:00 UTC.
  assert.deepEqual(timeRange('20170301', 'Europe/Luxembourg', 1), [1488326400, 1488330000])
  // A record of a file not in FILES (an ingest killed after some groups) is not shown.
  await redis.client.zadd(`${SENSOR}:20170301:isn`, 1488326402, `1488326402.000000 1 2 3 4 S 0 ${SENSOR}-20170301999999.pcap`)
  const read = await readIsn(redis.client, { sensor: SENSOR, day: '20170301', hour: 0 }, 'UTC')
  assert.deepEqual([read.records.map(r => r.packet), read.uncounted], [[0, 1], 1])
})

test('plot isn writes the scatter page of a day or an hour; other reading commands refuse an ISN database', async () => {
  assert.equal((await potiron('ingest', file, '--isn', '--unix', redis.socket)).status, 0)
  const out = join(dir, 'plots')
  const run = await potiron('plot', 'isn', '--sensor', SENSOR, '--date', '2017-03-01', '--hour', '0', '--unix', redis.socket, '--out', out)
  assert.equal(run.status, 0, run.err.join('\n'))
  const page = join(out, `isn_${SENSOR}_2017-03-01_00.html`)
  assert.deepEqual(run.out, [`2 records drawn; open ${page}`])
  const html = readFileSync(page, 'utf8')
  const figure = JSON.parse(/<script type="application\/json" id="isn-seq-figure">(.*?)<\/script>/.exec(html)![1]!) as { data: Array<{ type: string, x: number[], y: number[], marker: { color: number[] } }> }
  assert.deepEqual(figure.data.map(t => [t.type, t.x, t.y, t.marker.color]), [['scattergl', [1488326401123.456, 1488326401123.5], [3000000000, 777], [22, 51234]]])
  const refused = await potiron('export', 'csv', '--field', 'dport', '--date', '2017-03-01', '--unix', redis.socket, '--out', out)
  assert.equal(refused.status, 2)
  assert.match(refused.err.join('\n'), /this database holds TCP SYN records \(ingest --isn\): 'plot isn', not field counts/)
})

test('report of an ISN database: each day\'s plot isn page, linked from index.html', async () => {
  assert.equal((await potiron('ingest', file, '--isn', '--unix', redis.socket)).status, 0)
  const out = join(dir, 'report')
  const run = await potiron('report', '--unix', redis.socket, '--date', '2017-03', '--out', out)
  assert.equal(run.status, 0, run.err.join('\n'))
  assert.deepEqual(run.out, [`3 files written under ${out}; open ${join(out, 'index.html')}`])
  const index = readFileSync(join(out, 'index.html'), 'utf8')
  assert.deepEqual([...index.matchAll(/<a href="([^"]+)">([^<]+)<\/a><\/td><td class="n">(\d+)</g)].map(m => m.slice(1)), [
    [`isn_${SENSOR}_2017-03-01.html`, '2017-03-01', '4'],
    [`isn_${SENSOR}_2017-03-02.html`, '2017-03-02', '1']
  ])
  assert.match(readFileSync(join(out, `isn_${SENSOR}_2017-03-02.html`), 'utf8'), /1 packets: 1 SYN, 0 SYN-ACK\./)
})
