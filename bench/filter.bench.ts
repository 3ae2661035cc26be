/**
 * bench:filter — what `--filter 'tcp and dst port 22'` costs the parse (reader, decoders,
 * aggregation of every field) of a generated capture, against no filter. Issue 18's target: at
 * most 10 % slower. Kept packets cost their aggregation, so the filter alone makes the parse
 * faster; its own cost is measured with `(FILTER) or len >= 0`, which asks the same tests of
 * every packet and keeps them all, so that it aggregates what the run without a filter does.
 *
 *   npm run bench:filter
 *   BENCH_PACKETS=200000 BENCH_ROUNDS=3 npm run bench:filter
 *
 * Environment: BENCH_PACKETS (default 1,000,000), BENCH_ROUNDS (default 5), BENCH_SEED (default 1),
 * BENCH_FILTER (default 'tcp and dst port 22'). The two variants alternate in rounds (the first
 * one rotates); each timed run is a fresh child process (this file with --child) after two
 * untimed runs there, as bench:parse does, so that neither variant inherits the other's JIT
 * feedback. The table gives medians.
 */
import { execFile } from 'node:child_process'
import { mkdtemp, rm, stat } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { promisify } from 'node:util'
import { Analyzer, type AnalyzeOptions } from '../src/aggregate/analyzer.js'
import { PACKET_FIELDS } from '../src/aggregate/fields.js'
import { raiseInliningBudget } from '../src/aggregate/inlining.js'
import { readCapture } from '../src/capture/read.js'
import { generateCapture } from './gen-capture.js'
import { envInt, gcFunction, grouped, machineLine, median, table, timeMs } from './util.js'

const TARGET_COST = 0.10
const WARM_UP_RUNS = 2
const FILTER = process.env.BENCH_FILTER ?? 'tcp and dst port 22'

/** The variants: no filter, the filter, and the filter asked of every packet that is then kept anyway. */
const FILTERS: Record<string, string | undefined> = { none: undefined, filter: FILTER, 'kept anyway': `(${FILTER}) or len >= 0` }

interface ChildReport { ms: number, packets: number, counted: number }

/** One parse of `path`, the Analyzer as a worker runs it; with `filter`, only the packets it matches are counted. */
async function analyze (path: string, filter: string | undefined): Promise<ChildReport> {
  const options: AnalyzeOptions = { fields: PACKET_FIELDS, combinedKeys: false, selection: 'default', zone: undefined, ...(filter === undefined ? {} : { filter }) }
  const analyzer = new Analyzer(options)
  const ms = await timeMs(async () => {
    const result = await readCapture(path, analyzer)
    if (result.error !== undefined) throw result.error
    analyzer.finish()
  })
  return { ms, packets: analyzer.stats.packets, counted: analyzer.stats.counted }
}

async function child (variant: string, path: string): Promise<void> {
  raiseInliningBudget()
  const filter = FILTERS[variant]
  for (let i = 0; i < WARM_UP_RUNS; i++) await analyze(path, filter)
  gcFunction()()
  process.stdout.write(JSON.stringify(await analyze(path, filter)) + '\n')
}

async function main (): Promise<void> {
  const packets = envInt('BENCH_PACKETS', 1_000_000)
  const rounds = envInt('BENCH_ROUNDS', 5)
  const seed = envInt('BENCH_SEED', 1)
  const dir = await mkdtemp(join(tmpdir(), 'potiron-bench-filter-'))
  try {
    const path = join(dir, 'bench.pcap')
    await generateCapture(path, { packets, seed })
    const size = (await stat(path)).size
    console.log(machineLine())
    console.log(`capture: ${grouped(packets)} packets, ${grouped(size / 1e6, 1)} MB; filter: '${FILTER}'; ${rounds} rounds, medians`)
    const variants = Object.keys(FILTERS)
    const times: Record<string, number[]> = Object.fromEntries(variants.map(v => [v, []]))
    const counted: Record<string, number> = {}
    const self = fileURLToPath(import.meta.url)
    for (let round = 0; round < rounds; round++) {
      for (let i = 0; i < variants.length; i++) {
        const variant = variants[(i + round) % variants.length]!
        const { stdout } = await promisify(execFile)(process.execPath, [self, '--child', variant, path], { maxBuffer: 1 << 20 })
        const report = JSON.parse(stdout) as ChildReport
        times[variant]!.push(report.ms)
        counted[variant] = report.counted
      }
    }
    const none = median(times.none!)
    console.log(table(['variant', 'median ms', 'packets/s', 'counted', 'vs none'], variants.map(v => {
      const ms = median(times[v]!)
      return [FILTERS[v] === undefined ? 'no filter' : `--filter '${FILTERS[v]}'`, ms.toFixed(1), grouped(packets / ms * 1000), grouped(counted[v]!), `${((ms / none - 1) * 100).toFixed(1)} %`]
    })))
    const cost = median(times['kept anyway']!) / none - 1
    console.log(`cost of asking the filter of every packet: ${(cost * 100).toFixed(1)} % (target: at most ${TARGET_COST * 100} %) ${cost <= TARGET_COST ? 'ok' : 'MISSED'}`)
  } finally {
    await rm(dir, { recursive: true, force: true })
  }
}

if (process.argv[2] === '--child') await child(process.argv[3]!, process.argv[4]!)
else await main()
