/**
 * Writes one file's contribution to Redis in the original's V3 layout, or takes it back out
 * (`potiron remove`).
 *
 * Atomicity: the counts of a file and its FILES entry must appear together or not at all, and a
 * file already in FILES must not be counted again. We use WATCH FILES + SISMEMBER + MULTI/EXEC
 * rather than a Lua script: a script must receive the whole file in one call (batches would be
 * separate scripts, visible one by one), while MULTI lets us send the ZINCRBYs in bounded
 * pipeline batches that Redis only queues, then applies at EXEC in one step. WATCH closes the
 * gap the original left between its SISMEMBER check and its write (two concurrent ingests of
 * one file): if FILES changes meanwhile, EXEC does nothing and we look again. Removing uses the
 * same frame, so a crash or a lost connection never leaves a file half counted.
 */
import { setTimeout as sleep } from 'node:timers/promises'
import { Redis, ReplyError } from 'ioredis'
import { RedisUnreachableError, RedisWriteError } from '../errors.js'
import { FILES, PROTOCOLS, daysKey } from './keys.js'
import { CLEANUP } from './cleanup-script.js'
import { entries, type Contribution } from './merge.js'

/** Where Redis is: a URL (redis://host:port/db) or a unix socket path. */
export type RedisTarget = { url: string } | { socket: string }

/** ZINCRBYs per pipeline batch: bounds the memory of one round trip (see house style 2.13). */
export const BATCH_SIZE = 1000
/**
 * EXEC aborted by a concurrent FILES change this many times in a row: give up on the file. Two
 * ingests at once change FILES every few milliseconds, so attempts are spaced by a random,
 * growing pause (the writers fall out of step) and there are enough of them to outlast a peer.
 */
const MAX_ATTEMPTS = 30

function describe (target: RedisTarget): string {
  return 'url' in target ? target.url : `unix socket ${target.socket}`
}

/**
 * How long a command may go unanswered before the run gives up on Redis: a server that hangs
 * without closing the connection (stopped, swapping) is then reported like a lost one.
 * `POTIRON_REDIS_TIMEOUT` seconds, default 60: far above the EXEC of a 1M-member file (~2 s).
 */
export function commandTimeoutMs (env: NodeJS.ProcessEnv = process.env): number {
  const seconds = Number(env.POTIRON_REDIS_TIMEOUT)
  return seconds > 0 ? seconds * 1000 : 60_000
}

/** ioredis's error for a command that got no answer within commandTimeoutMs. */
export function isTimeout (err: unknown): boolean {
  return err instanceof Error && err.message === 'Command timed out'
}

/** How a failure that means Redis is gone is said: a timeout says how long it waited. */
export function redisLoss (err: unknown): string {
  const reason = isTimeout(err) ? `no answer within ${commandTimeoutMs() / 1000} s` : err instanceof Error ? err.message : String(err)
  return `lost the connection to Redis (${reason})`
}

/** False once ioredis has given up on the connection (potiron never lets it reconnect). */
export function connected (redis: Redis): boolean {
  return redis.status === 'ready' || redis.status === 'connect' || redis.status === 'connecting'
}

