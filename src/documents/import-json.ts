/**
 * `import-json`: loads JSON documents into Redis with ingest's rules. Each file is read twice,
 * streamed: once for its header (a file already in FILES, or with other fields, costs one small
 * read), then for its packets, counted in memory per key and written in one transaction with
 * its FILES entry by writeFile, exactly as ingest writes a capture. A damaged file writes
 * nothing: the original's json.load would have failed on it too, and a partial import would
 * block the import of a repaired copy.
 */
import type { Redis } from 'ioredis'
import type { Selection } from '../aggregate/analyzer.js'
import { isCalendarDay } from '../aggregate/days.js'
import { FIELDS, type FieldName } from '../aggregate/fields.js'
import { parseCaptureName } from '../capture/filename.js'
import { ParameterConflictError, RedisWriteError } from '../errors.js'
import { plural } from '../plural.js'
import { DocumentCounter, parseHeader, type DocumentsHeader } from './counter.js'
import { readJsonArray, JsonArrayError } from './json-array.js'
import { JSON_FIELDS, PARAMETERS } from '../store/keys.js'
import { memberCount } from '../store/merge.js'
import { ensureParameters } from '../store/parameters.js'
import { isIngested, writeFile } from '../store/write.js'

export interface ImportOptions {
  combinedKeys: boolean
  /** How the documents were made (`json --ipv4-only` or not): stored in PARAMETERS like ingest's. */
  selection: Selection
  /** The zone of the documents' timestamps, 'UTC' by default. */
  zone: string
  onFile?: ((file: string, outcome: 'imported' | 'skipped' | 'failed', detail: string) => void) | undefined
}

export interface ImportSummary {
  imported: number
  skipped: number
  failed: Array<{ file: string, reason: string }>
  /** Packet documents counted in the imported files. */
  documents: number
  /** (key, member) increments written. */
  members: number
  elapsedMs: number
}

/**
 * Imports `files` one after the other; never throws for one bad file or one refused write.
 * Throws ParameterConflictError, before any file, when the database was made with another ck,
 * selection or zone (as ingest refuses the run).
 */
export async function importFiles (files: readonly string[], redis: Redis, options: ImportOptions): Promise<ImportSummary> {
  const started = performance.now()
  const summary: ImportSummary = { imported: 0, skipped: 0, failed: [], documents: 0, members: 0, elapsedMs: 0 }
  const settings = await runSettings(redis, options)
  for (const file of files) {
    try {
      const done = await importFile(file, redis, options, settings)
      if (typeof done === 'string') {
        summary.skipped++
        options.onFile?.(file, 'skipped', done)
        continue
      }
      summary.imported++
      summary.documents += done.documents
      summary.members += done.members
      options.onFile?.(file, 'imported', `${plural(done.documents, 'packet')}, ${plural(done.members, 'member')}`)
    } catch (err) {
      // As ingest: a write Redis refused fails this file only (a lost connection ends the run).
      if (!(err instanceof JsonArrayError || err instanceof ParameterConflictError || err instanceof RedisWriteError)) throw err
      summary.failed.push({ file, reason: err.message })
      options.onFile?.(file, 'failed', err.message)
    }
  }
  summary.elapsedMs = performance.now() - started
  return summary
}

/** One file: its counts, or why it was skipped (a string). Throws JsonArrayError for a bad file. */
async function importFile (file: string, redis: Redis, options: ImportOptions, settled: Settled): Promise<{ documents: number, members: number } | string> {
  const header = await readHeader(file)
  if (await isIngested(redis, header.filename)) return `${header.filename} already in FILES`
  const counter = new DocumentCounter(header.sensorname, header.fields, options.combinedKeys, options.selection)
  let first = true
  await readJsonArray(file, (doc, offset) => {
    if (first) { first = false; return }
    const problem = impossibleDay(doc) ?? counter.add(doc)
    if (problem !== undefined) throw new JsonArrayError(file, offset, `packet ${counter.documents}: ${problem}`)
  })
  // Checked (and, on a fresh database, written) once the file was read whole: a run of damaged
  // files leaves an empty database empty, as ingest does.
  await ensureFields(redis, file, header, options, settled)
  const contribution = counter.contribution()
  // As ingest does for a capture: the day in the capture's name is a day of the sensor too.
  const nameDay = parseCaptureName(header.filename)?.day
  const outcome = await writeFile(redis, header.filename, contribution, nameDay === undefined ? [] : [nameDay])
  if (!outcome.written) return `${header.filename} already in FILES`
  return { documents: counter.documents, members: memberCount(contribution) }
}

const DAY = /^(\d{4})-(\d{2})-(\d{2})/

/**
 * Why a packet's date cannot be a day key: a day the calendar lacks (`9999-99-99`, `2010-02-30`)
 * would become a key no capture can have. Other timestamp problems are the DocumentCounter's.
 */
function impossibleDay (doc: Record<string, unknown>): string | undefined {
  const m = typeof doc.timestamp === 'string' ? DAY.exec(doc.timestamp) : null
  if (m === null || isCalendarDay(Number(m[1]), Number(m[2]), Number(m[3]))) return undefined
  return `timestamp ${JSON.stringify(doc.timestamp)}: ${m[0]} is not a day of the calendar`
}

async function readHeader (file: string): Promise<DocumentsHeader> {
  // A holder: the callback's assignments are invisible to the compiler's narrowing.
  const found: { header: DocumentsHeader | string, offset: number } = { header: 'the array is empty: no header', offset: 0 }
  await readJsonArray(file, (element, offset) => {
    found.header = parseHeader(element)
    found.offset = offset
    return false
  }, 1 << 16)
  if (typeof found.header === 'string') throw new JsonArrayError(file, found.offset, found.header)
  return found.header
}

/**
 * The header's json_fields must be the stored JSON_FIELDS (as a set: the original compared them
 * sorted); a fresh database takes them from the first header, as store_json_data.py did.
 */
async function ensureFields (redis: Redis, file: string, header: DocumentsHeader, options: ImportOptions, settled: Settled): Promise<void> {
  const stored = settled.fields ?? await redis.lrange(JSON_FIELDS, 0, -1)
  let fields: readonly FieldName[] = FIELDS.filter(f => header.fields.includes(f))
  if (stored.length > 0) {
    if ([...stored].sort().join(',') !== [...header.fields].sort().join(',')) {
      throw new ParameterConflictError(`${file}: json_fields ${header.fields.join(',')} differ from JSON_FIELDS ${stored.join(',')} in Redis; not imported`)
    }
    fields = stored as FieldName[]
  }
  if (settled.fields !== undefined) return
  await ensureParameters(redis, { combinedKeys: options.combinedKeys, fields, selection: options.selection, zone: options.zone })
  settled.fields = fields
}

/**
 * Checks the stored settings once for the run. Fields are checked per file, against each
 * header: on a fresh database, the first header sets them.
 */
async function runSettings (redis: Redis, options: ImportOptions): Promise<Settled> {
  const [stored, fields] = await Promise.all([redis.hlen(PARAMETERS), redis.lrange(JSON_FIELDS, 0, -1)])
  if (stored === 0 && fields.length === 0) return { fields: undefined }
  await ensureParameters(redis, { combinedKeys: options.combinedKeys, fields: fields as FieldName[], selection: options.selection, zone: options.zone })
  // PARAMETERS without JSON_FIELDS: the first header still names the fields.
  return { fields: fields.length > 0 ? fields : undefined }
}

/**
 * What the run has checked against Redis: once the stored settings agree (or this run wrote
 * them), they cannot change under it, so later files compare their headers here only.
 */
interface Settled {
  fields: readonly string[] | undefined
}
