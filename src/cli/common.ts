/** Options and helpers shared by the commands that read captures. */
import type { Redis } from 'ioredis'
import type { Options } from 'yargs'
import type { Selection } from '../aggregate/analyzer.js'
import { DEFAULTS } from '../config/defaults.js'
import { ParameterConflictError, RedisUnreachableError, RedisWriteError, UsageError } from '../errors.js'
import { connect, connected, isTimeout, redisLoss, type RedisTarget } from '../store/connection.js'
import { EXIT, type ExitStatus } from './command.js'
import { commandLine } from './invocation.js'
import { findOnPath, ping, redisDirOf, serverPaths, startServer } from '../redis-server/process.js'

export const captureOptions = {
  'ipv4-only': {
    type: 'boolean', default: false,
    description: 'Count exactly what the original potiron counted: IPv4 packets (fields from the first IPv4 header) not sent to 255.255.255.255. Default: IPv4 and IPv6, fields from the outermost IP header'
  },
  tz: { type: 'string', description: 'IANA time zone for days (e.g. Europe/Luxembourg); default UTC' },
  sensor: { type: 'string', description: 'Sensor name for every file, instead of the one in the file name (prefix-sensor-instance-YYYYMMDDhhmmss.ext)' }
} as const satisfies Record<string, Options>

export function selectionOf (argv: { 'ipv4-only': boolean }): Selection {
  return argv['ipv4-only'] ? 'ipv4-only' : 'default'
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
 * Connects to `target` (see openRedis), runs `job`, disconnects. Redis unreachable or lost, or
 * data stored with other settings, becomes one line on stderr and exit status 1.
 */
export async function withRedis (target: CommandTarget, err: (line: string) => void, own: { start: boolean }, job: (redis: Redis) => Promise<ExitStatus>): Promise<ExitStatus> {
  const redis = await openRedis(target, err, own)
  if (redis === undefined) return EXIT.failed
  try {
    return await job(redis)
  } catch (e) {
    if (e instanceof RedisUnreachableError || e instanceof ParameterConflictError || e instanceof RedisWriteError) { err(`potiron: ${e.message}`); return EXIT.failed }
    // A timeout, or any other failure once the connection is gone, is that loss, whatever ioredis called it.
    if (isTimeout(e) || !connected(redis)) { err(`potiron: ${redisLoss(e)}`); return EXIT.failed }
    throw e
  } finally {
    redis.disconnect()
  }
}

/** --redis and --unix; `own` says what happens with potiron's own redis-server when the default is down. */
export function redisOptions (own: string) {
  return {
    redis: { type: 'string', description: `Redis URL (default $REDIS_URL or ${DEFAULTS.redisUrl}; when that default is down, potiron's own redis-server, ${own})` },
    unix: { type: 'string', description: 'Redis unix socket path, instead of --redis' }
  } as const satisfies Record<string, Options>
}

/**
 * --redis / --unix → where to connect; both flags at once is a usage error. Pure: the default
 * address ($REDIS_URL) is read when connecting (addressOf), not here.
 */
export function targetOf (argv: { redis?: string | undefined, unix?: string | undefined }): CommandTarget {
  if (argv.redis !== undefined && argv.unix !== undefined) throw new UsageError('--redis and --unix are exclusive: name one (e.g. --unix /run/redis/potiron.sock)')
  if (argv.unix !== undefined) return { socket: argv.unix }
  if (argv.redis !== undefined) return { url: redisUrlOf(argv.redis) }
  return { fallback: true }
}

/**
 * targetOf's inverse: the flags that name `target`, for a hint to run another command on the same
 * Redis. A URL's password is not repeated (hints end up in logs): PASSWORD stands in its place.
 */
export function targetArgs (target: CommandTarget): string[] {
  if ('socket' in target) return ['--unix', target.socket]
  if (!('url' in target)) return []
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
export type CommandTarget = RedisTarget | { fallback: true }

/** The address to connect to: the default is `$REDIS_URL`, else DEFAULTS.redisUrl. */
export function addressOf (target: CommandTarget, env: NodeJS.ProcessEnv = process.env): RedisTarget {
  return 'fallback' in target ? { url: env.REDIS_URL ?? DEFAULTS.redisUrl } : target
}

/**
 * Connects, printing one line on failure. Only the default connection falls back to potiron's
 * own redis-server: writers start it if needed (`start`), readers use it when it runs. An address
 * the user gave that does not answer is a mistake to report, not to paper over.
 */
export async function openRedis (target: CommandTarget, err: (text: string) => void, { start }: { start: boolean }, env: NodeJS.ProcessEnv = process.env): Promise<Redis | undefined> {
  const given = addressOf(target, env)
  try {
    return await connect(given)
  } catch (e) {
    if (!(e instanceof RedisUnreachableError)) throw e
    if (!('fallback' in target)) { err(`potiron: ${e.message}`); return undefined }
    // The default address down is the expected case here: its socket error adds nothing.
    const address = 'url' in given ? given.url : given.socket
    const where = `cannot reach Redis at ${address}`
    const dir = redisDirOf(env)
    if (!start) {
      const socket = await ownServerSocket(env)
      if (socket === undefined) { err(`potiron: ${where}, and potiron's own redis-server (${serverPaths(dir).socket}) is not running: pass --redis URL / --unix SOCKET, or '${commandLine(['redis', 'start'])}'`); return undefined }
      err(`potiron: no Redis at ${address}; using potiron's own redis-server on ${socket}`)
      return await connect({ socket })
    }
    const server = findOnPath('redis-server', env)
    if (server === undefined) {
      err(`potiron: ${where} and redis-server is not on PATH to start potiron's own: install redis-server (apt-get install redis-server) or pass --redis URL / --unix SOCKET`)
      return undefined
    }
    try {
      const { already, paths } = await startServer(dir, { server })
      const redis = await connect({ socket: paths.socket })
      err(`potiron: no Redis at ${address}; ${already ? 'using' : 'started'} potiron's own redis-server on ${paths.socket} (data in ${dir}); stop it with '${commandLine(['redis', 'stop'])}'`)
      return redis
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
