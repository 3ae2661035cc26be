/** `potiron import-json`: load JSON documents (`potiron json`, `ingest --json-out`, the original's -ej) into Redis. */
import type { Argv } from 'yargs'
import { DEFAULTS } from '../config/defaults.js'
import { importFiles, type ImportSummary } from '../documents/import-json.js'
import { redisOptions, selectionOf, targetOf, withRedis, zoneOf, type CommandTarget } from './common.js'
import { expandPaths } from './files.js'
import { named, outcomeLine } from './progress.js'
import { ingestOptions } from './ingest.js'
import type { Io } from './main.js'

export interface ImportArgs {
  files: readonly string[]
  target: CommandTarget
  combined: boolean
  ipv4Only: boolean
  zone: string | undefined
  json: boolean
}

/** Files as given, directories walked for `*.json`, anything else a glob; sorted, no duplicates. */
export async function expandJsonPaths (paths: readonly string[], warn: (line: string) => void): Promise<string[]> {
  return await expandPaths(paths, warn, { what: 'JSON documents', extensions: ['json'] })
}

/** Runs the import and prints its summary; returns the exit status. */
export async function importJson (args: ImportArgs, out: (text: string) => void, err: (text: string) => void): Promise<number> {
  const options = {
    combined: args.combined, selection: args.ipv4Only ? 'ipv4-only' as const : 'default' as const, zone: args.zone ?? DEFAULTS.zone,
    onFile: args.json ? undefined : (file: string, outcome: string, detail: string) => { err(outcomeLine(file, outcome, detail)) }
  }
  return await withRedis(args.target, err, { start: true }, async redis => {
    const summary = await importFiles(args.files, redis, options)
    out(args.json ? JSON.stringify(summary) : formatImportSummary(summary))
    return summary.failed.length > 0 ? 1 : 0
  })
}

export function formatImportSummary (s: ImportSummary): string {
  const seconds = s.elapsedMs / 1000
  const lines = [`files: ${s.imported} imported, ${s.skipped} skipped (already in FILES), ${s.failed.length} failed`]
  for (const f of s.failed) lines.push(`  failed: ${named(f)}`)
  lines.push(`packets: ${s.documents}; members: ${s.members}; ${seconds.toFixed(2)} s`)
  return lines.join('\n')
}

export const IMPORT_JSON_DESCRIPTION = "Count JSON documents (potiron json, ingest --json-out) into Redis with ingest's rules; captures already counted are skipped"

export function importJsonBuilder (y: Argv) {
  return y.positional('files', { type: 'string', array: true, demandOption: true, description: 'JSON files, directories (searched for *.json) or glob patterns' })
    .options({
      ...redisOptions('started if needed'),
      'combined-keys': ingestOptions['combined-keys'],
      // The documents do not say how they were made: these record it in PARAMETERS, as ingest does.
      'ipv4-only': { type: 'boolean', default: false, description: 'The documents were written with --ipv4-only (recorded in PARAMETERS, as by ingest --ipv4-only)' },
      tz: { type: 'string', description: "The zone of the documents' timestamps (the --tz they were written with); default UTC" },
      json: ingestOptions.json
    } as const)
    .example('$0 import-json json/ --unix /run/redis/potiron.sock --ipv4-only', 'Every *.json under json/, written by potiron json --ipv4-only')
}

/** The command's handler body: arguments in, exit status out. */
export async function importJsonMain (args: Awaited<ReturnType<typeof importJsonBuilder>['argv']>, io: Io): Promise<number> {
  const target = targetOf(args)
  const files = await expandJsonPaths(args.files, io.err)
  return await importJson({
    files, target, combined: args['combined-keys'],
    ipv4Only: selectionOf(args) === 'ipv4-only', zone: zoneOf(args), json: args.json
  }, io.out, io.err)
}
