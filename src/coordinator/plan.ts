/**
 * `ingest --dry-run`: what an ingest of `files` would read, skip and fail, and the sensors and
 * days it would write, decided as the run decides (pick.ts) without parsing and without writing.
 * The days are those of the file names: the packets' own days are known only once they are read.
 */
import { basename } from 'node:path'
import type { Redis } from 'ioredis'
import { sensorOf } from '../capture/filename.js'
import { contentFingerprint, probeCapture } from '../capture/read.js'
import { claimedFile, fileState } from '../store/write.js'
import { pick, sameCapture, twinOf } from './pick.js'

export interface PlannedRead {
  file: string
  sensor: string
  /** YYYYMMDD of the file name; undefined when --sensor names a file whose name has none. */
  day: string | undefined
  /** In FILES already: read again (--force), its counts unchanged. */
  again: boolean
}

export interface IngestPlan {
  read: PlannedRead[]
  skipped: Array<{ file: string, reason: string }>
  failed: Array<{ file: string, reason: string }>
  /** Sensor → the days (YYYYMMDD, ascending) of the names of the files read. */
  days: Record<string, string[]>
}

/** The plan of an ingest of `files` (expanded and sorted, as ingestFiles takes them); only reads Redis. */
export async function planIngest (files: readonly string[], redis: Redis, options: { sensor?: string | undefined, minAge?: number | undefined, force?: boolean | undefined }): Promise<IngestPlan> {
  const plan: IngestPlan = { read: [], skipped: [], failed: [], days: {} }
  /** Basename → the file of this run read under it, which its twin would then find counted. */
  const reading = new Map<string, string>()
  for (const file of files) {
    const named = sensorOf(file, options.sensor)
    if (named instanceof Error) { plan.failed.push({ file, reason: named.message }); continue }
    const picked = await pick(file, redis, options)
    if (picked.kind === 'changed') { plan.failed.push({ file, reason: picked.reason }); continue }
    if (picked.kind !== 'read') { plan.skipped.push({ file, reason: picked.reason }); continue }
    if (picked.batch !== undefined) {
      const claimed = await claimedFile(redis, basename(file), picked.batch)
      plan[claimed.kind].push({ file, reason: claimed.reason })
      continue
    }
    const problem = await probeCapture(file)
    if (problem !== undefined) { plan.failed.push({ file, reason: `${problem.message}; nothing counted` }); continue }
    const twin = await twinRead(file, redis, reading)
    if (twin !== undefined) { plan.skipped.push({ file, reason: twin }); continue }
    reading.set(basename(file), file)
    plan.read.push({ file, sensor: named.sensor, day: named.day, again: picked.again })
  }
  const days = new Map<string, Set<string>>()
  for (const { sensor, day } of plan.read) {
    const set = days.get(sensor) ?? days.set(sensor, new Set()).get(sensor)!
    if (day !== undefined) set.add(day)
  }
  for (const sensor of [...days.keys()].sort()) plan.days[sensor] = [...days.get(sensor)!].sort()
  return plan
}

/**
 * Why `file` would be skipped as the same capture as its twin (counted already, or read first
 * by this run), or undefined. Contents are compared only when a twin is there.
 */
async function twinRead (file: string, redis: Redis, reading: ReadonlyMap<string, string>): Promise<string | undefined> {
  const twin = twinOf(basename(file))
  const state = await fileState(redis, twin)
  if (state.counted) return sameCapture(state, (await contentFingerprint(file)).fingerprint) ? `the same capture as ${twin}, counted already` : undefined
  const first = reading.get(twin)
  if (first === undefined) return undefined
  const [mine, theirs] = await Promise.all([contentFingerprint(file), contentFingerprint(first)])
  return mine.fingerprint === theirs.fingerprint ? `the same capture as ${twin}, which this run reads first` : undefined
}
