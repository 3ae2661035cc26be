/**
 * Ingest progress: the bars on a terminal, moved by the workers' reports while a file is parsed;
 * without one, exact lines, their pace, failures, --quiet.
 */
import { after, before, test } from 'node:test'
import assert from 'node:assert/strict'
import { copyFileSync, mkdirSync, mkdtempSync, rmSync, statSync, writeFileSync } from 'node:fs'
import { Writable } from 'node:stream'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { potiron } from './helpers/cli.js'
import { Tally, barLines, createProgress, formatDuration, type ProgressMode } from '../src/cli/progress.js'
import { PACKET_FIELDS as FIELDS } from '../src/aggregate/fields.js'
import { ingestFiles } from '../src/coordinator/run.js'
import { generateCapture } from '../bench/gen-capture.js'
import { FIXTURES } from './helpers/shared.js'
import { startRedis, type TestRedis } from './helpers/redis.js'

/** A hand-driven clock and timer queue: `advance(ms)` moves time and runs what fell due. */
function fakeTime () {
  let t = 1_000_000
  let timers: Array<{ at: number, fn: () => void }> = []
  return {
    now: () => t,
    schedule: (fn: () => void, ms: number) => {
      const timer = { at: t + ms, fn }
      timers.push(timer)
      return () => { timers = timers.filter(x => x !== timer) }
    },
    advance: (ms: number) => {
      t += ms
      const due = timers.filter(x => x.at <= t)
      timers = timers.filter(x => x.at > t)
      for (const x of due) x.fn()
    },
    pending: () => timers.length
  }
}

function setup (mode: ProgressMode) {
  const time = fakeTime()
  const lines: string[] = []
  const files = new Map([['a.pcap', 1000], ['b.pcap', 3000], ['c.pcap', 1000], ['d.pcap', 5000]])
  const progress = createProgress({ mode, files, write: l => { lines.push(l) }, now: time.now, schedule: time.schedule })
  return { time, lines, progress }
}

