/** Options and helpers shared by the commands that read captures. */
import { resolve } from 'node:path'
import type { Redis } from 'ioredis'
import type { Options } from 'yargs'
import type { Selection } from '../aggregate/analyzer.js'
import { DEFAULTS } from '../config/defaults.js'
import { ParameterConflictError, RedisClusterError, RedisUnreachableError, RedisWriteError, UsageError } from '../errors.js'
import { compileFilter, FilterError } from '../filter/filter.js'
import { connect, connected, isTimeout, nameOf, redisLoss, type RedisTarget } from '../store/connection.js'
import { holdsPotironData } from '../store/read.js'
import { isCluster, mastersOf } from '../store/cluster.js'
import { plural } from '../plural.js'
import { EXIT, type ExitStatus } from './command.js'
import { commandLine } from './invocation.js'
import { printable } from './printable.js'
import { findOnPath, ping, redisDirOf, serverPaths, startServer } from '../redis-server/process.js'

/** What --ipv4-only does (its default is said apart: ingest's is the database's). */
export const IPV4_ONLY = 'Count exactly what the original potiron counted: IPv4 packets (fields from the first IPv4 header) not sent to 255.255.255.255'

/** What --filter does (ingest's default is said apart: the database's). */
export const FILTER = "Only the packets this pcap-filter expression (tcpdump's syntax) matches are counted (and written), e.g. 'tcp and dst port 22' (README, Filters: the primitives potiron knows)"

/** Checks a --filter expression by compiling it: '' is none; a mistake is a UsageError saying where. */
export function filterOf (text: string): string {
  if (text.trim() === '') return ''
  try {
    compileFilter(text)
  } catch (err) {
    if (err instanceof FilterError) throw new UsageError(`--filter '${text}': ${err.message}`)
    throw err
  }
  return text
}

export const captureOptions = {
  filter: { type: 'string', description: FILTER },
  'ipv4-only': { type: 'boolean', default: false, description: `${IPV4_ONLY}. Default: IPv4 and IPv6, fields from the outermost IP header` },
  tz: { type: 'string', description: 'IANA time zone for days (e.g. Europe/Luxembourg); default UTC' },
  sensor: { type: 'string', description: 'Sensor name for every file, instead of the one in the file name (prefix-sensor-instance-YYYYMMDDhhmmss.ext)' }
} as const satisfies Record<string, Options>

export function selectionOf (argv: { 'ipv4-only': boolean }): Selection {
  return argv['ipv4-only'] ? 'ipv4-only' : 'default'
}

/** --filter as given (checked), undefined without one. */
export function givenFilterOf (argv: { filter?: string | undefined }): string | undefined {
  const filter = argv.filter === undefined ? '' : filterOf(argv.filter)
  return filter === '' ? undefined : filter
}

/** `{ filter }` with one, `{}` without: options objects name a filter only when there is one. */
export function withFilter (filter: string | undefined): { filter?: string } {
  return filter === undefined ? {} : { filter }
}

/** Checks --tz up front so a typo is a usage error, not one error per file. */
export function zoneOf (argv: { tz?: string | undefined }): string | undefined {
  const zone = argv.tz
  if (zone === undefined) return undefined
  try {
    new Intl.DateTimeFormat('en-US', { timeZone: zone }).format(0)
  } catch {
    throw new UsageError(`--tz: unknown time zone '${zone}' (use an IANA name such as UTC or Europe/Luxembourg)`)
  }
  return zone
}

/**
 * Connects to `target` (see openRedis), names the Redis used on stderr (and says when the other
 * one potiron could have used holds the data instead), runs `job` with that name and the address
 * connected to (for connections of other clients: BullMQ's), disconnects.
 * Redis unreachable or lost, or data stored with other settings, becomes one line on stderr and
 * exit status 1.
 */
export async function withRedis (target: CommandTarget, err: (line: string) => void, own: { start: boolean }, job: (redis: Redis, used: RedisName, target: RedisTarget) => Promise<ExitStatus>): Promise<ExitStatus> {
  const opened = await openRedis(target, err, own)
  if (opened === undefined) return EXIT.failed
  const { redis } = opened
  try {
    const used = redisNameOf(opened.target)
    err(`potiron: redis ${redisText(used)}${clusterText(isCluster(redis) ? mastersOf(redis).length : undefined)}`)
    const elsewhere = await dataElsewhere(opened)
    if (elsewhere !== undefined) err(`potiron: ${printable(elsewhere)}`)
    return await job(redis, used, opened.target)
  } catch (e) {
    if (e instanceof RedisUnreachableError || e instanceof ParameterConflictError || e instanceof RedisWriteError) { err(`potiron: ${e.message}`); return EXIT.failed }
    // A timeout, or any other failure once the connection is gone, is that loss, whatever ioredis called it.
    if (isTimeout(e) || !connected(redis)) { err(`potiron: ${redisLoss(e)}`); return EXIT.failed }
    throw e
  } finally {
    redis.disconnect()
  }
}

