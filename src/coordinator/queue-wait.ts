/**
 * `ingest --queue NAME --wait`: follows the jobs of the files a run queued (coordinator/queue.ts)
 * until each is completed or failed, telling ingest's progress (onFile, onProgress) as the fleet
 * of workers counts them, and adds their results up into ingest's own summary. It polls: the
 * files' job states a page at a time (a job's id comes from its file's path: jobIdOf), each
 * finished job read once, the active ones for their progress. Memory holds the files not settled
 * yet and the summary, never a page of jobs more.
 */
import { resolve } from 'node:path'
import { setTimeout as sleep } from 'node:timers/promises'
import { Queue, type Job } from 'bullmq'
import type { Redis } from 'ioredis'
import { plural } from '../plural.js'
import type { IngestOptions, IngestSummary, ParseSettings } from './run.js'
import { jobIdOf, prefixOf, settledOf, type FileCounts, type FileJob, type JobDone, type JobProgress } from './queue.js'

/** Job states asked per round trip. */
const PAGE = 1000
/** Between two rounds over the files not settled: what the bars' news lag behind the workers. */
const POLL_MS = 500

export interface WaitOptions {
  onFile?: IngestOptions['onFile']
  onProgress?: ParseSettings['onProgress']
  /** Aborted on Ctrl-C: the wait ends at the next page, the jobs not settled stay queued. */
  signal: AbortSignal
}

export interface Waited {
  /** Of the files settled (all of them, unless stopped), as ingest would have summed them up. */
  summary: IngestSummary
  /** Files whose jobs were not settled when the wait was stopped. */
  left: number
}

/** Waits for the jobs of `files` (as listed: the summary names them so) on queue `name`. */
export async function waitForFiles (connection: Redis, name: string, files: readonly string[], options: WaitOptions): Promise<Waited> {
  const started = performance.now()
  const summary: IngestSummary = { ingested: 0, replaced: 0, skipped: 0, unsettled: [], sameCapture: [], failed: [], warnings: [], packets: 0, counted: 0, filtered: 0, members: 0, days: {}, elapsedMs: 0 }
  const days = new Map<string, Set<string>>()
  const add = (counts: FileCounts): void => {
    summary.packets += counts.packets
    summary.counted += counts.counted
    summary.filtered += counts.filtered
    summary.members += counts.members
    for (const [sensor, list] of Object.entries(counts.days)) {
      const set = days.get(sensor) ?? days.set(sensor, new Set()).get(sensor)!
      for (const day of list) set.add(day)
    }
  }
  const settle = (file: string, job: Job<FileJob, JobDone> | undefined, state: string): void => {
    const done = state === 'completed' ? job?.returnvalue : undefined
    if (done !== undefined && done !== null) {
      add(done)
      if (done.outcome === 'skipped') {
        summary.skipped++
        if (done.sameAs !== undefined) summary.sameCapture.push({ file, as: done.sameAs })
        options.onFile?.(file, 'skipped', done.sameAs === undefined ? 'already in FILES' : `the same capture as ${done.sameAs}, counted already`, 0)
        return
      }
      summary.ingested++
      for (const reason of done.warnings) summary.warnings.push({ file, reason })
      options.onFile?.(file, 'ingested', `${plural(done.counted, 'packet')} ingested by ${done.host}, ${plural(done.members, 'member')} written`, done.counted)
      return
    }
    // Failed, with what of the file was counted all the same; or its job removed meanwhile.
    const counts = job === undefined ? undefined : (job.progress as Partial<JobProgress>).counts
    if (counts !== undefined) add(counts)
    const reason = job === undefined || state !== 'failed' ? `its job left queue ${name} before it was settled (removed?): run the same command again` : job.failedReason
    summary.failed.push({ file, reason })
    options.onFile?.(file, 'failed', reason, counts?.counted ?? 0)
  }

  const { signal } = options
  const pending = new Map(files.map(file => [jobIdOf(resolve(file)), file]))
  const queue = new Queue<FileJob, JobDone>(name, { connection, prefix: prefixOf(connection) })
  try {
    while (pending.size > 0 && !signal.aborted) {
      const ids = [...pending.keys()]
      for (let i = 0; i < ids.length && !signal.aborted; i += PAGE) {
        const page = ids.slice(i, i + PAGE)
        const over = await settledOf(connection, queue, page)
        const jobs = await Promise.all(over.map(async ({ id }) => await queue.getJob(id)))
        for (const [j, { id, state }] of over.entries()) {
          settle(pending.get(id)!, jobs[j], state)
          pending.delete(id)
        }
      }
      // The files in hand: what their workers read of them so far (a page: the fleet's hosts).
      if (options.onProgress !== undefined && pending.size > 0) {
        for (const job of await queue.getActive(0, PAGE - 1)) {
          const file = pending.get(job.id ?? '')
          const progress = job.progress as Partial<JobProgress> | number
          if (file !== undefined && typeof progress === 'object' && progress.bytes !== undefined && progress.packets !== undefined) options.onProgress(file, progress.bytes, progress.packets)
        }
      }
      if (pending.size > 0) await sleep(POLL_MS, undefined, { signal }).catch(() => {})
    }
  } finally {
    await queue.close()
  }
  for (const [sensor, set] of [...days].sort(([a], [b]) => a < b ? -1 : 1)) summary.days[sensor] = [...set].sort()
  // Jobs finish in whatever order the fleet makes: the summary lists them in the given order, as ingest does.
  const order = new Map(files.map((file, i) => [file, i]))
  const at = (file: string): number => order.get(file) ?? Infinity
  summary.failed.sort((a, b) => at(a.file) - at(b.file))
  summary.warnings.sort((a, b) => at(a.file) - at(b.file))
  summary.sameCapture.sort((a, b) => at(a.file) - at(b.file))
  summary.elapsedMs = performance.now() - started
  return { summary, left: pending.size }
}
