/**
 * The ingest coordinator: parses capture files on the worker pool and writes the results to
 * Redis as they arrive, the files parsed meanwhile merged into one batch (store/batch.ts), one
 * file at a time when only one is waiting. A bad file is recorded and the run carries on;
 * a lost Redis connection stops the run with one RedisUnreachableError (every file either fully
 * counted or not at all, so running the same command again finishes the job).
 * `removeFiles` parses the same way and takes each file's contribution back out.
 */
import { stat } from 'node:fs/promises'
import { basename, dirname, join } from 'node:path'
import { MessageChannel } from 'node:worker_threads'
import { ReplyError, type Redis } from 'ioredis'
import type { Piscina } from 'piscina'
import { fileNotes, type FileProgress, type FileResult } from '../aggregate/analyze-file.js'
import type { Selection } from '../aggregate/analyzer.js'
import type { FieldName } from '../aggregate/fields.js'
import { sensorOf } from '../capture/filename.js'
import { statError } from '../capture/io.js'
import { plural } from '../plural.js'
import { ParameterConflictError, RedisUnreachableError, RedisWriteError } from '../errors.js'
import { addTable, emptyContribution, type Contribution } from '../store/merge.js'
import { tableDays, tableKeys, tableRows } from '../aggregate/table.js'
import { finishBatch, loneBatch, writeBatch } from '../store/batch.js'
import { finishBatchBySlot, writeBatchBySlot } from '../store/batch-cluster.js'
import { ensureParameters, type RunParameters } from '../store/parameters.js'
import { connected, redisLoss } from '../store/connection.js'
import { isCluster } from '../store/cluster.js'
import { fileState, filesInfo, lostBatch, removeFile, writeFile, type FileIdentity, type WriteOutcome } from '../store/write.js'
import type { ParseTask } from '../../workers/parse-capture.js'
import type { EnrichSpec } from '../enrich/databases.js'
import { ASN_NAMES, FORMAT_DAY_KEYS } from '../store/keys.js'
import type { Format } from '../aggregate/modes.js'
import { addMode, modeDays, modeRows } from '../store/modes.js'
import { createPool, inFlightLimit } from './pool.js'
import { pick, sameCapture, twinOf, type OnDisk } from './pick.js'

export interface ParseSettings {
  threads?: number | undefined
  combinedKeys: boolean
  fields: readonly FieldName[]
  selection: Selection
  zone: string | undefined
  /** Only the packets this pcap-filter expression matches are counted (`--filter`); '' or undefined: all. */
  filter?: string | undefined
  sensor: string | undefined
  /** Also write each capture's JSON documents under this directory (`--json-out`), in the worker. */
  jsonOut?: string | undefined
  /** The databases of the enrichment fields among `fields` (prepareEnrichment). */
  enrich?: EnrichSpec | undefined
  /** 'isn' or 'layer2': each file's records or ARP pairs instead of its field counts (store/modes.ts). */
  format?: Format | undefined
  /**
   * Told while a file is parsed: bytes of it read so far (compressed bytes for gzip) and packets
   * counted from them, at the first chunk, then a few times a second, and at its end; always
   * before the file is settled. Without it, the workers report nothing.
   */
  onProgress?: ((file: string, bytes: number, packets: number) => void) | undefined
  /**
   * A pool to parse on, kept open after the run (`potiron worker`: one pool for every job it
   * takes); without it, each run makes one of `threads` threads and destroys it at its end.
   */
  pool?: Piscina | undefined
}

export interface IngestOptions extends ParseSettings {
  /**
   * Files already in FILES are read and counted again. Their earlier contribution is what the
   * stored settings (which these equal, as ensureParameters checked) make of the capture, so
   * subtracting it and adding it back leaves every count as it is: nothing is written for them.
   */
  force?: boolean | undefined
  /**
   * Files modified less than this many seconds ago are left for a later run (`--min-age`): a
   * capture still being written or copied is not counted half-way.
   */
  minAge?: number | undefined
  /**
   * The settings stored with the data (PARAMETERS...), written before the run's first write: a
   * run that counts nothing writes nothing. Checked beforehand by the caller (checkParameters).
   */
  parameters?: RunParameters | undefined
  /** Called once per file when it is settled; `packets` were counted from it (0 when skipped). */
  onFile?: ((file: string, outcome: 'ingested' | 'skipped' | 'failed', detail: string, packets: number) => void) | undefined
}

