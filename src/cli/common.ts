/** Options and helpers shared by the commands that read captures. */
import type { Redis } from 'ioredis'
import type { Options } from 'yargs'
import type { Selection } from '../aggregate/analyzer.js'
import { ParameterConflictError, RedisUnreachableError, UsageError } from '../errors.js'
import { connect, type RedisTarget } from '../sink/redis.js'

export const captureOptions = {
  'ipv4-only': {
    type: 'boolean', default: false,
    description: "Count exactly what the original potiron counted: IPv4 packets (fields from the first IPv4 header) not sent to 255.255.255.255. Default: IPv4 and IPv6, fields from the outermost IP header"
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
 * Connects to `target`, runs `job`, disconnects. Redis unreachable or lost, or data stored with
 * other settings, becomes one line on stderr and exit status 1.
 */
export async function withRedis (target: RedisTarget, err: (line: string) => void, job: (redis: Redis) => Promise<number>): Promise<number> {
  let redis: Redis
  try {
    redis = await connect(target)
  } catch (e) {
    if (e instanceof RedisUnreachableError) { err(`potiron: ${e.message}`); return 1 }
    throw e
  }
  try {
    return await job(redis)
  } catch (e) {
    if (e instanceof RedisUnreachableError || e instanceof ParameterConflictError) { err(`potiron: ${e.message}`); return 1 }
    throw e
  } finally {
    redis.disconnect()
  }
}
