/**
 * `potiron bench`: parse throughput on the user's own captures, per thread count, what limits
 * it, reference tools on the same sample, and how long all of PATH would take and how many Redis
 * cores it needs (docs/bench.md). It never writes into a database that holds data: by default a
 * private redis-server of its own, started and stopped here; an address given only when its
 * database is empty, the keys written deleted after; or no Redis at all (--no-redis).
 */
import { mkdtemp, rm, stat, writeFile } from 'node:fs/promises'
import { availableParallelism, cpus, tmpdir } from 'node:os'
import { dirname, join } from 'node:path'
import type { Redis } from 'ioredis'
import type { Options } from 'yargs'
import { isEnrichField, PACKET_FIELDS, type FieldName } from '../aggregate/fields.js'
import { sensorOf } from '../capture/filename.js'
import { RedisClusterError, RedisUnreachableError, UsageError } from '../errors.js'
import { benchPage } from '../export/bench-page.js'
import { ASSETS, writeAssets } from '../export/page.js'
import { findOnPath, startPrivateServer, type PrivateServer } from '../redis-server/process.js'
import { analyzeOptions, phaseRun, threadRows, type BenchSettings, type SampleFile, type ThreadRow } from '../sizing/measure.js'
import { defaultThreads, parseSize, parseThreads, pickSample } from '../sizing/projection.js'
import { referenceRows } from '../sizing/references.js'
import { benchReport, formatReport, type BenchReport, type RedisUse } from '../sizing/report.js'
import { connect, nameOf, type RedisTarget } from '../store/connection.js'
import { EXIT, command, type ExitStatus, type Io } from './command.js'
import { notYetOnCluster, targetOf } from './common.js'
import { isCluster } from '../store/cluster.js'
import { FILES_POSITIONAL, expandPaths } from './files.js'
import { printable } from './printable.js'
import { fieldsOf } from './settings.js'
import { plural } from '../plural.js'

/** The sensor of every file when the sample's names do not all say theirs. */
export const BENCH_SENSOR = 'potiron-bench'

const benchOptions = {
  threads: { type: 'string', requiresArg: true, defaultDescription: '1, 2, 4... up to one per core', description: 'Thread counts to measure, comma-separated; max is one per core (e.g. 1,2,4,max)' },
  redis: { type: 'string', description: 'Measure the writes into this Redis URL, only if its database is empty (DBSIZE 0); the keys written are deleted after. Default: a private redis-server started for the run and stopped after. --no-redis: measure the parse alone, never connect' },
  unix: { type: 'string', description: 'As --redis, a unix socket path' },
  sample: { type: 'string', requiresArg: true, default: '1GB', description: 'Measure on whole files adding up to this size on disk (1GB, 500MB, 2GiB), taken evenly across PATH; all of them when PATH holds less' },
  fields: { type: 'string', description: `Comma-separated fields to count (default: the original's, ${PACKET_FIELDS.join(', ')})` },
  'combined-keys': { type: 'boolean', default: false, description: 'Count per protocol (<sensor>:<proto>:<day>:<field> keys), as ingest --combined-keys' },
  sensor: { type: 'string', description: `Sensor of every file (default: from each name; ${BENCH_SENSOR} when the sample's names do not all say theirs)` },
  references: { type: 'boolean', default: true, description: 'Also time tshark (extracting potiron\'s fields) and tcpdump -r over the sample, when installed; --no-references skips them' },
  json: { type: 'boolean', default: false, description: 'Print the report as one JSON object' },
  html: { type: 'string', requiresArg: true, description: 'Also write a Plotly chart of throughput against threads to this HTML file (its assets/ beside it)' }
} as const satisfies Record<string, Options>

export interface BenchArgs {
  paths: string[]
  threads: number[]
  /** Where the ingests write: a private server, an address (an empty database), or none. */
  redis: { mode: 'private' } | { mode: 'given', target: RedisTarget } | { mode: 'none' }
  sample: number
  fields: readonly FieldName[]
  combinedKeys: boolean
  sensor: string | undefined
  references: boolean
  json: boolean
  html: string | undefined
}

