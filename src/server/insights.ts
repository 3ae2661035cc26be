/**
 * The dashboard's insights, as plain JSON the pages are drawn from: a sparkline per value of a
 * field's top over a range of days, the values new in a day's top, two periods (or two sensors)
 * compared field by field, and a sensor's (or one value's) packets per day over a year. Reads are bounded and
 * pipelined: the day's top cut by Redis as the overview cuts it (topOf), then at most one ZMSCORE
 * of those values per day with data (per protocol with combined keys) and field; a day's packets
 * from its `protocol` keys (at most 257 members each). Days not in `<sensor>_DAYS` are never
 * asked: they are gaps (null), not zeros. The shaping is pure functions, tested without Redis.
 */
import type { Redis } from 'ioredis'
import { sentinelOf, valueOrder } from '../aggregate/fields.js'
import { fieldTitle, valueLabel, type AsNames } from '../export/labels.js'
import { dashed } from '../export/names.js'
import { asNamesOf, dayKeys, readLayout, scoresOf, sensorDays, topOf, totalsOf, type Layout, type Row } from '../store/read.js'
import { readShownFields } from '../store/shown-fields.js'
import { MAX_VALUE_LENGTH, TOP, type Api } from './api.js'
import { HttpError, badRequest, daysUntil, flagParam, intParam, listed, optional, shiftDay, ymdOf } from './params.js'

/** Days of a sparkline when the range is not given: the 30 ending at the day shown. */
export const SPARK_DAYS = 30
/** The longest range of sparklines, in days. */
export const MAX_SPARK_DAYS = 366
/** Previous days with data a value must be absent from to be new (`newdays=`), and the most allowed. */
export const NEW_DAYS = 7
export const MAX_NEW_DAYS = 90
/** The longest period of a comparison, in days, and the most members read from the head of each day for its tops. */
export const MAX_COMPARE_DAYS = 31
export const COMPARE_LIST_CAP = 1024

export interface FieldSparklines { field: string, values: Array<{ value: string, counts: Array<number | null> }> }
export interface Sparklines {
  sensor: string
  /** The day whose top gives the values. */
  day: string
  from: string
  to: string
  /** Every day from `from` to `to`, YYYY-MM-DD; a value's `counts[d]` is null when the sensor has no data that day. */
  days: string[]
  showNotSet: boolean
  fields: FieldSparklines[]
}

export interface NewValue { value: string, label: string, count: number }
export interface NewToday {
  sensor: string
  day: string
  /** N: how many previous days with data a value must be absent from (`newdays=`). */
  newDays: number
  /** The previous days with data looked at (at most N, latest first); none: nothing can be told new. */
  previousDays: string[]
  showNotSet: boolean
  fields: Array<{ field: string, title: string, values: NewValue[] }>
}

export interface Side {
  sensor: string
  from: string
  to: string
  /** The days of the period the sensor has data for. */
  days: string[]
  /** Packets over those days (their `protocol` counts); null when `protocol` is not stored. */
  total: number | null
}
export interface CompareRow {
  value: string
  label: string
  count: number
  reference: number
  /** count − reference. */
  change: number
  /** change / reference in %, one decimal; null when the reference is 0. */
  percent: number | null
  /** The side the value is counted on alone, or null when on both. */
  only: 'period' | 'reference' | null
}
export interface FieldComparison {
  field: string
  title: string
  rows: CompareRow[]
  /** When a side's top is not proven from the heads read (see topOf): the most a value left out can count there. */
  missingAtMost?: number
}
export interface Comparison {
  period: Side
  reference: Side
  showNotSet: boolean
  fields: FieldComparison[]
}

/** `total` is null when `protocol` is not stored (nothing gives a day's packets). */
export interface CalendarDay { day: string, total: number | null }
export interface Calendar {
  sensor: string
  year: number
  /** Years the sensor has data in, ascending. */
  years: number[]
  /** The value counted (`field=` and `value=`): each day's packets with it; absent, each day's packets. */
  value?: { field: string, title: string, value: string, label: string }
  /** The year's days with data and their packets (of the value), ascending. */
  days: CalendarDay[]
}

