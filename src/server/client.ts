/**
 * The dashboard's Redis connection: long-lived and self-healing. Unlike the commands' one-shot
 * `connect` (src/store/connection.ts), it reconnects forever (every 0.2 s, backing off to 2 s), and
 * while it is down every command fails at once (no offline queue, one retry) so a page answers
 * 503 instead of hanging, and the next request after Redis returns just works. A cluster node's
 * address gives a client of the whole cluster (store/connection.ts clusterClient), typed as one
 * Redis, that does the same.
 */
import type { Redis, RedisOptions } from 'ioredis'
import { TimedRedis } from '../redis-errors.js'
import { clientTarget, clusterClient, type RedisTarget } from '../store/connection.js'

/** A command unanswered this long fails with RedisTimeoutError (the page answers 503). */
const COMMAND_TIMEOUT_MS = 10_000

/** `cluster`: the address is a cluster node's (serve asked it); a socket never is. */
export function dashboardClient (target: RedisTarget, extra: RedisOptions = {}, commandTimeoutMs = COMMAND_TIMEOUT_MS, { cluster = false } = {}): Redis {
  const retry = (times: number): number => Math.min(times * 200, 2000)
  const node: RedisOptions = { connectTimeout: 3000, maxRetriesPerRequest: 1, ...extra }
  const redis = cluster && 'url' in target
    ? clusterClient(target.url, commandTimeoutMs, { enableOfflineQueue: false, clusterRetryStrategy: retry, redisOptions: node }) as unknown as Redis
    : new TimedRedis(commandTimeoutMs, clientTarget(target), { lazyConnect: true, enableOfflineQueue: false, retryStrategy: retry, ...node })
  // Connection errors are seen through the commands that fail; without a listener ioredis reports them as unhandled.
  redis.on('error', () => {})
  return redis
}
