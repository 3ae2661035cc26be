/**
 * Several hosts, one queue of files: `ingest --queue NAME` (enqueue, called by ingest.ts),
 * `potiron worker --queue NAME` and `potiron queue status NAME` (coordinator/queue.ts). The
 * queue is a BullMQ queue in the same Redis (or Redis Cluster) as the data, on connections of
 * BullMQ's own.
 */
import { resolve } from 'node:path'
import type { Redis } from 'ioredis'
import type { Options } from 'yargs'
// The coordinator's queue modules load BullMQ (190 modules, ~0.2 s of every start): imported
// when a queue is used, not by every command (test/startup.test.ts).
import type { FileJob } from '../coordinator/queue.js'
import type { Pace, QueueStatus } from '../coordinator/queue-status.js'
import { UsageError } from '../errors.js'
import { checkParameters } from '../store/parameters.js'
import { EXIT, command, type ExitStatus, type Io } from './command.js'
import { redisOptions, targetOf, withRedis, type CommandTarget, type RedisName } from './common.js'
import { databasesOf, enrichmentFor } from './enrich.js'
import type { DryRunArgs } from './dry-run.js'
import type { EnrichArgs } from './enrich.js'
import { wholeNumber } from './numbers.js'
import { named } from './progress.js'
import { printable } from './printable.js'
import { plural } from '../plural.js'
import { settingsFor } from './settings.js'

/** Said in every --help that enqueues or takes files. */
export const SHARED_STORAGE = 'each job names the file by its absolute path: it must be readable there by every worker host (shared storage)'

const NAME = /^[A-Za-z0-9_.-]{1,100}$/

/** A queue's name: letters, digits, `_ . -` (BullMQ keys are `<prefix>:<name>:...`; ':' would split them). */
export function queueNameOf (name: string, flag: string): string {
  if (!NAME.test(name)) throw new UsageError(`${flag}: '${name}' is not a queue name: use letters, digits, '_', '.' or '-' (up to 100)`)
  return name
}

/**
 * `ingest PATH... --queue NAME`: the files listed as ingest lists them, each one job on the queue
 * with the settings the run would count it with (resolved against the stored ones, checked).
 */
export async function enqueue (args: DryRunArgs & { queue: string, enrich?: EnrichArgs | undefined }, out: (text: string) => void, err: (text: string) => void, follow?: Follow): Promise<ExitStatus> {
  return await withRedis(args.target, err, { start: true }, async (redis, used, target) => {
    const settings = await settingsFor(redis, args.given, err)
    const enrich = await enrichmentFor(settings.fields, args.enrich ?? {})
    const parameters = { ...settings, databases: enrich === undefined ? undefined : databasesOf(enrich) }
    await checkParameters(redis, parameters)
    const jobs: FileJob[] = args.files.map(file => ({
      file: resolve(file),
      settings: { ...settings, sensor: args.sensor, enrich, parameters }
    }))
    const { bullConnection, enqueueFiles } = await import('../coordinator/queue.js')
    const connection = bullConnection(target, redis)
    try {
      const { queued, already } = await enqueueFiles(connection, args.queue, jobs)
      const line = `${plural(queued, 'file')} queued on ${printable(args.queue)}${already > 0 ? ` (${already} waiting or in hand already)` : ''}`
      if (follow !== undefined) return await follow(connection, used, line)
      if (args.json) out(JSON.stringify({ queue: args.queue, queued, already }))
      else out(line)
    } finally {
      connection.disconnect()
    }
    return EXIT.ok
  })
}

/** `--wait` (cli/queue-wait.ts): once the files are queued (`queuedLine` says how many), follows their jobs on `connection`. */
export type Follow = (connection: Redis, used: RedisName, queuedLine: string) => Promise<ExitStatus>

const workerOptions = {
  ...redisOptions('started if needed'),
  queue: { type: 'string', demandOption: true, requiresArg: true, description: 'The queue of files to take jobs from (made by ingest --queue)' },
  threads: { type: 'string', requiresArg: true, description: 'Worker threads parsing the file in hand (default: one per core)' }
} as const satisfies Record<string, Options>