export interface IngestSummary {
  ingested: number
  /** Of `ingested`, the files that were in FILES and were counted again (--force). */
  replaced: number
  skipped: number
  /** Files left for a later run: modified less than `minAge` seconds before the run looked. */
  unsettled: string[]
  /**
   * Of `skipped`, files whose twin (`x.pcap` of `x.pcap.gz`, and the other way round) is counted
   * with the same content: the same capture, `as` that name.
   */
  sameCapture: Array<{ file: string, as: string }>
  failed: Array<{ file: string, reason: string }>
  /** Warnings of files that were ingested (a capture cut short in its last record). */
  warnings: Array<{ file: string, reason: string }>
  /** Packet records read in the ingested files. */
  packets: number
  /** Packets counted into the fields (selected, with a day). */
  counted: number
  /** Packets the run's filter (`--filter`) did not match, in the ingested files. */
  filtered: number
  /** (key, member) increments written. */
  members: number
  /** Sensor → days (YYYYMMDD, ascending) that this run wrote counts for. */
  days: Record<string, string[]>
  elapsedMs: number
}

/**
 * A parsed file, ready to be applied: its contribution and the day of its name. The
 * contribution (one string per member) is made only when the file's turn to be written comes:
 * files waiting for their turn hold just their compact count tables.
 */
interface Parsed {
  file: string
  sensor: string
  /** The days its counts have (its table's). */
  days: Set<string>
  /** The file on disk when it was picked (undefined when it could not be looked at). */
  seen: OnDisk | undefined
  name: string
  readonly contribution: Contribution
  extraDays: string[]
  sensorFromName: boolean
  result: FileResult
}