test('on a terminal: bytes read with the ETA, files with packets and rate, the files in progress; failures above them; cleared at the end', async () => {
  let out = ''
  const stream = Object.assign(new Writable({ write (chunk: Buffer, _encoding, done) { out += chunk.toString(); done() } }), { isTTY: true, columns: 120 })
  const time = fakeTime()
  const files = new Map([['a.pcap', 1000], ['b.pcap', 3000], ['c.pcap', 1000], ['d.pcap', 5000]])
  const progress = createProgress({ mode: 'tty', files, write: () => { throw new Error('a terminal gets bars, not lines') }, now: time.now, stream })
  time.advance(1000)
  progress.onFile('a.pcap', 'ingested', '100 packets, 20 members', 100)
  progress.onFile('c.pcap', 'failed', 'bad magic (at byte offset 0)', 0)
  // d.pcap half read: its bytes and packets move the bars before it ends.
  progress.onProgress?.('d.pcap', 2500, 40)
  time.advance(1000)
  // cli-progress redraws on its own timer (5 a second): wait for the first frame.
  for (let waited = 0; !out.includes('reading') && waited < 10_000; waited += 50) await new Promise(resolve => setTimeout(resolve, 50))
  progress.stop()
  // eslint-disable-next-line no-control-regex -- strips the terminal's escape sequences
  const text = out.replaceAll(/\u001b\[[0-9;?]*[A-Za-z]/g, '')
  assert.deepEqual(text.split('\n'), [
    'potiron: failed: c.pcap: bad magic (at byte offset 0)',
    // 4,500 of 10,000 bytes in 2 s: 5,500 left, 2.4 s.
    `bytes   ${'\u2588'.repeat(14)}${'\u2591'.repeat(16)} 4.4 KiB/9.8 KiB | ETA 2s`,
    'files   2/4 (1 failed) | 140 packets | 70 packets/s',
    'reading d.pcap'
  ])
  // Erased at the end, so the summary that follows stands alone.
  assert.ok(out.endsWith('\u001b[0J'), JSON.stringify(out.slice(-20)))
})

const MiB = 1024 * 1024

test('the bars once every byte is read while files still wait for their writes: "writing to Redis", not "ETA 0s"', () => {
  const tally = new Tally(new Map([['/d/a.pcap', 10 * MiB], ['/d/b.pcap', 10 * MiB]]), 0)
  tally.add('/d/a.pcap', 'ingested', 100)
  tally.reading('/d/b.pcap', 10 * MiB, 50)
  assert.deepEqual(barLines(tally, 5000), [
    `bytes   ${'\u2588'.repeat(30)} 20.0 MiB/20.0 MiB | writing to Redis`,
    'files   1/2 | 150 packets | 30 packets/s',
    'reading b.pcap'
  ])
  tally.add('/d/b.pcap', 'ingested', 50)
  assert.equal(barLines(tally, 6000)[0], `bytes   ${'\u2588'.repeat(30)} 20.0 MiB/20.0 MiB | ETA 0s`)
})

test('the bars\' lines given a state: the files in progress by name, as many as fit in 80 columns, a name too long cut in its middle', () => {
  const a = '/data/2010/lab-synscan-1-20100704202416.pcapng'
  const sizes = new Map([[a, 40 * MiB], ['/data/b.pcap', 10 * MiB], ['/data/c.pcap.gz', 30 * MiB], ['/data/d.pcap', 20 * MiB]])
  const tally = new Tally(sizes, 0)
  assert.deepEqual(barLines(tally, 0), [`bytes   ${'\u2591'.repeat(30)} 0.0 MiB/100.0 MiB | ETA ?`, 'files   0/4 | 0 packets | 0 packets/s', ''])
  tally.add('/data/b.pcap', 'ingested', 1000)
  tally.reading(a, 15 * MiB, 2000)
  tally.reading('/data/c.pcap.gz', 5 * MiB, 500)
  // 30 of 100 MiB in 10 s: 70 left, 23 s; packets of the file done and of those in progress.
  assert.deepEqual(barLines(tally, 10_000), [
    `bytes   ${'\u2588'.repeat(9)}${'\u2591'.repeat(21)} 30.0 MiB/100.0 MiB | ETA 23s`,
    'files   1/4 | 3500 packets | 350 packets/s',
    'reading lab-synscan-1-20100704202416.pcapng, c.pcap.gz'
  ])
  const long = (n: number): string => `/x/lab-${'long-sensor-name-'.repeat(n)}1-20240101000000.pcap`
  const many = new Tally(new Map([1, 2, 3, 4].map(n => [long(n), 2 * 1024 ** 4])), 0)
  for (const [file] of [1, 2, 3, 4].map(n => [long(n)])) many.reading(file!, 1024 ** 4, 10)
  many.add(long(3), 'failed', 10)
  const lines = barLines(many, 60_000)
  assert.deepEqual(lines, [
    // The failed file counts whole: 2 + 3 × 1 of 8 TiB in 60 s.
    `bytes   ${'\u2588'.repeat(19)}${'\u2591'.repeat(11)} 5.0 TiB/8.0 TiB | ETA 36s`,
    'files   1/4 (1 failed) | 40 packets | 1 packets/s',
    'reading lab-long-sensor-name-1-20240101000000.pcap (+2 more)'
  ])
  const one = new Tally(new Map([[long(5), 100]]), 0)
  one.reading(long(5), 50, 1)
  assert.equal(barLines(one, 1000)[2], 'reading lab-long-sensor-name-long-sensor-nam\u2026g-sensor-name-1-20240101000000.pcap')
  assert.ok(lines.every(l => l.length <= 80) && barLines(one, 1000)[2].length === 80)
})

test('without a terminal the workers are not asked to report: no onProgress', () => {
  assert.equal(setup('lines').progress.onProgress, undefined)
  assert.equal(setup('quiet').progress.onProgress, undefined)
})

test('without a terminal: one line at most every 2 s, the last news printed when the interval ends', () => {
  const { time, lines, progress } = setup('lines')
  time.advance(500)
  progress.onFile('a.pcap', 'ingested', '100 packets, 20 members', 100)
  // Too soon after the start: nothing yet, one line scheduled at 2 s.
  assert.deepEqual(lines, [])
  time.advance(500)
  progress.onFile('c.pcap', 'skipped', 'already in FILES', 0)
  time.advance(1000)
  assert.deepEqual(lines, ['potiron: 2/4 files (1 ingested, 1 skipped, 0 failed), 100 packets, 50 packets/s, ETA 16s'])
  time.advance(2000)
  progress.onFile('b.pcap', 'ingested', '300 packets, 40 members', 300)
  assert.deepEqual(lines.slice(1), ['potiron: 3/4 files (2 ingested, 1 skipped, 0 failed), 400 packets, 100 packets/s, ETA 5s'])
  // Nothing new since: the interval passes silently.
  time.advance(10_000)
  assert.equal(lines.length, 2)
  progress.stop()
})

test('a failed file is printed at once, in its own line, and its readable packets count', () => {
  const { time, lines, progress } = setup('lines')
  time.advance(100)
  progress.onFile('d.pcap', 'failed', 'd.pcap: bad magic 0x00000000 (at byte offset 0); the 7 packets before it were ingested', 7)
  progress.onFile('a.pcap', 'failed', 'cannot tell the sensor', 0)
  assert.deepEqual(lines, ['potiron: failed: d.pcap: bad magic 0x00000000 (at byte offset 0); the 7 packets before it were ingested', 'potiron: failed: a.pcap: cannot tell the sensor'])
  time.advance(1900)
  assert.equal(lines[2], 'potiron: 2/4 files (0 ingested, 0 skipped, 2 failed), 7 packets, 4 packets/s, ETA 1s')
  progress.stop()
  assert.equal(time.pending(), 0)
})

test('stop cancels the pending line', () => {
  const { time, lines, progress } = setup('lines')
  progress.onFile('a.pcap', 'ingested', '1 packets, 1 members', 1)
  assert.equal(time.pending(), 1)
  progress.stop()
  time.advance(5000)
  assert.deepEqual(lines, [])
})

test('--quiet: only failed files', () => {
  const { time, lines, progress } = setup('quiet')
  for (const [file, outcome] of [['a.pcap', 'ingested'], ['b.pcap', 'skipped'], ['c.pcap', 'failed']] as const) {
    time.advance(3000)
    progress.onFile(file, outcome, outcome === 'failed' ? 'c.pcap: empty file (at byte offset 0)' : '5 packets, 2 members', outcome === 'ingested' ? 5 : 0)
  }
  time.advance(10_000)
  progress.stop()
  assert.deepEqual(lines, ['potiron: failed: c.pcap: empty file (at byte offset 0)'])
})

test('durations as printed', () => {
  assert.deepEqual([0, 42_400, 245_000, 3_720_000].map(formatDuration), ['0s', '42s', '4m05s', '1h02m'])
})

let redis: TestRedis
let dir: string

before(async () => {
  redis = await startRedis()
  dir = mkdtempSync(join(tmpdir(), 'potiron-progress-'))
  copyFileSync(join(FIXTURES, 'lab-dnsicmp-1-20130530224517.pcap'), join(dir, 'lab-dnsicmp-1-20130530224517.pcap'))
  writeFileSync(join(dir, 'lab-broken-1-20200101000000.pcap'), 'not a capture')
})

after(async () => {
  await redis.stop()
  rmSync(dir, { recursive: true, force: true })
})

test('ingest --quiet: stderr holds the Redis used and the failed file only, stdout the summary', async () => {
  const { status, out, err } = await potiron('ingest', dir, '--unix', redis.socket, '--quiet')
  assert.equal(status, 1)
  assert.equal(err.length, 2)
  assert.equal(err[0], `potiron: redis unix:${redis.socket}`)
  assert.match(err[1]!, /^potiron: failed: .*lab-broken-1-20200101000000\.pcap: .*\(at byte offset 0\); nothing counted$/)
  assert.match(out.join('\n'), /^files: 1 ingested, 0 skipped \(already in FILES\), 1 failed$/m)
})

test('ingestFiles tells onProgress how far each file is read before it is settled: its first chunk, then all of it', async () => {
  await redis.client.flushall()
  const sub = join(dir, 'progress')
  mkdirSync(sub)
  const big = join(sub, 'lab-gen-1-20240101000000.pcap')
  // About 3.7 MB: four 1 MiB chunks.
  await generateCapture(big, { packets: 40_000, seed: 7 })
  const small = join(dir, 'lab-dnsicmp-1-20130530224517.pcap')
  const events = new Map<string, string[]>([[big, []], [small, []]])
  const summary = await ingestFiles([big, small], redis.client, {
    threads: 1, combinedKeys: false, fields: FIELDS, selection: 'default', zone: undefined, sensor: undefined,
    onFile: (file, outcome, _detail, packets) => { events.get(file)!.push(`${outcome} ${packets}`) },
    onProgress: (file, bytes, packets) => { events.get(file)!.push(`${bytes} ${packets}`) }
  })
  assert.equal(summary.ingested, 2)
  const size = statSync(big).size
  const seen = events.get(big)!
  assert.deepEqual([seen[0], ...seen.slice(-2)], ['1048576 10845', `${size} 40000`, 'ingested 40000'], seen.join('; '))
  // Between them, reports made every 250 ms on a slow machine (the last chunk's may equal the end's): in order.
  const middle = seen.slice(1, -2).map(e => e.split(' ').map(Number))
  assert.ok(middle.every(([b, n], i) => b! > 1048576 && b! <= size && n! <= 40000 && (i === 0 || (b! >= middle[i - 1]![0]! && n! >= middle[i - 1]![1]!))), seen.join('; '))
  // A file of one chunk: its first chunk is all of it.
  assert.deepEqual(events.get(small), ['3636 32', '3636 32', 'ingested 32'])
})
