/**
 * One capture file in, its statistics and count table out: what a worker does per task. The
 * result is plain data plus typed arrays, ready to cross threads.
 */
import { readCapture } from '../capture/read.js'
import type { CaptureInfo } from '../capture/types.js'
import type { CaptureError } from '../errors.js'
import { Analyzer, type AnalyzeOptions } from './analyzer.js'
import type { FileStats } from './stats.js'
import type { CountTable } from './table.js'

/** A capture problem as plain data (error objects do not survive structured cloning intact). */
export interface Problem {
  code: string
  offset: number
  message: string
}

export interface FileResult {
  file: string
  info: CaptureInfo
  stats: FileStats
  table: CountTable
  /** The file could not be read to its end: counts cover the part before `error.offset`. */
  error: Problem | undefined
  /** Something to report that did not stop the file (a truncated last record). */
  warning: Problem | undefined
}

export async function analyzeFile (file: string, options: AnalyzeOptions): Promise<FileResult> {
  const analyzer = new Analyzer(options)
  const read = await readCapture(file, analyzer)
  const table = analyzer.finish()
  return { file, info: read.info, stats: analyzer.stats, table, error: problem(read.error), warning: problem(read.warning) }
}

function problem (err: CaptureError | undefined): Problem | undefined {
  return err === undefined ? undefined : { code: err.code, offset: err.offset, message: err.message }
}
