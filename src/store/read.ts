/**
 * Reads potiron's statistics back out of Redis for the exports, the charts and the dashboard.
 * Everything is bounded: sensors come from one SCAN for `*_DAYS` sets (never KEYS), days from a
 * sensor's day set, top-N of one key is cut by Redis (ZREVRANGE / ZRANGE BYSCORE LIMIT), and
 * the top-N of a sum of keys (a month, or every protocol of combined keys) is proven from the
 * keys' heads (topOf), never built in Redis. Nothing writes.
 */
import type { Redis } from 'ioredis'
import { UsageError } from '../errors.js'
import { FIELDS as FIELD_NAMES, byBytes } from '../aggregate/fields.js'
import { ASN_NAMES, DAYS_KEY_PATTERN, FILES, JSON_FIELDS, PARAMETERS, PROTOCOLS, combinedKey, daysKey, fieldKey, sensorOfDaysKey } from './keys.js'
import { storedCombined } from './parameters.js'
import { mastersOf } from './cluster.js'
import { exec } from './replies.js'

/** What the stored data looks like: its fields, and whether counts are split by protocol. */
export interface Layout {
  fields: string[]
  combinedKeys: boolean
  /** Protocol names in PROTOCOLS (combined keys only), sorted. */
  protocols: string[]
}

export interface Row {
  value: string
  count: number
}

export async function readLayout (redis: Redis): Promise<Layout> {
  const [fields, combinedKeys, protocols] = await Promise.all([
    redis.lrange(JSON_FIELDS, 0, -1),
    storedCombined(redis),
    redis.smembers(PROTOCOLS)
  ])
  // Data written by a run without JSON_FIELDS (none of potiron's) still has potiron's field names.
  return { fields: fields.length > 0 ? fields : [...FIELD_NAMES], combinedKeys, protocols: protocols.sort() }
}

/** A field the export is asked for must be one the data has. */
export function checkField (layout: Layout, field: string): void {
  if (!layout.fields.includes(field)) throw new UsageError(`field '${field}' is not in the data (fields: ${layout.fields.join(', ')})`)
}

/**
 * Whether potiron (or the original) ever counted into this database: every run's first write,
 * PARAMETERS, JSON_FIELDS or FILES, is there. One EXISTS: a database of someone else's millions
 * of keys is never scanned to find out.
 */
export async function holdsPotironData (redis: Redis): Promise<boolean> {
  // One key a command: on a cluster the three lie in three slots.
  const found = await exec(redis.pipeline().exists(PARAMETERS).exists(JSON_FIELDS).exists(FILES))
  return found.some(n => n === 1)
}

/** Every sensor with a day set, sorted: one SCAN over the keyspace, matching `*_DAYS` sets only. */
export async function findSensors (redis: Redis): Promise<string[]> {
  const found = new Set<string>()
  // A cluster: every master holds some of the keyspace.
  for (const node of mastersOf(redis)) {
    let cursor = '0'
    do {
      const [next, keys] = await node.scan(cursor, 'MATCH', DAYS_KEY_PATTERN, 'COUNT', 1000, 'TYPE', 'set')
      for (const key of keys) found.add(sensorOfDaysKey(key))
      cursor = next
    } while (cursor !== '0')
  }
  return [...found].sort()
}

/** Whether `sensor` has a day set (data, or had some). */
export async function hasSensor (redis: Redis, sensor: string): Promise<boolean> {
  return await redis.exists(daysKey(sensor)) === 1
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
  if (!layout.combinedKeys) return [fieldKey(sensor, ymd, field)]
  const protocols = protocol === undefined ? layout.protocols : [protocol]
  return protocols.map(p => combinedKey(sensor, p, ymd, field))
}

/** How values of equal count are ordered (aggregate/fields.ts valueOrder). */
export type ValueOrder = (a: string, b: string) => number

/** Descending count, then value in `order` (default byte order: the order Redis itself keeps ties in). */
export function byCount (order: ValueOrder = byBytes): (a: Row, b: Row) => number {
  return (a, b) => b.count - a.count || order(a.value, b.value)
}

/** A top-N: its rows, and whether it is proven complete. */
export interface Top {
  rows: Row[]
  /**
   * Undefined when the rows are the exact top-N. Otherwise only values among the first
   * LIST_CAP of some key were summed (every count shown is exact), and a value left out could
   * total at most this many packets: a row may be missing when it is at least the last count.
   */
  missingAtMost?: number
}

export interface TopOptions {
  /** Read every member of every key when nothing less proves the top (memory grows with them). */
  exact?: boolean | undefined
  /**
   * Order of values of equal count (default: byte order). Another order (by number) makes the
   * cut of one key look further than the values Redis lists first (see tiedByNumber).
   */
  order?: ValueOrder | undefined
  /** LIST_CAP and FULL_READ_LIMIT, for tests. */
  listCap?: number
  fullReadLimit?: number
}