export const benchCommand = command({
  usage: 'bench <files..>',
  description: 'Measure parse and ingest throughput on your own captures per thread count, what limits it, tshark and tcpdump beside it, and project the time and Redis cores for all of them',
  positionals: { files: FILES_POSITIONAL },
  options: benchOptions,
  examples: [
    ['$0 bench /archive/2024/ --sample 2GB --threads 1,2,4,max', 'Sizes a backfill of /archive/2024 from 2 GB of its captures'],
    ['$0 bench fixtures/captures/ --threads 1,2 --no-redis --json', 'The parse alone, as JSON'],
    ['$0 bench captures/ --redis redis://db/15 --html bench.html', "Redis measured on the backfill's server (empty database 15), and a chart"]
  ],
  check: argv => benchArgsOf(argv),
  run: async (args, io) => await bench(args, io)
})

/** The command line to BenchArgs (pure). */
export function benchArgsOf (argv: { files: string[], threads?: string | undefined, redis?: string | undefined, unix?: string | undefined, sample: string, fields?: string | undefined, 'combined-keys': boolean, sensor?: string | undefined, references: boolean, json: boolean, html?: string | undefined }, cores: number = availableParallelism()): BenchArgs {
  const threads = argv.threads === undefined ? defaultThreads(cores) : parseThreads(argv.threads, cores)
  if (threads === undefined) throw new UsageError(`--threads: expected thread counts from 1 to 1024 or max, comma-separated (e.g. 1,2,4,max), got '${argv.threads ?? ''}'`)
  const sample = parseSize(argv.sample)
  if (sample === undefined) throw new UsageError(`--sample: expected a size such as 1GB, 500MB or 2GiB, got '${argv.sample}'`)
  const fields = argv.fields === undefined ? PACKET_FIELDS : fieldsOf(argv.fields)
  if (fields.some(isEnrichField)) throw new UsageError(`--fields: bench measures the packet fields; leave out ${fields.filter(isEnrichField).join(',')} (enrichment looks up each file's addresses once, after aggregation)`)
  // yargs reads --no-redis as `redis: false`.
  const noRedis = (argv.redis as unknown) === false
  if (noRedis && argv.unix !== undefined) throw new UsageError('--no-redis and --unix: --no-redis measures the parse alone, leave out --unix (or --no-redis)')
  const redis: BenchArgs['redis'] = noRedis
    ? { mode: 'none' }
    : argv.redis === undefined && argv.unix === undefined ? { mode: 'private' } : { mode: 'given', target: targetOf(argv) as RedisTarget }
  return { paths: argv.files, threads, redis, sample, fields, combinedKeys: argv['combined-keys'], sensor: argv.sensor, references: argv.references, json: argv.json, html: argv.html }
}