/** What the line naming the Redis adds for a cluster of `masters` masters (none for one Redis). */
export function clusterText (masters: number | undefined): string {
  return masters === undefined ? '' : ` (a Redis Cluster of ${plural(masters, 'master')})`
}

/** The Redis a command uses, as the user can pass it again: `unix:/path`, or its URL without password (nameOf). */
export interface RedisName {
  address: string
  /** True for potiron's own redis-server (`potiron redis start`). */
  own: boolean
}

export function redisNameOf (target: RedisTarget, env: NodeJS.ProcessEnv = process.env): RedisName {
  return { address: nameOf(target), own: isOwn(target, env) }
}

/** How a command names the Redis it uses, once, on stderr (and ingest at the end of its summary): `unix:/…/redis.sock (potiron's own)`. */
export function redisText (name: RedisName): string {
  return `${printable(name.address)}${name.own ? " (potiron's own)" : ''}`
}

/** Whether `target` is potiron's own redis-server (its socket, however it was reached). */
function isOwn (target: RedisTarget, env: NodeJS.ProcessEnv): boolean {
  return 'socket' in target && resolve(target.socket) === resolve(serverPaths(redisDirOf(env)).socket)
}

/**
 * When the database used holds no potiron data but the other one a user may have meant does
 * (potiron's own redis-server, or the default Redis when potiron's own is used): the line that
 * says so and how to choose it. Two servers, each thought to be "the" Redis, are how a user ends
 * up reading an empty one.
 */
export async function dataElsewhere ({ redis, target, fellBack }: Opened, env: NodeJS.ProcessEnv = process.env): Promise<string | undefined> {
  if (await holdsPotironData(redis)) return undefined
  if (!isOwn(target, env)) {
    const socket = serverPaths(redisDirOf(env)).socket
    if (!await holdsDataAt({ socket })) return undefined
    return `this database holds no potiron data, but potiron's own redis-server (${nameOf({ socket })}) does: pass --unix ${socket} to use it`
  }
  // potiron's own, used because the default did not answer: there is nothing there to point to.
  if (fellBack) return undefined
  const other = addressOf({ fallback: true }, env)
  if (!await holdsDataAt(other)) return undefined
  return `this database holds no potiron data, but the default Redis (${nameOf(other)}) does: leave out --unix to use it`
}

/** Whether the Redis at `target` answers and holds potiron data; false when it cannot tell, since a hint is no reason to fail. */
async function holdsDataAt (target: RedisTarget): Promise<boolean> {
  try {
    const redis = await connect(target)
    try {
      return await holdsPotironData(redis)
    } finally {
      redis.disconnect()
    }
  } catch {
    return false
  }
}

/** --redis and --unix; `own` says what happens with potiron's own redis-server when the default is down. */
export function redisOptions (own: string) {
  return {
    redis: { type: 'string', description: `Redis URL (default $REDIS_URL or ${DEFAULTS.redisUrl}; when that default is down, potiron's own redis-server, ${own})` },
    unix: { type: 'string', description: 'Redis unix socket path, instead of --redis' },
    cluster: { type: 'boolean', description: 'The address is a node of a Redis Cluster: refuse it if not (without it, potiron asks the node and uses the whole cluster when it is one)' }
  } as const satisfies Record<string, Options>
}

/**
 * --redis / --unix → where to connect; both flags at once is a usage error. Pure: the default
 * address ($REDIS_URL) is read when connecting (addressOf), not here.
 */
export function targetOf (argv: { redis?: string | undefined, unix?: string | undefined, cluster?: boolean | undefined }): CommandTarget {
  if (argv.redis !== undefined && argv.unix !== undefined) throw new UsageError('--redis and --unix are exclusive: name one (e.g. --unix /run/redis/potiron.sock)')
  if (argv.unix !== undefined) {
    if (argv.cluster === true) throw new UsageError('--cluster: a Redis Cluster is reached by the address of one of its nodes: give --redis redis://HOST:PORT, not --unix')
    return { socket: argv.unix }
  }
  const cluster = argv.cluster === true ? { cluster: true as const } : {}
  if (argv.redis !== undefined) return { url: redisUrlOf(argv.redis), ...cluster }
  return { fallback: true, ...cluster }
}

/**
 * targetOf's inverse: the flags that name `target`, for a hint to run another command on the same
 * Redis. A URL's password is not repeated (hints end up in logs): PASSWORD stands in its place.
 */
export function targetArgs (target: CommandTarget): string[] {
  if ('socket' in target) return ['--unix', target.socket]
  if (!('url' in target)) return target.cluster === true ? ['--cluster'] : []
  if (target.cluster === true) return [...targetArgs({ url: target.url }), '--cluster']
  const url = URL.canParse(target.url) ? new URL(target.url) : undefined
  if (url === undefined || url.password === '') return ['--redis', target.url]
  url.password = 'PASSWORD'
  return ['--redis', url.href]
}

