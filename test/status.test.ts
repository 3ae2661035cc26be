/**
 * `potiron status` and `potiron ingest --dry-run` against a private redis-server: their exact
 * output, and that they only read (the commands Redis ran, and every key before and after).
 */
import { after, before, beforeEach, test } from 'node:test'
import assert from 'node:assert/strict'
import { copyFileSync, mkdtempSync, readFileSync, rmSync, utimesSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { dirname, join } from 'node:path'
import { gunzipSync, gzipSync } from 'node:zlib'
import { redisNameOf } from '../src/cli/common.js'
import { potiron, type Run } from './helpers/cli.js'
import { FIXTURES } from './helpers/shared.js'
import { dump, startRedis, type TestRedis } from './helpers/redis.js'

const DNS = 'lab-dnsicmp-1-20130530224517.pcap'
const VLAN_GZ = 'lab-vlan-1-20100629000000.pcap.gz'
const FIELDS = 'fields: length,protocol,ipsrc,ipdst,ipttl,iptos,sport,dport,tcpseq,tcpack,icmpcode,icmptype'
/** INFO's used_memory_human: it changes with every connection, so its form is what can be told. */
const MEMORY = /^memory used: \d+(\.\d+)?[BKMGT]$/

let redis: TestRedis
let dir: string

before(async () => {
  redis = await startRedis()
  dir = mkdtempSync(join(tmpdir(), 'potiron-status-'))
})

after(async () => {
  await redis.stop()
  rmSync(dir, { recursive: true, force: true })
})

beforeEach(async () => { await redis.client.flushall() })

/** The commands Redis ran since CONFIG RESETSTAT (INFO commandstats), sorted. */
async function commandsRun (): Promise<string[]> {
  return [...(await redis.client.info('commandstats')).matchAll(/^cmdstat_([a-z|]+):/gm)].map(m => m[1]!).sort()
}

/** `run`'s stdout with its last line (the memory used) checked and left out. */
function withoutMemory (run: Run): string[] {
  const lines = run.out.join('\n').split('\n')
  assert.match(lines[lines.length - 1]!, MEMORY)
  return lines.slice(0, -1)
}

test('status of an empty database: the Redis used, and that nothing is ingested', async () => {
  const run = await potiron('status', '--unix', redis.socket)
  assert.deepEqual([run.status, run.err], [0, [`potiron: redis unix:${redis.socket}`]])
  assert.deepEqual(withoutMemory(run), [`redis: unix:${redis.socket}`, 'settings: none (nothing ingested yet)', 'sensors: none', 'files counted: 0'])
})

test('status: stored settings, each sensor\'s first and last day and days, files counted; --files: each file\'s size and when it was counted, unknown when potiron did not keep it', async () => {
  const started = new Date()
  const ingest = await potiron('ingest', join(FIXTURES, DNS), join(FIXTURES, VLAN_GZ), '--unix', redis.socket, '--combined-keys', '--quiet')
  assert.equal(ingest.status, 0, ingest.err.join('\n'))
  const ended = new Date()
  // As the original potiron left a file it counted: in FILES, with nothing of potiron's own.
  await redis.client.sadd('FILES', 'old-sensor-1-20090101000000.pcap')
  await redis.client.sadd('lab-dnsicmp-1_DAYS', '20130601', '20130602')
  const plain = await potiron('status', '--unix', redis.socket)
  assert.deepEqual([plain.status, plain.err], [0, [`potiron: redis unix:${redis.socket}`]])
  assert.deepEqual(withoutMemory(plain), [
    `redis: unix:${redis.socket}`,
    'settings: combined keys on, selection default, tz UTC',
    FIELDS,
    'sensors: 2',
    '  lab-dnsicmp-1: 3 days, 2013-05-30 to 2013-06-02',
    '  lab-vlan-1: 1 day, 2010-06-29',
    'files counted: 3'
  ])
  const counted = await Promise.all([DNS, VLAN_GZ].map(async name => (JSON.parse((await redis.client.hget('potiron:files', name))!) as { counted: string }).counted))
  for (const time of counted) {
    assert.match(time, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/)
    assert.ok(Date.parse(time) >= Math.floor(started.getTime() / 1000) * 1000 && Date.parse(time) <= ended.getTime(), `${time} between ${started.toISOString()} and ${ended.toISOString()}`)
  }
  const files = await potiron('status', '--unix', redis.socket, '--files')
  assert.deepEqual(withoutMemory(files).slice(6), [
    'files counted: 3',
    `  ${DNS}: 3636 bytes, counted ${counted[0]!}`,
    `  ${VLAN_GZ}: 1109 bytes, counted ${counted[1]!}`,
    '  old-sensor-1-20090101000000.pcap: size unknown, counted unknown'
  ])
  const json = await potiron('status', '--unix', redis.socket, '--files', '--json')
  assert.deepEqual([json.status, json.err, json.out.length], [0, [`potiron: redis unix:${redis.socket}`], 1])
  const parsed = JSON.parse(json.out[0]!) as Record<string, unknown> & { memory: { bytes: number, human: string } }
  assert.ok(parsed.memory.bytes > 0)
  assert.match(`memory used: ${parsed.memory.human}`, MEMORY)
  assert.deepEqual({ ...parsed, memory: undefined }, {
    redis: { address: `unix:${redis.socket}`, own: false },
    settings: { format: 'standard', combinedKeys: true, selection: 'default', zone: 'UTC', fields: FIELDS.slice('fields: '.length).split(',') },
    sensors: [{ sensor: 'lab-dnsicmp-1', first: '2013-05-30', last: '2013-06-02', days: 3 }, { sensor: 'lab-vlan-1', first: '2010-06-29', last: '2010-06-29', days: 1 }],
    files: {
      count: 3,
      list: [{ name: DNS, size: 3636, counted: counted[0] }, { name: VLAN_GZ, size: 1109, counted: counted[1] }, { name: 'old-sensor-1-20090101000000.pcap', size: null, counted: null }]
    },
    memory: undefined
  })
})

test('status only reads: the commands Redis ran, and every key as it was', async () => {
  assert.equal((await potiron('ingest', join(FIXTURES, DNS), '--unix', redis.socket, '--quiet')).status, 0)
  const keys = await dump(redis.client)
  await redis.client.config('RESETSTAT')
  assert.equal((await potiron('status', '--unix', redis.socket, '--files', '--json')).status, 0)
  assert.deepEqual(await commandsRun(), ['config|resetstat', 'exists', 'hgetall', 'hmget', 'info', 'lrange', 'scan', 'scard', 'smembers', 'sscan'])
  assert.deepEqual(await dump(redis.client), keys)
})

test("status names potiron's own redis-server as such, and reads it when the default Redis does not answer", async () => {
  const saved = { dir: process.env.POTIRON_REDIS_DIR, url: process.env.REDIS_URL }
  // The test's server stands for potiron's own: its socket is <dir>/redis.sock.
  process.env.POTIRON_REDIS_DIR = dirname(redis.socket)
  process.env.REDIS_URL = 'redis://127.0.0.1:1'
  try {
    const run = await potiron('status')
    assert.equal(run.status, 0)
    assert.deepEqual(run.err, ["potiron: no Redis at redis://127.0.0.1:1; using potiron's own redis-server", `potiron: redis unix:${redis.socket} (potiron's own)`])
    assert.deepEqual(withoutMemory(run)[0], `redis: unix:${redis.socket} (potiron's own)`)
  } finally {
    for (const [name, value] of [['POTIRON_REDIS_DIR', saved.dir], ['REDIS_URL', saved.url]] as const) {
      if (value === undefined) Reflect.deleteProperty(process.env, name)
      else process.env[name] = value
    }
  }
})

test('a Redis given by URL is named by its URL without the password', () => {
  assert.deepEqual(redisNameOf({ url: 'redis://potiron:secret@db.example:6380/2' }, {}), { address: 'redis://potiron@db.example:6380/2', own: false })
  assert.deepEqual(redisNameOf({ url: 'redis://127.0.0.1:6379' }, {}), { address: 'redis://127.0.0.1:6379', own: false })
})

/** A directory with every case a dry run tells apart; the files' times are an hour back but for the fresh one. */
function dryRunDir (): string {
  const d = mkdtempSync(join(dir, 'dry-'))
  const synscan = join(FIXTURES, 'lab-synscan-1-20100704202416.pcapng')
  copyFileSync(join(FIXTURES, DNS), join(d, DNS))
  copyFileSync(synscan, join(d, 'lab-synscan-1-20100704202416.pcapng'))
  writeFileSync(join(d, 'lab-synscan-1-20100704202416.pcapng.gz'), gzipSync(readFileSync(synscan)))
  copyFileSync(join(FIXTURES, 'lab-traceroute-1-20090702194230.pcapng'), join(d, 'lab-traceroute-1-20090702194230.pcapng'))
  writeFileSync(join(d, 'lab-vlan-1-20100629000000.pcap'), gunzipSync(readFileSync(join(FIXTURES, VLAN_GZ))))
  writeFileSync(join(d, 'lab-broken-1-20200101000000.pcap'), 'this is not a capture file at all')
  copyFileSync(join(FIXTURES, DNS), join(d, 'nosensor.pcap'))
  const hourAgo = new Date(Date.now() - 3600_000)
  for (const name of [DNS, 'lab-synscan-1-20100704202416.pcapng', 'lab-synscan-1-20100704202416.pcapng.gz', 'lab-traceroute-1-20090702194230.pcapng', 'lab-vlan-1-20100629000000.pcap', 'lab-broken-1-20200101000000.pcap', 'nosensor.pcap']) {
    utimesSync(join(d, name), hourAgo, hourAgo)
  }
  copyFileSync(join(FIXTURES, DNS), join(d, 'lab-fresh-1-20240301000000.pcap'))
  return d
}

test('ingest --dry-run: what would be read, skipped (and why) and fail, the days to write; nothing parsed or written; then the ingest does just that', async () => {
  // Counted before: one file as it is in the directory, and the compressed twin of another.
  assert.equal((await potiron('ingest', join(FIXTURES, DNS), join(FIXTURES, VLAN_GZ), '--unix', redis.socket, '--quiet')).status, 0)
  const d = dryRunDir()
  const keys = await dump(redis.client)
  await redis.client.config('RESETSTAT')
  const run = await potiron('ingest', d, '--unix', redis.socket, '--min-age', '60', '--dry-run')
  assert.deepEqual([run.status, run.err], [1, [`potiron: redis unix:${redis.socket}`]])
  assert.deepEqual(run.out.join('\n').split('\n'), [
    'dry run: nothing is parsed or written',
    'files: 2 to read, 4 to skip, 2 would fail',
    `  read: ${d}/lab-synscan-1-20100704202416.pcapng`,
    `  read: ${d}/lab-traceroute-1-20090702194230.pcapng`,
    `  skip: ${d}/${DNS}: already in FILES`,
    `  skip: ${d}/lab-fresh-1-20240301000000.pcap: not settled yet (modified less than 60 s ago)`,
    `  skip: ${d}/lab-synscan-1-20100704202416.pcapng.gz: the same capture as lab-synscan-1-20100704202416.pcapng, which this run reads first`,
    `  skip: ${d}/lab-vlan-1-20100629000000.pcap: the same capture as ${VLAN_GZ}, counted already`,
    `  fail: ${d}/lab-broken-1-20200101000000.pcap: not a pcap or pcapng file: magic 0x74686973 (at byte offset 0); nothing counted`,
    `  fail: ${d}/nosensor.pcap: cannot tell the sensor: the name does not follow prefix-sensor-instance-YYYYMMDDhhmmss.ext (e.g. honeypot-eu-1-20240131000000.pcap); rename the file or pass --sensor NAME`,
    'days to write (those of the file names; the packets may add others):',
    '  lab-synscan-1: 1 day, 2010-07-04',
    '  lab-traceroute-1: 1 day, 2009-07-02'
  ])
  // Only reads (and this INFO): no write command ran, and every key is as it was.
  assert.deepEqual(await commandsRun(), ['config|resetstat', 'exists', 'hget', 'hgetall', 'info', 'lrange', 'sismember'])
  assert.deepEqual(await dump(redis.client), keys)
  const plan = await potiron('ingest', d, '--unix', redis.socket, '--min-age', '60', '--dry-run', '--json')
  assert.equal(plan.status, 1)
  const planned = JSON.parse(plan.out[0]!) as { read: Array<{ file: string }>, skipped: Array<{ file: string }>, failed: Array<{ file: string }>, days: Record<string, string[]> }
  assert.deepEqual(planned.read, [
    { file: `${d}/lab-synscan-1-20100704202416.pcapng`, sensor: 'lab-synscan-1', day: '20100704', again: false },
    { file: `${d}/lab-traceroute-1-20090702194230.pcapng`, sensor: 'lab-traceroute-1', day: '20090702', again: false }
  ])
  // The ingest itself reads, skips and fails the same files, and writes the same days.
  const ingest = await potiron('ingest', d, '--unix', redis.socket, '--min-age', '60', '--json')
  assert.equal(ingest.status, 1)
  const done = JSON.parse(ingest.out[0]!) as { ingested: number, skipped: number, unsettled: string[], failed: Array<{ file: string }>, days: Record<string, string[]> }
  assert.deepEqual([done.ingested, done.skipped + done.unsettled.length, done.failed.map(f => f.file), done.days],
    [planned.read.length, planned.skipped.length, planned.failed.map(f => f.file), planned.days])
})

test('ingest --dry-run --force: files in FILES are read again; with other settings than stored, refused as the ingest is', async () => {
  assert.equal((await potiron('ingest', join(FIXTURES, DNS), '--unix', redis.socket, '--quiet')).status, 0)
  const forced = await potiron('ingest', join(FIXTURES, DNS), '--unix', redis.socket, '--dry-run', '--force')
  assert.deepEqual([forced.status, forced.err], [0, [`potiron: redis unix:${redis.socket}`]])
  assert.deepEqual(forced.out.join('\n').split('\n'), [
    'dry run: nothing is parsed or written',
    'files: 1 to read, 0 to skip, 0 would fail',
    `  read again (--force: in FILES, its counts stay as they are): ${join(FIXTURES, DNS)}`,
    'days to write (those of the file names; the packets may add others):',
    '  lab-dnsicmp-1: 1 day, 2013-05-30'
  ])
  const refused = await potiron('ingest', join(FIXTURES, DNS), '--unix', redis.socket, '--dry-run', '--combined-keys')
  assert.deepEqual([refused.status, refused.out, refused.err], [1, [], [
    `potiron: redis unix:${redis.socket}`,
    "potiron: this database holds data counted with other settings: ck is 'False' in Redis but 'True' here (--combined-keys). Leave the option out to use the stored setting, or use another database"
  ]])
})