export async function bench (args: BenchArgs, io: Io, env: NodeJS.ProcessEnv = process.env): Promise<ExitStatus> {
  const files = await expandPaths(args.paths, io.err)
  const sizes = await Promise.all(files.map(async f => await stat(f).then(s => s.size, () => undefined)))
  const readable: SampleFile[] = []
  for (const [i, file] of files.entries()) {
    const size = sizes[i]
    if (size === undefined) io.err(`potiron: warning: ${printable(file)}: cannot be read; left out`)
    else readable.push({ file, size })
  }
  if (readable.length === 0) { io.err('potiron: no capture file could be read'); return EXIT.failed }
  const sample = pickSample(readable.map(f => f.size), args.sample).map(i => readable[i]!)
  const named = sample.every(f => !(sensorOf(f.file, undefined) instanceof Error))
  const settings: BenchSettings = { fields: args.fields, combinedKeys: args.combinedKeys, sensor: args.sensor ?? (named ? undefined : BENCH_SENSOR) }
  const db = await openDatabase(args.redis, io, env)
  if (db === undefined) return EXIT.failed
  let report: BenchReport
  let rows: ThreadRow[] = []
  try {
    if (db.redis !== undefined && args.redis.mode === 'given') {
      const keys = await db.redis.dbsize()
      if (keys > 0) throw new UsageError(`${printable(nameOf(args.redis.target))} holds ${keys} ${keys === 1 ? 'key' : 'keys'}: bench writes only into an empty database (DBSIZE 0). Name an empty one (e.g. redis://host:6379/15), leave out --redis/--unix for a private redis-server, or --no-redis`)
    }
    const { phases, workerRss, files: phaseFiles, bytes: phaseBytes } = await phaseRun(sample, analyzeOptions(settings))
    rows = await threadRows(sample, args.threads, settings, phases, db.redis)
    const references = args.references ? await referenceRows(sample.map(f => f.file), args.fields, env) : []
    const redisUse: RedisUse = args.redis.mode === 'given' ? { mode: 'given', address: nameOf(args.redis.target), keysAfter: await db.redis!.dbsize() } : args.redis
    const list = cpus()
    report = benchReport({
      machine: { node: process.version, cpu: list[0]?.model.trim() ?? 'unknown CPU', cores: list.length },
      redis: redisUse,
      fields: args.fields,
      combinedKeys: args.combinedKeys,
      sensor: settings.sensor,
      total: { files: readable.length, bytes: readable.reduce((a, f) => a + f.size, 0) },
      sample: { files: sample.length, bytes: sample.reduce((a, f) => a + f.size, 0) },
      phases,
      phaseSample: { files: phaseFiles, bytes: phaseBytes },
      workerRss,
      rows,
      references
    })
  } finally {
    await db.close()
  }
  io.out(args.json ? JSON.stringify(report) : formatReport(report))
  // The same files fail at every thread count: said once, each with its reason.
  const failed = new Map(rows.flatMap(r => r.ingest?.failed ?? []).map(f => [f.file, f.reason]))
  if (failed.size > 0) io.err(`potiron: warning: the ingest failed ${failed.size} of the sample's ${plural(sample.length, 'file')}, as 'potiron ingest' would:`)
  for (const [file, reason] of failed) io.err(`  ${printable(file)}: ${printable(reason)}`)
  if (args.html !== undefined) {
    await writeAssets(join(dirname(args.html), ASSETS))
    await writeFile(args.html, benchPage(
      report.threads.map(t => ({ threads: t.threads, parse: t.diskMbPerSecond, ingest: t.ingest?.diskMbPerSecond ?? null })),
      report.references.map(r => ({ tool: r.tool, diskMbPerSecond: r.diskMbPerSecond })),
      [`Redis: ${report.redis.note}`, `Sample: ${report.sample.files} of ${report.path.files} capture files, ${report.sample.bytes} of ${report.path.bytes} bytes on disk`]))
    io.err(`potiron: wrote ${printable(args.html)}`)
  }
  return EXIT.ok
}

interface Database {
  redis: Redis | undefined
  close: () => Promise<void>
}

/**
 * The database the ingests write to: none (--no-redis never connects), a private redis-server
 * in a temporary directory (stopped and removed by `close`), or the address given. Undefined,
 * said in one line, when it cannot be had.
 */
async function openDatabase (use: BenchArgs['redis'], io: Io, env: NodeJS.ProcessEnv): Promise<Database | undefined> {
  if (use.mode === 'none') return { redis: undefined, close: async () => {} }
  if (use.mode === 'given') {
    try {
      const redis = await connect(use.target)
      if (isCluster(redis)) {
        redis.disconnect()
        io.err(`potiron: ${printable(nameOf(use.target))} is a Redis Cluster node: ${notYetOnCluster('bench --redis')}`)
        return undefined
      }
      return { redis, close: () => { redis.disconnect(); return Promise.resolve() } }
    } catch (e) {
      if (e instanceof RedisUnreachableError || e instanceof RedisClusterError) { io.err(`potiron: ${printable(e.message)}`); return undefined }
      throw e
    }
  }
  const server = findOnPath('redis-server', env)
  if (server === undefined) {
    io.err('potiron: redis-server is not on PATH, and bench writes into a private one of its own: install redis-server (apt-get install redis-server), pass --redis URL / --unix SOCKET of an empty database, or --no-redis')
    return undefined
  }
  const dir = await mkdtemp(join(tmpdir(), 'potiron-bench-'))
  let started: PrivateServer | undefined
  try {
    started = await startPrivateServer(dir, server)
    const own = started
    const redis = await connect({ socket: own.socket })
    return {
      redis,
      close: async () => {
        redis.disconnect()
        await own.stop()
        await rm(dir, { recursive: true, force: true })
      }
    }
  } catch (e) {
    await started?.stop()
    await rm(dir, { recursive: true, force: true })
    io.err(`potiron: could not start a private redis-server: ${e instanceof Error ? e.message : String(e)}`)
    return undefined
  }
}
