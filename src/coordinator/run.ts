/**
 * The ingest coordinator: parses capture files on the worker pool and writes each result to
 * Redis as it arrives, one file per transaction. A bad file is recorded and the run carries on.
 */
import { basename } from 'node:path'
import type { Redis } from 'ioredis'
import type { FileResult } from '../aggregate/analyze-file.js'
import type { Selection } from '../aggregate/analyzer.js'
import type { FieldName } from '../aggregate/fields.js'
import { sensorOf } from '../capture/filename.js'
import { addTable, emptyContribution } from '../sink/merge.js'
import { isIngested, writeFile } from '../sink/redis.js'
import type { ParseTask } from '../../workers/parse-capture.js'
import { createPool, inFlightLimit } from './pool.js'

export interface IngestOptions {
  threads?: number | undefined
  combined: boolean
  fields: readonly FieldName[]
  selection: Selection
  zone: string | undefined
  sensor: string | undefined
  /** Called once per file when it is settled (a progress line). */
  onFile?: ((file: string, outcome: 'ingested' | 'skipped' | 'failed', detail: string) => void) | undefined
}

export interface IngestSummary {
  ingested: number
  skipped: number
  failed: Array<{ file: string, reason: string }>
  /** Warnings of files that were ingested (a capture cut short in its last record). */
  warnings: Array<{ file: string, reason: string }>
  /** Packet records read in the ingested files. */
  packets: number
  /** Packets counted into the fields (selected, with a day). */
  counted: number
  /** (key, member) increments written. */
  members: number
  elapsedMs: number
}

/** Ingests `files` (already expanded and sorted) into `redis`; never throws for one bad file. */
export async function ingestFiles (files: readonly string[], redis: Redis, options: IngestOptions): Promise<IngestSummary> {
  const started = performance.now()
  const summary: IngestSummary = { ingested: 0, skipped: 0, failed: [], warnings: [], packets: 0, counted: 0, members: 0, elapsedMs: 0 }
  const fail = (file: string, reason: string): void => {
    summary.failed.push({ file, reason })
    options.onFile?.(file, 'failed', reason)
  }
  const pool = createPool({ threads: options.threads })
  const limit = inFlightLimit(pool)
  const inFlight = new Set<Promise<void>>()
  // Writes go one at a time: each is a WATCH/MULTI/EXEC on the one connection.
  let writes: Promise<void> = Promise.resolve()

  const write = async (file: string, sensor: string, nameDay: string | undefined, result: FileResult): Promise<void> => {
    const contribution = addTable(emptyContribution(sensor), result.table, { sensor, combined: options.combined })
    const outcome = await writeFile(redis, basename(file), contribution, nameDay === undefined ? [] : [nameDay])
    if (!outcome.written) {
      summary.skipped++
      options.onFile?.(file, 'skipped', 'already in FILES')
      return
    }
    summary.packets += result.stats.packets
    summary.counted += result.stats.counted
    summary.members += outcome.members
    if (result.error !== undefined) {
      // The readable part is counted, as the original did (tshark read up to the error) and as
      // `inspect` and `json` do; the file still fails the run so the damage is not missed.
      fail(file, `${result.error.message}; the ${result.stats.counted} packets before it were ingested`)
      return
    }
    summary.ingested++
    if (result.warning !== undefined) summary.warnings.push({ file, reason: result.warning.message })
    options.onFile?.(file, 'ingested', `${result.stats.counted} packets, ${outcome.members} members`)
  }

  try {
    for (const file of files) {
      const named = sensorOf(file, options.sensor)
      if (named instanceof Error) {
        fail(file, named.message)
        continue
      }
      if (await isIngested(redis, basename(file))) {
        summary.skipped++
        options.onFile?.(file, 'skipped', 'already in FILES')
        continue
      }
      // Backpressure: at most `limit` files parsed or waiting to be written at any time.
      while (inFlight.size >= limit) await Promise.race(inFlight)
      const task: ParseTask = { file, options: { fields: options.fields, splitProtocols: options.combined, selection: options.selection, zone: options.zone } }
      const job = (pool.run(task) as Promise<FileResult>)
        .then(async result => {
          const mine = writes.then(async () => { await write(file, named.sensor, named.day, result) })
          // The next write waits for this one but does not inherit its failure.
          writes = mine.catch(() => {})
          await mine
        })
        .catch((err: unknown) => { fail(file, err instanceof Error ? err.message : String(err)) })
        .finally(() => { inFlight.delete(job) })
      inFlight.add(job)
    }
    await Promise.all(inFlight)
    await writes
  } finally {
    await pool.destroy()
  }
  summary.elapsedMs = performance.now() - started
  return summary
}
