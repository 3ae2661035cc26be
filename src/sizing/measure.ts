/**
 * `potiron bench`'s measures on a sample of the user's captures: per thread count, the parse on
 * the worker pool alone (files/s, packets/s, MB/s, CPU per packet, the process's peak memory),
 * then the whole ingest into a Redis that held nothing (its main-thread CPU against the wall);
 * once, one worker's pass split into phases in a child process (its time per phase, its memory).
 */
import { execFile } from 'node:child_process'
import { basename } from 'node:path'
import { fileURLToPath } from 'node:url'
import { promisify } from 'node:util'
import type { Redis } from 'ioredis'
import type { FileResult } from '../aggregate/analyze-file.js'
import type { AnalyzeOptions } from '../aggregate/analyzer.js'
import type { FieldName } from '../aggregate/fields.js'
import { sensorOf } from '../capture/filename.js'
import { createPool, inFlightLimit } from '../coordinator/pool.js'
import { ingestFiles } from '../coordinator/run.js'
import { ASN_NAMES, combinedKey, daysKey, FIELDS, fieldKey, FILES, FILES_INFO, JSON_FIELDS, PARAMETERS, PROTOCOLS, writtenGroupsKey } from '../store/keys.js'
import type { ParseTask } from '../../workers/parse-capture.js'
import { peakRss, resetPeakRss } from './memory.js'
import type { PhaseReport, PhaseTask } from './phase-child.js'
import { limitingPhase, pickSample, type Phase, type PhaseTimes } from './projection.js'

const PHASE_CHILD = fileURLToPath(new URL('./phase-child.js', import.meta.url))

export interface SampleFile {
  file: string
  /** Bytes on disk. */
  size: number
}

export interface BenchSettings {
  fields: readonly FieldName[]
  combinedKeys: boolean
  /** One sensor for every file, when their names do not all say theirs (ingest's --sensor). */
  sensor: string | undefined
}

/** The parse of the sample on `threads` worker threads, no Redis. */
export interface ParseRun {
  threads: number
  wallMs: number
  /** This process's CPU over the run (every thread: coordinator and workers), ms. */
  cpuMs: number
  files: number
  /** Files that could not be parsed (their task rejected). */
  failedFiles: number
  packets: number
  /** Capture bytes read (decompressed for gzip), and bytes on disk. */
  bytes: number
  diskBytes: number
  /** Peak resident memory of the process (coordinator and its workers) during the run, bytes; `peakIsRun` false when it could not be reset (the peak so far). */
  peakRss: number
  peakIsRun: boolean
}

/** The whole ingest of the sample on `threads`, into the database the run was given. */
export interface IngestRun {
  threads: number
  wallMs: number
  /** Redis's main-thread CPU over the run (INFO cpu, user + system), ms. */
  redisCpuMs: number
  members: number
  packets: number
  /** Files the ingest failed, with why (a name without a sensor, a damaged capture). */
  failed: Array<{ file: string, reason: string }>
  /** Keys deleted after the run (those it wrote), and keys left (written by someone else meanwhile, or missed). */
  deleted: number
  left: number
}

export interface ThreadRow {
  threads: number
  parse: ParseRun
  ingest: IngestRun | undefined
  /** Redis's CPU ÷ the ingest's wall time (undefined without Redis). */
  redisBusy: number | undefined
  limit: Phase
}

export function analyzeOptions (s: BenchSettings): AnalyzeOptions {
  return { fields: s.fields, combinedKeys: s.combinedKeys, selection: 'default', zone: undefined }
}

/** Parses every file on a new pool of `threads`, at most the coordinator's in-flight limit at once, as ingest does. */
export async function parseRun (sample: readonly SampleFile[], threads: number, options: AnalyzeOptions): Promise<ParseRun> {
  const pool = createPool({ threads })
  const limit = inFlightLimit(pool)
  const inFlight = new Set<Promise<void>>()
  const run: ParseRun = { threads, wallMs: 0, cpuMs: 0, files: sample.length, failedFiles: 0, packets: 0, bytes: 0, diskBytes: 0, peakRss: 0, peakIsRun: resetPeakRss() }
  const cpu = process.cpuUsage()
  const start = performance.now()
  try {
    for (const { file, size } of sample) {
      while (inFlight.size >= limit) await Promise.race(inFlight)
      const task: ParseTask = { file, options }
      const job: Promise<void> = (pool.run(task) as Promise<FileResult>)
        .then(r => { run.packets += r.stats.packets; run.bytes += r.info.offset; run.diskBytes += size }, () => { run.failedFiles++ })
        .finally(() => { inFlight.delete(job) })
      inFlight.add(job)
    }
    await Promise.all(inFlight)
    run.wallMs = performance.now() - start
    const used = process.cpuUsage(cpu)
    run.cpuMs = (used.user + used.system) / 1000
    run.peakRss = peakRss()
  } finally {
    await pool.destroy()
  }
  return run
}

/** Redis's main-thread CPU time so far (INFO cpu, user + system), ms. */
export async function redisCpuMs (redis: Redis): Promise<number> {
  const info = await redis.info('cpu')
  const seconds = (name: string): number => Number(new RegExp(`^${name}:([\\d.]+)`, 'm').exec(info)?.[1] ?? Number.NaN)
  return (seconds('used_cpu_user_main_thread') + seconds('used_cpu_sys_main_thread')) * 1000
}