/** Connects, or throws RedisUnreachableError with one readable line; no retries, no offline queue. */
export async function connect (target: RedisTarget, timeoutMs = 3000): Promise<Redis> {
  const options = { lazyConnect: true, connectTimeout: timeoutMs, commandTimeout: commandTimeoutMs(), maxRetriesPerRequest: 0, enableOfflineQueue: false, retryStrategy: () => null }
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

/** What one transaction does once FILES membership is known; undefined: nothing to do. */
interface Step {
  /** (key, member, increment); negative increments are followed by dropping members at 0. */
  deltas: Iterable<[string, string, number]>
  sensor: string
  addDays: readonly string[]
  addProtocols: readonly string[]
  files: 'add' | 'remove'
  /** Days and protocols that may have lost their last key (see CLEANUP). */
  cleanup?: Cleanup | undefined
  /**
   * The sorted sets the deltas touch, when known. Those that do not exist yet are written with
   * multi-member ZADDs instead of one ZINCRBY per member (each member appears once in a file's
   * contribution, so setting is adding). They are WATCHed with FILES: if another ingest creates
   * one before EXEC, nothing is applied and the file is tried again. When removing, they must
   * all exist: a missing one means these are not the counts the file added (see removeFile).
   */
  keys?: readonly string[] | undefined
}

export interface Cleanup {
  /** The fields counted (JSON_FIELDS): the keys a day can have. */
  fields: readonly string[]
  combined: boolean
  /** True when the sensor came from the file name (no --sensor): see CLEANUP on name days. */
  sensorFromName: boolean
  days: readonly string[]
  protocols: readonly string[]
}

/**
 * Adds a file's counts, days, protocols and its FILES entry in one transaction. `extraDays` are
 * added to `<sensor>_DAYS` as well (the original also added the day of the file name).
 * Must not run concurrently with another write on the same connection (WATCH is per connection).
 */
export async function writeFile (redis: Redis, name: string, c: Contribution, extraDays: readonly string[] = [], batchSize = BATCH_SIZE): Promise<WriteOutcome> {
  const outcome = await transact(redis, name, batchSize, inFiles => inFiles ? undefined : addStep(c, extraDays))
  return { written: outcome.applied, members: outcome.members }
}

export interface RemoveOutcome {
  /** False when the file was not in FILES, or `missing` is not empty: nothing was changed. */
  removed: boolean
  /** (key, member) pairs decremented. */
  members: number
  /** Sorted sets the recomputed contribution names that Redis does not have. */
  missing: string[]
}

/**
 * Takes a file's earlier contribution `c` (recomputed from the capture with the stored settings)
 * back out and removes it from FILES, in one transaction; `extraDays` as for writeFile. When a
 * key of `c` does not exist, `c` is not what the file added (another --sensor than at ingest,
 * or keys deleted by hand): nothing is changed, rather than dropping the file from FILES while
 * its counts stay.
 */
export async function removeFile (redis: Redis, name: string, c: Contribution, extraDays: readonly string[], cleanup: Omit<Cleanup, 'days' | 'protocols'>, batchSize = BATCH_SIZE): Promise<RemoveOutcome> {
  const outcome = await transact(redis, name, batchSize, inFiles => {
    if (!inFiles) return undefined
    const negated = (function * () { for (const [key, member, count] of entries(c)) yield [key, member, -count] as [string, string, number] })()
    return { deltas: negated, sensor: c.sensor, addDays: [], addProtocols: [], files: 'remove', keys: [...c.zsets.keys()], cleanup: { ...cleanup, days: daysOf(c, extraDays), protocols: [...c.protocols].sort() } }
  })
  return { removed: outcome.applied, members: outcome.members, missing: outcome.missing }
}

function addStep (c: Contribution, extraDays: readonly string[]): Step {
  return { deltas: entries(c), sensor: c.sensor, addDays: daysOf(c, extraDays), addProtocols: [...c.protocols].sort(), files: 'add', keys: [...c.zsets.keys()] }
}

function daysOf (c: Contribution, extraDays: readonly string[]): string[] {
  return [...new Set([...c.days, ...extraDays])].sort()
}

/**
 * WATCH FILES, look the file up, let `decide` say what to do, then queue it all in MULTI and
 * EXEC. Must not run concurrently with another transaction on the same connection.
 */
async function transact (redis: Redis, name: string, batchSize: number, decide: (inFiles: boolean) => Step | undefined): Promise<{ applied: boolean, inFiles: boolean, members: number, missing: string[] }> {
  for (let attempt = 0; attempt < MAX_ATTEMPTS; attempt++) {
    if (attempt > 0) await sleep(Math.random() * Math.min(200, 5 * 2 ** attempt))
    await redis.watch(FILES)
    const inFiles = await isIngested(redis, name)
    const step = decide(inFiles)
    if (step === undefined) {
      await redis.unwatch()
      return { applied: false, inFiles, members: 0, missing: [] }
    }
    const fresh = await freshKeys(redis, step.keys ?? [])
    if (step.files === 'remove' && fresh.size > 0) {
      await redis.unwatch()
      return { applied: false, inFiles, members: 0, missing: [...fresh].sort() }
    }
    await redis.multi({ pipeline: false })
    let members = 0
    let batch = 0
    try {
      let pipeline = redis.pipeline()
      let queued = 0
      // Keys where a member went down: members left at 0 are dropped, as if never written.
      const lowered = new Set<string>()
      // Members for a ZADD on a fresh key, as (score, member) pairs, flushed per key and batch.
      let zaddKey = ''
      let zadd: Array<string | number> = []
      const flushZadd = (): void => {
        if (zadd.length > 0) pipeline.zadd(zaddKey, ...zadd)
        zadd = []
      }
      for (const [key, member, delta] of step.deltas) {
        if (delta > 0 && fresh.has(key)) {
          if (key !== zaddKey) {
            flushZadd()
            zaddKey = key
          }
          zadd.push(delta, member)
        } else {
          pipeline.zincrby(key, delta, member)
        }
        if (delta < 0) lowered.add(key)
        members++
        if (++queued >= batchSize) {
          flushZadd()
          await queue(pipeline, batch++)
          pipeline = redis.pipeline()
          queued = 0
        }
      }
      flushZadd()
      for (const key of lowered) pipeline.zremrangebyscore(key, '-inf', 0)
      if (step.addDays.length > 0) pipeline.sadd(daysKey(step.sensor), ...step.addDays)
      if (step.addProtocols.length > 0) pipeline.sadd(PROTOCOLS, ...step.addProtocols)
      if (step.files === 'add') pipeline.sadd(FILES, name)
      if (step.files === 'remove') pipeline.srem(FILES, name)
      const c = step.cleanup
      if (c !== undefined && (c.days.length > 0 || c.protocols.length > 0)) {
        pipeline.eval(CLEANUP, 0, step.sensor, c.combined ? '1' : '0', c.sensorFromName ? '1' : '0', c.fields.length, ...c.fields, c.days.length, ...c.days, ...c.protocols)
      }
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
    return { applied: true, inFiles, members, missing: [] }
  }
  throw new RedisWriteError(`${name}: ${FILES} kept changing during ${MAX_ATTEMPTS} attempts (concurrent ingests); try again`, 0)
}

/** WATCHes `keys` (FILES is watched already) and returns those that do not exist. */
async function freshKeys (redis: Redis, keys: readonly string[]): Promise<Set<string>> {
  if (keys.length === 0) return new Set()
  await redis.watch(...keys)
  const pipeline = redis.pipeline()
  for (const key of keys) pipeline.exists(key)
  const replies = await pipeline.exec()
  const fresh = new Set<string>()
  replies?.forEach(([err, exists], i) => {
    if (err !== null) throw err
    if (exists === 0) fresh.add(keys[i]!)
  })
  return fresh
}

/** Sends a batch inside MULTI and checks that Redis queued every command. */
async function queue (pipeline: ReturnType<Redis['pipeline']>, batch: number): Promise<void> {
  const replies = await pipeline.exec()
  if (replies === null) throw new RedisWriteError(`batch ${batch}: no reply`, batch)
  for (const [err, reply] of replies) {
    // A reply error is Redis refusing the command; anything else is the connection failing.
    if (err !== null) throw err instanceof ReplyError ? new RedisWriteError(`batch ${batch}: ${err.message}`, batch, { cause: err }) : err
    if (reply !== 'QUEUED') throw new RedisWriteError(`batch ${batch}: expected QUEUED, got ${String(reply)}`, batch)
  }
}
