/**
 * `potiron bench`: the sample, the projection and the limiting phase with fixed numbers, the
 * report's exact text and JSON keys, and the database-safety rule against private redis-servers:
 * --no-redis never connects, a database holding data is refused untouched, and one that was
 * empty is empty again after the run (its keys deleted, never FLUSHDB).
 */
import { after, before, test } from 'node:test'
import assert from 'node:assert/strict'
import { execFileSync } from 'node:child_process'
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { benchArgsOf } from '../src/cli/bench.js'
import { assumptions, defaultThreads, limitingPhase, parseSize, parseThreads, pickSample, project } from '../src/sizing/projection.js'
import { benchReport, duration, formatReport, size, type BenchMeasures } from '../src/sizing/report.js'
import { tsharkArgs } from '../src/sizing/references.js'
import { potiron } from './helpers/cli.js'
import { startRedis, type TestRedis } from './helpers/redis.js'
import { FIXTURES } from './helpers/shared.js'

const DNS = join(FIXTURES, 'lab-dnsicmp-1-20130530224517.pcap')
const VLAN_GZ = join(FIXTURES, 'lab-vlan-1-20100629000000.pcap.gz')

let redis: TestRedis
let dir: string

before(async () => {
  redis = await startRedis()
  dir = mkdtempSync(join(tmpdir(), 'potiron-bench-test-'))
})

after(async () => {
  await redis.stop()
  rmSync(dir, { recursive: true, force: true })
})

/** The redis-server processes this test process started (the suite's own among them). */
function redisChildren (): number {
  return execFileSync('ps', ['-o', 'comm=', '--ppid', String(process.pid)], { encoding: 'utf8' }).split('\n').filter(c => c === 'redis-server').length
}

async function connectionsReceived (): Promise<number> {
  return Number(/^total_connections_received:(\d+)/m.exec(await redis.client.info('stats'))![1])
}

test('sizes and thread counts as users write them', () => {
  assert.deepEqual(['1GB', '500MB', '2GiB', '100KB', '4096', '1.5TB', '0', 'lots', '1XB'].map(parseSize), [1e9, 5e8, 2 ** 31, 1e5, 4096, 1.5e12, undefined, undefined, undefined])
  assert.deepEqual(parseThreads('4,1,2,max', 8), [1, 2, 4, 8])
  assert.deepEqual(parseThreads('2,max', 2), [2])
  assert.deepEqual([parseThreads('0', 2), parseThreads('1,x', 2), parseThreads('', 2)], [undefined, undefined, undefined])
  assert.deepEqual([defaultThreads(1), defaultThreads(2), defaultThreads(6), defaultThreads(8)], [[1], [1, 2], [1, 2, 4, 6], [1, 2, 4, 8]])
})

test('the sample: whole files reaching the size, spread over the list (halving strides), all of them when PATH is smaller', () => {
  assert.deepEqual(pickSample([10, 10, 10, 10], 15), [0, 2])
  assert.deepEqual(pickSample([10, 10, 10, 10, 10, 10, 10, 10], 35), [0, 2, 4, 6])
  assert.deepEqual(pickSample([10, 10, 10], 1), [0])
  assert.deepEqual(pickSample([10, 10, 10], 30), [0, 1, 2])
  assert.deepEqual(pickSample([100, 1, 1], 50), [0])
})

test('the projection: wall = bytes ÷ bytes/s; Redis cores = CPU per member × members per byte × bytes ÷ wall', () => {
  // A 1 GiB sample wrote 2^21 members, Redis spent 1/1024 ms on each; 1 TiB in PATH at 256 MiB/s.
  assert.deepEqual(project({ totalBytes: 2 ** 40, sampleBytes: 2 ** 30, bytesPerSecond: 2 ** 28, sampleMembers: 2 ** 21, redisMsPerMember: 1 / 1024 }), {
    totalBytes: 2 ** 40, wallSeconds: 4096, members: 2 ** 31, redisCpuSeconds: 2097.152, redisCores: 0.512
  })
  // Without Redis (--no-redis): the wall alone.
  assert.deepEqual(project({ totalBytes: 2 ** 40, sampleBytes: 2 ** 30, bytesPerSecond: 2 ** 28, sampleMembers: undefined, redisMsPerMember: undefined }), {
    totalBytes: 2 ** 40, wallSeconds: 4096, members: undefined, redisCpuSeconds: undefined, redisCores: undefined
  })
  assert.equal(assumptions(true).length, 4)
  assert.deepEqual(assumptions(false).at(-1), 'no Redis measured (--no-redis): the wall time is the parse alone, Redis not sized')
})

