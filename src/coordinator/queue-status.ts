/**
 * `potiron queue status`: what a queue of files (coordinator/queue.ts) holds, and the fleet's
 * pace read from the completed jobs' times (BullMQ's processedOn and finishedOn) and return
 * values (the packets each host read).
 */
import { Queue } from 'bullmq'
import type { Redis } from 'ioredis'
import type { FileJob, JobDone } from './queue.js'

export interface Pace {
  /** Completed jobs counted, and their packets. */
  files: number
  packets: number
  /** From the first job's start to the last one's finish, ms. */
  spanMs: number
  /** packets / span: what the fleet (or the host) counted per second over that span. */
  packetsPerSecond: number
}

export interface QueueStatus {
  queue: string
  waiting: number
  active: number
  completed: number
  failed: number
  /** Over every completed job; undefined when none is. */
  fleet: Pace | undefined
  /** Per host (sorted by name), over its own completed jobs. */
  hosts: Array<{ host: string } & Pace>
  /** In the order they failed. */
  failures: Array<{ file: string, reason: string }>
  /** What completed files were warned of (counted, but cut short...), in the order they completed. */
  warnings: Array<{ file: string, reason: string }>
}

interface Finished { host: string, packets: number, start: number, end: number }

function paceOf (jobs: readonly Finished[]): Pace {
  const packets = jobs.reduce((sum, j) => sum + j.packets, 0)
  const spanMs = Math.max(...jobs.map(j => j.end)) - Math.min(...jobs.map(j => j.start))
  return { files: jobs.length, packets, spanMs, packetsPerSecond: spanMs > 0 ? Math.round(packets / (spanMs / 1000)) : 0 }
}

/** Reads the queue `name`'s counts, its completed jobs' times and its failures. */
export async function queueStatus (connection: Redis, name: string): Promise<QueueStatus> {
  const queue = new Queue<FileJob, JobDone>(name, { connection })
  try {
    const counts = await queue.getJobCounts('waiting', 'prioritized', 'paused', 'delayed', 'active', 'completed', 'failed')
    const finished: Finished[] = []
    const warnings: Array<{ file: string, reason: string, at: number }> = []
    for (const job of await queue.getCompleted(0, -1)) {
      const done = job.returnvalue as JobDone | null | undefined
      if (done === null || done === undefined || job.processedOn === undefined || job.finishedOn === undefined) continue
      finished.push({ host: done.host, packets: done.packets, start: job.processedOn, end: job.finishedOn })
      for (const reason of done.warnings ?? []) warnings.push({ file: job.data.file, reason, at: job.finishedOn })
    }
    warnings.sort((a, b) => a.at - b.at)
    const failed = await queue.getFailed(0, -1)
    failed.sort((a, b) => (a.finishedOn ?? 0) - (b.finishedOn ?? 0))
    const hosts = [...new Set(finished.map(f => f.host))].sort()
    return {
      queue: name,
      waiting: (counts.waiting ?? 0) + (counts.prioritized ?? 0) + (counts.paused ?? 0) + (counts.delayed ?? 0),
      active: counts.active ?? 0,
      completed: counts.completed ?? 0,
      failed: counts.failed ?? 0,
      fleet: finished.length === 0 ? undefined : paceOf(finished),
      hosts: hosts.map(host => ({ host, ...paceOf(finished.filter(f => f.host === host)) })),
      failures: failed.map(job => ({ file: job.data.file, reason: job.failedReason })),
      warnings: warnings.map(({ file, reason }) => ({ file, reason }))
    }
  } finally {
    await queue.close()
  }
}
