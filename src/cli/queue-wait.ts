/**
 * `ingest PATH... --queue NAME --wait`: once the files are queued (cli/queue.ts), ingest's
 * progress, summary and exit status for the fleet of workers counting them
 * (coordinator/queue-wait.ts). Ctrl-C stops the waiting only: the jobs stay queued.
 */
import { EXIT } from './command.js'
import { formatSummary, sizesOf } from './summary.js'
import { printable } from './printable.js'
import { createProgress, type ProgressMode } from './progress.js'
import type { Follow } from './queue.js'
import { commandLine } from './invocation.js'
import { plural } from '../plural.js'

export function following (args: { files: readonly string[], queue: string, json: boolean, quiet?: boolean | undefined }, out: (text: string) => void, err: (text: string) => void): Follow {
  return async (connection, used, queuedLine) => {
    const queue = printable(args.queue)
    if (args.quiet !== true) err(`potiron: ${queuedLine}; waiting for the workers ('${commandLine(['worker', '--queue', args.queue])}' on each host), Ctrl-C stops waiting`)
    const ctrlC = new AbortController()
    const stop = (): void => { ctrlC.abort() }
    process.once('SIGINT', stop)
    const mode: ProgressMode = args.quiet === true ? 'quiet' : process.stderr.isTTY ? 'tty' : 'lines'
    const progress = createProgress({ mode, files: await sizesOf(args.files, mode), write: err })
    let waited
    try {
      // Loaded here, as cli/queue.ts loads the other queue modules: BullMQ only when a queue is used.
      const { waitForFiles } = await import('../coordinator/queue-wait.js')
      waited = await waitForFiles(connection, args.queue, args.files, { onFile: progress.onFile, onProgress: progress.onProgress, signal: ctrlC.signal })
    } finally {
      progress.stop()
      process.off('SIGINT', stop)
    }
    if (waited.left > 0) {
      err(`potiron: stopped waiting: ${waited.left} of ${plural(args.files.length, 'file')} not settled yet stay on queue ${queue} for the workers ('${commandLine(['queue', 'status', args.queue])}' follows them)`)
      return EXIT.interrupted
    }
    const { summary } = waited
    out(args.json ? JSON.stringify(summary) : formatSummary(summary, used))
    return summary.failed.length > 0 ? EXIT.failed : EXIT.ok
  }
}