/** Ingests `files` (already expanded and sorted) into `redis`; never throws for one bad file. */
export async function ingestFiles (files: readonly string[], redis: Redis, options: IngestOptions): Promise<IngestSummary> {
  const started = performance.now()
  const summary: IngestSummary = { ingested: 0, replaced: 0, skipped: 0, unsettled: [], sameCapture: [], failed: [], warnings: [], packets: 0, counted: 0, filtered: 0, members: 0, days: {}, elapsedMs: 0 }
  const days = new Map<string, Set<string>>()
  const fail = (file: string, reason: string, packets = 0): void => {
    summary.failed.push({ file, reason })
    options.onFile?.(file, 'failed', reason, packets)
  }
  const skip = (file: string): void => {
    summary.skipped++
    options.onFile?.(file, 'skipped', 'already in FILES', 0)
  }
  let parameters: Promise<void> | undefined
  const order = new Map(files.map((file, i) => [file, i]))
  const identityOf = (p: Parsed): FileIdentity | undefined => p.seen === undefined ? undefined : { size: p.seen.size, disk: p.seen.disk, content: p.result.content.fingerprint }
  /** Whether a parsed file is to be written; if not, it is settled here. */
  const writable = async (p: Parsed, redis: Redis): Promise<boolean> => {
    const { result } = p
    if (result.json?.failed !== undefined) {
      // --json-out asked for both: counted without its documents, a rerun would skip the file.
      fail(p.file, `${result.json.failed}; nothing counted`)
      return false
    }
    const problem = result.error ?? result.warning
    if (problem !== undefined && result.stats.packets === 0) {
      // Not a packet read, and something wrong (gone, empty, not a capture, cut inside its
      // header): nothing is written, so the file is counted once it can be read, and a run of
      // such files leaves Redis as it was.
      fail(p.file, `${problem.message}; nothing counted`)
      return false
    }
    const now = p.seen === undefined ? undefined : await stat(p.file).catch(() => undefined)
    if (p.seen !== undefined && (now === undefined || now.size !== p.seen.size || now.mtimeMs !== p.seen.mtimeMs)) {
      fail(p.file, `changed while it was read (${plural(p.seen.size, 'byte')} when it was picked, ${now === undefined ? 'gone' : plural(now.size, 'byte')} now): not counted; run again once it is complete`)
      return false
    }
    const twin = twinOf(p.name)
    if (sameCapture(await fileState(redis, twin), result.content.fingerprint)) {
      summary.skipped++
      summary.sameCapture.push({ file: p.file, as: twin })
      options.onFile?.(p.file, 'skipped', `the same capture as ${twin}, counted already`, 0)
      return false
    }
    return true
  }
  /** Records a file written (or, in FILES already, not: --force or a skip); `written` says how. */
  const counted = (p: Parsed, outcome: WriteOutcome, written: string): void => {
    const { result } = p
    // --force, a file already in FILES: taking out its earlier contribution (what the stored
    // settings, which these are, make of the capture) and adding it again changes no count.
    const replaced = !outcome.written
    if (replaced && options.force !== true) { skip(p.file); return }
    summary.packets += result.stats.packets
    summary.counted += result.stats.counted
    summary.filtered += result.stats.filtered
    const sensorDays = days.get(p.sensor) ?? days.set(p.sensor, new Set()).get(p.sensor)!
    for (const day of p.days) sensorDays.add(day)
    if (result.error !== undefined) {
      // The readable part is counted, as the original did (tshark read up to the error) and as
      // `inspect` and `json` do; the file still fails the run so the damage is not missed.
      fail(p.file, `${result.error.message}; ${beforeTheError(result.stats, replaced)}`, result.stats.counted)
      return
    }
    summary.ingested++
    if (replaced) summary.replaced++
    if (result.warning !== undefined) summary.warnings.push({ file: p.file, reason: result.warning.message })
    for (const note of fileNotes(result)) summary.warnings.push({ file: p.file, reason: note })
    const done = replaced ? 'recounted (--force)' : 'ingested'
    options.onFile?.(p.file, 'ingested', `${plural(result.stats.counted, 'packet')} ${done}, ${written}`, result.stats.counted)
  }
  // On a cluster, batches are cut by slot (store/batch-cluster.ts), and two are written at once.
  const cluster = isCluster(redis)
  const finish = cluster ? finishBatchBySlot : finishBatch
  await eachParsed(files, redis, options, {
    fail,
    untouched: 'nothing counted',
    lanes: cluster ? CLUSTER_LANES : 1,
    // A capture and its gzip copy in one run: the one listed first is written first, the other
    // is then found to be the same capture, whichever parses faster.
    after: file => {
      const twin = join(dirname(file), twinOf(basename(file)))
      return (order.get(twin) ?? Infinity) < order.get(file)! ? twin : undefined
    },
    wanted: async file => {
      let picked = await pick(file, redis, options)
      if (picked.kind === 'read' && picked.batch !== undefined) {
        // Claimed by a batch that a run committed (and was killed, or still writes): finished
        // from Redis alone, it counts the file; two runs may finish it together.
        const batch = picked.batch
        await finish(redis, batch)
        picked = await pick(file, redis, options)
        if (picked.kind === 'read' && picked.batch === batch) { fail(file, lostBatch(redis, basename(file), batch)); return false }
      }
      switch (picked.kind) {
        case 'read': return { seen: picked.seen }
        case 'unsettled':
          summary.unsettled.push(file)
          options.onFile?.(file, 'skipped', picked.reason, 0)
          return false
        case 'changed': fail(file, picked.reason); return false
        case 'counted': skip(file); return false
      }
    },
    ready: async (p, attempt) => {
      let ok = false
      await attempt([p.file], async () => { ok = await writable(p, redis) })
      return ok
    },
    apply: async ({ files: ready, merged }, writer, attempt) => {
      if (options.parameters !== undefined) await attempt(ready.map(p => p.file), async () => { await (parameters ??= ensureParameters(writer, options.parameters!)) })
      // The names of the AS numbers about to be counted, there before their counts are.
      const names = ready.flatMap(p => p.result.asnNames ?? [])
      if (names.length > 0) await attempt(ready.map(p => p.file), async () => { await writer.hset(ASN_NAMES, Object.fromEntries(names)) })
      let together = ready.length > 1
      if (!together && merged!.zsets.size <= BATCH_KEYS) await attempt([ready[0]!.file], async () => { together = await loneBatch(writer, ready[0]!.name, merged!) })
      if (together) {
        let taken = false
        await attempt(ready.map(p => p.file), async () => {
          const allDays = [...new Set([...merged!.days, ...ready.flatMap(p => p.extraDays)])].sort()
          const batchFiles = ready.map(p => { const identity = identityOf(p); return { name: p.name, info: identity === undefined ? undefined : filesInfo(identity) } })
          const outcome = await (cluster ? writeBatchBySlot : writeBatch)(writer, batchFiles, merged!, allDays)
          taken = outcome.taken.length > 0
          if (taken) return
          summary.members += outcome.members
          const written = `${plural(outcome.members, 'member')} written`
          for (const p of ready) counted(p, { written: true, members: 0 }, ready.length === 1 ? written : `in a batch of ${ready.length} files, ${written}`)
        })
        // A file of the batch counted or claimed meanwhile (another run): each goes on its own.
        if (!taken) return
      }
      for (const p of ready) {
        await attempt([p.file], async () => {
          const claimed = (await fileState(writer, p.name)).batch
          if (claimed !== undefined) await finish(writer, claimed)
          const outcome = await writeFile(writer, p.name, merged !== undefined && ready.length === 1 ? merged : p.contribution, p.extraDays, { identity: identityOf(p) })
          summary.members += outcome.members
          counted(p, outcome, `${plural(outcome.members, 'member')} written`)
        })
      }
    }
  })
  for (const [sensor, set] of [...days].sort(([a], [b]) => a < b ? -1 : 1)) summary.days[sensor] = [...set].sort()
  // Files finish in whatever order the threads make: the summary lists them in the given order.
  const at = placeIn(files)
  summary.failed.sort((a, b) => at(a.file) - at(b.file))
  summary.warnings.sort((a, b) => at(a.file) - at(b.file))
  summary.sameCapture.sort((a, b) => at(a.file) - at(b.file))
  summary.elapsedMs = performance.now() - started
  return summary
}

