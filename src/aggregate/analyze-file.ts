/**
 * One capture file in, its statistics and count table out: what a worker does per task. The
 * result is plain data plus typed arrays, ready to cross threads.
 */
import { basename } from 'node:path'
import { stem } from '../capture/filename.js'
import type { ContentFingerprint } from '../capture/fingerprint.js'
import { readCapture, type ReadResult } from '../capture/read.js'
import type { CaptureInfo } from '../capture/types.js'
import type { CaptureError } from '../errors.js'
import { isSupportedLinktype } from '../decode/link.js'
import { JsonDocumentWriter } from '../documents/writer.js'
import { Analyzer, type AnalyzeOptions, type PacketObserver } from './analyzer.js'
import { enrichTable } from './enrich-table.js'
import { isEnrichField } from './fields.js'
import { loadEnricher } from '../enrich/databases.js'
import { DayClock, ymdString } from './days.js'
import type { FileStats } from './stats.js'
import type { CountTable } from './table.js'
import type { ModeResult } from './modes.js'
import { plural } from '../plural.js'

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
  /** The fingerprint of the content read (capture/fingerprint.ts). */
  content: ContentFingerprint
  /** With a JsonOut: the documents file, left as `<path>.partial` when the capture failed. */
  json?: JsonResult
  /** With enrichment fields: the AS numbers counted and their names, ascending. */
  asnNames?: Array<[number, string]>
  /** In ISN or layer-2 format (AnalyzeOptions.format): what its collector kept; the table is then empty. */
  mode?: ModeResult
}

export interface JsonResult {
  path: string
  documents: number
  complete: boolean
  /** Why the documents could not be written (`cannot write its JSON documents under DIR: reason`); the counts are unaffected. */
  failed?: string
}

/** Also write the capture's JSON documents under `dir`, as `potiron json` does (`ingest --json-out`). */
export interface JsonOut {
  dir: string
  /** The header's sensorname. */
  sensor: string
  /** The day (YYYYMMDD) in the capture's name, which names its directory; else the first counted packet's. */
  day: string | undefined
}

/** Told while a file is read: bytes of it read so far (readCapture's ReadProgress) and packets counted from them. */
export type FileProgress = (bytes: number, packets: number) => void

export async function analyzeFile (file: string, options: AnalyzeOptions, jsonOut?: JsonOut, progress?: FileProgress): Promise<FileResult> {
  if (options.enrich === undefined && options.fields.some(isEnrichField)) throw new Error(`${options.fields.filter(isEnrichField).join(', ')}: enrichment fields need their databases (AnalyzeOptions.enrich)`)
  const documents = jsonOut === undefined ? undefined : new Documents(file, options.zone, jsonOut, options.filter)
  const analyzer = new Analyzer(options, documents?.observer)
  let read: ReadResult
  try {
    read = await readCapture(file, analyzer, progress === undefined ? {} : { progress: { report: bytes => { progress(bytes, analyzer.stats.counted) } } })
  } catch (err) {
    documents?.abort()
    throw err
  }
  const table = analyzer.finish()
  const result: FileResult = { file, info: read.info, stats: analyzer.stats, table, error: problem(read.error), warning: problem(read.warning), content: read.content }
  const mode = analyzer.mode()
  if (mode !== undefined) result.mode = mode
  if (options.enrich !== undefined) result.asnNames = enrichTable(table, options.fields, loadEnricher(options.enrich))
  if (documents !== undefined) result.json = documents.end(read.error === undefined)
  return result
}

/**
 * The documents of one capture, written in the one pass over it: the file is opened at the first
 * counted packet (its directory is the name's day, else that packet's), or at the end when none.
 * A write the system refuses (a directory that cannot be made, a full disk) stops the writing,
 * not the reading: the file's result says so, and the caller fails the file.
 */
class Documents {
  readonly #clock: DayClock
  #writer: JsonDocumentWriter | undefined
  #failed: string | undefined

  constructor (readonly file: string, zone: string | undefined, readonly out: JsonOut, readonly filter: string | undefined) {
    this.#clock = new DayClock(zone)
  }

  readonly observer: PacketObserver = (facts, buf, sec, nsec) => {
    if (this.#failed !== undefined) return
    try {
      (this.#writer ??= this.#open(sec)).packet(facts, buf, sec, nsec)
    } catch (err) {
      this.#fail(err)
      this.#writer?.abort()
    }
  }

  /** Gives the file up (the capture could not be read), unless a refused write did already. */
  abort (): void {
    if (this.#failed === undefined) this.#writer?.abort()
  }

  /** Closes the file when the capture was read whole, else leaves it as `<path>.partial`. */
  end (complete: boolean): JsonResult {
    if (this.#failed === undefined) {
      try {
        this.#writer ??= this.#open(Number.NaN)
        // close() and abort() release the file themselves, whether they fail or not.
        if (complete) this.#writer.close()
        else this.#writer.abort()
      } catch (err) {
        this.#fail(err)
      }
    }
    const written = complete && this.#failed === undefined
    const writer = this.#writer
    const path = writer === undefined ? this.out.dir : written ? writer.path : writer.partialPath
    return { path, documents: writer?.packets ?? 0, complete: written, ...(this.#failed === undefined ? {} : { failed: this.#failed }) }
  }

  #fail (err: unknown): void {
    this.#failed = `cannot write its JSON documents under ${this.out.dir}: ${err instanceof Error ? err.message : String(err)}`
  }

  #open (sec: number): JsonDocumentWriter {
    const day = this.out.day ?? (Number.isNaN(sec) ? undefined : ymdString(this.#clock.day(sec)))
    return new JsonDocumentWriter(this.out.dir, stem(this.file), day, { sensorname: this.out.sensor, filename: basename(this.file), tshark_filter: this.filter }, this.#clock)
  }
}

/**
 * What the statistics of a file read to its end still have to tell: packets of a link type
 * potiron does not decode (said once per file, not per packet), and packets that would have
 * been counted but have no usable timestamp (none, or past year 9999), so are in no day's keys.
 */
export function fileNotes ({ info, stats }: Pick<FileResult, 'info' | 'stats'>): string[] {
  const notes: string[] = []
  if (stats.unsupportedLink > 0) {
    const types = info.linktypes.filter(t => !isSupportedLinktype(t))
    notes.push(`${plural(stats.unsupportedLink, 'packet')} of link type ${types.join(', ')} not decoded`)
  }
  if (stats.undated > 0) notes.push(`${plural(stats.undated, 'packet')} without a usable timestamp (none, or past year 9999) counted in no day`)
  return notes
}

function problem (err: CaptureError | undefined): Problem | undefined {
  return err === undefined ? undefined : { code: err.code, offset: err.offset, message: err.message }
}
