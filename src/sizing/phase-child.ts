/**
 * `potiron bench`'s one-worker pass, in a process of its own so its memory is one worker's:
 * the sample's files parsed one after another, as a worker thread does, three ways: reading
 * only (a sink that does nothing: disk or page cache, gunzip, record framing), decoding the
 * headers (DECODE_FIELDS counted: with no field, potiron decodes nothing), and the whole
 * analysis; the phases are their differences. Prints one JSON line: PhaseReport.
 *
 * Run as `node phase-child.js '<json PhaseTask>'` by measure.ts.
 */
import { analyzeFile } from '../aggregate/analyze-file.js'
import type { AnalyzeOptions } from '../aggregate/analyzer.js'
import { raiseInliningBudget } from '../aggregate/inlining.js'
import { readCapture } from '../capture/read.js'
import { peakRss } from './memory.js'

export interface PhaseTask {
  files: string[]
  options: AnalyzeOptions
}

export interface PhaseReport {
  /** ms for each pass over every file: reading only, reading + decoding, the whole analysis. */
  read: number
  decode: number
  analyze: number
  /** Resident memory once loaded, and its peak at the end, bytes: the second less the first is one worker's own. */
  idleRss: number
  peakRss: number
}

const NOTHING = { packet: () => {} }

/**
 * What the decoding pass counts: the analyzer decodes only the headers its fields need, so
 * with none it would skip decoding altogether (the phase came out at 0 ms on 67 MB). These two
 * need the IP and transport headers, and cost one table update each per packet.
 */
const DECODE_FIELDS = ['protocol', 'sport'] as const

async function pass (files: readonly string[], one: (file: string) => Promise<unknown>): Promise<number> {
  const start = performance.now()
  for (const file of files) await one(file)
  return performance.now() - start
}

/** Rounds of the three passes: each pass's fastest round is kept, the others had a collection, a compilation or a neighbour in them. */
const ROUNDS = 2

async function main (task: PhaseTask): Promise<PhaseReport> {
  raiseInliningBudget()
  const idleRss = peakRss()
  const read = async (f: string): Promise<unknown> => await readCapture(f, NOTHING).catch(() => {})
  const decode = async (f: string): Promise<unknown> => await analyzeFile(f, { ...task.options, fields: DECODE_FIELDS })
  const analyze = async (f: string): Promise<unknown> => await analyzeFile(f, task.options)
  // Once untimed: every pass then reads from the page cache, as the pool's runs after it do.
  await pass(task.files, read)
  const times = { read: Infinity, decode: Infinity, analyze: Infinity }
  for (let round = 0; round < ROUNDS; round++) {
    times.read = Math.min(times.read, await pass(task.files, read))
    // The analyses' code compiled on the first file before they are timed: else the first
    // timed pass pays V8's warm-up (decoding alone came out slower than the whole analysis).
    if (round === 0) for (const one of [decode, analyze]) await pass(task.files.slice(0, 1), one)
    times.decode = Math.min(times.decode, await pass(task.files, decode))
    times.analyze = Math.min(times.analyze, await pass(task.files, analyze))
  }
  return { ...times, idleRss, peakRss: peakRss() }
}

const report = await main(JSON.parse(process.argv[2] ?? '{}') as PhaseTask)
process.stdout.write(JSON.stringify(report) + '\n')
