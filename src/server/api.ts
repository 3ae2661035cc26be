/**
 * What the dashboard shows, as plain JSON: the JSON API returns these objects as they are and
 * the HTML pages are drawn from the same ones, so both always agree. Every parameter is checked
 * against the stored data (fields from the stored field list, sensors from one cached SCAN, days
 * that exist), and every read is bounded: top-N cut by Redis, ZMSCORE of known values, the
 * `protocol` keys (at most 257 members) for a day's total. Nothing here runs KEYS.
 */
import type { Redis } from 'ioredis'
import { asNamesOf, dayKeys, findSensors, readLayout, scoresOf, sensorDays, topOf, totalOf, type Layout } from '../store/read.js'
import { sentinelOf, valueOrder } from '../aggregate/fields.js'
import { fieldTitle, valueLabel } from '../export/labels.js'
import { readShownFields, writeShownFields } from '../store/shown-fields.js'
import { DEFAULTS } from '../config/defaults.js'
import { HttpError, badRequest, daysUntil, flagParam, intParam, listed, optional, required, shiftDay, ymdOf } from './params.js'
import { compactOf, dashed } from '../export/names.js'
import { aggregate, daysFrom, monthCount, monthsPeriod, type Aggregation } from '../export/range.js'

export const TOP = 10
/** Values in the overview's timeline of each field. */
export const TIMELINE_VALUES = 3
export const MAX_VALUE_LENGTH = 512
/** Countries the overview's world map reads (scc): every country and word, so the map is the whole day's. */
export const MAP_COUNTRIES = 300
/** The longest periods the overview and the evolution accept, in days. */
export const MAX_OVERVIEW_DAYS = 90
export const MAX_EVOLUTION_DAYS = 3660

export interface TopRow { value: string, label: string, count: number, share: number | null }
export interface FieldOverview {
  field: string
  title: string
  top: TopRow[]
  /** The field's "not set" value and its packets on the day: left out of `top` unless `notset=1`. */
  notSet: { value: string, count: number }
  /** `counts[d]` is null on a day without any capture (not in `<sensor>_DAYS`): a gap, not a 0. */
  timeline: { days: string[], series: Array<{ value: string, label: string, counts: Array<number | null> }> }
  /** Only with combined keys, when the protocols' heads do not prove the top: the most a value left out can count (see topOf). */
  missingAtMost?: number
  /** Source countries (scc) only: the day's countries for its world map, up to MAP_COUNTRIES, as `top` (share null). */
  map?: TopRow[]
}
export interface Overview {
  sensor: string
  day: string
  days: number
  sensorDays: string[]
  combined: boolean
  /** Whether the tops include each field's "not set" value (`notset=1`); by default they leave it out, as the exports do. */
  showNotSet: boolean
  /** Packets of the day (sum of its `protocol` counts); null when `protocol` is not stored. */
  total: number | null
  fields: FieldOverview[]
}
export interface Evolution {
  sensor: string
  field: string
  title: string
  value: string
  label: string
  until: string
  days: number
  protocol: string | null
  protocols: string[]
  /** The months asked (`from`/`to`, YYYY-MM), whose days are the period; absent when it is `days` until `until`. */
  months?: { from: string, to: string }
  /** The chart's points: a day each up to MAX_POINTS days, then an ISO week, then a month (export/range.ts). */
  aggregation: Aggregation
  /** With weeks or months, the points (YYYY-MM-DD days; `start` the first day of the whole week or month; a week or month the period cuts is partial); each series' `sums` has one per point. */
  periods?: Array<{ label: string, start: string, first: string, last: string, days: number, daysWithData: number, partial: boolean }>
  series: Array<{ name: string, points: Array<{ day: string, count: number }>, sums?: number[] }>
}
export interface Settings {
  fields: Array<{ field: string, title: string, enabled: boolean }>
  /** False when ENFIELDS does not exist: every field is shown. */
  stored: boolean
  readOnly: boolean
}

/** Sensors found by one SCAN, reused for `ttlMs`: requests never scan the keyspace themselves. */
export class SensorList {
  #cached: { at: number, list: Promise<string[]> } | undefined
  readonly #redis: Redis
  readonly #ttlMs: number
  readonly #now: () => number
  constructor (redis: Redis, ttlMs = 5000, now = Date.now) {
    this.#redis = redis
    this.#ttlMs = ttlMs
    this.#now = now
  }