/**
 * Ingests the sample into `redis` (a database that held no key: the caller checked), measures
 * the wall and Redis's CPU, then deletes exactly the keys the run wrote (writtenKeys), never
 * FLUSHDB: the next thread count writes the same again, and the database is left as found.
 */
export async function ingestRun (sample: readonly SampleFile[], threads: number, redis: Redis, s: BenchSettings): Promise<IngestRun> {
  const files = sample.map(f => f.file)
  const before = await redisCpuMs(redis)
  const start = performance.now()
  const summary = await ingestFiles(files, redis, {
    threads, combinedKeys: s.combinedKeys, fields: s.fields, selection: 'default', zone: undefined, sensor: s.sensor,
    parameters: { combinedKeys: s.combinedKeys, fields: s.fields, selection: 'default', zone: 'UTC' }
  })
  const wallMs = performance.now() - start
  const redisCpu = await redisCpuMs(redis) - before
  const { deleted, left } = await deleteWritten(redis, files, s)
  return { threads, wallMs, redisCpuMs: redisCpu, members: summary.members, packets: summary.packets, failed: summary.failed, deleted, left }
}

/**
 * The keys an ingest of `files` into an empty database writes, from potiron's layout (store/keys.ts):
 * the settings and file lists, each sensor's day set, and per day (as that set lists them) each
 * field's key, or with combined keys each protocol's (as PROTOCOLS lists them); and the marker of
 * a file half written, should one be left.
 */
export async function writtenKeys (redis: Redis, files: readonly string[], s: BenchSettings): Promise<string[]> {
  const keys = [PARAMETERS, FIELDS, JSON_FIELDS, FILES, FILES_INFO, ASN_NAMES]
  const protocols = s.combinedKeys ? await redis.smembers(PROTOCOLS) : []
  if (s.combinedKeys) keys.push(PROTOCOLS)
  for (const sensor of sensorsOf(files, s.sensor)) {
    keys.push(daysKey(sensor))
    for (const day of await redis.smembers(daysKey(sensor))) {
      for (const field of s.fields) {
        if (s.combinedKeys) for (const protocol of protocols) keys.push(combinedKey(sensor, protocol, day, field))
        else keys.push(fieldKey(sensor, day, field))
      }
    }
  }
  for (const file of files) keys.push(writtenGroupsKey(basename(file)))
  return keys
}

/** The sensors of `files` as the ingest tells them: the one given, else each name's. */
function sensorsOf (files: readonly string[], sensor: string | undefined): string[] {
  const found = new Set<string>()
  for (const file of files) {
    const named = sensorOf(file, sensor)
    if (!(named instanceof Error)) found.add(named.sensor)
  }
  return [...found]
}

/** Deletes the keys the run wrote (UNLINK, 500 at a time); returns how many went and how many keys the database still holds. */
async function deleteWritten (redis: Redis, files: readonly string[], s: BenchSettings): Promise<{ deleted: number, left: number }> {
  const keys = await writtenKeys(redis, files, s)
  let deleted = 0
  for (let i = 0; i < keys.length; i += 500) deleted += await redis.unlink(...keys.slice(i, i + 500))
  return { deleted, left: await redis.dbsize() }
}

/**
 * At most this much of the sample, taken evenly, is read for the phases: they are shares of one
 * worker's time, which a part tells as well, and three passes over a whole 1 GB sample on one
 * thread would outlast the rest of the run.
 */
export const PHASE_SAMPLE_BYTES = 64e6

/** One worker's pass over (part of) the sample, by phase, in a child process (phase-child.ts). */
export async function phaseRun (sample: readonly SampleFile[], options: AnalyzeOptions): Promise<{ phases: PhaseTimes, workerRss: number, files: number, bytes: number }> {
  const part = pickSample(sample.map(f => f.size), PHASE_SAMPLE_BYTES).map(i => sample[i]!)
  const task: PhaseTask = { files: part.map(f => f.file), options }
  const { stdout } = await promisify(execFile)(process.execPath, [PHASE_CHILD, JSON.stringify(task)], { maxBuffer: 1 << 20 })
  const r = JSON.parse(stdout) as PhaseReport
  return {
    phases: { reading: r.read, parsing: Math.max(0, r.decode - r.read), aggregation: Math.max(0, r.analyze - r.decode) },
    workerRss: Math.max(0, r.peakRss - r.idleRss),
    files: part.length,
    bytes: part.reduce((a, f) => a + f.size, 0)
  }
}

/** Each thread count's parse, then ingest (when `redis`), in ascending order. */
export async function threadRows (sample: readonly SampleFile[], counts: readonly number[], s: BenchSettings, phases: PhaseTimes, redis: Redis | undefined): Promise<ThreadRow[]> {
  const rows: ThreadRow[] = []
  for (const threads of counts) {
    const parse = await parseRun(sample, threads, analyzeOptions(s))
    const ingest = redis === undefined ? undefined : await ingestRun(sample, threads, redis, s)
    const redisBusy = ingest === undefined ? undefined : ingest.redisCpuMs / ingest.wallMs
    rows.push({ threads, parse, ingest, redisBusy, limit: limitingPhase(phases, redisBusy, ingest === undefined ? undefined : ingest.wallMs / parse.wallMs) })
  }
  return rows
}
