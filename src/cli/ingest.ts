/** `potiron ingest`: count captures into Redis in the original potiron's V3 layout. */
import { stat } from 'node:fs/promises'
import type { Redis } from 'ioredis'
import type { Options } from 'yargs'
import { FIELDS, type FieldName } from '../aggregate/fields.js'
import { DEFAULTS } from '../config/defaults.js'
import { ingestFiles, type IngestSummary } from '../coordinator/run.js'
import { UsageError } from '../errors.js'
import { EXIT, command, type ExitStatus } from './command.js'
import { IPV4_ONLY, captureOptions, redisOptions, selectionOf, targetOf, withRedis, zoneOf, type CommandTarget } from './common.js'
import { FILES_POSITIONAL, expandPaths } from './files.js'
import { checkParameters, resolveSettings, type StoredSettings } from '../store/parameters.js'
import { createProgress, named, type ProgressMode } from './progress.js'
import { printable } from './printable.js'
import { printSite, writeIngestReports } from './export.js'

export const ingestOptions = {
  ...redisOptions('started if needed'),
  threads: { type: 'number', description: 'Worker threads (default: one per core)' },
  json: { type: 'boolean', default: false, description: 'Print the summary as JSON' },
  'json-out': { type: 'string', description: "Also write each capture's JSON documents under this directory while it is parsed (as `potiron json --out`)" },
  quiet: { type: 'boolean', default: false, description: 'No progress: only errors, the Redis used (and the settings taken from it), and the final summary' },
  'min-age': { type: 'number', default: 0, description: 'Leave files modified less than this many seconds ago for a later run, listed as not settled yet (for captures still being written or copied)' },
  force: { type: 'boolean', default: false, description: 'Read files already in FILES again (for --json-out): their counts, taken out and added back with the stored settings, stay as they are' },
  report: { type: 'string', description: 'Then write the offline site (as potiron report) of every sensor and month this run counted into this directory, with an index.html' }
} as const satisfies Record<string, Options>

/** How --help says a setting left out defaults: the one stored with the data (resolveSettings). */
export const STORED = "default: as stored in the database's PARAMETERS, else"

/**
 * The settings stored with the data (PARAMETERS, JSON_FIELDS), as ingest and import-json take
 * them: no yargs default, so that a flag left out (the stored setting) is told from one given.
 */
export const settingOptions = {
  'combined-keys': { type: 'boolean', description: `Also split counts per protocol: <sensor>:<proto>:<day>:<field> keys (the original's -ck); ${STORED} off` },
  fields: { type: 'string', description: `Comma-separated fields to count (default: as stored in the database's JSON_FIELDS, else all: ${FIELDS.join(',')})` },
  'ipv4-only': { type: 'boolean', description: `${IPV4_ONLY}; ${STORED} IPv4 and IPv6, fields from the outermost IP header` },
  tz: { type: 'string', description: `IANA time zone for days (e.g. Europe/Luxembourg); ${STORED} UTC` }
} as const satisfies Record<string, Options>

/** The settings given on the command line; those left out are absent (resolveSettings fills them). */
export function givenSettingsOf (argv: { 'combined-keys'?: boolean | undefined, fields?: string | undefined, 'ipv4-only'?: boolean | undefined, tz?: string | undefined }): Partial<StoredSettings> {
  const given: Partial<StoredSettings> = {}
  if (argv['combined-keys'] !== undefined) given.combinedKeys = argv['combined-keys']
  if (argv.fields !== undefined) given.fields = fieldsOf(argv.fields)
  if (argv['ipv4-only'] !== undefined) given.selection = selectionOf({ 'ipv4-only': argv['ipv4-only'] })
  const zone = zoneOf(argv)
  if (zone !== undefined) given.zone = zone
  return given
}

/**
 * Resolves the run's settings (resolveSettings) and says, in one line, those taken from the
 * database that change what a run without them would count, as the flags that say them.
 */
export async function settingsFor (redis: Redis, given: Partial<StoredSettings>, err: (line: string) => void, flags: ReadonlyArray<keyof StoredSettings> = SETTINGS): Promise<StoredSettings> {
  const { settings, fromDatabase } = await resolveSettings(redis, given)
  const said = fromDatabase.filter(key => flags.includes(key)).map(key => flagOf(settings, key))
  if (said.length > 0) err(`potiron: using the database's settings: ${printable(said.join(' '))}`)
  return settings
}

const SETTINGS = ['combinedKeys', 'fields', 'selection', 'zone'] as const

/** The flag that sets `key` to its value in `s`, as typed on a command line. */
function flagOf (s: StoredSettings, key: keyof StoredSettings): string {
  switch (key) {
    case 'combinedKeys': return s.combinedKeys ? '--combined-keys' : '--no-combined-keys'
    case 'fields': return `--fields ${s.fields.join(',')}`
    case 'selection': return s.selection === 'ipv4-only' ? '--ipv4-only' : '--no-ipv4-only'
    case 'zone': return `--tz ${s.zone}`
  }
}

export interface IngestArgs {
  files: readonly string[]
  target: CommandTarget
  threads: number | undefined
  /** The settings given; the others are the database's (settingsFor). */
  given: Partial<StoredSettings>
  sensor: string | undefined
  json: boolean
  quiet?: boolean | undefined
  /** Also write each capture's JSON documents under this directory (`--json-out`). */
  jsonOut?: string | undefined
  /** Count files already in FILES again (`--force`). */
  force?: boolean | undefined
  /** Leave files modified less than this many seconds ago (`--min-age`). */
  minAge?: number | undefined
  /** Write the reports of what was counted here (`--report`). */
  report?: string | undefined
}