test('the limiting phase: Redis from 80 % of the wall busy, the writing from an ingest 1.5 times the parse, else the costliest worker phase', () => {
  const phases = { reading: 10, parsing: 30, aggregation: 20 }
  assert.deepEqual([limitingPhase(phases, undefined), limitingPhase(phases, 0.79, 1.49), limitingPhase(phases, 0.8, 3), limitingPhase(phases, 0.5, 1.5), limitingPhase({ reading: 50, parsing: 30, aggregation: 40 }, 0.1, 1)],
    ['parsing', 'parsing', 'redis', 'writing', 'reading'])
})

test('tshark extracts potiron\'s fields: frame.time_epoch, then each field\'s columns', () => {
  assert.deepEqual(tsharkArgs('x.pcap', ['ipsrc', 'dport']), ['-r', 'x.pcap', '-n', '-T', 'fields', '-e', 'frame.time_epoch', '-e', 'ip.src', '-e', 'tcp.dstport', '-e', 'udp.dstport'])
  assert.deepEqual([size(265_123), size(3e12), size(999), duration(0.42), duration(725), duration(12_000), duration(200_000)], ['265 KB', '3.00 TB', '999 B', '0.42 s', '12 min 5 s', '3 h 20 min', '2 d 7 h'])
})

/** A fixed run: 2 files of 4 MB (8 MB on disk, 10 MB read), 100,000 packets, two thread counts. */
const MEASURES: BenchMeasures = {
  machine: { node: 'v20.0.0', cpu: 'Test CPU', cores: 2 },
  redis: { mode: 'private' },
  fields: ['dport', 'ipsrc'],
  combinedKeys: false,
  sensor: undefined,
  total: { files: 2000, bytes: 8e9 },
  sample: { files: 2, bytes: 8e6 },
  phases: { reading: 100, parsing: 600, aggregation: 300 },
  phaseSample: { files: 2, bytes: 8e6 },
  workerRss: 20 * 2 ** 20,
  rows: [
    {
      threads: 1,
      parse: { threads: 1, wallMs: 1000, cpuMs: 1000, files: 2, failedFiles: 0, packets: 100_000, bytes: 10e6, diskBytes: 8e6, peakRss: 100 * 2 ** 20, peakIsRun: true },
      ingest: { threads: 1, wallMs: 1250, redisCpuMs: 250, members: 50_000, packets: 100_000, failed: [], deleted: 10, left: 0 },
      redisBusy: 0.2,
      limit: 'parsing'
    },
    {
      threads: 2,
      parse: { threads: 2, wallMs: 500, cpuMs: 1100, files: 2, failedFiles: 0, packets: 100_000, bytes: 10e6, diskBytes: 8e6, peakRss: 150 * 2 ** 20, peakIsRun: true },
      ingest: { threads: 2, wallMs: 800, redisCpuMs: 250, members: 50_000, packets: 100_000, failed: [], deleted: 10, left: 0 },
      redisBusy: 0.3125,
      limit: 'parsing'
    }
  ],
  references: [
    { tool: 'tshark', command: 'tshark -r FILE ...', wallMs: 4000, failedFiles: 0, note: '' },
    { tool: 'tcpdump', command: 'tcpdump -r FILE -nn', wallMs: undefined, failedFiles: 0, note: 'tcpdump is not installed (apt-get install tcpdump): skipped' }
  ]
}

test('the report as text: settings, phases, the thread table, the references, the projection and its assumptions', () => {
  // Best: 2 threads, 16 MB/s on disk → 8e9 B in 500 s; Redis 500 ms / 100,000 members → 5e-3 ms per member × 5e7 members = 250 s over 500 s.
  assert.equal(formatReport(benchReport(MEASURES)), [
    'PATH: 2000 capture files, 8.00 GB on disk; sample: 2 files, 8.00 MB',
    'Redis: a private redis-server started for this run, stopped after',
    'fields: dport,ipsrc',
    'machine: Node v20.0.0, Test CPU, 2 cores',
    '',
    "One worker, the sample's files one after another: reading 100.0 ms (disk or page cache, gunzip, records), parsing 600.0 ms (headers), aggregation 300.0 ms (counting); peak memory 20.0 MiB",
    '',
    'threads  files/s  packets/s  MB/s raw  MB/s disk  CPU µs/packet  peak MiB  ingest packets/s  Redis busy  limit',
    '      1      2.0    100,000      10.0        8.0          10.00     100.0            80,000        20 %  parsing',
    '      2      4.0    200,000      20.0       16.0          11.00     150.0           125,000        31 %  parsing',
    '',
    'Reference points, not potiron (the same sample, one process per file, output discarded):',
    'tool     files/s  packets/s  MB/s disk  command',
    'tshark       0.5     25,000        2.0  tshark -r FILE ...',
    'tcpdump        -          -          -  tcpdump is not installed (apt-get install tcpdump): skipped',
    '',
    'Projection for PATH (8.00 GB on disk) at 2 threads:',
    '  estimated wall: 8 min 20 s',
    '  Redis: about 50,000,000 members, 4 min 10 s of its CPU: 0.50 cores to keep up (one Redis keeps up)',
    'Assumptions:',
    ...assumptions(true).map(a => `  - ${a}`)
  ].join('\n'))
})

