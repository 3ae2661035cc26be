#!/usr/bin/env -S node --initial-old-space-size=64
// The flag above (and in package.json's `potiron` script): V8 sizes the old generation from what
// it holds, and the coordinator holds ~14 MB while the bytes it frames pass through, so V8 ran a
// full collection every ~0.3 s of an ingest, 30-40 over 8 days of captures, each marking the whole
// heap again. Starting the old generation at 64 MB leaves 13: ~10 % of the client's CPU
// (bench/RESULTS.md, issue 14's eleventh session).
import { raiseInliningBudget } from '../aggregate/inlining.js'
import { dropAhead, startAhead } from '../coordinator/pool.js'
import { startsPoolAhead } from './ahead.js'

// The commands that parse captures start their pool's first thread before the CLI's modules
// load (a third of a second): the thread loads its own meanwhile, on another core. The
// inlining budget is raised first, for the parse code the thread compiles.
raiseInliningBudget()
if (startsPoolAhead(process.argv.slice(2))) startAhead()
const { main } = await import('./main.js')

// Output read by a program that stopped reading (`potiron inspect ... | head -1`): nobody is left
// to tell anything to, so potiron ends quietly, as Unix tools do, instead of with a stack.
process.stdout.on('error', (err: NodeJS.ErrnoException) => {
  if (err.code !== 'EPIPE') throw err
  process.exit(process.exitCode ?? 0)
})

/**
 * Once main has returned, nothing of potiron's is left to do. A library may still hold the event
 * loop: BullMQ's own cluster client, its cluster gone, retried it for ever after `potiron worker`
 * had said so and returned (cluster-queue's test, about 1 run in 10 under load). The process then
 * ends this long after, with its status; a timer that does not itself keep it alive.
 */
const LINGER_MS = 3000

main().then(code => { process.exitCode = code }, (err: unknown) => {
  process.stderr.write(`potiron: internal error: ${err instanceof Error ? err.stack ?? err.message : String(err)}\n`)
  process.exitCode = 70
}).finally(async () => {
  await dropAhead()
  setTimeout(() => { process.exit() }, LINGER_MS).unref()
})