export function threadsOf (argv: { threads?: number | undefined }): number | undefined {
  const n = argv.threads
  if (n !== undefined && !(Number.isInteger(n) && n >= 1 && n <= 1024)) throw new UsageError(`--threads: expected a whole number from 1 to 1024, got ${String(n)}`)
  return n
}

export function minAgeOf (argv: { 'min-age'?: number | undefined }): number {
  const n = argv['min-age'] ?? 0
  if (!(Number.isFinite(n) && n >= 0)) throw new UsageError(`--min-age: expected a number of seconds, 0 or more, got ${String(n)}`)
  return n
}

/** Parses `--fields dport,ipsrc`, keeping potiron's field order. */
export function fieldsOf (text: string): readonly FieldName[] {
  const wanted = new Set(text.split(',').map(s => s.trim()).filter(s => s !== ''))
  for (const name of wanted) {
    if (!(FIELDS as readonly string[]).includes(name)) throw new UsageError(`--fields: unknown field '${name}'; choose from ${FIELDS.join(',')}`)
  }
  if (wanted.size === 0) throw new UsageError(`--fields: name at least one of ${FIELDS.join(',')}`)
  return FIELDS.filter(f => wanted.has(f))
}

export const ingestCommand = command({
  usage: 'ingest <files..>',
  description: "Count captures into Redis in the original potiron's layout (<sensor>:<day>:<field> sorted sets); files already counted are skipped",
  positionals: { files: FILES_POSITIONAL },
  options: { ...ingestOptions, ...captureOptions, ...settingOptions },
  examples: [
    ['$0 ingest captures/ --unix /run/redis/potiron.sock', 'Every capture under captures/, one thread per core'],
    ['$0 ingest \'2024/**/*.pcap.gz\' --redis redis://db:6379/1 --combined-keys --ipv4-only', "Per-protocol keys, the original's packet selection"],
    ['$0 ingest captures/ --report site/', 'Then write site/index.html: a report per sensor and month ingested']
  ],
  check: argv => ({
    paths: argv.files,
    settings: {
      target: targetOf(argv), threads: threadsOf(argv), given: givenSettingsOf(argv), sensor: argv.sensor, json: argv.json, quiet: argv.quiet, jsonOut: argv['json-out'], force: argv.force, minAge: minAgeOf(argv), report: argv.report
    }
  }),
  run: async ({ paths, settings }, io) => await ingest({ ...settings, files: await expandPaths(paths, io.err) }, io.out, io.err)
})

/** Runs the ingest and prints its summary; returns the exit status. */
export async function ingest (args: IngestArgs, out: (text: string) => void, err: (text: string) => void): Promise<ExitStatus> {
  return await withRedis(args.target, err, { start: true }, async (redis, where) => {
    const parameters = await settingsFor(redis, args.given, err)
    await checkParameters(redis, parameters)
    const mode: ProgressMode = args.quiet === true ? 'quiet' : process.stderr.isTTY ? 'tty' : 'lines'
    const progress = createProgress({ mode, files: await sizesOf(args.files, mode), write: err })
    let summary
    try {
      summary = await ingestFiles(args.files, redis, {
        threads: args.threads, ...parameters, sensor: args.sensor, jsonOut: args.jsonOut, force: args.force, minAge: args.minAge, parameters,
        onFile: progress.onFile
      })
    } finally {
      progress.stop()
    }
    out(args.json ? JSON.stringify(summary) : formatSummary(summary, where, args.minAge))
    if (args.report !== undefined) {
      if (Object.keys(summary.days).length === 0) err('potiron: --report: this run counted nothing new, so no report was written (use \'potiron report\' for data already in Redis)')
      else printSite({ out: args.json ? err : out, err }, args.report, await writeIngestReports(redis, summary.days, { out: args.report, limit: DEFAULTS.reportLimit, skip: new Set(DEFAULTS.reportSkip) }))
    }
    return summary.failed.length > 0 ? EXIT.failed : EXIT.ok
  })
}

/** File sizes for the progress ETA; 0 when unknown (the file's own error comes later). */
async function sizesOf (files: readonly string[], mode: ProgressMode): Promise<Map<string, number>> {
  if (mode === 'quiet') return new Map(files.map(f => [f, 0]))
  return new Map(await Promise.all(files.map(async f => [f, await stat(f).then(s => s.size, () => 0)] as const)))
}

/** The run's summary; it ends naming the Redis written to (`where`), which its progress has scrolled away. */
export function formatSummary (s: IngestSummary, where: string, minAge = 0): string {
  const seconds = s.elapsedMs / 1000
  const rate = seconds > 0 ? Math.round(s.packets / seconds) : 0
  const unsettled = s.unsettled.length > 0 ? ` ${s.unsettled.length} not settled yet (modified less than ${minAge} s ago),` : ''
  const lines = [`files: ${s.ingested} ingested, ${s.skipped} skipped (already in FILES),${unsettled} ${s.failed.length} failed`]
  for (const f of s.sameCapture) lines.push(`  same capture: ${printable(`${f.file} is ${f.as}, counted already`)}`)
  for (const f of s.failed) lines.push(`  failed: ${named(f)}`)
  for (const w of s.warnings) lines.push(`  warning: ${named(w)}`)
  lines.push(`packets: ${s.packets} read, ${s.counted} counted; members: ${s.members}; ${seconds.toFixed(2)} s, ${rate} packets/s`)
  lines.push(`redis: ${printable(where)}`)
  return lines.join('\n')
}
