/**
 * bench:parse — how fast potiron reads and aggregates a capture, against the npm package
 * pcap-parser and against zlib itself, and the same records as hourly captures (what a worker
 * pays per file); plus a peak-memory check on a ~1 GB capture.
 *
 *   npm run bench:parse
 *   BENCH_PACKETS=200000 BENCH_ROUNDS=7 BENCH_SKIP_MEMORY=1 npm run bench:parse
 *
 * Environment: BENCH_PACKETS (default 1,000,000), BENCH_ROUNDS (default 5, after one warm-up
 * round), BENCH_SEED (default 1), BENCH_MEMORY_PACKETS (default: enough for a ~1 GB file),
 * BENCH_SKIP_MEMORY=1, BENCH_SKIP_SPEED=1 (memory check only), BENCH_SKIP_HOSTILE=1. All variants run in one process, alternating in rounds (the starting
 * variant rotates each round); the table gives medians. Memory is measured in fresh child
 * processes (this file re-run with --child): VmHWM from /proc/self/status (see peakRss).
 * The hostile captures (bench/gen-capture.ts generateSpanCapture: 10,000 days, a packet a day;
 * 30 days × 100 protocols with combined keys) check that the counters hold at most what
 * FILE_BYTES, PAIR_BYTES and VALUE_BYTES allow (src/aggregate/aggregator.ts).
 */
import { execFile, spawn } from 'node:child_process'
import { createReadStream } from 'node:fs'
import { mkdir, mkdtemp, open, readdir, rm, stat } from 'node:fs/promises'
import { createRequire } from 'node:module'
import type { EventEmitter } from 'node:events'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { Writable } from 'node:stream'
import { pipeline } from 'node:stream/promises'
import { fileURLToPath } from 'node:url'
import { promisify } from 'node:util'
import { createGunzip } from 'node:zlib'
import { FILE_BYTES, PAIR_BYTES, VALUE_BYTES } from '../src/aggregate/aggregator.js'
import { Analyzer, type AnalyzeOptions } from '../src/aggregate/analyzer.js'
import { PACKET_FIELDS as FIELDS } from '../src/aggregate/fields.js'
import { raiseInliningBudget } from '../src/aggregate/inlining.js'
import { DEFAULT_CHUNK_BYTES, DEFAULT_GZIP_CHUNK_BYTES, readCapture } from '../src/capture/read.js'
import { DEFAULT_DAYS, generateCapture, generateSpanCapture } from './gen-capture.js'
import { envInt, gcFunction, grouped, hourlyCaptures, machineLine, median, mib, peakRss, table, timeMs } from './util.js'

const require = createRequire(import.meta.url)
/** pcap-parser has no types: an EventEmitter emitting 'packet', 'end' and 'error'. */
const pcapParser = require('pcap-parser') as { parse (input: string | NodeJS.ReadableStream): EventEmitter }

const ANALYZE: AnalyzeOptions = { fields: FIELDS, combinedKeys: false, selection: 'default', zone: undefined }
const MB = 1e6
/** "What the distinct values need": ~20 bytes per distinct (day, field, value), as the brief estimates. */
const BYTES_PER_DISTINCT = 20
const TARGET_SPEEDUP = 3
const TARGET_GZIP_SHARE = 0.7
const TARGET_MEMORY_SLACK = 64 * 2 ** 20

interface Variant {
  id: string
  name: string
  input: 'plain' | 'gzip' | 'hourly'
  expect: number
  times: number[]
  /** CPU time of the measuring process (all its threads, zlib's pool included); not measured for gzip -dc. */
  cpu: number[]
}

/**
 * What each variant runs, by id; returns the packets counted (or bytes out for the pure
 * decompressors). Each timed run happens in a fresh child process, after WARM_UP_RUNS untimed
 * runs of the same variant there: a process that ran several variants shares JIT feedback and heap between
 * them (the reader's sink call site turns polymorphic), which is not how potiron runs.
 */
/** Each variant's run; `potiron` says it runs potiron's code (with its V8 setting), not a baseline. */
const RUNNERS: Record<string, { run: (path: string) => Promise<number>, potiron: boolean }> = {
  1: { run: countWithPcapParser, potiron: false },
  2: { run: countWithReader, potiron: true },
  3: { run: async (path) => await analyze(path), potiron: true },
  '3h': { run: analyzeEach, potiron: true },
  '2g': { run: countWithReader, potiron: true },
  4: { run: async (path) => await analyze(path), potiron: true },
  5: { run: gunzipOnly, potiron: false },
  6: { run: gzipCli, potiron: false }
}

