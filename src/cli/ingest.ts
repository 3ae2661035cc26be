/** `potiron ingest`: count captures into Redis in the original potiron's V3 layout. */
import type { Options } from 'yargs'
import { FIELDS, type FieldName } from '../aggregate/fields.js'
import { UsageError } from '../errors.js'
import { ingestFiles, type IngestSummary } from '../coordinator/run.js'
import { ParameterConflictError, RedisUnreachableError } from '../errors.js'
import { ensureParameters } from '../sink/parameters.js'
import { connect, type RedisTarget } from '../sink/redis.js'
import type { Selection } from '../aggregate/analyzer.js'

export const DEFAULT_REDIS_URL = 'redis://127.0.0.1:6379'

export const ingestOptions = {
  redis: { type: 'string', description: `Redis URL (default $REDIS_URL or ${DEFAULT_REDIS_URL})` },
  unix: { type: 'string', description: 'Redis unix socket path, instead of --redis' },
  threads: { type: 'number', description: 'Worker threads (default: one per core)' },
  'combined-keys': { type: 'boolean', default: false, description: 'Also split counts per protocol: <sensor>:<proto>:<day>:<field> keys (the original\'s -ck)' },
  fields: { type: 'string', description: `Comma-separated fields to count (default all: ${FIELDS.join(',')})` },
  json: { type: 'boolean', default: false, description: 'Print the summary as JSON' }
} as const satisfies Record<string, Options>

export interface IngestArgs {
  files: readonly string[]
  target: RedisTarget
  threads: number | undefined
  combined: boolean
  fields: readonly FieldName[]
  selection: Selection
  zone: string | undefined
  sensor: string | undefined
  json: boolean
}

/** --redis / --unix / $REDIS_URL → where to connect; both flags at once is a usage error. */
export function targetOf (argv: { redis?: string | undefined, unix?: string | undefined }, env: NodeJS.ProcessEnv = process.env): RedisTarget {
  if (argv.redis !== undefined && argv.unix !== undefined) throw new UsageError('--redis and --unix are exclusive: name one (e.g. --unix /run/redis/potiron.sock)')
  if (argv.unix !== undefined) return { socket: argv.unix }
  return { url: argv.redis ?? env.REDIS_URL ?? DEFAULT_REDIS_URL }
}

export function threadsOf (argv: { threads?: number | undefined }): number | undefined {
  const n = argv.threads
  if (n !== undefined && !(Number.isInteger(n) && n >= 1 && n <= 1024)) throw new UsageError(`--threads: expected a whole number from 1 to 1024, got ${String(n)}`)
  return n
}

/** Parses `--fields dport,ipsrc`, keeping potiron's field order. */
export function fieldsOf (argv: { fields?: string | undefined }): readonly FieldName[] {
  if (argv.fields === undefined) return FIELDS
  const wanted = new Set(argv.fields.split(',').map(s => s.trim()).filter(s => s !== ''))
  for (const name of wanted) {
    if (!(FIELDS as readonly string[]).includes(name)) throw new UsageError(`--fields: unknown field '${name}'; choose from ${FIELDS.join(',')}`)
  }
  if (wanted.size === 0) throw new UsageError(`--fields: name at least one of ${FIELDS.join(',')}`)
  return FIELDS.filter(f => wanted.has(f))
}

/** Runs the ingest and prints its summary; returns the exit status. */
export async function ingest (args: IngestArgs, out: (text: string) => void, err: (text: string) => void): Promise<number> {
  let redis
  try {
    redis = await connect(args.target)
  } catch (e) {
    if (e instanceof RedisUnreachableError) { err(`potiron: ${e.message}`); return 1 }
    throw e
  }
  try {
    await ensureParameters(redis, { combined: args.combined, fields: args.fields, selection: args.selection, zone: args.zone ?? 'UTC' })
    const summary = await ingestFiles(args.files, redis, {
      threads: args.threads, combined: args.combined, fields: args.fields, selection: args.selection, zone: args.zone, sensor: args.sensor,
      onFile: args.json ? undefined : (file, outcome, detail) => { err(`${file}: ${outcome}: ${detail}`) }
    })
    out(args.json ? JSON.stringify(summary) : formatSummary(summary))
    return summary.failed.length > 0 ? 1 : 0
  } catch (e) {
    if (e instanceof ParameterConflictError) { err(`potiron: ${e.message}`); return 1 }
    throw e
  } finally {
    redis.disconnect()
  }
}

export function formatSummary (s: IngestSummary): string {
  const seconds = s.elapsedMs / 1000
  const rate = seconds > 0 ? Math.round(s.packets / seconds) : 0
  const lines = [`files: ${s.ingested} ingested, ${s.skipped} skipped (already in FILES), ${s.failed.length} failed`]
  // Reasons usually start with the file name already (capture errors do).
  const named = (f: { file: string, reason: string }): string => f.reason.startsWith(f.file) ? f.reason : `${f.file}: ${f.reason}`
  for (const f of s.failed) lines.push(`  failed: ${named(f)}`)
  for (const w of s.warnings) lines.push(`  warning: ${named(w)}`)
  lines.push(`packets: ${s.packets} read, ${s.counted} counted; members: ${s.members}; ${seconds.toFixed(2)} s, ${rate} packets/s`)
  return lines.join('\n')
}