/**
 * What became of the packets read before a capture's error: counted (again, with --force), or
 * none of them when none was selected with a day.
 */
function beforeTheError ({ packets, counted }: { packets: number, counted: number }, replaced: boolean): string {
  if (counted === 0) return `no packet before it was counted (${plural(packets, 'packet')} read)`
  return `the ${plural(counted, 'packet')} before it ${counted === 1 ? 'was' : 'were'} ${replaced ? 'recounted (--force)' : 'ingested'}`
}

/** A file's place in `files`, to list entries in the files' order (a stable sort keeps one file's entries in order). */
function placeIn (files: readonly string[]): (file: string) => number {
  const place = new Map(files.map((file, i) => [file, i]))
  return file => place.get(file)!
}

export interface RemoveOptions extends ParseSettings {
  onFile?: ((file: string, outcome: 'removed' | 'not-ingested' | 'failed', detail: string) => void) | undefined
}

export interface RemoveSummary {
  removed: number
  /** Files not in FILES: nothing to take back (the run exits 1). */
  notIngested: string[]
  failed: Array<{ file: string, reason: string }>
  /** Packets whose counts were taken back. */
  counted: number
  /** (key, member) decrements written. */
  members: number
  elapsedMs: number
}

/** Takes the contribution of each of `files` back out of `redis` (see removeFile). */
export async function removeFiles (files: readonly string[], redis: Redis, options: RemoveOptions): Promise<RemoveSummary> {
  const started = performance.now()
  const summary: RemoveSummary = { removed: 0, notIngested: [], failed: [], counted: 0, members: 0, elapsedMs: 0 }
  const absent = (file: string, detail = `${basename(file)} is not in FILES: nothing to remove`): void => {
    summary.notIngested.push(file)
    options.onFile?.(file, 'not-ingested', detail)
  }
  const fail = (file: string, reason: string): void => {
    summary.failed.push({ file, reason })
    options.onFile?.(file, 'failed', reason)
  }
  const removeOne = async (p: Parsed, writer: Redis): Promise<void> => {
    // A capture that failed midway had its readable part counted: that same part is taken back.
    // One that cannot be read (gone, a directory, an I/O error) tells nothing of what it added.
    const code = p.result.error?.code
    if (code === 'UNREADABLE' || code === 'NOT_A_FILE') { fail(p.file, `${p.result.error!.message}; nothing removed`); return }
    const fields = options.format === 'isn' || options.format === 'layer2' ? FORMAT_DAY_KEYS[options.format] : options.fields
    const outcome = await removeFile(writer, p.name, p.contribution, p.extraDays, { fields, combinedKeys: options.combinedKeys, sensorFromName: p.sensorFromName })
    if (outcome.missing.length > 0) {
      fail(p.file, `its counts are not in Redis (${outcome.missing.length} of its keys missing, e.g. ${outcome.missing[0]!}): was it ingested with another --sensor? nothing removed`)
      return
    }
    if (!outcome.removed) { absent(p.file); return }
    summary.removed++
    summary.counted += p.result.stats.counted
    summary.members += outcome.members
    options.onFile?.(p.file, 'removed', `${plural(p.result.stats.counted, 'packet')}, ${plural(outcome.members, 'member')}`)
  }
  await eachParsed(files, redis, options, {
    fail,
    untouched: 'nothing removed',
    // Checked before parsing to save the work; removeFile checks again inside its transaction.
    wanted: async file => {
      const state = await fileState(redis, basename(file))
      if (state.counted) return { seen: undefined }
      if (state.partial) absent(file, `${basename(file)} is not in FILES: an ingest that stopped midway wrote part of it; run that ingest again to finish it, then remove it`)
      else absent(file)
      return false
    },
    batchFiles: 1,
    apply: async ({ files: [p] }, writer, attempt) => { await attempt([p!.file], async () => { await removeOne(p!, writer) }) }
  })
  const at = placeIn(files)
  summary.failed.sort((a, b) => at(a.file) - at(b.file))
  summary.notIngested.sort((a, b) => at(a) - at(b))
  summary.elapsedMs = performance.now() - started
  return summary
}

