/**
 * The fields the dashboard's overview shows, kept in Redis as the original's web UI kept them
 * (ENFIELDS). No ENFIELDS at all means every field: Redis keeps no empty set.
 */
import type { Redis } from 'ioredis'
import { ENFIELDS } from './keys.js'

/** The fields stored as shown; empty when none were chosen (every field is shown). */
export async function readShownFields (redis: Redis): Promise<string[]> {
  return await redis.smembers(ENFIELDS)
}

/** Shows exactly `chosen` (at least one) of `fields`: SADD the chosen, SREM the others, in one MULTI. */
export async function writeShownFields (redis: Redis, chosen: readonly string[], fields: readonly string[]): Promise<void> {
  const others = fields.filter(f => !chosen.includes(f))
  const multi = redis.multi().sadd(ENFIELDS, ...chosen)
  if (others.length > 0) multi.srem(ENFIELDS, ...others)
  await multi.exec()
}
