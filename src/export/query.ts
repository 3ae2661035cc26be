/**
 * Reads potiron's statistics back out of Redis for the exports, the charts and the dashboard.
 * Everything is bounded: sensors come from one SCAN for `*_DAYS` sets (never KEYS), days from a
 * sensor's day set, top-N is cut by Redis (ZREVRANGE / ZRANGE BYSCORE LIMIT), and several keys
 * (a month, or every protocol of combined keys) are first added up by ZUNIONSTORE into a
 * short-lived key, so no reader ever pulls a whole sorted set.
 */
import { randomUUID } from 'node:crypto'
import type { Redis } from 'ioredis'
import { FIELDS as FIELD_NAMES } from '../aggregate/fields.js'
import { JSON_FIELDS, PARAMETERS, PROTOCOLS, combinedKey, daysKey, fieldKey } from '../sink/keys.js'

/** What the stored data looks like: its fields, and whether counts are split by protocol. */
export interface Layout {
  fields: string[]
  combined: boolean
  /** Protocol names in PROTOCOLS (combined keys only), sorted. */
  protocols: string[]
}

export interface Row {
  value: string
  count: number
}

export async function readLayout (redis: Redis): Promise<Layout> {
  const [fields, ck, protocols] = await Promise.all([
    redis.lrange(JSON_FIELDS, 0, -1),
    redis.hget(PARAMETERS, 'ck'),
    redis.smembers(PROTOCOLS)
  ])
  // Data written by a run without JSON_FIELDS (none of potiron's) still has potiron's field names.
  return { fields: fields.length > 0 ? fields : [...FIELD_NAMES], combined: ck === 'True', protocols: protocols.sort() }
}

/** Every sensor with a day set, sorted: one SCAN over the keyspace, matching `*_DAYS` sets only. */
export async function findSensors (redis: Redis): Promise<string[]> {
  const found = new Set<string>()
  let cursor = '0'
  do {
    const [next, keys] = await redis.scan(cursor, 'MATCH', '*_DAYS', 'COUNT', 1000, 'TYPE', 'set')
    for (const key of keys) found.add(key.slice(0, -'_DAYS'.length))
    cursor = next
  } while (cursor !== '0')
  return [...found].sort()
}

/** The days (YYYYMMDD) a sensor has data for, ascending; only those starting with `prefix` (e.g. `202403`). */
export async function sensorDays (redis: Redis, sensor: string, prefix = ''): Promise<string[]> {
  return (await redis.smembers(daysKey(sensor))).filter(d => d.startsWith(prefix)).sort()
}

/**
 * The keys that hold one field's counts for one day: the day key, or with combined keys the
 * key of `protocol`, or (no protocol) the keys of every protocol, whose sum is the day's total.
 */
export function dayKeys (layout: Layout, sensor: string, ymd: string, field: string, protocol?: string): string[] {
  if (!layout.combined) return [fieldKey(sensor, ymd, field)]
  const protocols = protocol === undefined ? layout.protocols : [protocol]
  return protocols.map(p => combinedKey(sensor, p, ymd, field))
}

/** Descending count, then value in byte order: the order Redis itself keeps ties in. */
export function byCount (a: Row, b: Row): number {
  return b.count - a.count || (a.value < b.value ? -1 : a.value > b.value ? 1 : 0)
}

/**
 * The `limit` values with the highest counts in the sum of `keys`, leaving out `skip`; ties in
 * count are ordered by value, so the cut is the same whatever order Redis sent them in.
 */
export async function topValues (redis: Redis, keys: readonly string[], limit: number, skip: ReadonlySet<string> = new Set()): Promise<Row[]> {
  if (keys.length === 0 || limit <= 0) return []
  if (keys.length === 1) return await topOfKey(redis, keys[0]!, limit, skip)
  return await withUnion(redis, keys, async key => await topOfKey(redis, key, limit, skip))
}

async function topOfKey (redis: Redis, key: string, limit: number, skip: ReadonlySet<string>): Promise<Row[]> {
  // Every skipped value could be among the first ones: read that many more.
  const want = limit + skip.size
  const head = pairs(await redis.zrevrange(key, 0, want - 1, 'WITHSCORES'))
  let rows = head
  if (head.length === want) {
    // Values tied with the last one read may go on past the cut: take those that come first by
    // value (ZRANGE BYSCORE orders ties by value, ascending), so the cut does not depend on Redis's reverse order.
    const last = head[head.length - 1]!.count
    const above = head.filter(r => r.count > last)
    const tied = await redis.zrangebyscore(key, last, last, 'LIMIT', 0, want - above.length)
    rows = [...above, ...tied.map(value => ({ value, count: last }))]
  }
  return rows.sort(byCount).filter(r => !skip.has(r.value)).slice(0, limit)
}

/** Sums `keys` into a temporary key (gone after a minute whatever happens), runs `job` on it, deletes it. */
async function withUnion<T> (redis: Redis, keys: readonly string[], job: (key: string) => Promise<T>): Promise<T> {
  const tmp = `potiron:tmp:${randomUUID()}`
  await redis.multi().zunionstore(tmp, keys.length, ...keys).pexpire(tmp, 60_000).exec()
  try {
    return await job(tmp)
  } finally {
    await redis.unlink(tmp)
  }
}

/**
 * Counts of `values` in each group of keys: result[g][v] is the sum over `groups[g]` of the
 * score of `values[v]` (0 when absent). One pipelined ZMSCORE per key.
 */
export async function scoresOf (redis: Redis, groups: ReadonlyArray<readonly string[]>, values: readonly string[]): Promise<number[][]> {
  const result = groups.map(() => new Array<number>(values.length).fill(0))
  if (values.length === 0) return result
  const pipeline = redis.pipeline()
  for (const keys of groups) for (const key of keys) pipeline.zmscore(key, ...values)
  const replies = (await pipeline.exec()) ?? []
  let i = 0
  groups.forEach((keys, g) => {
    const sums = result[g]!
    for (let k = 0; k < keys.length; k++) {
      const [error, reply] = replies[i++]!
      if (error !== null) throw error
      const scores = reply as Array<string | null>
      for (let v = 0; v < values.length; v++) if (scores[v] !== null) sums[v]! += Number(scores[v])
    }
  })
  return result
}

function pairs (flat: readonly string[]): Row[] {
  const rows: Row[] = []
  for (let i = 0; i + 1 < flat.length; i += 2) rows.push({ value: flat[i]!, count: Number(flat[i + 1]) })
  return rows
}
