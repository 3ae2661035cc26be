/**
 * What the exports render, read first: the top-N tables of `export csv`, and the pages of a
 * month's site (its tops and timelines). Each function returns plain data; src/export/ turns it
 * into CSV and HTML without a Redis handle. The reads are read.ts's: top-N proven from the keys'
 * heads (topOf), a timeline's counts with one ZMSCORE per key (scoresOf).
 */
import type { Redis } from 'ioredis'
import { UsageError } from '../errors.js'
import { sentinelOf, valueOrder } from '../aggregate/fields.js'
import { LIST_CAP, asNamesOf, checkField, dayKeys, readLayout, scoresOf, sensorDays, topOf, type Layout, type Row, type Top, type TopOptions } from './read.js'

/** `YYYY-MM-DD` of `YYYYMMDD`, `YYYY-MM` of `YYYYMM` (as export/names.ts writes dates), for messages. */
function dashedDate (compact: string): string {
  return compact.length === 8 ? `${compact.slice(0, 4)}-${compact.slice(4, 6)}-${compact.slice(6)}` : `${compact.slice(0, 4)}-${compact.slice(4)}`
}

/** How many values a top-N has, which to leave out, and whether to read everything when unproven (see topOf). */
export interface TopScope {
  limit: number
  /** Values left out; undefined: each field's own "not set" value (`-1`, `0` for iptos, `255` for ICMP). */
  skip?: ReadonlySet<string> | undefined
  exact?: boolean | undefined
}

/** The values a top of `field` leaves out (TopScope.skip). */
export function skippedIn (skip: ReadonlySet<string> | undefined, field: string): ReadonlySet<string> {
  return skip ?? new Set([sentinelOf(field)])
}

/** How a top of `field` is read: ties by number for numeric fields, as everywhere (valueOrder). */
function topOptions (scope: TopScope, field: string): TopOptions {
  return { exact: scope.exact, order: valueOrder(field) }
}

export interface TablesQuery extends TopScope {
  sensor: string
  field: string
  /** YYYYMMDD (a day) or YYYYMM (a month). */
  date: string
  eachDay: boolean
  /** One table per protocol of the data, and their total (combined keys only). */
  protocols: boolean
}

/** One top-N table: a period (a day, or a month as one) and a protocol (undefined: all of them). */
export interface Table {
  period: string
  protocol: string | undefined
  top: Top
}

export interface Tables {
  /** Members read from the head of each key before a top is left unproven (see topOf). */
  listCap: number
  /** In the order they are written; a protocol's table may have no rows. */
  tables: Table[]
  /** The names of the AS numbers in the tables (AS fields only; see asNamesOf), for their labels. */
  asNames: Map<string, string>
}

/** The tables of `export csv`: a day, each day of a month, or the month as one; per protocol or not. */
export async function readTables (redis: Redis, query: TablesQuery): Promise<Tables> {
  const layout = await readLayout(redis)
  checkField(layout, query.field)
  if (query.protocols && !layout.combinedKeys) throw new UsageError('--protocols needs data ingested with --combined-keys: this data has no per-protocol counts')
  const days = await sensorDays(redis, query.sensor, query.date)
  if (days.length === 0) throw new UsageError(`no data for sensor '${query.sensor}' on ${dashedDate(query.date)}`)
  // A period is one table over the keys of its days: a day, each day on its own, or the month as one.
  const periods = query.date.length === 8 || query.eachDay ? days.map(d => [d, [d]] as const) : [[query.date, days] as const]
  const tables: Table[] = []
  for (const [period, periodDays] of periods) {
    for (const protocol of query.protocols ? [...layout.protocols, undefined] : [undefined]) {
      const keys = periodDays.flatMap(d => dayKeys(layout, query.sensor, d, query.field, protocol))
      tables.push({ period, protocol, top: await topOf(redis, keys, query.limit, skippedIn(query.skip, query.field), topOptions(query, query.field)) })
    }
  }
  // Every table's values named at once: one HMGET for the whole export.
  const asNames = await asNamesOf(redis, query.field, tables.flatMap(t => t.top.rows.map(r => r.value)))
  return { listCap: LIST_CAP, tables, asNames }
}