/** Most members read from the head of one key while looking for a proof. */
export const LIST_CAP = 8192
/** Keys holding at most this many members in all are read whole when the heads prove nothing. */
export const FULL_READ_LIMIT = 4_000_000
const CHUNK = 10_000
/** Values tied at the cut of one key read whole, by number, when there are at most this many. */
const TIES_READ = 1000
/**
 * Past TIES_READ, ties by number are looked for among the numbers of 1 to PROBE_DIGITS digits
 * (1,001 values, `-1` included, one ZMSCORE each length), the smallest first; when fewer are found
 * than the cut takes, every tied value is read up to TIE_READ_CAP, more than any port, length,
 * TTL or protocol key holds (65,536 values and the sentinel). Past it (a `tcpseq` key of millions
 * of single packets) the cut takes the first in byte order, as Redis lists them.
 */
const PROBE_DIGITS = 3
export const TIE_READ_CAP = 65_537

/**
 * Top-N of a sum of sorted sets without building the sum in Redis: ZUNIONSTORE costs Redis
 * ~11 µs a member here (72 s, blocking, for the 6.6M members of eight days of tcpseq:
 * bench/RESULTS.md). Fagin's threshold rule instead: read the first K members of each key; a
 * value read nowhere totals at most T, the sum of each key's K-th count; once the N-th best
 * exact sum of the values read beats T, no other value can enter. Skewed fields (ports,
 * addresses, protocols) are settled by the first round. Otherwise keys holding at most
 * `fullReadLimit` members in all are read whole, in chunks; larger ones get rounds with K ×8 up
 * to LIST_CAP, and past it an answer whose counts are exact and which says how far it holds.
 */
export async function topOf (redis: Redis, keys: readonly string[], limit: number, skip: ReadonlySet<string> = new Set(), options: TopOptions = {}): Promise<Top> {
  if (keys.length === 0 || limit <= 0) return { rows: [] }
  const byRank = byCount(options.order)
  if (keys.length === 1) return { rows: await topOfKey(redis, keys[0]!, limit, skip, options.order) }
  const { listCap = LIST_CAP, fullReadLimit = FULL_READ_LIMIT } = options
  let k = Math.min(listCap, Math.max(64, 4 * (limit + skip.size)))
  let members: number | undefined
  for (;;) {
    const round = await headsRound(redis, keys, k, limit, skip, byRank)
    if (round.missingAtMost === undefined) return { rows: round.rows }
    if (options.exact === true) return { rows: await readWhole(redis, keys, limit, skip, byRank) }
    // The key sizes matter only when reading them whole is allowed at all (the dashboard: never).
    if (fullReadLimit > 0) {
      members ??= (await exec(keys.reduce((p, key) => p.zcard(key), redis.pipeline()))).reduce((a: number, b) => a + (b as number), 0)
      if (members <= fullReadLimit) return { rows: await readWhole(redis, keys, limit, skip, byRank) }
    }
    if (k >= listCap) return round
    k = Math.min(listCap, k * 8)
  }
}

/** `read`: the keys (ascending) whose first members held this value. */
interface Candidate { value: string, sum: number, most: number, read: number[] }

/** Values whose exact sums are asked for at a time, best upper bound first. */
const BATCH = 2000

/**
 * One round of the threshold rule with the first `k` members of each key. Exact sums are asked
 * for lazily, best upper bound first, and only until the answer is decided: proven (the N-th
 * exact sum beats T and every upper bound left), or out of reach (nothing left can beat T).
 */
async function headsRound (redis: Redis, keys: readonly string[], k: number, limit: number, skip: ReadonlySet<string>, byRank: (a: Row, b: Row) => number): Promise<Top> {
  const heads = (await exec(keys.reduce((p, key) => p.zrevrange(key, 0, k - 1, 'WITHSCORES'), redis.pipeline()))).map(r => pairs(r as string[]))
  // The most an unread member of each key can count: its K-th count, or 0 once the key is read whole.
  const unread = heads.map(rows => rows.length < k ? 0 : rows[rows.length - 1]!.count)
  const bound = unread.reduce((a, b) => a + b, 0)
  // Per value: the sum over the keys where it was read (a lower bound), and the most it can total.
  const known = new Map<string, Candidate>()
  heads.forEach((rows, d) => {
    for (const { value, count } of rows) {
      if (skip.has(value)) continue
      let c = known.get(value)
      if (c === undefined) known.set(value, (c = { value, sum: 0, most: bound, read: [] }))
      c.sum += count
      c.most += count - unread[d]!
      c.read.push(d)
    }
  })
  const order = [...known.values()].sort((a, b) => b.most - a.most)
  let rows: Row[] = []
  for (let i = 0; ; i += BATCH) {
    const batch = order.slice(i, i + BATCH)
    await completeSums(redis, keys, batch, unread)
    // Sums are final once exact: only the best N so far can stay in the answer.
    rows = [...rows, ...batch.map(c => ({ value: c.value, count: c.sum }))].sort(byRank).slice(0, limit)
    const last = rows.length === limit ? rows[limit - 1]!.count : 0
    // The most a candidate not yet summed can total (0: none left), and any value not summed at all.
    const next = order[i + BATCH]?.most ?? 0
    const rest = Math.max(next, bound)
    if (last > rest || rest === 0) return { rows }
    // Summing more can raise the N-th best sum to `next` at most: if that cannot beat T, stop here.
    if (Math.max(last, next) <= bound) return { rows, missingAtMost: rest }
  }
}

