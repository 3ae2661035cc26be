/**
 * Long timelines (`plot range`, the dashboard's evolution): a period of any length cut into at
 * most MAX_POINTS points. A day per point while that fits, else an ISO week (Monday to Sunday),
 * else a calendar month; each point sums its days. Pure arithmetic on day numbers (days since
 * 1970-01-01, aggregate/days.ts), shared by the CLI and the dashboard so both draw the same points.
 *
 * A point's sum counts a day without any capture as 0 (there is nothing to add), and says how
 * many of its days had data; a week or month the period cuts at either end is partial, and says so.
 */
import { dayToYmd, daysFromCivil } from '../aggregate/days.js'
import { dashed } from './names.js'
import { plural } from '../plural.js'

/** The most points a long timeline draws: a day each up to this many days, then weeks, then months. */
export const MAX_POINTS = 400

export type Aggregation = 'day' | 'week' | 'month'

/** One point of a long timeline: the days of a day, week or month that lie in the period. */
export interface Bucket {
  /** `2024-03-05`, `2024-W09` (ISO week), `2024-03`. */
  label: string
  /** The first day of the whole day, week or month (YYYYMMDD): where its point sits on a date axis. */
  start: string
  /** Its first and last day inside the period, YYYYMMDD. */
  first: string
  last: string
  /** Its days inside the period. */
  days: number
  /** Whether the period leaves some of its days out (a week or month cut at an end of the period). */
  partial: boolean
}

/** A long timeline's points and, per line, each point's sum. */
export interface Aggregated {
  aggregation: Aggregation
  buckets: Bucket[]
  /** Days with data (in `<sensor>_DAYS`) in each bucket. */
  withData: number[]
  /** `sums[line][bucket]`: the line's packets over the bucket's days. */
  sums: number[][]
}

function dayNumber (ymd: string): number {
  return daysFromCivil(Number(ymd.slice(0, 4)), Number(ymd.slice(4, 6)), Number(ymd.slice(6, 8)))
}

function ymdOf (day: number): string {
  return String(dayToYmd(day))
}

/** The Monday of the week of `day` (day 0, 1970-01-01, was a Thursday). */
function mondayOf (day: number): number {
  return day - ((day + 3) % 7 + 7) % 7
}

/** `2024-W09`: the ISO week of the week starting `monday`, whose year is that of its Thursday. */
export function isoWeek (monday: number): string {
  const year = Math.floor(dayToYmd(monday + 3) / 10000)
  const week = Math.floor((monday + 3 - daysFromCivil(year, 1, 1)) / 7) + 1
  return `${year}-W${String(week).padStart(2, '0')}`
}

/** Every day from `first` to `last` (YYYYMMDD), both included. */
export function daysFrom (first: string, last: string): string[] {
  const [a, b] = [dayNumber(first), dayNumber(last)]
  return Array.from({ length: Math.max(0, b - a + 1) }, (_, i) => ymdOf(a + i))
}

/** The first and last day (YYYYMMDD) of the months `from` to `to` (YYYYMM). */
export function monthsPeriod (from: string, to: string): { first: string, last: string } {
  const [year, month] = [Number(to.slice(0, 4)), Number(to.slice(4, 6))]
  return { first: `${from}01`, last: ymdOf(daysFromCivil(year, month + 1, 1) - 1) }
}

/** How many months from `from` to `to` (YYYYMM), both included; 0 or less when `to` is before `from`. */
export function monthCount (from: string, to: string): number {
  return (Number(to.slice(0, 4)) - Number(from.slice(0, 4))) * 12 + Number(to.slice(4, 6)) - Number(from.slice(4, 6)) + 1
}

/** Days while they fit in MAX_POINTS, then ISO weeks, then months. */
export function aggregationOf (first: string, last: string): Aggregation {
  const [a, b] = [dayNumber(first), dayNumber(last)]
  if (b - a + 1 <= MAX_POINTS) return 'day'
  return (mondayOf(b) - mondayOf(a)) / 7 + 1 <= MAX_POINTS ? 'week' : 'month'
}

/** The points of the period `first` to `last` (YYYYMMDD), each a day, week or month (whole, or cut by the period). */
export function bucketsOf (first: string, last: string, aggregation: Aggregation): Bucket[] {
  const [a, b] = [dayNumber(first), dayNumber(last)]
  const buckets: Bucket[] = []
  for (let day = a; day <= b;) {
    let start: number
    let end: number
    let label: string
    if (aggregation === 'day') {
      [start, end] = [day, day]
      label = dashed(ymdOf(day))
    } else if (aggregation === 'week') {
      start = mondayOf(day)
      end = start + 6
      label = isoWeek(start)
    } else {
      const ymd = dayToYmd(day)
      const [year, month] = [Math.floor(ymd / 10000), Math.floor(ymd / 100) % 100]
      start = daysFromCivil(year, month, 1)
      end = daysFromCivil(year, month + 1, 1) - 1
      label = `${year}-${String(month).padStart(2, '0')}`
    }
    const [inFirst, inLast] = [Math.max(start, a), Math.min(end, b)]
    buckets.push({ label, start: ymdOf(start), first: ymdOf(inFirst), last: ymdOf(inLast), days: inLast - inFirst + 1, partial: inFirst > start || inLast < end })
    day = inLast + 1
  }
  return buckets
}

/**
 * Sums `counts[line][d]`, the lines' packets on the days with data `daysWithData[d]` (YYYYMMDD,
 * ascending, as read), into the points of `first` to `last`; days outside the period are ignored.
 */
export function aggregate (first: string, last: string, daysWithData: readonly string[], counts: readonly number[][], aggregation = aggregationOf(first, last)): Aggregated {
  const buckets = bucketsOf(first, last, aggregation)
  const withData = buckets.map(() => 0)
  const sums = counts.map(() => buckets.map(() => 0))
  let at = 0
  daysWithData.forEach((day, d) => {
    if (day < first || day > last) return
    while (buckets[at]!.last < day) at++
    withData[at]!++
    counts.forEach((line, l) => { sums[l]![at]! += line[d] ?? 0 })
  })
  return { aggregation, buckets, withData, sums }
}

/**
 * What a point covers, as its hover says: `2024-W09, 2024-03-01 to 2024-03-03 (partial week: 3
 * days in the period), 3 of 3 days with data`. `first` and `last` as YYYY-MM-DD.
 */
export function bucketText (b: Pick<Bucket, 'label' | 'first' | 'last' | 'days' | 'partial'>, withData: number, aggregation: Aggregation): string {
  const span = b.first === b.last ? b.first : `${b.first} to ${b.last}`
  const partial = b.partial ? ` (partial ${aggregation}: ${plural(b.days, 'day')} in the period)` : ''
  return `${aggregation === 'day' ? span : `${b.label}, ${span}`}${partial}, ${withData} of ${plural(b.days, 'day')} with data`
}