/** Runs a step that talks to Redis for `files`: a failure settles each of them (see parseAndApply). */
type Attempt = (files: readonly string[], step: () => Promise<void>) => Promise<void>

/** Parsed files written together (of one sensor, with distinct names), and their merged counts. */
interface Batch {
  files: Parsed[]
  /** Their contributions added up (undefined for batchFiles 1: each file's own is used). */
  merged: Contribution | undefined
}

interface Handlers {
  fail: (file: string, reason: string) => void
  /** What a failed file leaves in Redis, for messages: `nothing counted`, `nothing removed`. */
  untouched: string
  /** False when the file is settled without parsing (the handler reports it), else what was seen of it. */
  wanted: (file: string) => Promise<false | { seen: OnDisk | undefined }>
  /** Whether a parsed file is to be written (else the handler settles it); default yes. */
  ready?: (parsed: Parsed, attempt: Attempt) => Promise<boolean>
  /** Files written together at most (default BATCH_FILES; 1: no merging). */
  batchFiles?: number
  /** Batches written at once, each on a connection of its own (default 1). */
  lanes?: number
  /** Writes a batch on `writer`, its lane's connection (kept for its transactions), each step through `attempt`. */
  apply: (batch: Batch, writer: Redis, attempt: Attempt) => Promise<void>
  /** A file of the run that must be settled before this one is looked at. */
  after?: ((file: string) => string | undefined) | undefined
}

/**
 * Bytes of merged counts a batch holds at most on the coordinator, counting each row of a
 * file's table as a new member until merged: a count table's row as NUMERIC_ROW_BYTES (store/
 * members.ts: 8 B packed, 8 B while sorted, 16 B once in order), an ISN record or ARP pair as
 * STRING_MEMBER_BYTES (a string in a Map). With the batches being written (one, or on a
 * cluster CLUSTER_LANES) and one waiting, this bounds the coordinator's memory whatever the
 * number of files.
 */
export const BATCH_BYTES = 270 * 2 ** 20
/**
 * Sorted sets of one batch at most: its commit and its finish each touch every key in one
 * script (store/batch.ts), 5-10 µs a key, so this keeps either within a few milliseconds of
 * Redis's thread. A file with more (a capture of months) is written by groups (store/write.ts).
 */
