/**
 * Several hosts, one queue of files (BullMQ, in the same Redis or Redis Cluster as the data): `ingest --queue`
 * enqueues one job per file, `potiron worker` takes them one at a time and counts each with
 * ingestFiles, the same exactly-once write path as ingest (markers, then FILES). A worker killed
 * mid-file loses its job's lock; once it expires BullMQ's stalled-job check puts the job back and
 * another worker finishes it: the file's markers say what is already in, so nothing counts twice.
 */
import { createHash } from 'node:crypto'
import type { EventEmitter } from 'node:events'
import { setTimeout as sleep } from 'node:timers/promises'
import { hostname } from 'node:os'
import { Queue, Worker, type Job } from 'bullmq'
import { Cluster, Redis } from 'ioredis'
import type { Piscina } from 'piscina'
import type { EnrichSpec } from '../enrich/databases.js'
import { RedisUnreachableError } from '../errors.js'
import { isCluster, mastersOf } from '../store/cluster.js'
import { clientTarget, redisLoss, type RedisTarget } from '../store/connection.js'
import type { RunParameters, StoredSettings } from '../store/parameters.js'
import { createPool } from './pool.js'
import { ingestFiles } from './run.js'

/** What a worker needs to count a file as the enqueuing ingest would have: plain, serializable data. */
export interface FileJob {
  /** Absolute, and readable by every worker host (shared storage). */
  file: string
  settings: StoredSettings & {
    sensor: string | undefined
    /** The enrichment databases' files (paths on the workers too), when the fields have some. */
    enrich: EnrichSpec | undefined
    /** PARAMETERS as ingest writes them before the first count (checked when enqueued). */
    parameters: RunParameters
  }
}

/** What a file adds to ingest's summary (IngestSummary, for one file): `ingest --queue --wait` adds them up. */
export interface FileCounts {
  /** Packet records read (0 when the file was skipped: counted already). */
  packets: number
  /** Packets counted into the fields, and those --filter left out. */
  counted: number
  filtered: number
  /** (key, member) increments written. */
  members: number
  /** Sensor → days written. */
  days: Record<string, string[]>
}

/** A completed job's return value: who counted the file, and how much. */
export interface JobDone extends FileCounts {
  host: string
  ms: number
  outcome: 'ingested' | 'skipped'
  /** What ingest warns of for the file (a capture cut short, and where): counted, but said. */
  warnings: string[]
  /** Skipped as the same capture as this name (its .gz twin, or the other way round), counted already. */
  sameAs?: string | undefined
}

/**
 * A job's progress (job.updateProgress), for `ingest --queue --wait`'s bars: bytes of the file
 * read so far and packets counted, as ingest's onProgress tells them; a job that fails sets
 * `counts`: what of its file was counted all the same (the readable part of a damaged capture).
 */
export interface JobProgress {
  bytes: number
  packets: number
  counts?: FileCounts
}

/**
 * BullMQ's connections: their own, from the same target as potiron's `redis` (which connect()
 * checked), since BullMQ's blocking commands need `maxRetriesPerRequest: null` where potiron's
 * connect() sets 0. When `redis` is a cluster's client, BullMQ's is one too, of the same
 * masters, with the same credentials.
 */
export function bullConnection (target: RedisTarget, redis?: Redis): Redis {
  if (redis !== undefined && isCluster(redis)) {
    const nodes = mastersOf(redis).map(({ options: { host, port } }) => ({ host, port }))
    const cluster = new Cluster(nodes, { redisOptions: { ...(redis as unknown as Cluster).options.redisOptions, maxRetriesPerRequest: null } })
    cluster.on('error', () => {})
    return cluster as unknown as Redis
  }
  const where = clientTarget(target)
  const one = typeof where === 'string' ? new Redis(where, { maxRetriesPerRequest: null }) : new Redis({ ...where, maxRetriesPerRequest: null })
  one.on('error', () => {})
  return one
}

/**
 * BullMQ's key prefix on `connection`: its own, `bull`, on one Redis (the queues made there keep
 * working); on a cluster one hash tag, so that every key of a queue lies in one slot, as
 * BullMQ's scripts, which touch several at once, need (docs/cluster.md, "The queue of files").
 */
export function prefixOf (connection: Redis): string {
  return isCluster(connection) ? '{potiron-queue}' : 'bull'
}

/** Files whose jobs are looked up and added per round trip. */
const ENQUEUE_ROUND = 1000