/**
 * A value's counts over `range` (YYYYMMDD days): from `counts[a][v]`, the scores asked on the
 * days of `range` with data only (in order), and null on the others.
 */
export function gapSeries (range: readonly string[], withData: ReadonlySet<string>, counts: readonly number[][], v: number): Array<number | null> {
  let a = 0
  return range.map(d => withData.has(d) ? counts[a++]![v]! : null)
}

/** The rows of `top` absent from every previous day looked at: `previous[d][v]` is 0 on each. None when no day is looked at. */
export function newRows (top: readonly Row[], previous: readonly number[][]): Row[] {
  if (previous.length === 0) return []
  return top.filter((_, v) => previous.every(counts => counts[v] === 0))
}

/** The `n` days with data before `ymd` (sorted `days`), latest first: a day without data is skipped, not counted. */
export function previousDaysWithData (days: readonly string[], ymd: string, n: number): string[] {
  return days.filter(d => d < ymd).slice(-n).reverse()
}

/**
 * Comparison rows of `values` counted `counts[v]` in the period and `references[v]` in the
 * reference: by period count, then reference count, descending, then value (`order`).
 */
export function compareRows (field: string, values: readonly string[], counts: readonly number[], references: readonly number[], asNames?: AsNames): CompareRow[] {
  const order = valueOrder(field)
  return values.map((value, v) => {
    const count = counts[v]!
    const reference = references[v]!
    const change = count - reference
    return {
      value,
      label: valueLabel(field, value, undefined, asNames),
      count,
      reference,
      change,
      percent: reference === 0 ? null : Math.round(change / reference * 1000) / 10,
      only: reference === 0 ? 'period' as const : count === 0 ? 'reference' as const : null
    }
  }).sort((a, b) => b.count - a.count || b.reference - a.reference || order(a.value, b.value))
}

/** A whole-period parameter pair `from`/`to`, or `day` for both; undefined where not given. */
function periodParams (params: URLSearchParams, prefix: string): { from?: string, to?: string } {
  const day = optional(params, `${prefix}day`)
  const from = optional(params, `${prefix}from`)
  const to = optional(params, `${prefix}to`)
  if (day !== undefined) {
    if (from !== undefined || to !== undefined) throw badRequest(`${prefix}day: give either ${prefix}day or ${prefix}from/${prefix}to, not both`)
    const ymd = ymdOf(day, `${prefix}day`)
    return { from: ymd, to: ymd }
  }
  return { ...(from === undefined ? {} : { from: ymdOf(from, `${prefix}from`) }), ...(to === undefined ? {} : { to: ymdOf(to, `${prefix}to`) }) }
}

/** The number of days from `from` to `to`, both included (0 or less when `to` is before `from`). */
function spanOf (from: string, to: string): number {
  return (Date.parse(dashed(to)) - Date.parse(dashed(from))) / 86_400_000 + 1
}

function checkSpan (from: string, to: string, max: number, name: string): void {
  const span = spanOf(from, to)
  if (span < 1) throw badRequest(`${name}: ${dashed(from)} is after ${dashed(to)}`)
  if (span > max) throw badRequest(`${name}: ${dashed(from)} to ${dashed(to)} is ${span} days, at most ${max}`)
}

export class Insights {
  readonly #redis: Redis
  readonly #api: Api

  constructor (redis: Redis, api: Api) {
    this.#redis = redis
    this.#api = api
  }

