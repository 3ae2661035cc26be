/** `potiron ingest`: count captures into Redis in the original potiron's V3 layout. */
import type { Options } from 'yargs'
import { DEFAULTS } from '../config/defaults.js'
import { ingestFiles } from '../coordinator/run.js'
import { EXIT, command, type ExitStatus } from './command.js'
import { captureOptions, redisOptions, targetArgs, targetOf, withRedis } from './common.js'
import { FILES_POSITIONAL, expandPaths } from './files.js'
import { checkParameters, otherDatabases } from '../store/parameters.js'
import { databasesOf, enrichArgsOf, enrichmentFor, enrichOptions, type EnrichArgs } from './enrich.js'
import { createProgress, type ProgressMode } from './progress.js'
import { formatSummary, sizesOf } from './summary.js'
import { commandLine } from './invocation.js'
import { printSite, writeReportSites } from './export.js'
import { reportMonths } from '../export/report.js'
import { dryRun, type DryRunArgs } from './dry-run.js'
import { givenSettingsOf, settingOptions, settingsFor } from './settings.js'
import { seconds, wholeNumber } from './numbers.js'
import { UsageError } from '../errors.js'
import { enqueue, queueNameOf, SHARED_STORAGE } from './queue.js'
import { following } from './queue-wait.js'

export const ingestOptions = {
  ...redisOptions('started if needed'),
  threads: { type: 'string', requiresArg: true, description: 'Worker threads (default: one per core)' },
  json: { type: 'boolean', default: false, description: 'Print the summary as JSON' },
  'json-out': { type: 'string', description: "Also write each capture's JSON documents under this directory while it is parsed (as `potiron json --out`)" },
  quiet: { type: 'boolean', default: false, description: 'No progress: only errors, the Redis used (and the settings taken from it), and the final summary' },
  'min-age': { type: 'string', requiresArg: true, defaultDescription: '0', description: 'Leave files modified less than this many seconds ago for a later run, listed as not settled yet (for captures still being written or copied)' },
  force: { type: 'boolean', default: false, description: 'Read files already in FILES again (for --json-out): their counts, taken out and added back with the stored settings, stay as they are' },
  report: { type: 'string', description: 'Then write the offline site (as potiron report) of every sensor and month this run counted into this directory, with an index.html' },
  queue: { type: 'string', requiresArg: true, description: `Instead of counting them here, put the files on this BullMQ queue (in the same Redis or Redis Cluster), one job each, for 'potiron worker --queue NAME' on any host; ${SHARED_STORAGE}` },
  wait: { type: 'boolean', default: false, description: "With --queue: then follow the files' jobs as the workers count them, with ingest's progress, summary and exit status (Ctrl-C stops waiting: the jobs stay queued)" },
  'dry-run': { type: 'boolean', default: false, description: 'Only list the files that would be read, skipped (and why) or fail, and the sensors and days of their names, to be written; parses no capture (reads each up to its first packet) and writes nothing (Redis, --json-out, --report)' }
} as const satisfies Record<string, Options>

export interface IngestArgs extends DryRunArgs {
  threads: number | undefined
  quiet?: boolean | undefined
  /** Also write each capture's JSON documents under this directory (`--json-out`). */
  jsonOut?: string | undefined
  /** Write the reports of what was counted here (`--report`). */
  report?: string | undefined
  /** Enqueue the files on this queue instead of counting them (`--queue`). */
  queue?: string | undefined
  /** Only say what would be read, skipped and written (`--dry-run`). */
  dryRun?: boolean | undefined
  /** The user's own enrichment databases (`--geoip-db`, `--asn-db`). */
  enrich?: EnrichArgs | undefined
}

export function threadsOf (argv: { threads?: string | undefined }): number | undefined {
  return argv.threads === undefined ? undefined : wholeNumber('threads', argv.threads, 1, 1024)
}

export function minAgeOf (argv: { 'min-age'?: string | undefined }): number {
  return argv['min-age'] === undefined ? 0 : seconds('min-age', argv['min-age'])
}