export const BATCH_KEYS = 512
/** Sorted sets a day of ISN records or ARP pairs writes at most (store/modes.ts). */
const MODE_DAY_KEYS = 4
const NUMERIC_ROW_BYTES = 32
const STRING_MEMBER_BYTES = 180
/** Files of one batch at most: its commit checks each in one script (store/batch.ts). */
export const BATCH_FILES = 256
/**
 * Batches an ingest writes at once on a Redis Cluster, never two that share a key: while one's
 * hot key keeps one master busy, the next is staged, mostly on another (8 days into 3 masters:
 * 1.02 Redis cores busy instead of 0.81, bench/RESULTS.md, issue 15's tenth session). One Redis
 * gains nothing (its one thread is already the wall), so it keeps one.
 */
export const CLUSTER_LANES = 2

/**
 * Parses `files` on a worker pool and hands the results to `apply`, batch by batch, up to
 * `handlers.lanes` batches at once. Each batch being written has a connection of its own (its
 * lane): a check made on another connection while a transaction (WATCH/MULTI/EXEC) is open
 * would be queued in it and answered QUEUED. Throws RedisUnreachableError once in-flight work
 * has settled when a connection was lost.
 */
async function eachParsed (files: readonly string[], redis: Redis, options: ParseSettings, handlers: Handlers): Promise<void> {
  const writers = Array.from({ length: handlers.lanes ?? 1 }, () => redis.duplicate({ lazyConnect: true }))
  for (const writer of writers) writer.on('error', () => {})
  try {
    await Promise.all(writers.map(async writer => { await writer.connect() }))
  } catch (err) {
    for (const writer of writers) writer.disconnect()
    throw new RedisUnreachableError(redisLoss(err), { cause: err })
  }
  try {
    await parseAndApply(files, redis, writers, options, handlers)
  } finally {
    for (const writer of writers) writer.disconnect()
  }
}

/** A batch being filled: its files' settling, their names, and the bytes of its counts so far (BATCH_BYTES). */
interface Open extends Batch {
  sensor: string
  names: Set<string>
  bytes: number
  settled: Array<() => void>
}

/**
 * Files are parsed `limit` at a time; each parsed file joins the open batch (merged into it as
 * it arrives, while Redis works on the batch before) when it fits (see `fits`), else waits as
 * its count table in `pending` for the next batch. The open batch is written when a lane is
 * free, no batch being written shares a key with it, and it is full, or a file waits in
 * `pending`, or every file is listed and parsed, or the listing waits for a file to be settled
 * (a twin): a day's captures go together whatever the pace of the listing. The listing stops
 * while a file waits in `pending` and no lane is free.
 */
