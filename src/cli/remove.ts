/**
 * `potiron remove`: takes files' earlier contributions back out of Redis. The captures are read
 * again with the settings stored in PARAMETERS / JSON_FIELDS (what they were counted with), and
 * each file's counts go down and its FILES entry goes away in one transaction.
 */
import type { Options } from 'yargs'
import { removeFiles, type RemoveSummary } from '../coordinator/run.js'
import { sameDatabases, storedSettings, type StoredSettings } from '../store/parameters.js'
import { databasesOf, enrichArgsOf, enrichmentFor, enrichOptions, type EnrichArgs } from './enrich.js'

import { EXIT, command, type ExitStatus } from './command.js'
import { captureOptions, redisOptions, targetOf, withRedis, type CommandTarget } from './common.js'
import { FILES_POSITIONAL, expandPaths } from './files.js'
import { named, outcomeLine } from './progress.js'
import { printable } from './printable.js'
import { ingestOptions, threadsOf } from './ingest.js'
import { givenSettingsOf } from './settings.js'

/** Settings given on the command line must agree with the stored ones: say every difference. */
export function differences (stored: StoredSettings, given: Partial<StoredSettings>): string[] {
  const out: string[] = []
  if (given.combinedKeys !== undefined && given.combinedKeys !== stored.combinedKeys) out.push(`combined keys are ${stored.combinedKeys ? 'on' : 'off'} in Redis (--combined-keys)`)
  if (given.fields !== undefined && given.fields.join(',') !== stored.fields.join(',')) out.push(`fields are ${stored.fields.join(',')} in Redis (--fields)`)
  if (given.selection !== undefined && given.selection !== stored.selection) out.push(`selection is '${stored.selection}' in Redis (--ipv4-only)`)
  if (given.zone !== undefined && given.zone !== stored.zone) out.push(`tz is '${stored.zone}' in Redis (--tz)`)
  if (given.filter !== undefined && given.filter !== stored.filter) out.push(`the filter is '${stored.filter}' in Redis (--filter)`)
  return out
}

// No defaults on the settings: given or not is what matters, the values come from Redis.
const removeOptions = {
  ...redisOptions('when it runs'),
  threads: ingestOptions.threads,
  sensor: captureOptions.sensor,
  'combined-keys': { type: 'boolean', description: 'Optional: must match what is stored in PARAMETERS' },
  fields: { type: 'string', description: 'Optional: must match what is stored in JSON_FIELDS' },
  'ipv4-only': { type: 'boolean', description: 'Optional: must match what is stored in PARAMETERS' },
  tz: { type: 'string', description: 'Optional: must match the zone stored in PARAMETERS' },
  filter: { type: 'string', description: 'Optional: must match the filter stored in PARAMETERS (tshark_filter), which the files are read again through' },
  json: { type: 'boolean', default: false, description: 'Print the summary as JSON' },
  'geoip-db': { ...enrichOptions['geoip-db'], description: 'With enrichment fields: the country .mmdb the files were counted with, when it was not the packaged one (PARAMETERS country_db names it)' },
  'asn-db': { ...enrichOptions['asn-db'], description: 'With enrichment fields: the ASN .mmdb the files were counted with, when it was not the packaged one (PARAMETERS asn_db names it)' }
} as const satisfies Record<string, Options>

export const removeCommand = command({
  usage: 'remove <files..>',
  description: 'Take files\' counts back out of Redis (read again with the stored settings) and remove them from FILES',
  positionals: { files: FILES_POSITIONAL },
  options: removeOptions,
  examples: [['$0 remove captures/lab-x-1-20240101000000.pcap', 'Uncount one capture (read again with the stored settings)']],
  check: argv => ({ paths: argv.files, settings: { target: targetOf(argv), threads: threadsOf(argv), sensor: argv.sensor, json: argv.json, given: givenSettingsOf(argv), enrich: enrichArgsOf(argv) } }),
  run: async ({ paths, settings }, io) => await remove({ ...settings, files: await expandPaths(paths, io.err) }, io.out, io.err)
})

export interface RemoveArgs {
  files: readonly string[]
  target: CommandTarget
  threads: number | undefined
  sensor: string | undefined
  json: boolean
  given: Partial<StoredSettings>
  enrich?: EnrichArgs | undefined
}

/** Runs the removal and prints its summary; 0 when every file was removed, else 1. */
export async function remove (args: RemoveArgs, out: (text: string) => void, err: (text: string) => void): Promise<ExitStatus> {
  return await withRedis(args.target, err, { start: false }, async redis => {
    const stored = await storedSettings(redis)
    if (stored === undefined) { err('potiron: nothing to remove: this database holds no ingested data (no PARAMETERS)'); return EXIT.failed }
    const differ = differences(stored, args.given)
    if (differ.length > 0) { err(`potiron: these files were counted with other settings: ${differ.join('; ')}. Leave the options out to use the stored ones`); return EXIT.failed }
    // Counts are taken out as the databases that made them make them again: the same ones only.
    const enrich = await enrichmentFor(stored.fields, args.enrich ?? {})
    const other = enrich === undefined ? [] : await sameDatabases(redis, databasesOf(enrich))
    if (other.length > 0) { err(`potiron: these files were enriched with other databases: ${other.join('; ')}. Pass the ones they were counted with (--asn-db, --geoip-db)`); return EXIT.failed }
    const summary = await removeFiles(args.files, redis, {
      threads: args.threads, format: stored.format, combinedKeys: stored.combinedKeys, fields: stored.fields, selection: stored.selection, zone: stored.zone, filter: stored.filter, sensor: args.sensor, enrich,
      onFile: args.json ? undefined : (file, outcome, detail) => { err(outcomeLine(file, outcome, detail)) }
    })
    out(args.json ? JSON.stringify(summary) : formatRemoveSummary(summary))
    return summary.failed.length > 0 || summary.notIngested.length > 0 ? EXIT.failed : EXIT.ok
  })
}

export function formatRemoveSummary (s: RemoveSummary): string {
  const lines = [`files: ${s.removed} removed, ${s.notIngested.length} not in FILES (skipped), ${s.failed.length} failed`]
  for (const f of s.notIngested) lines.push(`  not in FILES: ${printable(f)}`)
  for (const f of s.failed) lines.push(`  failed: ${named(f)}`)
  lines.push(`packets: ${s.counted} taken back; members: ${s.members}; ${(s.elapsedMs / 1000).toFixed(2)} s`)
  return lines.join('\n')
}
