/**
 * CLEANUP (cleanup-script.ts) on a Redis Cluster, where a script cannot read keys of several
 * slots: the same rules, read with pipelines (store/cluster.ts cuts them by slot) and a SCAN of
 * every master, each change one single-key SREM.
 *
 * Not atomic, so an ingest that counts another file of the same day or protocol meanwhile could
 * have its day or protocol taken out: it adds them once its counts are in, and the read that
 * found the day without keys may come before its counts and the SREM after its SADD. So each
 * SREM is followed by the same read again, and what is in use by then is added back: any file
 * whose SADD came before the SREM had its counts in before it too, so the second read sees them.
 * What is accepted: readers may miss such a day or protocol for the moment between the two; a
 * day that a file in the same moment carries only in its name (no packet of that day) is kept
 * only if that file is in FILES by the second read; and a day or protocol re-added for the
 * counts of an ingest still running is listed before that file is counted.
 */
import type { Redis } from 'ioredis'
import type { Contribution } from './merge.js'
import type { Cleanup } from './cleanup-script.js'
import { exec } from './replies.js'
import { mastersOf } from './cluster.js'
import { namedDays } from './cleanup-script.js'
import { FILES, PROTOCOLS, combinedKey, daysKey, fieldKey } from './keys.js'

/** Reads per pipeline at most (as write.ts BATCH_SIZE). */
const BATCH_SIZE = 1000

/** Which of `owners` own a key of `keysOf(owner)` that exists, read in pipelined batches. */
async function existing (redis: Redis, owners: readonly string[], keysOf: (owner: string) => string[]): Promise<Set<string>> {
  const found = new Set<string>()
  const pairs = owners.flatMap(owner => keysOf(owner).map(key => [owner, key] as const))
  for (let i = 0; i < pairs.length; i += BATCH_SIZE) {
    const batch = pairs.slice(i, i + BATCH_SIZE).filter(([owner]) => !found.has(owner))
    const replies = await exec(batch.reduce((p, [, key]) => p.exists(key), redis.pipeline()))
    replies.forEach((exists, j) => { if (exists === 1) found.add(batch[j]![0]) })
  }
  return found
}

/** Takes `members` out of the set `key`, then adds back the ones `used` says are in use by then (see the module comment). */
async function dropUnused (redis: Redis, key: string, members: readonly string[], used: (members: readonly string[]) => Promise<string[]>): Promise<void> {
  if (members.length === 0) return
  await redis.srem(key, ...members)
  const back = await used(members)
  if (back.length > 0) await redis.sadd(key, ...back)
}

/** CLEANUP's work for `days` and `protocols` of the removed file `name`, as cleanUp in write.ts does on one Redis. */
export async function cleanUpBySlot (redis: Redis, name: string, c: Contribution, cleanup: Cleanup, days: readonly string[], protocols: readonly string[]): Promise<void> {
  const { fields, combinedKeys, sensorFromName } = cleanup
  const sensor = c.sensor
  const dayKeys = (all: readonly string[]) => (day: string): string[] => fields.flatMap(f => combinedKeys ? all.map(p => combinedKey(sensor, p, day, f)) : [fieldKey(sensor, day, f)])
  // Days still in use: one with a key, or named by a file still in FILES.
  const used = async (candidates: readonly string[]): Promise<string[]> => {
    const all = combinedKeys ? await redis.smembers(PROTOCOLS) : []
    const keyed = await existing(redis, candidates, dayKeys(all))
    const left = candidates.filter(day => !keyed.has(day))
    const named = left.length === 0 ? [] : namedDays(await redis.smembers(FILES), name, c, sensorFromName, left)
    return [...keyed, ...named].sort()
  }
  const kept = new Set(await used(days))
  await dropUnused(redis, daysKey(sensor), days.filter(day => !kept.has(day)), used)
  // Protocols last: whether one is still used is read from the days that remain.
  const inUse = async (candidates: readonly string[]): Promise<string[]> => {
    const out: string[] = []
    for (const p of candidates) if (await protocolUsed(redis, sensor, fields, p)) out.push(p)
    return out
  }
  const still = new Set(await inUse(protocols))
  await dropUnused(redis, PROTOCOLS, protocols.filter(p => !still.has(p)), inUse)
}

/**
 * Whether any key of protocol `p` exists: the sensor's remaining days first (cheap, usually
 * decisive), then a SCAN of every master for any sensor's key of it on any day.
 */
async function protocolUsed (redis: Redis, sensor: string, fields: readonly string[], p: string): Promise<boolean> {
  const days = await redis.smembers(daysKey(sensor))
  if ((await existing(redis, days, day => fields.map(f => combinedKey(sensor, p, day, f)))).size > 0) return true
  const pattern = combinedKey('*', p.replace(/[*?[\]\\]/g, '\\$&'), '[0-9]'.repeat(8), '*')
  for (const master of mastersOf(redis)) {
    let cursor = '0'
    do {
      const [next, keys] = await master.scan(cursor, 'MATCH', pattern, 'COUNT', 1000)
      if (keys.length > 0) return true
      cursor = next
    } while (cursor !== '0')
  }
  return false
}