export const ingestCommand = command({
  usage: 'ingest <files..>',
  description: "Count captures into Redis in the original potiron's layout (<sensor>:<day>:<field> sorted sets); files already counted are skipped",
  positionals: { files: FILES_POSITIONAL },
  options: { ...ingestOptions, ...captureOptions, ...settingOptions, ...enrichOptions },
  examples: [
    ['$0 ingest captures/ --unix /run/redis/potiron.sock', 'Every capture under captures/, one thread per core'],
    ['$0 ingest \'2024/**/*.pcap.gz\' --combined-keys --ipv4-only', "Per-protocol keys too, and the original's packet selection"],
    ['$0 ingest captures/ --redis redis://db:6379/1', 'Into database 1 of the Redis on host db'],
    ['$0 ingest captures/ --report site/', 'Then write site/index.html: a report per sensor and month ingested'],
    ['$0 ingest captures/ --dry-run', 'What it would read, skip and write'],
    ['$0 ingest /shared/captures/ --queue backfill', "One job per file on queue backfill, for 'worker --queue backfill'"],
    ['$0 ingest /shared/captures/ --queue backfill --wait', 'The same, then the progress and summary of the workers counting them'],
    ["$0 ingest captures/ --filter 'tcp and dst port 22'", 'Count only what reaches port 22 over TCP (the database keeps the filter)']
  ],
  check: argv => ({
    paths: argv.files,
    settings: {
      target: targetOf(argv), threads: threadsOf(argv), given: givenSettingsOf(argv), sensor: argv.sensor, json: argv.json, quiet: argv.quiet, jsonOut: argv['json-out'], force: argv.force, minAge: minAgeOf(argv), report: argv.report, dryRun: argv['dry-run'], enrich: enrichArgsOf(argv), ...queueOf(argv)
    }
  }),
  run: async ({ paths, settings }, io) => {
    const files = await expandPaths(paths, io.err)
    const { queue } = settings
    if (queue !== undefined) return await enqueue({ ...settings, queue, files }, io.out, io.err, settings.wait === true ? following({ ...settings, queue, files }, io.out, io.err) : undefined)
    return await (settings.dryRun ? dryRun : ingest)({ ...settings, files }, io.out, io.err)
  }
})

/** `--queue NAME`, checked; the flags that act on this run's own parsing are refused with it. */
function queueOf (argv: { queue?: string | undefined, wait: boolean, 'json-out'?: string | undefined, report?: string | undefined, force: boolean, 'dry-run': boolean, 'min-age'?: string | undefined }): { queue?: string, wait?: boolean } {
  if (argv.queue === undefined) {
    if (argv.wait) throw new UsageError('--wait: only with --queue NAME (it waits for the workers counting the queued files)')
    return {}
  }
  const taken = [argv['json-out'] === undefined ? '' : '--json-out', argv.report === undefined ? '' : '--report', argv.force ? '--force' : '', argv['dry-run'] ? '--dry-run' : '', argv['min-age'] === undefined ? '' : '--min-age'].filter(f => f !== '')
  if (taken.length > 0) throw new UsageError(`--queue: ${taken.join(', ')} not taken with it yet (the workers count the files: leave ${taken.length > 1 ? 'them' : 'it'} out)`)
  return { queue: queueNameOf(argv.queue, '--queue'), wait: argv.wait }
}

/** Runs the ingest and prints its summary; returns the exit status. */
export async function ingest (args: IngestArgs, out: (text: string) => void, err: (text: string) => void): Promise<ExitStatus> {
  return await withRedis(args.target, err, { start: true }, async (redis, used) => {
    const settings = await settingsFor(redis, args.given, err)
    // ISN records and ARP pairs have no documents and no report of field counts.
    if (settings.format !== 'standard' && (args.jsonOut !== undefined || args.report !== undefined)) throw new UsageError(`--${settings.format} keeps no field counts: --json-out and --report are for the standard format (then plot isn, export arp)`)
    const enrich = await enrichmentFor(settings.fields, args.enrich ?? {})
    const parameters = { ...settings, databases: enrich === undefined ? undefined : databasesOf(enrich) }
    // --force onto other databases: new files are counted with them, counted ones are left as
    // they are (taking their counts out needs the databases they were counted with).
    const other = args.force === true ? await otherDatabases(redis, parameters) : []
    for (const line of other) err(`potiron: warning: --force: ${line}; only files not counted yet are counted with it, PARAMETERS lists both`)
    Object.assign(parameters, { addDatabases: other.length > 0 })
    await checkParameters(redis, parameters)
    const mode: ProgressMode = args.quiet === true ? 'quiet' : process.stderr.isTTY ? 'tty' : 'lines'
    const progress = createProgress({ mode, files: await sizesOf(args.files, mode), write: err })
    let summary
    try {
      summary = await ingestFiles(args.files, redis, {
        threads: args.threads, ...parameters, sensor: args.sensor, jsonOut: args.jsonOut, force: args.force === true && other.length === 0, minAge: args.minAge, parameters, enrich,
        onFile: progress.onFile, onProgress: progress.onProgress
      })
    } finally {
      progress.stop()
    }
    out(args.json ? JSON.stringify(summary) : formatSummary(summary, used, args.minAge))
    if (args.report !== undefined) {
      if (Object.keys(summary.days).length === 0) err(`potiron: --report: this run counted nothing new, so no report was written (use '${commandLine(['report', ...targetArgs(args.target), '--out', args.report])}' for data already in Redis)`)
      else printSite({ out: args.json ? err : out, err }, args.report, await writeReportSites(redis, reportMonths(summary.days), { out: args.report, limit: DEFAULTS.reportLimit }))
    }
    return summary.failed.length > 0 ? EXIT.failed : EXIT.ok
  })
}