/** A file's job id: the same file enqueued twice is one job while BullMQ keeps it (BullMQ refuses ':' in ids, so a hash). */
export function jobIdOf (file: string): string {
  return `file-${createHash('sha256').update(file).digest('hex').slice(0, 32)}`
}

export interface Settled { id: string, state: 'completed' | 'failed' | 'unknown' }

/**
 * Which of `ids` are settled: completed, failed, or gone (no job hash: removed meanwhile), in one
 * round trip. ZSCORE and EXISTS cost O(log n) each; BullMQ's getJobState walks the waiting list
 * (LPOS): one round over 100,000 waiting jobs kept Redis busy 11 minutes (8.1 s of wall and 0.29 s
 * of Redis CPU this way). An id not returned has a job still to settle (waiting, active, delayed).
 */
export async function settledOf (connection: Redis, queue: Queue, ids: readonly string[]): Promise<Settled[]> {
  const asked = connection.pipeline()
  for (const id of ids) asked.zscore(queue.keys.completed!, id).zscore(queue.keys.failed!, id).exists(queue.toKey(id))
  const replies = (await asked.exec())!.map(([error, reply]) => { if (error !== null) throw error; return reply })
  return ids.flatMap((id, i): Settled[] => {
    const [completed, failed, exists] = replies.slice(3 * i, 3 * i + 3)
    if (completed !== null) return [{ id, state: 'completed' }]
    if (failed !== null) return [{ id, state: 'failed' }]
    return exists === 0 ? [{ id, state: 'unknown' }] : []
  })
}

/**
 * Adds one job per file to queue `name`; returns how many were queued and how many were waiting
 * or in hand already. A file whose job finished is queued again: a failed one (replaced since,
 * or its Redis back) is tried again, a completed one is found in FILES and skipped, unless it
 * was removed since. One attempt a time: a file that fails does not loop.
 */
export async function enqueueFiles (connection: Redis, name: string, jobs: readonly FileJob[]): Promise<{ queued: number, already: number }> {
  const queue = new Queue<FileJob, JobDone>(name, { connection, prefix: prefixOf(connection) })
  try {
    let already = 0
    let queued = 0
    // ENQUEUE_ROUND files at a time, their states asked at once (one round trip, not one a file; settledOf).
    for (let i = 0; i < jobs.length; i += ENQUEUE_ROUND) {
      const round = jobs.slice(i, i + ENQUEUE_ROUND)
      const settled = new Map((await settledOf(connection, queue, round.map(job => jobIdOf(job.file)))).map(({ id, state }) => [id, state]))
      const fresh: FileJob[] = []
      for (const job of round) {
        const state = settled.get(jobIdOf(job.file))
        if (state === 'unknown') fresh.push(job)
        else if (state === 'completed' || state === 'failed') await (await queue.getJob(jobIdOf(job.file)))?.retry(state)
        else { already++; continue }
        queued++
      }
      await queue.addBulk(fresh.map(data => ({
        name: 'file',
        data,
        opts: { jobId: jobIdOf(data.file), attempts: 1, removeOnComplete: false, removeOnFail: false }
      })))
    }
    return { queued, already }
  } finally {
    await queue.close()
  }
}

export interface WorkerOptions {
  threads: number | undefined
  /** Which host counted each file (default os.hostname(); POTIRON_HOST overrides it). */
  host: string
  /** BullMQ's lockDuration and stalledInterval (ms); undefined: BullMQ's defaults (30 s). */
  lockMs: number | undefined
  /** Told once per job settled. */
  onJob?: ((file: string, outcome: string) => void) | undefined
}

export function hostOf (env: NodeJS.ProcessEnv = process.env): string {
  return env.POTIRON_HOST !== undefined && env.POTIRON_HOST !== '' ? env.POTIRON_HOST : hostname()
}

export function lockMsOf (env: NodeJS.ProcessEnv = process.env): number | undefined {
  const ms = Number(env.POTIRON_QUEUE_LOCK_MS)
  return Number.isInteger(ms) && ms > 0 ? ms : undefined
}

/**
 * A worker on queue `name`: one job at a time, each file counted by ingestFiles on one pool of
 * `threads` threads, writing through `redis` (potiron's connection). Resolves once `stopped`
 * settles and the job in hand is finished (BullMQ's close waits for it).
 */