  async get (): Promise<string[]> {
    const at = this.#now()
    if (this.#cached === undefined || at - this.#cached.at >= this.#ttlMs) {
      const list = findSensors(this.#redis)
      this.#cached = { at, list }
      // A failed SCAN (Redis down) is not kept: the next request tries again.
      list.catch(() => { if (this.#cached?.list === list) this.#cached = undefined })
    }
    return await this.#cached.list
  }
}

export class Api {
  readonly sensors: SensorList
  readonly #redis: Redis

  constructor (redis: Redis, readonly readOnly: boolean, sensorTtlMs = 5000) {
    this.#redis = redis
    this.sensors = new SensorList(redis, sensorTtlMs)
  }

  async sensorList (): Promise<{ sensors: string[] }> {
    return { sensors: await this.sensors.get() }
  }

  /** The sensor named (one the SCAN found), or the first one; 404 when there is no data at all. */
  async sensorOf (params: URLSearchParams): Promise<string> {
    const given = optional(params, 'sensor')
    const sensors = await this.sensors.get()
    if (given === undefined) {
      if (sensors[0] === undefined) throw new HttpError(404, 'this database holds no sensor data yet (no <sensor>_DAYS set): ingest captures first')
      return sensors[0]
    }
    if (!sensors.includes(given)) throw badRequest(`sensor: unknown sensor '${given}' (sensors: ${listed(sensors)})`)
    return given
  }

  async overview (params: URLSearchParams): Promise<Overview> {
    // Parameters that need no data are checked before anything is asked of Redis.
    const fromText = optional(params, 'from')
    if (fromText !== undefined && params.has('days')) throw badRequest('from: give either from or days, not both')
    const fromYmd = fromText === undefined ? undefined : ymdOf(fromText, 'from')
    const daysGiven = intParam(params, 'days', DEFAULTS.overviewDays, 1, MAX_OVERVIEW_DAYS)
    const showNotSet = flagParam(params, 'notset')
    const given = optional(params, 'day')
    const givenYmd = given === undefined ? undefined : ymdOf(given, 'day')
    const sensor = await this.sensorOf(params)
    const [layout, days, enabled] = await Promise.all([readLayout(this.#redis), sensorDays(this.#redis, sensor), readShownFields(this.#redis)])
    if (days.length === 0) throw new HttpError(404, `sensor '${sensor}' has no days any more`)
    const ymd = givenYmd ?? days[days.length - 1]!
    if (!days.includes(ymd)) throw badRequest(`day: sensor '${sensor}' has no data on ${dashed(ymd)} (days: ${dashed(days[0]!)} to ${dashed(days[days.length - 1]!)})`)
    const span = fromYmd === undefined ? daysGiven : spanOf(fromYmd, ymd)
    const shown = layout.fields.filter(field => isShown(field, enabled))
    const chartDays = daysUntil(ymd, span)
    const withData = new Set(days)
    const [total, fields] = await Promise.all([
      this.#dayTotal(layout, sensor, ymd),
      Promise.all(shown.map(async field => await this.#fieldOverview(layout, sensor, ymd, field, { days: chartDays, withData }, showNotSet)))
    ])
    for (const f of fields) for (const row of f.top) row.share = total === null || total === 0 ? null : Math.round(row.count / total * 1e6) / 1e6
    return { sensor, day: dashed(ymd), days: span, sensorDays: days.map(dashed), combined: layout.combinedKeys, showNotSet, total, fields }
  }

  /** The day's packets: every packet has a `protocol` value, so the sum of that key's (≤ 257) scores. */
  async #dayTotal (layout: Layout, sensor: string, ymd: string): Promise<number | null> {
    if (!layout.fields.includes('protocol')) return null
    return await totalOf(this.#redis, dayKeys(layout, sensor, ymd, 'protocol'))
  }

  async #fieldOverview (layout: Layout, sensor: string, ymd: string, field: string, chart: ChartDays, showNotSet: boolean): Promise<FieldOverview> {
    const keys = dayKeys(layout, sensor, ymd, field)
    const notSet = sentinelOf(field)
    // A request never reads a key whole: an unproven top (combined keys, flat fields) says how far it holds.
    const { rows, missingAtMost } = await topOf(this.#redis, keys, TOP, new Set(showNotSet ? [] : [notSet]), { fullReadLimit: 0, order: valueOrder(field) })
    const values = rows.slice(0, TIMELINE_VALUES).map(r => r.value)
    // Only days with data are asked: the others are gaps (null), not zeros. The day's "not set"
    // count comes with its timeline's scores, in the same command (bench:serve: a command more
    // per field cost the overview ~10 % of its requests/s).
    const asked = chart.days.filter(d => chart.withData.has(d))
    // The AS fields' labels, their names, are asked alongside (one HMGET for the top's values).
    // And the source countries' map reads the day's countries (a key of a few hundred members at most).
    const [counts, asNames, map] = await Promise.all([
      scoresOf(this.#redis, asked.map(d => dayKeys(layout, sensor, d, field)), [...values, notSet]),
      asNamesOf(this.#redis, field, rows.map(r => r.value)),
      field === 'scc' ? topOf(this.#redis, keys, MAP_COUNTRIES, new Set([notSet]), { fullReadLimit: 0, order: valueOrder(field) }) : undefined
    ])
    const notSetCount = counts[asked.indexOf(ymd)]![values.length]!
    const countsOf = (v: number): Array<number | null> => {
      let a = 0
      return chart.days.map(d => chart.withData.has(d) ? counts[a++]![v]! : null)
    }
    return {
      field,
      title: fieldTitle(field),
      top: rows.map(r => ({ value: r.value, label: valueLabel(field, r.value, undefined, asNames), count: r.count, share: null })),
      notSet: { value: notSet, count: notSetCount },
      timeline: {
        days: chart.days.map(dashed),
        series: values.map((value, v) => ({ value, label: valueLabel(field, value, undefined, asNames), counts: countsOf(v) }))
      },
      ...(missingAtMost === undefined ? {} : { missingAtMost }),
      ...(map === undefined ? {} : { map: map.rows.map(r => ({ value: r.value, label: valueLabel(field, r.value), count: r.count, share: null })) })
    }
  }

  async evolution (params: URLSearchParams): Promise<Evolution> {
    // Parameters that need no data are checked before anything is asked of Redis.
    const fieldName = required(params, 'field')
    const value = required(params, 'value')
    if (value.length > MAX_VALUE_LENGTH) throw badRequest(`value: longer than ${MAX_VALUE_LENGTH} characters`)
    const months = monthsParams(params)
    const untilText = optional(params, 'until')
    if (months !== undefined && (untilText !== undefined || params.has('days'))) throw badRequest('from/to: give either the months from/to or until/days, not both')
    const span = months === undefined ? intParam(params, 'days', DEFAULTS.evolutionDays, 1, MAX_EVOLUTION_DAYS) : months.days
    const untilGiven = months !== undefined ? months.last : untilText === undefined ? undefined : ymdOf(untilText, 'until')
    const protocol = optional(params, 'protocol') ?? null
    const sensor = await this.sensorOf(params)
    const [layout, days] = await Promise.all([readLayout(this.#redis), sensorDays(this.#redis, sensor)])
    const field = this.#fieldOf(layout, fieldName)
    if (protocol !== null) {
      if (!layout.combinedKeys) throw badRequest('protocol: this data has no per-protocol counts (it was not ingested with --combined-keys)')
      if (protocol !== 'each' && !layout.protocols.includes(protocol)) throw badRequest(`protocol: expected 'each' or one of ${listed(layout.protocols)}, got '${protocol}'`)
    }
    const until = untilGiven ?? days[days.length - 1]
    if (until === undefined) throw new HttpError(404, `sensor '${sensor}' has no days any more`)
    // Only days the sensor has data for: a day without any capture is not a zero.
    const from = daysUntil(until, span)[0]!
    const inRange = days.filter(d => d >= from && d <= until)
    const groupsOf = (p?: string): string[][] => inRange.map(d => dayKeys(layout, sensor, d, field, p))
    const pointsOf = (counts: number[][]): Array<{ day: string, count: number }> => inRange.map((d, i) => ({ day: dashed(d), count: counts[i]![0]! }))
    let series: Evolution['series']
    // The value's AS name (AS fields only), asked while its counts are.
    const asNames = asNamesOf(this.#redis, field, [value])
    if (protocol === 'each') {
      const each = await Promise.all(layout.protocols.map(async p => await scoresOf(this.#redis, groupsOf(p), [value])))
      series = layout.protocols.map((p, i) => ({ name: p, points: pointsOf(each[i]!) }))
      const totals = inRange.map((_, d) => [each.reduce((sum, counts) => sum + counts[d]![0]!, 0)])
      series.push({ name: 'total', points: pointsOf(totals) })
    } else {
      series = [{ name: protocol ?? 'total', points: pointsOf(await scoresOf(this.#redis, groupsOf(protocol ?? undefined), [value])) }]
    }
    // A long period is drawn as weekly or monthly sums: a day without data adds 0 to its point.
    const aggregated = aggregate(from, until, inRange, series.map(s => s.points.map(p => p.count)))
    const long = aggregated.aggregation === 'day'
      ? {}
      : {
          periods: aggregated.buckets.map((b, i) => ({ label: b.label, start: dashed(b.start), first: dashed(b.first), last: dashed(b.last), days: b.days, daysWithData: aggregated.withData[i]!, partial: b.partial })),
          series: series.map((s, i) => ({ ...s, sums: aggregated.sums[i]! }))
        }
    return {
      sensor, field, title: fieldTitle(field), value, label: valueLabel(field, value, protocol ?? undefined, await asNames),
      until: dashed(until), days: span, protocol, protocols: layout.combinedKeys ? layout.protocols : [],
      ...(months === undefined ? {} : { months: { from: dashed(months.from), to: dashed(months.to) } }),
      aggregation: aggregated.aggregation, series, ...long
    }
  }

  #fieldOf (layout: Layout, field: string): string {
    if (!layout.fields.includes(field)) throw badRequest(`field: unknown field '${field}' (fields: ${listed(layout.fields)})`)
    return field
  }

  async settings (): Promise<Settings> {
    const [layout, enabled] = await Promise.all([readLayout(this.#redis), readShownFields(this.#redis)])
    return this.#settingsOf(layout, enabled)
  }

  #settingsOf (layout: Layout, enabled: readonly string[]): Settings {
    return { fields: layout.fields.map(field => ({ field, title: fieldTitle(field), enabled: isShown(field, enabled) })), stored: enabled.length > 0, readOnly: this.readOnly }
  }

  /**
   * Shows exactly `fields` in the overview: SADD the chosen ones, SREM the others (one
   * MULTI). At least one: Redis keeps no empty set, and a missing ENFIELDS means "all fields".
   */
  async saveSettings (fields: readonly string[]): Promise<Settings> {
    if (this.readOnly) throw new HttpError(403, 'settings are read-only (potiron serve --read-only)')
    const layout = await readLayout(this.#redis)
    const chosen = [...new Set(fields)]
    for (const field of chosen) this.#fieldOf(layout, field)
    if (chosen.length === 0) throw badRequest('fields: choose at least one field')
    await writeShownFields(this.#redis, chosen, layout.fields)
    return this.#settingsOf(layout, chosen)
  }
}

/** The days from `from` to `to` (YYYYMMDD), both counted: the overview's `from` (the header's date range), at most MAX_OVERVIEW_DAYS. */
function spanOf (from: string, to: string): number {
  const span = Math.round((Date.UTC(+to.slice(0, 4), +to.slice(4, 6) - 1, +to.slice(6)) - Date.UTC(+from.slice(0, 4), +from.slice(4, 6) - 1, +from.slice(6))) / 86_400_000) + 1
  if (span < 1) throw badRequest(`from: ${dashed(from)} is after the day shown, ${dashed(to)}`)
  if (span > MAX_OVERVIEW_DAYS) throw badRequest(`from: at most ${MAX_OVERVIEW_DAYS} days up to ${dashed(to)} (from ${dashed(shiftDay(to, 1 - MAX_OVERVIEW_DAYS))} on), got ${dashed(from)}`)
  return span
}

/**
 * The evolution's `from`/`to` months (YYYY-MM, both or neither), checked: at most
 * MAX_EVOLUTION_DAYS days, from the first day of `from` to the last of `to`; undefined when not given.
 */
function monthsParams (params: URLSearchParams): { from: string, to: string, last: string, days: number } | undefined {
  const [fromText, toText] = [optional(params, 'from'), optional(params, 'to')]
  if (fromText === undefined && toText === undefined) return undefined
  if (fromText === undefined || toText === undefined) throw badRequest(`${fromText === undefined ? 'from' : 'to'}: missing (a range of months needs from and to, YYYY-MM)`)
  const monthOf = (text: string, name: string): string => {
    const month = compactOf(text, 'month')
    if (month === undefined) throw badRequest(`${name}: expected a month YYYY-MM, got '${text}'`)
    return month
  }
  const [from, to] = [monthOf(fromText, 'from'), monthOf(toText, 'to')]
  if (monthCount(from, to) < 1) throw badRequest(`from: ${fromText} is after to ${toText}`)
  const { first, last } = monthsPeriod(from, to)
  const days = daysFrom(first, last).length
  if (days > MAX_EVOLUTION_DAYS) throw badRequest(`from/to: ${fromText} to ${toText} is ${days} days, at most ${MAX_EVOLUTION_DAYS}`)
  return { from, to, last, days }
}

/** The days of the overview's timelines (YYYYMMDD), and those of them the sensor has data for. */
interface ChartDays { days: readonly string[], withData: ReadonlySet<string> }

/** Whether the overview shows `field`, given ENFIELDS: no ENFIELDS at all means every field. */
function isShown (field: string, enabled: readonly string[]): boolean {
  return enabled.length === 0 || enabled.includes(field)
}