  /** The sensor asked, its layout and days with data (404 without any), and the day asked (default its latest; 400 without data). */
  async #dayContext (params: URLSearchParams, dayGiven: string | undefined): Promise<{ sensor: string, layout: Layout, days: string[], ymd: string }> {
    const sensor = await this.#api.sensorOf(params)
    const [layout, days] = await Promise.all([readLayout(this.#redis), sensorDays(this.#redis, sensor)])
    if (days.length === 0) throw new HttpError(404, `sensor '${sensor}' has no days any more`)
    const ymd = dayGiven ?? days[days.length - 1]!
    if (!days.includes(ymd)) throw badRequest(`day: sensor '${sensor}' has no data on ${dashed(ymd)} (days: ${dashed(days[0]!)} to ${dashed(days[days.length - 1]!)})`)
    return { sensor, layout, days, ymd }
  }

  /** `field=F` (one the data has), else the fields the overview shows (ENFIELDS). */
  async #fieldsOf (params: URLSearchParams, layout: Layout): Promise<string[]> {
    const field = optional(params, 'field')
    if (field !== undefined) {
      if (!layout.fields.includes(field)) throw badRequest(`field: unknown field '${field}' (fields: ${listed(layout.fields)})`)
      return [field]
    }
    const enabled = await readShownFields(this.#redis)
    return layout.fields.filter(f => enabled.length === 0 || enabled.includes(f))
  }

  /** A day's top of `field`, exactly as the overview cuts it (never a key read whole). */
  async #top (layout: Layout, sensor: string, ymd: string, field: string, showNotSet: boolean, limit = TOP): Promise<Row[]> {
    const skip = new Set(showNotSet ? [] : [sentinelOf(field)])
    return (await topOf(this.#redis, dayKeys(layout, sensor, ymd, field), limit, skip, { fullReadLimit: 0, order: valueOrder(field) })).rows
  }

  /** GET /api/sparklines?sensor=&day=&from=&to=&field=&notset=: the day's top values, each counted per day over the range. */
  async sparklines (params: URLSearchParams): Promise<Sparklines> {
    const showNotSet = flagParam(params, 'notset')
    const day = optional(params, 'day')
    // `day` is the day whose top is drawn, not the range (as periodParams would take it).
    const fromText = optional(params, 'from')
    const toText = optional(params, 'to')
    const fromGiven = fromText === undefined ? undefined : ymdOf(fromText, 'from')
    const toGiven = toText === undefined ? undefined : ymdOf(toText, 'to')
    const { sensor, layout, days, ymd } = await this.#dayContext(params, day === undefined ? undefined : ymdOf(day, 'day'))
    const to = toGiven ?? ymd
    const from = fromGiven ?? shiftDay(to, 1 - SPARK_DAYS)
    checkSpan(from, to, MAX_SPARK_DAYS, 'from/to')
    const range = daysUntil(to, spanOf(from, to))
    const withData = new Set(days)
    const asked = range.filter(d => withData.has(d))
    const fields = await Promise.all((await this.#fieldsOf(params, layout)).map(async field => {
      const values = (await this.#top(layout, sensor, ymd, field, showNotSet)).map(r => r.value)
      const counts = await scoresOf(this.#redis, asked.map(d => dayKeys(layout, sensor, d, field)), values)
      return { field, values: values.map((value, v) => ({ value, counts: gapSeries(range, withData, counts, v) })) }
    }))
    return { sensor, day: dashed(ymd), from: dashed(from), to: dashed(to), days: range.map(dashed), showNotSet, fields }
  }

  /** GET /api/new?sensor=&day=&newdays=&field=&notset=: values of the day's top absent from each of the previous `newdays` days with data. */
  async newToday (params: URLSearchParams): Promise<NewToday> {
    const showNotSet = flagParam(params, 'notset')
    const newDays = intParam(params, 'newdays', NEW_DAYS, 1, MAX_NEW_DAYS)
    const day = optional(params, 'day')
    const { sensor, layout, days, ymd } = await this.#dayContext(params, day === undefined ? undefined : ymdOf(day, 'day'))
    const previous = previousDaysWithData(days, ymd, newDays)
    const fields = await Promise.all((await this.#fieldsOf(params, layout)).map(async field => {
      const top = await this.#top(layout, sensor, ymd, field, showNotSet)
      const [counts, asNames] = await Promise.all([
        scoresOf(this.#redis, previous.map(d => dayKeys(layout, sensor, d, field)), top.map(r => r.value)),
        asNamesOf(this.#redis, field, top.map(r => r.value))
      ])
      return { field, title: fieldTitle(field), values: newRows(top, counts).map(r => ({ value: r.value, label: valueLabel(field, r.value, undefined, asNames), count: r.count })) }
    }))
    return { sensor, day: dashed(ymd), newDays, previousDays: previous.map(dashed), showNotSet, fields }
  }

  /**
   * GET /api/compare: the period (`sensor`, `day` or `from`/`to`) against the reference
   * (`ref_sensor`, `ref_day` or `ref_from`/`ref_to`). Defaults: the sensor's latest day; the
   * reference is the same sensor, over as many days, ending on the last day with data before
   * the period, or (another sensor) the same days. Per field, the union of both sides' tops,
   * each value counted exactly on both sides.
   */
  async compare (params: URLSearchParams): Promise<Comparison> {
    const showNotSet = flagParam(params, 'notset')
    const given = periodParams(params, '')
    const refGiven = periodParams(params, 'ref_')
    const refSensorName = optional(params, 'ref_sensor')
    const sensor = await this.#api.sensorOf(params)
    const sensors = await this.#api.sensors.get()
    if (refSensorName !== undefined && !sensors.includes(refSensorName)) throw badRequest(`ref_sensor: unknown sensor '${refSensorName}' (sensors: ${listed(sensors)})`)
    const refSensor = refSensorName ?? sensor
    const [layout, days, refDays] = await Promise.all([readLayout(this.#redis), sensorDays(this.#redis, sensor), sensorDays(this.#redis, refSensor)])
    if (days.length === 0) throw new HttpError(404, `sensor '${sensor}' has no days any more`)
    const to = given.to ?? days[days.length - 1]!
    const from = given.from ?? to
    checkSpan(from, to, MAX_COMPARE_DAYS, 'from/to')
    const span = spanOf(from, to)
    let refTo = refGiven.to
    if (refTo === undefined) {
      if (refGiven.from !== undefined) refTo = shiftDay(refGiven.from, span - 1)
      else if (refSensor !== sensor) refTo = to
      else refTo = previousDaysWithData(refDays, from, 1)[0] ?? shiftDay(from, -1)
    }
    const refFrom = refGiven.from ?? shiftDay(refTo, 1 - span)
    checkSpan(refFrom, refTo, MAX_COMPARE_DAYS, 'ref_from/ref_to')
    const sideDays = (all: readonly string[], f: string, t: string): string[] => all.filter(d => d >= f && d <= t)
    const periodDays = sideDays(days, from, to)
    const refPeriodDays = sideDays(refDays, refFrom, refTo)
    const withProtocol = layout.fields.includes('protocol')
    const [totals, fields] = await Promise.all([
      withProtocol
        ? Promise.all([periodDays, refPeriodDays].map(async (ds, s) => (await totalsOf(this.#redis, ds.map(d => dayKeys(layout, s === 0 ? sensor : refSensor, d, 'protocol')))).reduce((a, b) => a + b, 0)))
        : Promise.resolve([null, null]),
      Promise.all((await this.#fieldsOf(params, layout)).map(async field => await this.#compareField(layout, field, showNotSet, [sensor, periodDays], [refSensor, refPeriodDays])))
    ])
    return {
      period: { sensor, from: dashed(from), to: dashed(to), days: periodDays.map(dashed), total: totals[0] ?? null },
      reference: { sensor: refSensor, from: dashed(refFrom), to: dashed(refTo), days: refPeriodDays.map(dashed), total: totals[1] ?? null },
      showNotSet,
      fields
    }
  }

  async #compareField (layout: Layout, field: string, showNotSet: boolean, ...sides: Array<[string, string[]]>): Promise<FieldComparison> {
    const keysOf = ([sensor, days]: [string, string[]]): string[] => days.flatMap(d => dayKeys(layout, sensor, d, field))
    const skip = new Set(showNotSet ? [] : [sentinelOf(field)])
    const tops = await Promise.all(sides.map(async side => await topOf(this.#redis, keysOf(side), TOP, skip, { fullReadLimit: 0, listCap: COMPARE_LIST_CAP, order: valueOrder(field) })))
    const values = [...new Set(tops.flatMap(t => t.rows.map(r => r.value)))]
    // Each value's exact count on both sides: one group of every key of the side, summed by scoresOf.
    const [[counts, references], asNames] = await Promise.all([
      Promise.all(sides.map(async side => (await scoresOf(this.#redis, [keysOf(side)], values))[0]!)),
      asNamesOf(this.#redis, field, values)
    ])
    const missing = tops.map(t => t.missingAtMost ?? 0).reduce((a, b) => Math.max(a, b), 0)
    return { field, title: fieldTitle(field), rows: compareRows(field, values, counts!, references!, asNames), ...(missing > 0 ? { missingAtMost: missing } : {}) }
  }

  /**
   * GET /api/calendar?sensor=&year=&field=&value=: the sensor's packets on each day with data of
   * the year (default the latest year with data), or with `field` and `value` the value's (a 0 on
   * a day with data without it), in one pipeline: a ZRANGE of each day's `protocol` keys (at most
   * 257 members), or a ZMSCORE of each day's keys of the field.
   */
  async calendar (params: URLSearchParams): Promise<Calendar> {
    const yearText = optional(params, 'year')
    if (yearText !== undefined && !/^\d{4}$/.test(yearText)) throw badRequest(`year: expected a year such as 2024, got '${yearText}'`)
    const fieldName = optional(params, 'field')
    const value = optional(params, 'value')
    if ((fieldName === undefined) !== (value === undefined)) throw badRequest(`${fieldName === undefined ? 'field' : 'value'}: missing (a value's calendar needs both field and value)`)
    if (value !== undefined && value.length > MAX_VALUE_LENGTH) throw badRequest(`value: longer than ${MAX_VALUE_LENGTH} characters`)
    const sensor = await this.#api.sensorOf(params)
    const [layout, days] = await Promise.all([readLayout(this.#redis), sensorDays(this.#redis, sensor)])
    if (days.length === 0) throw new HttpError(404, `sensor '${sensor}' has no days any more`)
    if (fieldName !== undefined && !layout.fields.includes(fieldName)) throw badRequest(`field: unknown field '${fieldName}' (fields: ${listed(layout.fields)})`)
    const years = [...new Set(days.map(d => Number(d.slice(0, 4))))]
    const year = yearText === undefined ? years[years.length - 1]! : Number(yearText)
    if (!years.includes(year)) throw badRequest(`year: sensor '${sensor}' has no data in ${year} (years: ${listed(years.map(String))})`)
    const inYear = days.filter(d => d.startsWith(String(year)))
    if (fieldName !== undefined && value !== undefined) {
      const [counts, asNames] = await Promise.all([
        scoresOf(this.#redis, inYear.map(d => dayKeys(layout, sensor, d, fieldName)), [value]),
        asNamesOf(this.#redis, fieldName, [value])
      ])
      const counted = { field: fieldName, title: fieldTitle(fieldName), value, label: valueLabel(fieldName, value, undefined, asNames) }
      return { sensor, year, years, value: counted, days: inYear.map((d, i) => ({ day: dashed(d), total: counts[i]![0]! })) }
    }
    const counted = layout.fields.includes('protocol')
    const totals = counted ? await totalsOf(this.#redis, inYear.map(d => dayKeys(layout, sensor, d, 'protocol'))) : []
    return { sensor, year, years, days: inYear.map((d, i) => ({ day: dashed(d), total: totals[i] ?? null })) }
  }
}
