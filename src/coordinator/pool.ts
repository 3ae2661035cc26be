/**
 * The worker pool, configured in one place: one thread per core by default, each parsing one
 * capture per task (workers/parse-capture.ts).
 */
import { availableParallelism } from 'node:os'
import { Piscina } from 'piscina'

/** Resolved from the compiled file (dist/src/coordinator/pool.js → dist/workers/). */
const WORKER = new URL('../../workers/parse-capture.js', import.meta.url)

export interface PoolOptions {
  /** Worker threads; default os.availableParallelism(). */
  threads?: number | undefined
}

/** Tasks the coordinator keeps submitted at once per thread: enough to keep threads busy. */
export const TASKS_PER_THREAD = 2

/** A pool started ahead of its use (startAhead), until a createPool takes it. */
let ahead: Piscina | undefined

export function createPool (options: PoolOptions = {}): Piscina {
  const threads = options.threads ?? availableParallelism()
  const started = ahead
  ahead = undefined
  if (started !== undefined) {
    if (started.options.maxThreads === threads) return started
    void started.destroy()
  }
  return new Piscina({
    filename: WORKER.href,
    minThreads: 1,
    maxThreads: threads,
    // The coordinator never has more than this in flight; the limit turns a bug into an error
    // instead of an unbounded queue of results held in memory.
    maxQueue: threads * TASKS_PER_THREAD,
    idleTimeout: 1000
  })
}

/** The number of tasks the coordinator may have in flight on `pool`. */
export function inFlightLimit (pool: Piscina): number {
  return pool.options.maxThreads * TASKS_PER_THREAD
}

/**
 * Starts a pool of the default size now, so that its first thread loads its modules while the
 * CLI's main thread loads its own (bin.ts, for the commands that parse): the next createPool of
 * that size takes it, one of another size destroys it. bench/RESULTS.md, issue 14's tenth session.
 */
export function startAhead (): Piscina {
  return (ahead ??= createPool())
}

/** Destroys the pool started ahead if nothing took it (a command that parsed nothing after all). */
export async function dropAhead (): Promise<void> {
  const started = ahead
  ahead = undefined
  await started?.destroy()
}
