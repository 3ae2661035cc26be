/** `potiron ingest`: count captures into Redis in the original potiron's V3 layout. */
import { stat } from 'node:fs/promises'
import type { Redis } from 'ioredis'
import type { Options } from 'yargs'
import { FIELDS, type FieldName } from '../aggregate/fields.js'
import { UsageError } from '../errors.js'
import { ingestFiles, type IngestSummary } from '../coordinator/run.js'
import { ParameterConflictError, RedisUnreachableError } from '../errors.js'
import { ensureParameters } from '../sink/parameters.js'
import { connect, type RedisTarget } from '../sink/redis.js'
import { findOnPath, redisDirOf, startServer } from '../sink/server.js'
import { createProgress, type ProgressMode } from './progress.js'
import type { Selection } from '../aggregate/analyzer.js'

export const DEFAULT_REDIS_URL = 'redis://127.0.0.1:6379'

export const ingestOptions = {
  redis: { type: 'string', description: `Redis URL (default $REDIS_URL or ${DEFAULT_REDIS_URL}; when that default is down, potiron's own redis-server, started if needed)` },
  unix: { type: 'string', description: 'Redis unix socket path, instead of --redis' },
  threads: { type: 'number', description: 'Worker threads (default: one per core)' },
  'combined-keys': { type: 'boolean', default: false, description: 'Also split counts per protocol: <sensor>:<proto>:<day>:<field> keys (the original\'s -ck)' },
  fields: { type: 'string', description: `Comma-separated fields to count (default all: ${FIELDS.join(',')})` },
  json: { type: 'boolean', default: false, description: 'Print the summary as JSON' },
  'json-out': { type: 'string', description: "Also write each capture's JSON documents under this directory while it is parsed (as `potiron json --out`)" },
  quiet: { type: 'boolean', default: false, description: 'No progress: only errors and the final summary' },
  force: { type: 'boolean', default: false, description: 'Count files already in FILES again: their earlier counts are taken out in the same transaction' }
} as const satisfies Record<string, Options>

/** `fallback`: the default connection, which may fall back to potiron's own redis-server. */
export type IngestTarget = RedisTarget & { fallback?: true }

export interface IngestArgs {
  files: readonly string[]
  target: IngestTarget
  threads: number | undefined
  combined: boolean
  fields: readonly FieldName[]
  selection: Selection
  zone: string | undefined
  sensor: string | undefined
  json: boolean
  quiet?: boolean | undefined
  /** Also write each capture's JSON documents under this directory (`--json-out`). */
  jsonOut?: string | undefined
  /** Count files already in FILES again (`--force`). */
  force?: boolean | undefined
  /** Draw progress bars (default: when stderr is a terminal). */
  tty?: boolean | undefined
}

/** --redis / --unix / $REDIS_URL → where to connect; both flags at once is a usage error. */
export function targetOf (argv: { redis?: string | undefined, unix?: string | undefined }, env: NodeJS.ProcessEnv = process.env): IngestTarget {
  if (argv.redis !== undefined && argv.unix !== undefined) throw new UsageError('--redis and --unix are exclusive: name one (e.g. --unix /run/redis/potiron.sock)')
  if (argv.unix !== undefined) return { socket: argv.unix }
  if (argv.redis !== undefined) return { url: argv.redis }
  return { url: env.REDIS_URL ?? DEFAULT_REDIS_URL, fallback: true }
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
export async function ingest (args: IngestArgs, out: (text: string) => void, err: (text: string) => void, env: NodeJS.ProcessEnv = process.env): Promise<number> {
  const redis = await open(args.target, err, env)
  if (redis === undefined) return 1
  try {
    await ensureParameters(redis, { combined: args.combined, fields: args.fields, selection: args.selection, zone: args.zone ?? 'UTC' })
    const mode: ProgressMode = args.quiet === true ? 'quiet' : (args.tty ?? process.stderr.isTTY === true) ? 'tty' : 'lines'
    const progress = createProgress({ mode, files: await sizesOf(args.files, mode), write: err })
    let summary
    try {
      summary = await ingestFiles(args.files, redis, {
        threads: args.threads, combined: args.combined, fields: args.fields, selection: args.selection, zone: args.zone, sensor: args.sensor, jsonOut: args.jsonOut, force: args.force,
        onFile: progress.onFile
      })
    } finally {
      progress.stop()
    }
    out(args.json ? JSON.stringify(summary) : formatSummary(summary))
    return summary.failed.length > 0 ? 1 : 0
  } catch (e) {
    if (e instanceof ParameterConflictError || e instanceof RedisUnreachableError) { err(`potiron: ${e.message}`); return 1 }
    throw e
  } finally {
    redis.disconnect()
  }
}

/**
 * Connects, printing one line on failure. Only the default connection falls back to potiron's
 * own redis-server (started if needed): an address the user gave that does not answer is a mistake
 * to report, not to paper over.
 */
async function open (target: IngestTarget, err: (text: string) => void, env: NodeJS.ProcessEnv): Promise<Redis | undefined> {
  try {
    return await connect(target)
  } catch (e) {
    if (!(e instanceof RedisUnreachableError)) throw e
    if (target.fallback !== true) { err(`potiron: ${e.message}`); return undefined }
    // The default address down is the expected case here: its socket error adds nothing.
    const address = 'url' in target ? target.url : target.socket
    const where = `cannot reach Redis at ${address}`
    const server = findOnPath('redis-server', env)
    if (server === undefined) {
      err(`potiron: ${where} and redis-server is not on PATH to start potiron's own: install redis-server (apt-get install redis-server) or pass --redis URL / --unix SOCKET`)
      return undefined
    }
    const dir = redisDirOf(env)
    try {
      const { already, paths } = await startServer(dir, { server })
      const redis = await connect({ socket: paths.socket })
      err(`potiron: no Redis at ${address}; ${already ? 'using' : 'started'} potiron's own redis-server on ${paths.socket} (data in ${dir}); stop it with 'potiron redis stop'`)
      return redis
    } catch (e2) {
      err(`potiron: ${where}, and potiron's own redis-server (data in ${dir}) could not be used: ${e2 instanceof Error ? e2.message : String(e2)}`)
      return undefined
    }
  }
}

/** File sizes for the progress ETA; 0 when unknown (the file's own error comes later). */
async function sizesOf (files: readonly string[], mode: ProgressMode): Promise<Map<string, number>> {
  if (mode === 'quiet') return new Map(files.map(f => [f, 0]))
  return new Map(await Promise.all(files.map(async f => [f, await stat(f).then(s => s.size, () => 0)] as const)))
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