interface SpeedReport {
  ms: number
  cpuMs: number
  got: number
  finishMs: number
}

async function countWithPcapParser (path: string): Promise<number> {
  return await new Promise((resolve, reject) => {
    let n = 0
    const parser = pcapParser.parse(path)
    parser.on('packet', () => { n++ })
    parser.on('error', reject)
    parser.on('end', () => resolve(n))
  })
}

async function countWithReader (path: string): Promise<number> {
  let n = 0
  const result = await readCapture(path, { packet () { n++ } })
  if (result.error !== undefined) throw result.error
  return n
}

let lastFinishMs = 0

/** Reader + decode + aggregate of every field; the time spent in finish() goes to lastFinishMs. */
async function analyze (path: string): Promise<number> {
  const analyzer = new Analyzer(ANALYZE)
  const result = await readCapture(path, analyzer)
  if (result.error !== undefined) throw result.error
  lastFinishMs = await timeMs(() => analyzer.finish())
  return analyzer.stats.packets
}

/** The same analysis of each capture in `dir` in turn, as a worker gets a day's hourly captures. */
async function analyzeEach (dir: string): Promise<number> {
  let packets = 0
  for (const name of (await readdir(dir)).sort()) packets += await analyze(join(dir, name))
  return packets
}

/** Untimed runs before the timed one in each child: V8 needs two to reach its steady state. */
const WARM_UP_RUNS = 2

/** Child side of a timed run: WARM_UP_RUNS untimed runs, then the timed one. */
async function speedChild (id: string, path: string): Promise<void> {
  const variant = RUNNERS[id]
  if (variant === undefined) throw new Error(`unknown variant ${id}`)
  const { run } = variant
  // potiron's variants run as potiron's CLI does, with its V8 setting (src/aggregate/inlining.ts);
  // the baselines in a plain Node process.
  if (variant.potiron) raiseInliningBudget()
  for (let i = 0; i < WARM_UP_RUNS; i++) await run(path)
  gcFunction()()
  let got = 0
  const cpu0 = process.cpuUsage()
  const ms = await timeMs(async () => { got = await run(path) })
  const cpu = process.cpuUsage(cpu0)
  const report: SpeedReport = { ms, cpuMs: (cpu.user + cpu.system) / 1000, got, finishMs: lastFinishMs }
  process.stdout.write(JSON.stringify(report) + '\n')
}

/** Node's zlib alone: file → gunzip → nowhere, with the chunk sizes readCapture uses. */
async function gunzipOnly (path: string): Promise<number> {
  let bytes = 0
  await pipeline(
    createReadStream(path, { highWaterMark: DEFAULT_CHUNK_BYTES }),
    createGunzip({ chunkSize: DEFAULT_GZIP_CHUNK_BYTES }),
    new Writable({
      write (chunk: Buffer, _enc, cb) {
        bytes += chunk.length
        cb()
      }
    })
  )
  return bytes
}

async function gzipCli (path: string): Promise<number> {
  const devnull = await open('/dev/null', 'w')
  try {
    await new Promise<void>((resolve, reject) => {
      const child = spawn('gzip', ['-dc', path], { stdio: ['ignore', devnull.fd, 'inherit'] })
      child.on('error', reject)
      child.on('exit', (code) => code === 0 ? resolve() : reject(new Error(`gzip -dc exited with ${code}`)))
    })
  } finally {
    await devnull.close()
  }
  return -1
}

// ---------------------------------------------------------------- memory (child processes)

interface ChildReport {
  maxRss: number
  /** analyze only: peak before finish() (reading, decoding, counting) and after it (building the table). */
  maxRssFinish?: number
  packets?: number
  distinct?: Record<string, number>
  /** span only: the counters' bytes before finish(), the (day, protocol) pairs and distinct (day, protocol, field, value) entries. */
  countBytes?: number
  pairs?: number
  values?: number
}

