/**
 * The connection to Redis of the commands that read or write counts: where Redis is, connecting
 * with one readable line on failure, and how a lost or silent Redis is told and said.
 */
import { Redis, type ClusterOptions } from 'ioredis'
import { TimedCluster } from './cluster.js'
import { RedisClusterError, RedisFailoverError, RedisTimeoutError, RedisUnreachableError } from '../errors.js'
import { replyCode, TimedRedis } from '../redis-errors.js'
import { DEFAULTS } from '../config/defaults.js'

/**
 * Where Redis is: a URL (redis://host:port/db) or a unix socket path. `cluster`: the URL must be
 * a Redis Cluster node (`--cluster`); without it, connect asks the node.
 */
export type RedisTarget = { url: string, cluster?: true } | { socket: string }

/** What ioredis is given for `target`: the URL it parses, or the options naming the socket. */
export function clientTarget (target: RedisTarget): string | { path: string } {
  return 'url' in target ? target.url : { path: target.socket }
}

/**
 * How an address is named in messages: `unix:/path` for a socket (a $REDIS_URL that is a path
 * too: ioredis takes it as one), a URL as given, but never its password (in the user info, or a
 * `password=` query item), since messages go to terminals and logs.
 */
export function nameOf (target: RedisTarget): string {
  if ('socket' in target) return `unix:${target.socket}`
  if (target.url.startsWith('/')) {
    const [path, query] = target.url.split('?', 2)
    const rest = new URLSearchParams(query)
    rest.delete('password')
    return `unix:${path!}${rest.size > 0 ? `?${rest.toString()}` : ''}`
  }
  const url = URL.canParse(target.url) ? new URL(target.url) : undefined
  // Not a URL (ioredis reads `host:port` too): everything up to the last '@' may be a password.
  if (url === undefined) return target.url.replace(/^.*@/, '')
  if (url.password === '' && !url.searchParams.has('password')) return target.url
  url.password = ''
  url.searchParams.delete('password')
  return url.href
}

/**
 * How long a command may go unanswered before the run gives up on Redis: a server that hangs
 * without closing the connection (stopped, swapping) is then reported like a lost one.
 * `POTIRON_REDIS_TIMEOUT` seconds, default DEFAULTS.redisTimeoutSeconds (60): far above the EXEC of a 1M-member file (~2 s).
 */
export function commandTimeoutMs (env: NodeJS.ProcessEnv = process.env): number {
  const seconds = Number(env.POTIRON_REDIS_TIMEOUT)
  return (seconds > 0 ? seconds : DEFAULTS.redisTimeoutSeconds) * 1000
}

/** A command that got no answer within commandTimeoutMs (see TimedRedis, which raises it). */
export function isTimeout (err: unknown): err is RedisTimeoutError {
  return err instanceof RedisTimeoutError
}

/** How a failure that means Redis is gone is said: a timeout says how long it waited. */
export function redisLoss (err: unknown): string {
  if (err instanceof RedisFailoverError) return err.message
  const reason = isTimeout(err) ? `no answer within ${err.timeoutMs / 1000} s` : err instanceof Error ? err.message : String(err)
  return `lost the connection to Redis (${reason})`
}

/** False once ioredis has given up on the connection (potiron never lets it reconnect). */
export function connected (redis: Redis): boolean {
  return redis.status === 'ready' || redis.status === 'connect' || redis.status === 'connecting'
}

/**
 * Connects, or throws RedisUnreachableError with one readable line; no retries, no offline queue.
 * A node of a Redis Cluster gives a client of the whole cluster (store/cluster.ts), typed as one
 * Redis: `isCluster` tells them apart. The question costs no round trip of its own: `INFO
 * cluster` stands where a PING proved the server answers.
 */
