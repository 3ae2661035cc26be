/**
 * `potiron bench`'s one-worker pass, in a process of its own so its memory is one worker's:
 * the sample's files parsed one after another, as a worker thread does, three times: reading
 * only (a sink that does nothing: disk or page cache, gunzip, record framing), decoding with no
 * field counted, and the whole analysis. Prints one JSON line: PhaseReport.
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

async function pass (files: readonly string[], one: (file: string) => Promise<unknown>): Promise<number> {
  const start = performance.now()
  for (const file of files) await one(file)
  return performance.now() - start
}

async function main (task: PhaseTask): Promise<PhaseReport> {
  raiseInliningBudget()
  const idleRss = peakRss()
  // Once untimed: every pass then reads from the page cache, as the pool's runs after it do.
  await pass(task.files, async f => await readCapture(f, NOTHING).catch(() => {}))
  // Each pass's code compiled on the first file before any is timed: else the first timed
  // analysis pays V8's warm-up, and decoding alone came out slower than the whole analysis.
  const first = task.files.slice(0, 1)
  await pass(first, async f => await analyzeFile(f, { ...task.options, fields: [] }))
  await pass(first, async f => await analyzeFile(f, task.options))
  const read = await pass(task.files, async f => await readCapture(f, NOTHING).catch(() => {}))
  const decode = await pass(task.files, async f => await analyzeFile(f, { ...task.options, fields: [] }))
  const analyze = await pass(task.files, async f => await analyzeFile(f, task.options))
  return { read, decode, analyze, idleRss, peakRss: peakRss() }
}

const report = await main(JSON.parse(process.argv[2] ?? '{}') as PhaseTask)
process.stdout.write(JSON.stringify(report) + '\n')