async function parseAndApply (files: readonly string[], redis: Redis, writers: readonly Redis[], options: ParseSettings, handlers: Handlers): Promise<void> {
  const pool = options.pool ?? createPool({ threads: options.threads })
  const limit = inFlightLimit(pool)
  const batchFiles = handlers.batchFiles ?? BATCH_FILES
  const parsing = new Set<Promise<void>>()
  /** The batch parsed files join, merged as they arrive; written when a lane is free (see pump). */
  let open: Open | undefined
  /** Parsed files that did not fit in `open`: only their count tables, until the next batch. */
  const pending: Array<{ p: Parsed, settled: () => void }> = []
  /** The batches being written, and the connections free to write another (their lanes). */
  const writing = new Set<Promise<void>>()
  const free = [...writers]
  /** The sorted sets of the batches being written. */
  const keysWriting = new Set<string>()
  /** True while the listing waits for a file's job to be settled. */
  let blocked = false
  /** False once every file is listed: no file is parsed after the ones parsing. */
  let listing = true
  let lost: unknown
  // Once Redis is gone every later command fails the same way: report it once, not per file.
  const settle = (file: string, err: unknown): void => {
    if (lost === undefined && !(connected(redis) && writers.every(connected))) lost = err
    if (lost === undefined) handlers.fail(file, err instanceof Error ? err.message : String(err))
  }
  /**
   * Runs a step that talks to Redis. Redis not answering (as opposed to answering with an
   * error: closed before ioredis noticed, or a timeout) is the connection lost, and nothing of
   * that step was applied.
   */
  const viaRedis = async <T>(step: () => Promise<T>): Promise<T> => {
    try {
      return await step()
    } catch (err) {
      if (!answeredByRedis(err)) lost ??= err
      throw err
    }
  }
  const attempt: Attempt = async (files, step) => {
    if (lost !== undefined) return
    try {
      await viaRedis(step)
    } catch (err) {
      for (const file of files) settle(file, err)
    }
  }
  const bytesOf = (p: Parsed): number => tableRows(p.result.table) * NUMERIC_ROW_BYTES + modeRows(p.result.mode) * STRING_MEMBER_BYTES
  const keysOf = (p: Parsed): number => tableKeys(p.result.table, options.combinedKeys) + modeDays(p.result.mode).size * MODE_DAY_KEYS
  const full = (b: Open): boolean => b.files.length >= batchFiles || b.bytes >= BATCH_BYTES || (b.merged?.zsets.size ?? 0) >= BATCH_KEYS
  /**
   * Whether `p` may join `b`: its own sensor and name, room for its rows, and a day in common
   * (files of other days gain nothing from sharing a batch but hold its members longer).
   */
  const fits = (b: Open, p: Parsed): boolean => {
    if (b.merged === undefined || full(b) || b.sensor !== p.sensor || b.names.has(p.name)) return false
    if (b.bytes + bytesOf(p) > BATCH_BYTES || b.merged.zsets.size + keysOf(p) > BATCH_KEYS) return false
    return p.days.size === 0 || [...p.days].some(day => b.merged!.days.has(day))
  }
  /** Adds `p` to the open batch (merging its counts), or, when it does not fit, to `pending`. */
  const join = (p: Parsed, settled: () => void): void => {
    if (open !== undefined && !fits(open, p)) {
      pending.push({ p, settled })
      return
    }
    open ??= { files: [], merged: batchFiles === 1 ? undefined : emptyContribution(p.sensor), sensor: p.sensor, names: new Set(), bytes: 0, settled: [] }
    open.files.push(p)
    open.names.add(p.name)
    open.settled.push(settled)
    if (open.merged === undefined) return
    addMode(addTable(open.merged, p.result.table, { sensor: p.sensor, combinedKeys: options.combinedKeys }), p.result.mode, p.name)
    open.bytes += bytesOf(p)
  }
  /**
   * Whether `b` shares a sorted set with a batch being written: it then waits for that one, so
   * that two lanes never add to one key at once (each key keeps its files' order).
   */
  const overlaps = (b: Open): boolean => b.merged === undefined ? writing.size > 0 : [...b.merged.zsets.keys()].some(key => keysWriting.has(key))
  const pump = (): void => {
    const next = open
    if (free.length === 0 || next === undefined || overlaps(next)) return
    if (!full(next) && pending.length === 0 && (listing || parsing.size > 0) && !blocked) return
    open = undefined
    const lane = free.pop()!
    const keys = [...next.merged?.zsets.keys() ?? []]
    for (const key of keys) keysWriting.add(key)
    const write: Promise<void> = (async () => {
      try {
        await handlers.apply(next, lane, attempt)
      } finally {
        for (const settled of next.settled) settled()
      }
    })().finally(() => {
      for (const key of keys) keysWriting.delete(key)
      writing.delete(write)
      free.push(lane)
      pump()
    })
    writing.add(write)
    // The files that waited make the next batch while Redis works on this one.
    setImmediate(() => {
      for (const { p, settled } of pending.splice(0)) join(p, settled)
      pump()
    })
  }
  const parse = async (file: string, seen: OnDisk | undefined, sensor: string, nameDay: string | undefined, sensorFromName: boolean): Promise<Parsed> => {
    const task: ParseTask = { file, options: { fields: options.fields, combinedKeys: options.combinedKeys, selection: options.selection, zone: options.zone, enrich: options.enrich, format: options.format, ...(options.filter === undefined || options.filter === '' ? {} : { filter: options.filter }) }, jsonOut: options.jsonOut === undefined ? undefined : { dir: options.jsonOut, sensor, day: nameDay } }
    const onProgress = options.onProgress
    const result = await runTask(pool, task, onProgress === undefined ? undefined : (bytes, packets) => { onProgress(file, bytes, packets) })
    let contribution: Contribution | undefined
    return {
      file, sensor, days: new Set([...tableDays(result.table), ...modeDays(result.mode)]), seen, name: basename(file), extraDays: nameDay === undefined ? [] : [nameDay], sensorFromName, result,
      get contribution () { return (contribution ??= addMode(addTable(emptyContribution(sensor), result.table, { sensor, combinedKeys: options.combinedKeys }), result.mode, basename(file))) }
    }
  }
  /** Each file's job (parsed, then settled), for `handlers.after`. */
  const jobs = new Map<string, Promise<void>>()
  /** Waits for `job` with the writer told that the listing is stopped. */
  const unblocked = async (job: Promise<unknown>): Promise<void> => {
    blocked = true
    pump()
    try {
      await job
    } finally {
      blocked = false
    }
  }
  const waitingFull = (): boolean => pending.length > 0
  try {
    for (const file of files) {
      const first = handlers.after?.(file)
      if (first !== undefined) await unblocked(jobs.get(first) ?? Promise.resolve())
      if (lost !== undefined) break
      const named = sensorOf(file, options.sensor)
      if (named instanceof Error) {
        // A file that is not there is that problem first: its name is then beside the point.
        const unread = await statError(file)
        handlers.fail(file, unread === undefined ? named.message : `${unread.message}; ${handlers.untouched}`)
        continue
      }
      let wanted
      try {
        wanted = await viaRedis(async () => await handlers.wanted(file))
      } catch (err) {
        settle(file, err)
        continue
      }
      if (wanted === false) continue
      // Backpressure: at most `limit` files parsed at once, and no more while a file waits for the next batch.
      while (parsing.size >= limit) await Promise.race(parsing)
      while (writing.size > 0 && waitingFull()) {
        // With a lane free for it, the files waiting make a batch on the next turn of the event
        // loop; else a batch being written has to end first.
        if (free.length > 0 && (open === undefined || !overlaps(open))) await new Promise(resolve => setImmediate(resolve))
        else await unblocked(Promise.race(writing))
      }
      let settled: () => void = () => {}
      jobs.set(file, new Promise<void>(resolve => { settled = resolve }))
      const job = parse(file, wanted.seen, named.sensor, named.day, options.sensor === undefined)
        .then(async p => {
          if (lost === undefined && (handlers.ready === undefined || await handlers.ready(p, attempt))) join(p, settled)
          else settled()
        }, (err: unknown) => {
          settle(file, err)
          settled()
        })
        .finally(() => {
          parsing.delete(job)
          pump()
        })
      parsing.add(job)
    }
    listing = false
    while (parsing.size > 0) await Promise.race(parsing)
    pump()
    while (writing.size > 0) {
      await Promise.race(writing)
      // Files that waited joined a new batch on the next turn of the event loop.
      await new Promise(resolve => setImmediate(resolve))
      pump()
    }
  } finally {
    if (options.pool === undefined) await pool.destroy()
  }
  if (lost !== undefined) {
    throw new RedisUnreachableError(`${redisLoss(lost)}; every file written so far is counted exactly once: run the same command again to finish`, { cause: lost })
  }
}

/**
 * Runs `task` on `pool`; with `progress`, the worker's reports come through a port of the task's
 * own. The result travels on another port, so it can arrive before the last reports: those are
 * awaited, up to the `null` the worker posts when it is done. A task that failed may have gone
 * without posting it: its port is closed at once, later reports dropped.
 */
async function runTask (pool: Piscina, task: ParseTask, progress: FileProgress | undefined): Promise<FileResult> {
  if (progress === undefined) return await (pool.run(task) as Promise<FileResult>)
  const { port1, port2 } = new MessageChannel()
  const ended = new Promise<void>(resolve => {
    port1.on('message', (report: [number, number] | null) => {
      if (report === null) resolve()
      else progress(report[0], report[1])
    })
  })
  try {
    const result = await (pool.run({ ...task, progress: port2 }, { transferList: [port2] }) as Promise<FileResult>)
    await ended
    return result
  } finally {
    port1.close()
  }
}

/** Errors that are Redis's own answers (a refused command), not a failure to reach it. */
function answeredByRedis (err: unknown): boolean {
  return err instanceof ReplyError || err instanceof RedisWriteError || err instanceof ParameterConflictError
}