/** A memory child: the peak RSS of one mode (idle, reader only, analysis) in a fresh process (see peakRss). */
async function child (mode: string, path: string | undefined): Promise<void> {
  raiseInliningBudget()
  const report: ChildReport = { maxRss: 0 }
  if (mode === 'idle') {
    // Same modules loaded, same objects made, nothing read.
    const analyzer = new Analyzer(ANALYZE)
    report.packets = analyzer.stats.packets
  } else if (mode === 'read') {
    report.packets = await countWithReader(path!)
  } else if (mode === 'analyze') {
    const analyzer = new Analyzer(ANALYZE)
    const result = await readCapture(path!, analyzer)
    if (result.error !== undefined) throw result.error
    report.maxRss = peakRss()
    const counts = analyzer.finish()
    report.maxRssFinish = peakRss()
    report.packets = analyzer.stats.packets
    const distinct: Record<string, number> = {}
    for (const name of FIELDS) distinct[name] = 0
    for (const group of counts.groups) distinct[FIELDS[group.field]!]! += group.counts.length
    report.distinct = distinct
  } else if (mode === 'span' || mode === 'span-split') {
    const analyzer = new Analyzer({ ...ANALYZE, combinedKeys: mode === 'span-split' })
    const result = await readCapture(path!, analyzer)
    if (result.error !== undefined) throw result.error
    report.countBytes = analyzer.countBytes
    report.maxRss = peakRss()
    const counts = analyzer.finish()
    report.maxRssFinish = peakRss()
    report.packets = analyzer.stats.packets
    const pairs = new Set<string>()
    const values = new Set<string>()
    for (const g of counts.groups) {
      pairs.add(`${g.day},${g.proto}`)
      for (const v of g.values) values.add(`${g.day},${g.proto},${g.field},${v}`)
    }
    report.pairs = pairs.size
    report.values = values.size
  } else {
    throw new Error(`unknown child mode ${mode}`)
  }
  if (report.maxRss === 0) report.maxRss = peakRss()
  process.stdout.write(JSON.stringify(report) + '\n')
}

async function runChild<T = ChildReport> (mode: string, path?: string): Promise<T> {
  const args = [fileURLToPath(import.meta.url), '--child', mode, ...(path === undefined ? [] : [path])]
  const { stdout } = await promisify(execFile)(process.execPath, args, { maxBuffer: 1 << 20 })
  return JSON.parse(stdout) as T
}

async function memoryCheck (dir: string, seed: number, bytesPerPacket: number): Promise<string[]> {
  const packets = envInt('BENCH_MEMORY_PACKETS', Math.ceil(1e9 / bytesPerPacket))
  const path = join(dir, 'memory.pcap')
  process.stderr.write(`generating ${grouped(packets)} packets for the memory check...\n`)
  await generateCapture(path, { packets, seed: seed + 1 })
  const size = (await stat(path)).size
  const idle = await runChild('idle')
  const read = await runChild('read', path)
  const analyzed = await runChild('analyze', path)
  await rm(path, { force: true })
  if (analyzed.packets !== packets || read.packets !== packets) throw new Error('memory check: packet count mismatch')
  const distinct = analyzed.distinct!
  const totalDistinct = Object.values(distinct).reduce((a, b) => a + b, 0)
  const need = totalDistinct * BYTES_PER_DISTINCT
  const above = analyzed.maxRss - idle.maxRss
  const slack = above - need
  const lines = [
    `Memory: ${grouped(packets)} packets, ${mib(size)} MiB capture (${DEFAULT_DAYS} days), peak RSS in fresh processes`,
    '',
    table(['process', '>peak RSS MiB', '>above idle MiB'], [
      ['idle (modules loaded, Analyzer made)', mib(idle.maxRss), '0.0'],
      ['reader only (count records)', mib(read.maxRss), mib(read.maxRss - idle.maxRss)],
      ['reader + decode + aggregate, before finish()', mib(analyzed.maxRss), mib(above)],
      ['... after finish() (count table built)', mib(analyzed.maxRssFinish!), mib(analyzed.maxRssFinish! - idle.maxRss)]
    ]),
    '',
    `Distinct (day, field, value) entries: ${grouped(totalDistinct)} — ` +
      FIELDS.map(f => `${f} ${grouped(distinct[f]!)}`).join(', '),
    `What the distinct values need (x ${BYTES_PER_DISTINCT} B): ${mib(need)} MiB; aggregate peak above idle: ${mib(above)} MiB; ` +
      `excess ${mib(slack)} MiB (target <= 64 MiB): ${slack <= TARGET_MEMORY_SLACK ? 'MET' : 'MISSED'}` +
      (analyzed.maxRssFinish! - idle.maxRss - need > TARGET_MEMORY_SLACK && slack <= TARGET_MEMORY_SLACK ? ' (but not after finish())' : '')
  ]
  return lines
}