/** Makes the candidates' sums exact: ZMSCORE on every key that still had members unread where they were not read. */
async function completeSums (redis: Redis, keys: readonly string[], candidates: readonly Candidate[], unread: readonly number[]): Promise<void> {
  const ask: Candidate[][] = keys.map(() => [])
  for (const c of candidates) {
    // c.read is ascending: walked along with d, not searched for each key.
    let r = 0
    unread.forEach((u, d) => {
      if (c.read[r] === d) r++
      else if (u > 0) ask[d]!.push(c)
    })
  }
  // In commands of CHUNK values: one reply stays small, and an argument list never overflows the stack.
  const asked: Candidate[][] = []
  const pipeline = redis.pipeline()
  ask.forEach((some, d) => {
    for (let i = 0; i < some.length; i += CHUNK) {
      const chunk = some.slice(i, i + CHUNK)
      pipeline.zmscore(keys[d]!, ...chunk.map(c => c.value))
      asked.push(chunk)
    }
  })
  const replies = await exec(pipeline)
  asked.forEach((chunk, r) => {
    const scores = replies[r] as Array<string | null>
    chunk.forEach((c, i) => { if (scores[i] !== null) c.sum += Number(scores[i]) })
  })
}

/** Every member of every key, read in chunks (Redis is never busy long), summed here. */
async function readWhole (redis: Redis, keys: readonly string[], limit: number, skip: ReadonlySet<string>, byRank: (a: Row, b: Row) => number): Promise<Row[]> {
  const sums = new Map<string, number>()
  for (const key of keys) {
    for (let start = 0; ; start += CHUNK) {
      const rows = pairs(await redis.zrange(key, start, start + CHUNK - 1, 'WITHSCORES'))
      for (const { value, count } of rows) if (!skip.has(value)) sums.set(value, (sums.get(value) ?? 0) + count)
      if (rows.length < CHUNK) break
    }
  }
  return firstOf(sums, limit, byRank)
}

/**
 * The first `limit` of `sums` in `byRank`, without ordering all of them by value: the cut's
 * count is found by counts alone, then only the values at or above it are ranked (a month of
 * `tcpseq` sums millions of values; by number, ranking them all doubled a report's sort time).
 */
function firstOf (sums: ReadonlyMap<string, number>, limit: number, byRank: (a: Row, b: Row) => number): Row[] {
  let cut = -Infinity
  if (sums.size > limit) {
    const counts = Float64Array.from(sums.values()).sort()
    cut = counts[counts.length - limit]!
  }
  const rows: Row[] = []
  for (const [value, count] of sums) if (count >= cut) rows.push({ value, count })
  return rows.sort(byRank).slice(0, limit)
}

async function topOfKey (redis: Redis, key: string, limit: number, skip: ReadonlySet<string>, order?: ValueOrder): Promise<Row[]> {
  // Every skipped value could be among the first ones: read that many more.
  const want = limit + skip.size
  const head = pairs(await redis.zrevrange(key, 0, want - 1, 'WITHSCORES'))
  let rows = head
  if (head.length === want) {
    // Values tied with the last one read may go on past the cut: take those that come first by
    // value (ZRANGE BYSCORE orders ties by value, ascending), so the cut does not depend on
    // Redis's reverse order. By number, the first may be anywhere among them: read them all.
    const last = head[head.length - 1]!.count
    const above = head.filter(r => r.count > last)
    const room = want - above.length
    const byRedis = order === undefined || order === byBytes
    const tied = byRedis ? await redis.zrangebyscore(key, last, last, 'LIMIT', 0, room) : await tiedByNumber(redis, key, last, room)
    rows = [...above, ...tied.map(value => ({ value, count: last }))]
  }
  return rows.sort(byCount(order)).filter(r => !skip.has(r.value)).slice(0, limit)
}