export async function runWorker (connection: Redis, redis: Redis, name: string, options: WorkerOptions, stopped: Promise<void>): Promise<void> {
  // A cluster's client ends (below) once every node's connection has; one never opened (no
  // command went to that node yet) never ends, so each is opened now: a cluster gone is then
  // told as one Redis gone is, whichever nodes the worker had spoken to (and so is one gone
  // while they are opened).
  if (isCluster(redis)) {
    try {
      await Promise.all((redis as unknown as Cluster).nodes('all').map(async node => await node.ping()))
    } catch {
      throw lostError()
    }
  }
  const pool: Piscina = createPool({ threads: options.threads })
  const count = async (job: Job<FileJob, JobDone>): Promise<JobDone> => {
    const started = performance.now()
    const { file, settings } = job.data
    // Told a few times a second by the parse (run.ts): each report one write, in order, all in before the job settles.
    let told = Promise.resolve()
    const tell = (progress: JobProgress): void => { told = told.then(async () => { await job.updateProgress(progress) }).catch(() => {}) }
    // A job queued again keeps its last progress: nothing of this attempt is read yet.
    tell({ bytes: 0, packets: 0 })
    const summary = await ingestFiles([file], redis, { threads: options.threads, pool, ...settings, onProgress: (_file, bytes, packets) => { tell({ bytes, packets }) } })
    const counts: FileCounts = { packets: summary.packets, counted: summary.counted, filtered: summary.filtered, members: summary.members, days: summary.days }
    // The reason ingest prints for the file (run.ts): the job fails with it, once (attempts 1).
    const failed = summary.failed[0]
    if (failed !== undefined) {
      tell({ bytes: 0, packets: summary.counted, counts })
      await told
      throw new Error(failed.reason)
    }
    await told
    return { host: options.host, ...counts, ms: Math.round(performance.now() - started), outcome: summary.ingested > 0 ? 'ingested' : 'skipped', warnings: summary.warnings.map(w => w.reason), sameAs: summary.sameCapture[0]?.as }
  }
  const locks = options.lockMs === undefined ? {} : { lockDuration: options.lockMs, stalledInterval: options.lockMs }
  const worker = new Worker<FileJob, JobDone>(name, count, { connection, prefix: prefixOf(connection), concurrency: 1, autorun: false, ...locks })
  worker.on('completed', (job, done) => options.onJob?.(job.data.file, [`${done.packets} packets ${done.outcome}`, ...done.warnings.map(w => `warning: ${w}`)].join('; ')))
  worker.on('failed', (job, err) => { if (job !== undefined) options.onJob?.(job.data.file, `failed: ${err.message}`) })
  worker.on('error', () => {})
  // BullMQ's connections re-emit a start that fails after their close dropped every listener
  // (Redis gone while the worker stops): an 'error' event nobody hears, which killed the process
  // with a stack after it had said why it stopped (about 1 run in 10 under load).
  const { connection: own, blockingConnection: blocking } = worker as unknown as Record<'connection' | 'blockingConnection', EventEmitter | undefined>
  for (const emitter of [own, blocking]) if (emitter !== undefined) deafWhenAlone(emitter)
  // potiron's connection does not reconnect (connect()): once it is gone, no job can be counted.
  // BullMQ's own would wait for Redis for ever, so the worker stops, saying so: the job in hand
  // comes back to the queue once its lock expires, and its file's markers say what is in.
  const lost = new Promise<RedisUnreachableError>(resolve => {
    redis.once('end', () => { resolve(lostError()) })
  })
  const running = worker.run()
  let gone: RedisUnreachableError | undefined
  try {
    gone = await Promise.race([stopped.then(() => undefined), running.then(() => undefined), lost])
  } finally {
    if (gone === undefined) {
      await worker.close()
      await running
    } else {
      // Nothing can be told to Redis now: no waiting for the job in hand to be recorded.
      await Promise.race([worker.close(true), sleep(CLOSE_MS)])
      await Promise.race([worker.disconnect(), sleep(CLOSE_MS)])
    }
    await pool.destroy()
  }
  if (gone !== undefined) throw gone
}

/** Makes `emitter` drop an 'error' event that has no listener, instead of throwing it. */
function deafWhenAlone (emitter: EventEmitter): void {
  const emit = emitter.emit.bind(emitter)
  emitter.emit = (event: string | symbol, ...args: unknown[]): boolean => event === 'error' && emitter.listenerCount('error') === 0 ? false : emit(event, ...args)
}

/** What a worker whose Redis is gone says, and stops with. */
function lostError (): RedisUnreachableError {
  return new RedisUnreachableError(`${redisLoss(new Error('connection closed'))}; the worker stops: the files not counted stay on the queue (the one in hand once its lock expires), start it again once Redis is back`)
}

/** How long a worker whose Redis is gone waits for BullMQ to let go. */
const CLOSE_MS = 2000
