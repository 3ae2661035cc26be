/**
 * Writes one file's contribution to Redis in the original's V3 layout.
 *
 * Atomicity: the counts of a file and its FILES entry must appear together or not at all, and a
 * file already in FILES must not be counted again. We use WATCH FILES + SISMEMBER + MULTI/EXEC
 * rather than a Lua script: a script must receive the whole file in one call (batches would be
 * separate scripts, visible one by one), while MULTI lets us send the ZINCRBYs in bounded
 * pipeline batches that Redis only queues, then applies at EXEC in one step. WATCH closes the
 * gap the original left between its SISMEMBER check and its write (two concurrent ingests of
 * one file): if FILES changes meanwhile, EXEC does nothing and we look again.
 */
import { Redis } from 'ioredis'
import { RedisUnreachableError, RedisWriteError } from '../errors.js'
import { FILES, PROTOCOLS, daysKey } from './keys.js'
import { entries, type Contribution } from './merge.js'

/** Where Redis is: a URL (redis://host:port/db) or a unix socket path. */
export type RedisTarget = { url: string } | { socket: string }

/** ZINCRBYs per pipeline batch: bounds the memory of one round trip (see house style 2.13). */
export const BATCH_SIZE = 1000
/** EXEC aborted by a concurrent FILES change this many times in a row: give up on the file. */
const MAX_ATTEMPTS = 5

function describe (target: RedisTarget): string {
  return 'url' in target ? target.url : `unix socket ${target.socket}`
}

/** Connects, or throws RedisUnreachableError with one readable line; no retries, no offline queue. */
export async function connect (target: RedisTarget, timeoutMs = 3000): Promise<Redis> {
  const options = { lazyConnect: true, connectTimeout: timeoutMs, maxRetriesPerRequest: 0, enableOfflineQueue: false, retryStrategy: () => null }
  const redis = 'url' in target ? new Redis(target.url, options) : new Redis({ path: target.socket, ...options })
  // Without a listener, ioredis reports connection errors as unhandled 'error' events.
  redis.on('error', () => {})
  try {
    await redis.connect()
    await redis.ping()
  } catch (err) {
    redis.disconnect()
    const reason = err instanceof Error ? err.message : String(err)
    throw new RedisUnreachableError(`cannot reach Redis at ${describe(target)}: ${reason}`, { cause: err })
  }
  return redis
}

/** True when `name` (a capture basename) is already counted. */
export async function isIngested (redis: Redis, name: string): Promise<boolean> {
  return (await redis.sismember(FILES, name)) === 1
}

export interface WriteOutcome {
  /** False when the file was already in FILES: nothing was written. */
  written: boolean
  /** (key, member) pairs incremented. */
  members: number
}

/**
 * Adds a file's counts, days, protocols and its FILES entry in one transaction. `extraDays` are
 * added to `<sensor>_DAYS` as well (the original also added the day of the file name).
 * Must not run concurrently with another write on the same connection (WATCH is per connection).
 */
export async function writeFile (redis: Redis, name: string, c: Contribution, extraDays: readonly string[] = [], batchSize = BATCH_SIZE): Promise<WriteOutcome> {
  const days = [...new Set([...c.days, ...extraDays])].sort()
  for (let attempt = 0; attempt < MAX_ATTEMPTS; attempt++) {
    await redis.watch(FILES)
    if (await isIngested(redis, name)) {
      await redis.unwatch()
      return { written: false, members: 0 }
    }
    await redis.multi({ pipeline: false })
    let members = 0
    let batch = 0
    try {
      let pipeline = redis.pipeline()
      for (const [key, member, count] of entries(c)) {
        pipeline.zincrby(key, count, member)
        members++
        if (pipeline.length >= batchSize) {
          await queue(pipeline, batch++)
          pipeline = redis.pipeline()
        }
      }
      if (days.length > 0) pipeline.sadd(daysKey(c.sensor), ...days)
      if (c.protocols.size > 0) pipeline.sadd(PROTOCOLS, ...[...c.protocols].sort())
      pipeline.sadd(FILES, name)
      await queue(pipeline, batch)
    } catch (err) {
      await redis.discard().catch(() => {})
      throw err
    }
    const replies = await redis.exec()
    // null: FILES changed since WATCH (another ingest); nothing was applied, so look again.
    if (replies === null) continue
    replies.forEach(([err], i) => {
      if (err !== null) throw new RedisWriteError(`${name}: Redis refused command ${i + 1} of the transaction: ${err.message}`, Math.floor(i / batchSize), { cause: err })
    })
    return { written: true, members }
  }
  throw new RedisWriteError(`${name}: ${FILES} kept changing during ${MAX_ATTEMPTS} attempts (concurrent ingests); try again`, 0)
}

/** Sends a batch inside MULTI and checks that Redis queued every command. */
async function queue (pipeline: ReturnType<Redis['pipeline']>, batch: number): Promise<void> {
  const replies = await pipeline.exec()
  if (replies === null) throw new RedisWriteError(`batch ${batch}: no reply`, batch)
  for (const [err, reply] of replies) {
    if (err !== null) throw new RedisWriteError(`batch ${batch}: ${err.message}`, batch, { cause: err })
    if (reply !== 'QUEUED') throw new RedisWriteError(`batch ${batch}: expected QUEUED, got ${String(reply)}`, batch)
  }
}
