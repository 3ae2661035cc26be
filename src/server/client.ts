/**
 * The dashboard's Redis connection: long-lived and self-healing. Unlike the commands' one-shot
 * `connect` (src/store/connection.ts), it reconnects forever (every 0.2 s, backing off to 2 s), and
 * while it is down every command fails at once (no offline queue, one retry) so a page answers
 * 503 instead of hanging, and the next request after Redis returns just works.
 */
import type { Redis, RedisOptions } from 'ioredis'
import { TimedRedis } from '../redis-errors.js'
import { clientTarget, type RedisTarget } from '../store/connection.js'

/** A command unanswered this long fails with RedisTimeoutError (the page answers 503). */
const COMMAND_TIMEOUT_MS = 10_000

export function dashboardClient (target: RedisTarget, extra: RedisOptions = {}, commandTimeoutMs = COMMAND_TIMEOUT_MS): Redis {
  const options: RedisOptions = {
    lazyConnect: true,
    connectTimeout: 3000,
    enableOfflineQueue: false,
    maxRetriesPerRequest: 1,
    retryStrategy: times => Math.min(times * 200, 2000),
    ...extra
  }
  const redis = new TimedRedis(commandTimeoutMs, clientTarget(target), options)
  // Connection errors are seen through the commands that fail; without a listener ioredis reports them as unhandled.
  redis.on('error', () => {})
  return redis
}