/**
 * `--redis` must be a Redis URL: ioredis takes anything (`notaurl` as a host name, `http://x`
 * as host `http`), and the mistake then shows as a connection that fails ("Connection is
 * closed."). Said with its password hidden.
 */
function redisUrlOf (text: string): string {
  let url: URL | undefined
  try {
    url = new URL(text)
  } catch {}
  if (url !== undefined && ['redis:', 'rediss:'].includes(url.protocol) && url.hostname !== '' && /^\/?\d*$/.test(url.pathname) && url.search === '' && url.hash === '') return text
  const shown = text.replace(/\/\/[^/@]*@/, '//***@')
  throw new UsageError(`--redis: '${shown}' is not a Redis URL: expected redis://[:password@]host[:port][/db] (rediss:// for TLS), or --unix SOCKET for a unix socket`)
}

/** An address given, or `fallback`: the default one, which may fall back to potiron's own redis-server. */
export type CommandTarget = RedisTarget | { fallback: true, cluster?: true }

/** The address to connect to: the default is `$REDIS_URL`, else DEFAULTS.redisUrl. */
export function addressOf (target: CommandTarget, env: NodeJS.ProcessEnv = process.env): RedisTarget {
  if (!('fallback' in target)) return target
  return { url: env.REDIS_URL ?? DEFAULTS.redisUrl, ...(target.cluster === true ? { cluster: true as const } : {}) }
}

/** A connection made by openRedis: where to, and whether the default fell back to potiron's own. */
export interface Opened {
  redis: Redis
  target: RedisTarget
  fellBack: boolean
}

/**
 * Connects, printing one line on failure (addresses escaped: they come from the command line).
 * Only the default connection falls back to potiron's own redis-server: writers start it if
 * needed (`start`), readers use it when it runs. An address the user gave that does not answer
 * is a mistake to report, not to paper over; so is a node of a Redis Cluster, the default too.
 */
export async function openRedis (target: CommandTarget, err: (text: string) => void, { start }: { start: boolean }, env: NodeJS.ProcessEnv = process.env): Promise<Opened | undefined> {
  const given = addressOf(target, env)
  try {
    return { redis: await connect(given), target: given, fellBack: false }
  } catch (e) {
    // A cluster node answers: it is refused wherever its address came from, never passed over for potiron's own.
    if (e instanceof RedisClusterError) { err(`potiron: ${printable(e.message)}`); return undefined }
    if (!(e instanceof RedisUnreachableError)) throw e
    // --cluster: potiron's own redis-server is no cluster to fall back to.
    if (!('fallback' in target) || target.cluster === true) { err(`potiron: ${printable(e.message)}`); return undefined }
    // The default address down is the expected case here: its socket error adds nothing.
    const address = printable(nameOf(given))
    const where = `cannot reach Redis at ${address}`
    const dir = redisDirOf(env)
    const own = { socket: serverPaths(dir).socket }
    // The socket is named by the line withRedis prints next.
    if (!start) {
      if (await ownServerSocket(env) === undefined) { err(`potiron: ${where}, and potiron's own redis-server (${printable(nameOf(own))}) is not running: pass --redis URL / --unix SOCKET, or '${commandLine(['redis', 'start'])}'`); return undefined }
      err(`potiron: no Redis at ${address}; using potiron's own redis-server`)
      return { redis: await connect(own), target: own, fellBack: true }
    }
    const server = findOnPath('redis-server', env)
    if (server === undefined) {
      err(`potiron: ${where} and redis-server is not on PATH to start potiron's own: install redis-server (apt-get install redis-server) or pass --redis URL / --unix SOCKET`)
      return undefined
    }
    try {
      const { already } = await startServer(dir, { server })
      const redis = await connect(own)
      err(`potiron: no Redis at ${address}; ${already ? 'using' : 'started'} potiron's own redis-server (data in ${dir}); stop it with '${commandLine(['redis', 'stop'])}'`)
      return { redis, target: own, fellBack: true }
    } catch (e2) {
      err(`potiron: ${where}, and potiron's own redis-server (data in ${dir}) could not be used: ${e2 instanceof Error ? e2.message : String(e2)}`)
      return undefined
    }
  }
}

/** The socket of potiron's own redis-server when it runs (and answers), else undefined. */
export async function ownServerSocket (env: NodeJS.ProcessEnv = process.env): Promise<string | undefined> {
  const { socket } = serverPaths(redisDirOf(env))
  return await ping(socket) === 'pong' ? socket : undefined
}

/** The line of a command that does not work on a Redis Cluster (`bench --redis`). */
export function notYetOnCluster (command: string): string {
  return `potiron ${command} does not work on a cluster yet, only on a single Redis; give --redis URL or --unix SOCKET of one`
}