export async function connect (target: RedisTarget, timeoutMs: number = DEFAULTS.redisConnectMs): Promise<Redis> {
  // Commands are timed by TimedRedis (a typed RedisTimeoutError), not ioredis's commandTimeout.
  const options = { lazyConnect: true, connectTimeout: timeoutMs, maxRetriesPerRequest: 0, enableOfflineQueue: false, retryStrategy: () => null }
  const redis = new TimedRedis(commandTimeoutMs(), clientTarget(target), options)
  // Without a listener, ioredis reports connection errors as unhandled 'error' events.
  redis.on('error', () => {})
  let cluster: boolean
  try {
    await redis.connect()
    cluster = await isClusterNode(redis)
  } catch (err) {
    redis.disconnect()
    const reason = err instanceof Error ? err.message : String(err)
    throw new RedisUnreachableError(`cannot reach Redis at ${nameOf(target)}: ${reason}`, { cause: err })
  }
  if (!cluster) {
    if (!('url' in target) || target.cluster !== true) return redis
    redis.disconnect()
    throw new RedisClusterError(`${nameOf(target)} is not a Redis Cluster node (--cluster): leave out --cluster to use it as one Redis`)
  }
  redis.disconnect()
  if ('socket' in target) throw new RedisClusterError(`${nameOf(target)} is a Redis Cluster node: give one of its addresses as --redis redis://HOST:PORT (a cluster's nodes are found by address, not by socket)`)
  const client = clusterClient(target.url, commandTimeoutMs(), { redisOptions: { connectTimeout: timeoutMs, maxRetriesPerRequest: 0 } })
  client.on('error', () => {})
  try {
    // A slot map ioredis cannot use (a master with no address in CLUSTER SLOTS: a lone node that
    // never met another, without cluster-announce-ip) leaves it waiting with nothing that keeps
    // Node alive: the process ended at once, exit 0, nothing said or written.
    let timer: NodeJS.Timeout | undefined
    const late = new Promise<never>((_resolve, reject) => { timer = setTimeout(() => { reject(new Error(`no usable slot map within ${timeoutMs / 1000} s (CLUSTER SLOTS must give each master's address: a node that gives none needs cluster-announce-ip)`)) }, timeoutMs) })
    await Promise.race([client.connect(), late]).finally(() => { clearTimeout(timer) })
  } catch (err) {
    client.disconnect()
    const reason = err instanceof Error ? err.message : String(err)
    throw new RedisUnreachableError(`cannot reach the Redis Cluster at ${nameOf(target)}: ${reason}`, { cause: err })
  }
  return client as unknown as Redis
}

/**
 * A client (not connected) of the cluster a node of which is at `url` (a cluster's nodes are
 * found by address, never by socket), with its credentials and TLS for every node; `options` over the commands'
 * settings (the dashboard's client reconnects instead, src/server/client.ts).
 * ioredis follows MOVED, ASK, TRYAGAIN and CLUSTERDOWN itself (a failover, a resharding),
 * within `maxRedirections` tries spaced by the retry delays: about 10 s before a command fails.
 */
export function clusterClient (url: string, timeoutMs: number, options: ClusterOptions = {}): TimedCluster {
  // ioredis parses the URL: a client never connected says what it names.
  const { host = '127.0.0.1', port = 6379, username, password, tls } = new Redis(url, { lazyConnect: true }).options
  return new TimedCluster(timeoutMs, [{ host, port }], {
    lazyConnect: true,
    enableOfflineQueue: true,
    clusterRetryStrategy: () => null,
    maxRedirections: 64,
    retryDelayOnFailover: 200,
    retryDelayOnClusterDown: 200,
    retryDelayOnTryAgain: 200,
    slotsRefreshTimeout: DEFAULTS.redisConnectMs,
    ...options,
    redisOptions: { ...(username === undefined ? {} : { username }), ...(password === undefined ? {} : { password }), ...(tls === undefined ? {} : { tls }), ...options.redisOptions }
  })
}

/**
 * Whether the server is a node of a Redis Cluster, from `INFO cluster`. A user whose ACL forbids
 * INFO (NOPERM) cannot tell: taken as a single Redis, as before the question was asked.
 */
async function isClusterNode (redis: Redis): Promise<boolean> {
  try {
    return clusterEnabled(await redis.info('cluster'))
  } catch (err) {
    if (replyCode(err) === 'NOPERM') return false
    throw err
  }
}

/**
 * `INFO cluster`'s answer → whether cluster mode is on (`cluster_enabled:1`). A Redis before 3.0
 * has no Cluster section, so answers none of it: not a cluster.
 */
export function clusterEnabled (info: string): boolean {
  return /^cluster_enabled:1\r?$/m.test(info)
}