test('the report as JSON: its keys, each thread row\'s and the projection\'s', () => {
  const r = benchReport(MEASURES)
  assert.deepEqual(Object.keys(r), ['machine', 'redis', 'settings', 'path', 'sample', 'phases', 'threads', 'references', 'projection'])
  assert.deepEqual(Object.keys(r.threads[0]!), ['threads', 'files', 'filesPerSecond', 'packets', 'packetsPerSecond', 'mbPerSecond', 'diskMbPerSecond', 'cpuMicrosPerPacket', 'peakRss', 'ingest', 'limit'])
  assert.deepEqual(Object.keys(r.threads[0]!.ingest!), ['wallMs', 'packetsPerSecond', 'diskMbPerSecond', 'members', 'redisCpuMs', 'redisBusy', 'failedFiles'])
  assert.deepEqual(r.phases, { files: 2, bytes: 8e6, readingMs: 100, parsingMs: 600, aggregationMs: 300, workerPeakRss: 20 * 2 ** 20 })
  assert.deepEqual(Object.keys(r.references[0]!), ['tool', 'command', 'wallMs', 'filesPerSecond', 'packetsPerSecond', 'diskMbPerSecond', 'failedFiles', 'note'])
  assert.deepEqual(r.projection, { threads: 2, totalBytes: 8e9, wallSeconds: 500, members: 5e7, redisCpuSeconds: 250, redisCores: 0.5, assumptions: assumptions(true) })
  assert.deepEqual(r.redis, { mode: 'private', address: null, note: 'a private redis-server started for this run, stopped after' })
})

test('command line: --no-redis, --redis / --unix, the default private server; refusals name the flag', () => {
  const argv = { files: ['x.pcap'], sample: '1GB', 'combined-keys': false, references: true, json: false }
  assert.deepEqual(benchArgsOf({ ...argv }, 4).redis, { mode: 'private' })
  assert.deepEqual(benchArgsOf({ ...argv, redis: false as unknown as string }, 4).redis, { mode: 'none' })
  assert.deepEqual(benchArgsOf({ ...argv, unix: '/x.sock' }, 4).redis, { mode: 'given', target: { socket: '/x.sock' } })
  assert.deepEqual(benchArgsOf({ ...argv }, 4).threads, [1, 2, 4])
  assert.throws(() => benchArgsOf({ ...argv, redis: false as unknown as string, unix: '/x.sock' }, 4), { name: 'UsageError', message: '--no-redis and --unix: --no-redis measures the parse alone, leave out --unix (or --no-redis)' })
  assert.throws(() => benchArgsOf({ ...argv, threads: '1,lots' }, 4), { name: 'UsageError', message: "--threads: expected thread counts from 1 to 1024 or max, comma-separated (e.g. 1,2,4,max), got '1,lots'" })
  assert.throws(() => benchArgsOf({ ...argv, sample: 'big' }, 4), { name: 'UsageError', message: "--sample: expected a size such as 1GB, 500MB or 2GiB, got 'big'" })
  assert.throws(() => benchArgsOf({ ...argv, fields: 'dport,sasn' }, 4), { name: 'UsageError', message: '--fields: bench measures the packet fields; leave out sasn (enrichment looks up each file\'s addresses once, after aggregation)' })
})

test('--no-redis never connects: REDIS_URL pointing at a server gets no connection, and no redis-server is needed (PATH without one)', async () => {
  const before = await connectionsReceived()
  const saved = { url: process.env.REDIS_URL, path: process.env.PATH }
  process.env.REDIS_URL = 'redis://127.0.0.1:1/0'
  process.env.PATH = ''
  let run
  try {
    run = await potiron('bench', DNS, '--threads', '1', '--no-redis', '--no-references', '--json')
  } finally {
    if (saved.url === undefined) delete process.env.REDIS_URL
    else process.env.REDIS_URL = saved.url
    process.env.PATH = saved.path
  }
  assert.deepEqual([run.status, run.err], [0, []])
  const report = JSON.parse(run.out.join('')) as { redis: unknown, threads: Array<{ ingest: unknown, packets: number }>, projection: { redisCores?: unknown } }
  assert.deepEqual(report.redis, { mode: 'none', address: null, note: 'none (--no-redis): the parse alone is measured, Redis is not sized' })
  assert.deepEqual(report.threads.map(t => [t.ingest, t.packets]), [[null, 32]])
  assert.equal(await connectionsReceived(), before)
})

