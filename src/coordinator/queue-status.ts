/**
 * `potiron queue status`: what a queue of files (coordinator/queue.ts) holds, and the fleet's
 * pace read from the completed jobs' times (BullMQ's processedOn and finishedOn) and return
 * values (the packets each host read).
 */
import { Queue } from 'bullmq'
import type { Redis } from 'ioredis'
import { prefixOf, type FileJob, type JobDone } from './queue.js'

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

/** A pace being added up, one completed job at a time. */
interface Tally { files: number, packets: number, start: number, end: number }

function add (tally: Tally | undefined, packets: number, start: number, end: number): Tally {
  if (tally === undefined) return { files: 1, packets, start, end }
  return { files: tally.files + 1, packets: tally.packets + packets, start: Math.min(tally.start, start), end: Math.max(tally.end, end) }
}

function paceOf ({ files, packets, start, end }: Tally): Pace {
  const spanMs = end - start
  return { files, packets, spanMs, packetsPerSecond: spanMs > 0 ? Math.round(packets / (spanMs / 1000)) : 0 }
}

/**
 * Completed jobs read per round trip: the status holds a page of them, whatever the queue's size
 * (jobs that complete while it reads may shift a page: the pace is exact once the queue settles).
 */
const PAGE = 1000

/** Reads the queue `name`'s counts, its completed jobs' times and its failures. */
export async function queueStatus (connection: Redis, name: string): Promise<QueueStatus> {
  const queue = new Queue<FileJob, JobDone>(name, { connection, prefix: prefixOf(connection) })
  try {
    const counts = await queue.getJobCounts('waiting', 'prioritized', 'paused', 'delayed', 'active', 'completed', 'failed')
    let fleet: Tally | undefined
    const hosts = new Map<string, Tally>()
    const warnings: Array<{ file: string, reason: string, at: number }> = []
    for (let from = 0; ; from += PAGE) {
      const page = await queue.getCompleted(from, from + PAGE - 1)
      for (const job of page) {
        const done = job.returnvalue as JobDone | null | undefined
        if (done === null || done === undefined || job.processedOn === undefined || job.finishedOn === undefined) continue
        fleet = add(fleet, done.packets, job.processedOn, job.finishedOn)
        hosts.set(done.host, add(hosts.get(done.host), done.packets, job.processedOn, job.finishedOn))
        for (const reason of done.warnings ?? []) warnings.push({ file: job.data.file, reason, at: job.finishedOn })
      }
      if (page.length < PAGE) break
    }
    warnings.sort((a, b) => a.at - b.at)
    const failed = await queue.getFailed(0, -1)
    failed.sort((a, b) => (a.finishedOn ?? 0) - (b.finishedOn ?? 0))
    return {
      queue: name,
      waiting: (counts.waiting ?? 0) + (counts.prioritized ?? 0) + (counts.paused ?? 0) + (counts.delayed ?? 0),
      active: counts.active ?? 0,
      completed: counts.completed ?? 0,
      failed: counts.failed ?? 0,
      fleet: fleet === undefined ? undefined : paceOf(fleet),
      hosts: [...hosts].sort(([a], [b]) => a < b ? -1 : 1).map(([host, tally]) => ({ host, ...paceOf(tally) })),
      failures: failed.map(job => ({ file: job.data.file, reason: job.failedReason })),
      warnings: warnings.map(({ file, reason }) => ({ file, reason }))
    }
  } finally {
    await queue.close()
  }
}
