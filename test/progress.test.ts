/** Ingest progress: the bars on a terminal; without one, exact lines, their pace, failures, --quiet. */
import { after, before, test } from 'node:test'
import assert from 'node:assert/strict'
import { copyFileSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { Writable } from 'node:stream'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { potiron } from './helpers/cli.js'
import { createProgress, formatDuration, type ProgressMode } from '../src/cli/progress.js'
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

test('on a terminal: a files bar with failures and ETA, a packets line with the rate, failures above them; cleared at the end', async () => {
  let out = ''
  const stream = Object.assign(new Writable({ write (chunk: Buffer, _encoding, done) { out += chunk.toString(); done() } }), { isTTY: true, columns: 120 })
  const time = fakeTime()
  const files = new Map([['a.pcap', 1000], ['b.pcap', 3000], ['c.pcap', 1000], ['d.pcap', 5000]])
  const progress = createProgress({ mode: 'tty', files, write: () => { throw new Error('a terminal gets bars, not lines') }, now: time.now, stream })
  time.advance(1000)
  progress.onFile('a.pcap', 'ingested', '100 packets, 20 members', 100)
  progress.onFile('c.pcap', 'failed', 'bad magic (at byte offset 0)', 0)
  time.advance(1000)
  // cli-progress redraws on its own timer (5 a second): wait for the first frame.
  for (let waited = 0; !out.includes('packets/s') && waited < 10_000; waited += 50) await new Promise(resolve => setTimeout(resolve, 50))
  progress.stop()
  // eslint-disable-next-line no-control-regex -- strips the terminal's escape sequences
  const text = out.replaceAll(/\u001b\[[0-9;?]*[A-Za-z]/g, '')
  assert.deepEqual(text.split('\n'), [
    'potiron: failed: c.pcap: bad magic (at byte offset 0)',
    `files   ${'\u2588'.repeat(15)}${'\u2591'.repeat(15)} 2/4 (1 failed) | ETA 8s`,
    'packets 100 | 50 packets/s'
  ])
  // Erased at the end, so the summary that follows stands alone.
  assert.ok(out.endsWith('\u001b[0J'), JSON.stringify(out.slice(-20)))
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