test('a database that holds data is refused, named with its key count, and left as it was', async () => {
  await redis.client.flushall()
  await redis.client.set('someone:else', 'theirs')
  const run = await potiron('bench', DNS, '--threads', '1', '--unix', redis.socket, '--no-references')
  assert.equal(run.status, 2)
  assert.deepEqual(run.out, [])
  assert.equal(run.err[0]!.split('\n')[0], `potiron: unix:${redis.socket} holds 1 key: bench writes only into an empty database (DBSIZE 0). Name an empty one (e.g. redis://host:6379/15), leave out --redis/--unix for a private redis-server, or --no-redis`)
  assert.deepEqual(await redis.client.keys('*'), ['someone:else'])
  assert.equal(await redis.client.get('someone:else'), 'theirs')
})

test('an address given that does not answer: one line, exit 1', async () => {
  const run = await potiron('bench', DNS, '--threads', '1', '--unix', join(dir, 'nothing.sock'), '--no-references')
  assert.equal(run.status, 1)
  assert.deepEqual(run.out, [])
  assert.equal(run.err.length, 1)
  assert.match(run.err[0]!, new RegExp(`^potiron: .*${join(dir, 'nothing.sock')}`))
})

test('an empty database given: measured per thread count, every key written deleted after (no FLUSHDB), empty again, and said', async () => {
  await redis.client.flushall()
  await redis.client.config('RESETSTAT')
  const run = await potiron('bench', DNS, VLAN_GZ, '--threads', '1,2', '--unix', redis.socket, '--no-references', '--combined-keys')
  assert.equal(run.status, 0, run.err.join('\n'))
  assert.deepEqual(run.err, [])
  const lines = run.out.join('\n').split('\n')
  assert.equal(lines[1], `Redis: unix:${redis.socket}, empty when the run began: the keys each ingest wrote were deleted after it (never FLUSHDB); it holds 0 keys now`)
  assert.equal(lines[2], 'fields: length,protocol,ipsrc,ipdst,ipttl,iptos,sport,dport,tcpseq,tcpack,icmpcode,icmptype, combined keys')
  assert.ok(lines.includes('Reference points: not measured (--no-references)'), lines.join('\n'))
  assert.equal(await redis.client.dbsize(), 0)
  const commands = [...(await redis.client.info('commandstats')).matchAll(/^cmdstat_([a-z|]+):/gm)].map(m => m[1]!)
  assert.ok(commands.includes('unlink'), commands.join(' '))
  assert.deepEqual(commands.filter(c => c === 'flushdb' || c === 'flushall'), [])
  // Both rows measured the same writes: the ingest of the second found nothing of the first.
  const json = await potiron('bench', DNS, VLAN_GZ, '--threads', '1,2', '--unix', redis.socket, '--no-references', '--json')
  const report = JSON.parse(json.out.join('')) as { threads: Array<{ ingest: { members: number } }> }
  assert.deepEqual(report.threads.map(t => t.ingest.members > 0), [true, true])
  assert.equal(report.threads[0]!.ingest.members, report.threads[1]!.ingest.members)
  assert.equal(await redis.client.dbsize(), 0)
})

test('by default: a private redis-server of the run, said; the references beside; --html writes the chart with its assets', async () => {
  const html = join(dir, 'bench.html')
  const servers = redisChildren()
  const run = await potiron('bench', DNS, '--threads', '1', '--sample', '1B', '--html', html)
  // Its redis-server is gone: no more children than before.
  assert.equal(redisChildren(), servers)
  assert.equal(run.status, 0, run.err.join('\n'))
  assert.deepEqual(run.err, [`potiron: wrote ${html}`])
  const lines = run.out.join('\n').split('\n')
  assert.deepEqual(lines.slice(0, 2), ['PATH: 1 capture file, 3.64 KB on disk; sample: all of it', 'Redis: a private redis-server started for this run, stopped after'])
  assert.equal(lines[7], 'threads  files/s  packets/s  MB/s raw  MB/s disk  CPU µs/packet  peak MiB  ingest packets/s  Redis busy  limit')
  const refs = lines.indexOf('Reference points, not potiron (the same sample, one process per file, output discarded):')
  assert.ok(refs > 0)
  assert.equal(lines[refs + 1], 'tool     files/s  packets/s  MB/s disk  command')
  assert.deepEqual(lines.slice(refs + 2, refs + 4).map(l => l.split(' ')[0]), ['tshark', 'tcpdump'])
  const page = readFileSync(html, 'utf8')
  assert.match(page, /potiron parse \(worker pool\)/)
  assert.match(page, /potiron ingest \(parse \+ Redis\)/)
  assert.ok(existsSync(join(dir, 'assets', 'plotly.js')))
})