/** One sensor's month, as a site of it needs to know it. */
export interface Month {
  sensor: string
  /** YYYYMM */
  month: string
  layout: Layout
  /** The days with data, YYYYMMDD, ascending (never none). */
  days: string[]
  listCap: number
}

/** The layout and the sensor's days in `month`; each of `fields` must be in the data. */
export async function readMonth (redis: Redis, sensor: string, month: string, fields: readonly string[] = []): Promise<Month> {
  const [layout, days] = await Promise.all([readLayout(redis), sensorDays(redis, sensor, month)])
  if (days.length === 0) throw new UsageError(`no data for sensor '${sensor}' in ${dashedDate(month)}`)
  fields.forEach(f => { checkField(layout, f) })
  return { sensor, month, layout, days, listCap: LIST_CAP }
}

/** A line of a timeline: a value, in one protocol's counts or (undefined) in all of them. */
export interface Line { value: string, protocol: string | undefined }

/** What a page of the site shows: a top-N of a day or the month, or the daily counts of some values. */
export type PageQuery =
  | { kind: 'top', field: string, period: string, protocol: string | undefined }
  | { kind: 'timeline', field: string, lines: readonly Line[] }

export type PageData =
  /**
   * `left`: the values left out (TopScope.skip) that have packets in the period, with their counts.
   * `total`: the period's packets (of the protocol), every value of the field counted, left-out
   * ones included; undefined when the data has none of TOTAL_FIELDS to sum cheaply.
   * `asNames`: the names of the AS numbers shown (AS fields only; see asNamesOf).
   */
  | { kind: 'top', top: Top, left: Row[], total: number | undefined, asNames: Map<string, string> }
  /** `y[line][day]`: the line's count on each of the month's days. */
  | { kind: 'timeline', y: number[][], asNames: Map<string, string> }

/**
 * The pages to read, as the site plans them: a page's data can make it link to more pages, so
 * the plan hands out queries until it has none left (`more` is asked again after every answer
 * came back, so it may plan the next pages from them).
 */
export interface PagePlan {
  next: () => { query: PageQuery, answer: (data: PageData) => void } | undefined
  more: () => boolean
}

/**
 * Fields of few members whose key of a day sums to the day's packets: every packet counts in every
 * field, as its value or the field's "not set" sentinel. The first one in the data gives a top's total.
 */
const TOTAL_FIELDS = ['protocol', 'icmptype', 'icmpcode', 'iptos', 'ipttl'] as const

/** Packets in each key (the sum of its scores), each key read once per run: every field's tops of a day share it. */
type Totals = Map<string, Promise<number>>

async function totalOf (redis: Redis, keys: readonly string[], totals: Totals): Promise<number> {
  const missing = keys.filter(key => !totals.has(key))
  if (missing.length > 0) {
    const pipeline = redis.pipeline()
    for (const key of missing) pipeline.zrange(key, 0, -1, 'WITHSCORES')
    const replies = pipeline.exec().then(r => (r ?? []).map(([error, reply]) => {
      if (error !== null) throw error
      return (reply as string[]).reduce((sum, v, i) => i % 2 === 1 ? sum + Number(v) : sum, 0)
    }))
    missing.forEach((key, i) => { totals.set(key, replies.then(sums => sums[i]!)) })
  }
  return (await Promise.all(keys.map(async key => await totals.get(key)!))).reduce((a, b) => a + b, 0)
}

/** Reads every page `plan` asks for, `concurrency` at a time. */
export async function readPages (redis: Redis, month: Month, scope: TopScope, plan: PagePlan, concurrency = 8): Promise<void> {
  const totals: Totals = new Map()
  const run = async (): Promise<void> => {
    for (let page = plan.next(); page !== undefined; page = plan.next()) page.answer(await readPage(redis, month, scope, page.query, totals))
  }
  // A runner that found nothing to read stops while others may still plan pages: go on until none are left.
  while (plan.more()) await Promise.all(Array.from({ length: concurrency }, run))
}