/**
 * Captures that cost one (day, protocol) pair per packet: their counters must stay within
 * FILE_BYTES + PAIR_BYTES per pair + VALUE_BYTES per distinct value (3f807e2 took ~1 MB a pair).
 */
async function hostileCheck (dir: string): Promise<string[]> {
  const idle = await runChild('idle')
  const cases = [
    { name: '10,000 days, a packet a day', days: 10000, protocols: 1, mode: 'span' },
    { name: '30 days x 100 protocols, combined keys', days: 30, protocols: 100, mode: 'span-split' }
  ]
  const rows: string[][] = []
  let met = true
  for (const c of cases) {
    const path = join(dir, `span-${c.days}x${c.protocols}.pcap`)
    await generateSpanCapture(path, { days: c.days, protocols: c.protocols })
    const size = (await stat(path)).size
    const r = await runChild(c.mode, path)
    await rm(path, { force: true })
    const bound = FILE_BYTES + PAIR_BYTES * r.pairs! + VALUE_BYTES * r.values!
    met &&= r.countBytes! <= bound
    rows.push([c.name, grouped(size / 1000), grouped(r.pairs!), grouped(r.values!), grouped(r.countBytes! / 1024), grouped(bound / 1024),
      mib(r.maxRss - idle.maxRss), mib(r.maxRssFinish! - idle.maxRss)])
  }
  return [
    'Hostile captures (bench/gen-capture.ts generateSpanCapture), each analysed in a fresh process:',
    '',
    table(['capture', '>KB', '>(day, protocol) pairs', '>distinct values', '>counters KiB', '>bound KiB', '>peak above idle MiB', '>... after finish() MiB'], rows),
    '',
    `bound = ${grouped(FILE_BYTES)} B + ${grouped(PAIR_BYTES)} B a pair + ${VALUE_BYTES} B a distinct (day, protocol, field, value); ` +
      `counters within it: ${met ? 'MET' : 'MISSED'}`
  ]
}

// ---------------------------------------------------------------- main

async function main (): Promise<void> {
  const packets = envInt('BENCH_PACKETS', 1_000_000)
  const rounds = Math.max(1, envInt('BENCH_ROUNDS', 5))
  const seed = envInt('BENCH_SEED', 1)
  const skipMemory = process.env.BENCH_SKIP_MEMORY === '1'

  const dir = await mkdtemp(join(tmpdir(), 'potiron-bench-'))
  try {
    const plain = join(dir, 'capture.pcap')
    const gzip = join(dir, 'capture.pcap.gz')
    process.stderr.write(`generating ${grouped(packets)} packets (seed ${seed}) and a gzip copy in ${dir}...\n`)
    await generateCapture(plain, { packets, seed, gzipPath: gzip })
    const plainBytes = (await stat(plain)).size
    const gzipBytes = (await stat(gzip)).size
    const hourly = join(dir, 'hourly')
    await mkdir(hourly)
    const hours = (await hourlyCaptures(plain, hourly, 'bench-parse-1')).length

    if (process.env.BENCH_SKIP_SPEED === '1') {
      console.log(`Machine: ${machineLine()}\nSpeed runs skipped (BENCH_SKIP_SPEED=1).`)
    } else {
      await speed(packets, rounds, seed, { plain, gzip, hourly, hours }, plainBytes, gzipBytes)
    }
    if (process.env.BENCH_SKIP_HOSTILE !== '1') console.log('\n' + (await hostileCheck(dir)).join('\n'))
    if (skipMemory) {
      console.log('\nMemory check skipped (BENCH_SKIP_MEMORY=1).')
    } else {
      await rm(gzip, { force: true })
      console.log('\n' + (await memoryCheck(dir, seed, plainBytes / Math.max(1, packets))).join('\n'))
    }
  } finally {
    await rm(dir, { recursive: true, force: true })
  }
}