/**
 * Values of `key` counting `score`, at least the `room` smallest by number (or all of them when
 * fewer), read in bounded steps (TIES_READ, PROBE_DIGITS, TIE_READ_CAP): a request never reads
 * a whole flat key for its ties.
 */
async function tiedByNumber (redis: Redis, key: string, score: number, room: number): Promise<string[]> {
  // Few ties, the common case: all of them in the one command that finds there are few.
  const few = await redis.zrangebyscore(key, score, score, 'LIMIT', 0, TIES_READ + 1)
  if (few.length <= TIES_READ) return few
  const tied = await redis.zcount(key, score, score)
  const found: string[] = []
  for (let digits = 1; digits <= PROBE_DIGITS && found.length < room; digits++) {
    // Every number of that many digits, ascending (and -1 before the one-digit ones).
    const from = digits === 1 ? -1 : 10 ** (digits - 1)
    const numbers = Array.from({ length: 10 ** digits - from }, (_, i) => String(from + i))
    const scores = await redis.zmscore(key, ...numbers)
    numbers.forEach((n, i) => { if (scores[i] !== null && Number(scores[i]) === score) found.push(n) })
  }
  if (found.length >= room) return found
  return await redis.zrangebyscore(key, score, score, 'LIMIT', 0, tied <= TIE_READ_CAP ? tied : room)
}

/** The sum of every score of `keys`: for small keys only (a day's `protocol` keys: at most 257 members each). */
export async function totalOf (redis: Redis, keys: readonly string[]): Promise<number> {
  const pipeline = redis.pipeline()
  for (const key of keys) pipeline.zrange(key, 0, -1, 'WITHSCORES')
  let total = 0
  for (const reply of await exec(pipeline)) for (const { count } of pairs(reply as string[])) total += count
  return total
}

/**
 * totalOf for several groups of keys in one pipeline: result[g] is the sum of every score of
 * `groups[g]` (a day's `protocol` keys, so a day's packets). Small keys only, as totalOf.
 */
export async function totalsOf (redis: Redis, groups: ReadonlyArray<readonly string[]>): Promise<number[]> {
  const pipeline = redis.pipeline()
  for (const keys of groups) for (const key of keys) pipeline.zrange(key, 0, -1, 'WITHSCORES')
  const replies = await exec(pipeline)
  let i = 0
  return groups.map(keys => {
    let total = 0
    for (let k = 0; k < keys.length; k++) for (const { count } of pairs(replies[i++] as string[])) total += count
    return total
  })
}

/** Runs a pipeline; its replies, or the first command's error. */
/**
 * Counts of `values` in each group of keys: result[g][v] is the sum over `groups[g]` of the
 * score of `values[v]` (0 when absent). One pipelined ZMSCORE per key.
 */
export async function scoresOf (redis: Redis, groups: ReadonlyArray<readonly string[]>, values: readonly string[]): Promise<number[][]> {
  const result = groups.map(() => new Array<number>(values.length).fill(0))
  if (values.length === 0) return result
  const pipeline = redis.pipeline()
  for (const keys of groups) for (const key of keys) pipeline.zmscore(key, ...values)
  const replies = await exec(pipeline)
  let i = 0
  groups.forEach((keys, g) => {
    const sums = result[g]!
    for (let k = 0; k < keys.length; k++) {
      const scores = replies[i++] as Array<string | null>
      for (let v = 0; v < values.length; v++) if (scores[v] !== null) sums[v]! += Number(scores[v])
    }
  })
  return result
}

/** Whether `field`'s values are AS numbers, labelled by their names (asNamesOf). */
export function hasAsNames (field: string): boolean {
  return field === 'sasn' || field === 'dasn'
}

/**
 * The names of the AS numbers among `values` (ASN_NAMES), for the labels of `field`'s values
 * shown: one HMGET for all of them, none for another field. Numbers without a name are left out.
 */
export async function asNamesOf (redis: Redis, field: string, values: readonly string[]): Promise<Map<string, string>> {
  const names = new Map<string, string>()
  const asked = hasAsNames(field) ? [...new Set(values.filter(v => /^\d+$/.test(v)))] : []
  if (asked.length === 0) return names
  const replies = await redis.hmget(ASN_NAMES, ...asked)
  asked.forEach((asn, i) => {
    const name = replies[i]
    if (typeof name === 'string') names.set(asn, name)
  })
  return names
}

function pairs (flat: readonly string[]): Row[] {
  const rows: Row[] = []
  for (let i = 0; i + 1 < flat.length; i += 2) rows.push({ value: flat[i]!, count: Number(flat[i + 1]) })
  return rows
}
