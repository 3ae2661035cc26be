/**
 * One capture file in, its statistics and count table out: what a worker does per task. The
 * result is plain data plus typed arrays, ready to cross threads.
 */
import { basename } from 'node:path'
import { parseCaptureName, stem } from '../capture/filename.js'
import { readCapture } from '../capture/read.js'
import type { CaptureInfo } from '../capture/types.js'
import type { CaptureError } from '../errors.js'
import { isSupportedLinktype } from '../decode/link.js'
import { JsonDocumentWriter } from '../export/json-documents.js'
import { Analyzer, type AnalyzeOptions } from './analyzer.js'
import { DayClock, dayToYmd } from './days.js'
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
  /** With a JsonOut: the documents file, left as `<path>.partial` when the capture failed. */
  json?: { path: string, documents: number, complete: boolean }
}

/** Also write the capture's JSON documents under `dir`, as `potiron json` does (`ingest --json-out`). */
export interface JsonOut {
  dir: string
  /** The header's sensorname. */
  sensor: string
}

export async function analyzeFile (file: string, options: AnalyzeOptions, jsonOut?: JsonOut): Promise<FileResult> {
  if (jsonOut !== undefined) return await analyzeWithJson(file, options, jsonOut)
  const analyzer = new Analyzer(options)
  const read = await readCapture(file, analyzer)
  const table = analyzer.finish()
  return { file, info: read.info, stats: analyzer.stats, table, error: problem(read.error), warning: problem(read.warning) }
}

/**
 * Writes the documents through the analyzer's observer, in the one pass over the capture. The
 * file and its directory are `potiron json`'s: the name's day, else the first counted packet's.
 */
async function analyzeWithJson (file: string, options: AnalyzeOptions, out: JsonOut): Promise<FileResult> {
  const clock = new DayClock(options.zone)
  const nameDay = parseCaptureName(file)?.day
  let writer: JsonDocumentWriter | undefined
  const open = (sec: number): JsonDocumentWriter => {
    const day = nameDay ?? (Number.isNaN(sec) ? undefined : String(dayToYmd(clock.day(sec))))
    return new JsonDocumentWriter(out.dir, stem(file), day, { sensorname: out.sensor, filename: basename(file) }, clock)
  }
  const analyzer = new Analyzer(options, (facts, buf, sec, nsec) => {
    (writer ??= open(sec)).packet(facts, buf, sec, nsec)
  })
  let read
  try {
    read = await readCapture(file, analyzer)
  } catch (err) {
    writer?.abort()
    throw err
  }
  const table = analyzer.finish()
  writer ??= open(Number.NaN)
  if (read.error === undefined) writer.close()
  else writer.abort()
  const json = { path: read.error === undefined ? writer.path : `${writer.path}.partial`, documents: writer.packets, complete: read.error === undefined }
  return { file, info: read.info, stats: analyzer.stats, table, error: problem(read.error), warning: problem(read.warning), json }
}

/**
 * What the statistics of a file read to its end still have to tell: packets of a link type
 * potiron does not decode (said once per file, not per packet), and packets that would have
 * been counted but have no usable timestamp (none, or past year 9999), so are in no day's keys.
 */
export function fileNotes ({ info, stats }: Pick<FileResult, 'info' | 'stats'>): string[] {
  const notes: string[] = []
  if (stats.unsupportedLink > 0) {
    const types = [...new Set(info.linktypes.filter(t => !isSupportedLinktype(t)))]
    notes.push(`${stats.unsupportedLink} packets of link type ${types.join(', ')} not decoded`)
  }
  if (stats.undated > 0) notes.push(`${stats.undated} packets without a usable timestamp (none, or past year 9999) counted in no day`)
  return notes
}

function problem (err: CaptureError | undefined): Problem | undefined {
  return err === undefined ? undefined : { code: err.code, offset: err.offset, message: err.message }
}