/** The timed variants, alternating in rounds; prints the table and the two ratios. */
async function speed (packets: number, rounds: number, seed: number, inputs: { plain: string, gzip: string, hourly: string, hours: number }, plainBytes: number, gzipBytes: number): Promise<void> {
  const finishMs: number[] = []
  const variants: Variant[] = [
    { id: '1', name: 'pcap-parser (npm), count records', input: 'plain', expect: packets, times: [], cpu: [] },
    { id: '2', name: 'potiron readCapture, count records', input: 'plain', expect: packets, times: [], cpu: [] },
    { id: '3', name: 'potiron read + decode + aggregate (12 fields)', input: 'plain', expect: packets, times: [], cpu: [] },
    { id: '3h', name: `the same, the same records as ${inputs.hours} hourly captures`, input: 'hourly', expect: packets, times: [], cpu: [] },
    { id: '2g', name: 'potiron readCapture, count records', input: 'gzip', expect: packets, times: [], cpu: [] },
    { id: '4', name: 'potiron read + decode + aggregate (12 fields)', input: 'gzip', expect: packets, times: [], cpu: [] },
    { id: '5', name: 'zlib.createGunzip() alone (4 MiB chunks)', input: 'gzip', expect: plainBytes, times: [], cpu: [] },
    { id: '6', name: '`gzip -dc FILE > /dev/null` (child process)', input: 'gzip', expect: -1, times: [], cpu: [] }
  ]
  for (let round = 1; round <= rounds; round++) {
    process.stderr.write(`round ${round}/${rounds}\n`)
    for (let k = 0; k < variants.length; k++) {
      const v = variants[(k + round) % variants.length]!
      const r = await runChild<SpeedReport>(`speed:${v.id}`, inputs[v.input])
      if (r.got !== v.expect) throw new Error(`variant ${v.id} counted ${r.got}, expected ${v.expect}`)
      v.times.push(r.ms)
      v.cpu.push(r.cpuMs)
      if (v.id === '3') finishMs.push(r.finishMs)
    }
  }

  const med = new Map(variants.map(v => [v.id, median(v.times)]))
  const rows = variants.map(v => {
    const ms = med.get(v.id)!
    return [
      v.id, v.name, v.input, grouped(ms), `${grouped(Math.min(...v.times))}–${grouped(Math.max(...v.times))}`,
      v.id === '6' ? '—' : grouped(median(v.cpu)), grouped(packets / ms * 1000), grouped(plainBytes / MB / ms * 1000, 1)
    ]
  })
  const perRound = (a: Variant, b: Variant): number[] => a.times.map((t, i) => b.times[i]! / t)
  const v = (id: string): Variant => variants.find(x => x.id === id)!
  const speedup = med.get('1')! / med.get('3')!
  const share = med.get('5')! / med.get('4')!
  const spread = (xs: number[]): string => `per round ${grouped(Math.min(...xs), 2)}–${grouped(Math.max(...xs), 2)}`
  const lines = [
    `bench:parse — ${grouped(packets)} packets (seed ${seed}, ${DEFAULT_DAYS} days): ` +
      `${mib(plainBytes)} MiB plain (${grouped(plainBytes / MB, 1)} MB), ${mib(gzipBytes)} MiB gzip -6; ` +
      `${rounds} rounds, each run in a fresh process after ${WARM_UP_RUNS} untimed runs there, medians`,
    `Machine: ${machineLine()}`,
    '',
    table(['#', 'variant', 'input', '>median ms', '>min–max ms', '>CPU ms', '>packets/s', '>MB/s'], rows),
    '',
    'Wall-clock medians; packets/s and MB/s (10^6 bytes of uncompressed capture per second) from them. CPU ms: median',
    'CPU time of the measuring process during the run, all threads (zlib works in the thread pool); gzip -dc runs in a child, not counted.',
    `finish() (building the count table) inside (3): median ${grouped(median(finishMs))} ms.`,
    '',
    `(3) ÷ (1) = ${grouped(speedup, 2)}x (${spread(perRound(v('3'), v('1')))}), target >= ${TARGET_SPEEDUP}x: ${speedup >= TARGET_SPEEDUP ? 'MET' : 'MISSED'}`,
    `(4) ÷ (5) = ${grouped(share, 2)}x (${spread(perRound(v('4'), v('5')))}), target >= ${TARGET_GZIP_SHARE}x: ${share >= TARGET_GZIP_SHARE ? 'MET' : 'MISSED'}`,
    `(3h) ÷ (3) = ${grouped(med.get('3h')! / med.get('3')!, 2)}x (${spread(perRound(v('3'), v('3h')))}): what the same packets cost in hourly captures, each counted apart`
  ]
  console.log(lines.join('\n'))
}

const argv = process.argv.slice(2)
const run = argv[0] !== '--child' ? main() : argv[1]?.startsWith('speed:') === true ? speedChild(argv[1].slice(6), argv[2] ?? '') : child(argv[1] ?? '', argv[2])
run.catch((err: unknown) => {
  console.error(err)
  process.exitCode = 1
})
