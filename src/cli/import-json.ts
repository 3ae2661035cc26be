/** `potiron import-json`: load JSON documents (`potiron json`, `ingest --json-out`, the original's -ej) into Redis. */
import { importFiles, type ImportSummary } from '../documents/import-json.js'
import { EXIT, command, type ExitStatus } from './command.js'
import { redisOptions, redisText, targetOf, withRedis, type CommandTarget, type RedisName } from './common.js'
import { expandPaths } from './files.js'
import { named, outcomeLine } from './progress.js'
import { ingestOptions } from './ingest.js'
import { STORED, givenSettingsOf, settingOptions, settingsFor } from './settings.js'
import type { StoredSettings } from '../store/parameters.js'

export interface ImportArgs {
  files: readonly string[]
  target: CommandTarget
  /** The settings given; the others are the database's (settingsFor). Never `fields`: the documents name theirs. */
  given: Partial<StoredSettings>
  json: boolean
}

/** Files as given, directories walked for `*.json`, anything else a glob; sorted, no duplicates. */
export async function expandJsonPaths (paths: readonly string[], warn: (line: string) => void): Promise<string[]> {
  return await expandPaths(paths, warn, { what: 'JSON documents', extensions: ['json'] })
}

/** Runs the import and prints its summary; returns the exit status. */
export async function importJson (args: ImportArgs, out: (text: string) => void, err: (text: string) => void): Promise<ExitStatus> {
  const onFile = args.json ? undefined : (file: string, outcome: string, detail: string) => { err(outcomeLine(file, outcome, detail)) }
  return await withRedis(args.target, err, { start: true }, async (redis, used) => {
    const { combinedKeys, selection, zone } = await settingsFor(redis, args.given, err, ['combinedKeys', 'selection', 'zone'])
    const summary = await importFiles(args.files, redis, { combinedKeys, selection, zone, onFile })
    out(args.json ? JSON.stringify(summary) : formatImportSummary(summary, used))
    return summary.failed.length > 0 ? EXIT.failed : EXIT.ok
  })
}

/** The run's summary; it ends naming the Redis written to (`used`), as ingest's does. */
export function formatImportSummary (s: ImportSummary, used: RedisName): string {
  const seconds = s.elapsedMs / 1000
  const lines = [`files: ${s.imported} imported, ${s.skipped} skipped (already in FILES), ${s.failed.length} failed`]
  for (const f of s.failed) lines.push(`  failed: ${named(f)}`)
  lines.push(`packets: ${s.documents}; members: ${s.members}; ${seconds.toFixed(2)} s`)
  lines.push(`redis: ${redisText(used)}`)
  return lines.join('\n')
}

export const importJsonCommand = command({
  usage: 'import-json <files..>',
  description: "Count JSON documents (potiron json, ingest --json-out) into Redis with ingest's rules; captures already counted are skipped",
  positionals: { files: { type: 'string', array: true, demandOption: true, description: 'JSON files, directories (searched for *.json) or glob patterns' } },
  options: {
    ...redisOptions('started if needed'),
    'combined-keys': settingOptions['combined-keys'],
    // The documents do not say how they were made: these record it in PARAMETERS, as ingest does.
    'ipv4-only': { type: 'boolean', description: `The documents were written with --ipv4-only (recorded in PARAMETERS, as by ingest --ipv4-only); ${STORED} not` },
    tz: { type: 'string', description: `The zone of the documents' timestamps (the --tz they were written with); ${STORED} UTC` },
    json: ingestOptions.json
  },
  examples: [['$0 import-json json/ --ipv4-only --unix /tmp/potiron.sock', 'Every *.json under json/, written by json --ipv4-only']],
  check: argv => ({
    paths: argv.files,
    settings: { target: targetOf(argv), given: givenSettingsOf(argv), json: argv.json }
  }),
  run: async ({ paths, settings }, io) => await importJson({ ...settings, files: await expandJsonPaths(paths, io.err) }, io.out, io.err)
})