export const workerCommand = command({
  usage: 'worker',
  description: `Take files from a queue (ingest --queue) one at a time and count each into Redis exactly once, until SIGINT or SIGTERM; ${SHARED_STORAGE}`,
  positionals: {},
  options: workerOptions,
  examples: [
    ['$0 worker --queue backfill --redis redis://db:6379', 'On each host that reads the shared captures'],
    ['$0 worker --queue backfill --threads 4', 'The same on 4 threads']
  ],
  check: argv => ({ target: targetOf(argv), queue: queueNameOf(argv.queue, '--queue'), threads: argv.threads === undefined ? undefined : wholeNumber('threads', argv.threads, 1, 1024) }),
  run: async (options, io) => await worker(options, io)
})

export async function worker (args: { target: CommandTarget, queue: string, threads: number | undefined }, io: Io): Promise<ExitStatus> {
  return await withRedis(args.target, io.err, { start: true }, async (redis, _used, target) => {
    const { bullConnection, hostOf, lockMsOf, runWorker } = await import('../coordinator/queue.js')
    const connection = bullConnection(target, redis)
    // Stopped by a signal: the job in hand is finished (its lock kept), then the worker closes.
    let stop = (): void => {}
    const stopped = new Promise<void>(resolve => { stop = resolve })
    process.once('SIGINT', stop)
    process.once('SIGTERM', stop)
    const host = hostOf()
    io.err(`potiron: worker ${printable(host)} on queue ${printable(args.queue)}; stop it with SIGINT or SIGTERM (it finishes the file in hand)`)
    try {
      await runWorker(connection, redis, args.queue, {
        threads: args.threads, host, lockMs: lockMsOf(), onJob: (file, outcome) => { io.err(`potiron: ${printable(file)}: ${printable(outcome)}`) }
      }, stopped)
    } finally {
      process.off('SIGINT', stop)
      process.off('SIGTERM', stop)
      connection.disconnect()
    }
    io.err('potiron: worker stopped')
    return EXIT.ok
  })
}

const queueOptions = {
  ...redisOptions('when it runs'),
  json: { type: 'boolean', default: false, description: 'Print it as one JSON object' }
} as const satisfies Record<string, Options>

export const queueCommand = command({
  usage: 'queue <action> <name>',
  description: 'A queue of files (ingest --queue): how many wait, are in hand, done and failed, packets/s of the fleet and of each host, the failures and the warnings',
  positionals: {
    action: { type: 'string', choices: ['status'], describe: 'status: the queue\'s counts, pace and failures' },
    name: { type: 'string', demandOption: true, describe: 'The queue (ingest --queue NAME)' }
  },
  options: queueOptions,
  examples: [
    ['$0 queue status backfill', 'Files waiting, in hand, done and failed, and the pace of each host'],
    ['$0 queue status backfill --json', 'The same as JSON']
  ],
  check: argv => ({ target: targetOf(argv), name: queueNameOf(argv.name, 'queue status'), json: argv.json }),
  run: async (options, io) => await status(options, io)
})

async function status (args: { target: CommandTarget, name: string, json: boolean }, io: Io): Promise<ExitStatus> {
  return await withRedis(args.target, io.err, { start: false }, async (redis, _used, target) => {
    const [{ bullConnection }, { queueStatus }] = await Promise.all([import('../coordinator/queue.js'), import('../coordinator/queue-status.js')])
    const connection = bullConnection(target, redis)
    try {
      const found = await queueStatus(connection, args.name)
      io.out(args.json ? JSON.stringify(found) : formatQueueStatus(found))
    } finally {
      connection.disconnect()
    }
    return EXIT.ok
  })
}

/** Labels in one column, values aligned after them, as `inspect` prints its rows. */
export function formatQueueStatus (s: QueueStatus): string {
  const rows: Array<[string, string]> = [
    ['queue', printable(s.queue)],
    ['waiting', String(s.waiting)],
    ['active', String(s.active)],
    ['completed', String(s.completed)],
    ['failed', String(s.failed)]
  ]
  if (s.fleet !== undefined) rows.push(['fleet', paceText(s.fleet)])
  for (const h of s.hosts) rows.push([`  ${printable(h.host)}`, paceText(h)])
  const width = Math.max(...rows.map(([label]) => label.length)) + 2
  const lines = rows.map(([label, value]) => `${label.padEnd(width)}${value}`)
  for (const f of s.failures) lines.push(`  failed: ${named(f)}`)
  for (const w of s.warnings) lines.push(`  warning: ${named(w)}`)
  return lines.join('\n')
}

function paceText (p: Pace): string {
  return `${p.packetsPerSecond} packets/s (${plural(p.packets, 'packet')} in ${plural(p.files, 'file')}, ${(p.spanMs / 1000).toFixed(2)} s)`
}