async function readPage (redis: Redis, month: Month, scope: TopScope, query: PageQuery, totals: Totals): Promise<PageData> {
  const { layout, sensor, days } = month
  if (query.kind === 'top') {
    const periodDays = query.period.length === 8 ? [query.period] : days
    const keys = periodDays.flatMap(d => dayKeys(layout, sensor, d, query.field, query.protocol))
    const skip = [...skippedIn(scope.skip, query.field)]
    // What is left out is said on the page: its counts are asked alongside, one ZMSCORE per key;
    // and the period's packets, for the "others" tile of the chart (each day's total read once).
    const by = TOTAL_FIELDS.find(f => layout.fields.includes(f))
    const totalKeys = by === undefined ? [] : periodDays.flatMap(d => dayKeys(layout, sensor, d, by, query.protocol))
    const [top, [left], total] = await Promise.all([
      topOf(redis, keys, scope.limit, new Set(skip), topOptions(scope, query.field)),
      scoresOf(redis, [keys], skip),
      by === undefined ? undefined : totalOf(redis, totalKeys, totals)
    ])
    const shown = skip.map((value, i) => ({ value, count: left![i]! })).filter(r => r.count > 0)
    const asNames = await asNamesOf(redis, query.field, [...top.rows, ...shown].map(r => r.value))
    return { kind: 'top', top, left: shown, total, asNames }
  }
  return { kind: 'timeline', ...await readTimeline(redis, layout, sensor, days, query.field, query.lines) }
}

/**
 * The daily counts of `lines` of `field` on `days` (YYYYMMDD, with data): `y[line][day]`. Each
 * key is asked once for every value, not once per line (one pipelined ZMSCORE per key): with
 * combined keys, the total of all protocols is the sum of the protocols' own counts.
 */
export async function readTimeline (redis: Redis, layout: Layout, sensor: string, days: readonly string[], field: string, lines: readonly Line[]): Promise<{ y: number[][], asNames: Map<string, string> }> {
  const { combinedKeys, protocols: all } = layout
  const partsOf = (protocol: string | undefined): ReadonlyArray<string | undefined> => protocol === undefined && combinedKeys ? all : [protocol]
  const asked = [...new Set(lines.flatMap(l => partsOf(l.protocol)))]
  const values = [...new Set(lines.map(l => l.value))]
  const [counts, asNames] = await Promise.all([
    scoresOf(redis, asked.flatMap(protocol => days.map(d => dayKeys(layout, sensor, d, field, protocol))), values),
    asNamesOf(redis, field, values)
  ])
  return {
    asNames,
    y: lines.map(line => {
      const v = values.indexOf(line.value)
      const rows = partsOf(line.protocol).map(p => asked.indexOf(p) * days.length)
      return days.map((_, d) => rows.reduce((sum, first) => sum + counts[first + d]![v]!, 0))
    })
  }
}

/**
 * A long timeline's counts (`plot range`): the sensor's days with data from `first` to `last`
 * (YYYYMMDD; from its day set, never KEYS) and `lines`' counts on each (readTimeline: one
 * pipelined ZMSCORE per day and protocol key). No day with data is a usage error.
 */
export async function readRange (redis: Redis, layout: Layout, sensor: string, first: string, last: string, field: string, lines: readonly Line[]): Promise<{ days: string[], y: number[][], asNames: Map<string, string> }> {
  checkField(layout, field)
  const all = await sensorDays(redis, sensor)
  const days = all.filter(d => d >= first && d <= last)
  if (days.length === 0) throw new UsageError(`no data for sensor '${sensor}' from ${dashedDate(first)} to ${dashedDate(last)} (its days: ${dashedDate(all[0]!)} to ${dashedDate(all[all.length - 1]!)})`)
  return { days, ...await readTimeline(redis, layout, sensor, days, field, lines) }
}
