/**
 * Days of packets, in UTC or in a named time zone, without a Date per packet: a day is an
 * integer count of days since 1970-01-01 in that zone; YYYYMMDD strings are made only when
 * results leave.
 */
import { DEFAULTS } from '../config/defaults.js'

/** 10000-01-01T00:00:00Z: potiron's keys have 8-digit days, so later times have no day. */
export const MAX_SECONDS = 253402300800
/** 0001-01-01T00:00:00Z. */
export const MIN_SECONDS = -62135596800
const SECONDS_PER_DAY = 86400
/** Zone offsets are cached per quarter hour: every real zone changes offset on such a boundary. */
const OFFSET_BUCKET = 900

/** Maps a timestamp to its day number in one zone. */
export class DayClock {
  readonly zone: string
  readonly #format: Intl.DateTimeFormat | undefined
  readonly #offsets = new Map<number, number>()
  #lastBucket = Number.NaN
  #lastOffset = 0
  /** The last answer holds for every sec in [#from, #to): packets come in time order. */
  #from = 0
  #to = 0
  #day = Number.NaN

  /** `zone` is an IANA name such as Europe/Luxembourg; undefined or 'UTC' means UTC. Throws RangeError for an unknown zone. */
  constructor (zone?: string) {
    this.zone = zone ?? DEFAULTS.zone
    this.#format = this.zone === 'UTC'
      ? undefined
      : new Intl.DateTimeFormat('en-US', {
        timeZone: zone, hourCycle: 'h23', year: 'numeric', month: 'numeric', day: 'numeric', hour: 'numeric', minute: 'numeric', second: 'numeric', era: 'short'
      })
  }

  /** Day number of `sec` (whole seconds since the epoch), or NaN when the time has no valid day. */
  day (sec: number): number {
    return sec >= this.#from && sec < this.#to ? this.#day : this.#dayOf(sec)
  }

  /** day() past the last answer's range: kept out of line so that day() stays small enough to inline. */
  #dayOf (sec: number): number {
    if (!(sec >= MIN_SECONDS && sec < MAX_SECONDS)) return Number.NaN
    if (this.#format === undefined) {
      const day = Math.floor(sec / SECONDS_PER_DAY)
      this.#from = day * SECONDS_PER_DAY
      this.#to = this.#from + SECONDS_PER_DAY
      return (this.#day = day)
    }
    // A zone's day changes only on quarter-hour boundaries: the answer holds for the bucket.
    const bucket = Math.floor(sec / OFFSET_BUCKET)
    if (bucket !== this.#lastBucket) {
      this.#lastBucket = bucket
      this.#lastOffset = this.#offsetAt(bucket * OFFSET_BUCKET)
    }
    const local = sec + this.#lastOffset
    if (!(local >= MIN_SECONDS && local < MAX_SECONDS)) return Number.NaN
    this.#from = bucket * OFFSET_BUCKET
    this.#to = this.#from + OFFSET_BUCKET
    return (this.#day = Math.floor(local / SECONDS_PER_DAY))
  }

  /** Seconds to add to UTC to get local time at `sec`. */
  offsetAt (sec: number): number {
    return this.#format === undefined ? 0 : this.#offsetAt(Math.floor(sec / OFFSET_BUCKET) * OFFSET_BUCKET)
  }

  #offsetAt (sec: number): number {
    let offset = this.#offsets.get(sec)
    if (offset !== undefined) return offset
    const parts = this.#format!.formatToParts(new Date(sec * 1000))
    const get = (type: string): number => Number(parts.find(p => p.type === type)?.value ?? 0)
    let year = get('year')
    if (parts.find(p => p.type === 'era')?.value === 'BC') year = 1 - year
    const local = daysFromCivil(year, get('month'), get('day')) * SECONDS_PER_DAY + get('hour') * 3600 + get('minute') * 60 + get('second')
    offset = local - sec
    this.#offsets.set(sec, offset)
    return offset
  }
}

/** Days since 1970-01-01 of a proleptic Gregorian date (H. Hinnant's algorithm). */
export function daysFromCivil (year: number, month: number, day: number): number {
  const y = month <= 2 ? year - 1 : year
  const era = Math.floor(y / 400)
  const yoe = y - era * 400
  const doy = Math.floor((153 * (month + (month > 2 ? -3 : 9)) + 2) / 5) + day - 1
  const doe = yoe * 365 + Math.floor(yoe / 4) - Math.floor(yoe / 100) + doy
  return era * 146097 + doe - 719468
}

/** The civil date of a day number, as the integer YYYYMMDD. */
export function dayToYmd (days: number): number {
  const z = days + 719468
  const era = Math.floor(z / 146097)
  const doe = z - era * 146097
  const yoe = Math.floor((doe - Math.floor(doe / 1460) + Math.floor(doe / 36524) - Math.floor(doe / 146096)) / 365)
  const doy = doe - (365 * yoe + Math.floor(yoe / 4) - Math.floor(yoe / 100))
  const mp = Math.floor((5 * doy + 2) / 153)
  const day = doy - Math.floor((153 * mp + 2) / 5) + 1
  const month = mp < 10 ? mp + 3 : mp - 9
  const year = yoe + era * 400 + (month <= 2 ? 1 : 0)
  return year * 10000 + month * 100 + day
}

/**
 * The day key of a day number: YYYYMMDD, always 8 digits (year 50 gives `00500615`, never
 * `500615`), so that keys and `<sensor>_DAYS` members sort as days and match the dates of
 * `potiron json`. The one place a day becomes its key.
 */
export function ymdString (days: number): string {
  return String(dayToYmd(days)).padStart(8, '0')
}

/** Whether `year-month-day` names a day of potiron's calendar (proleptic Gregorian, years 1 to 9999). */
export function isCalendarDay (year: number, month: number, day: number): boolean {
  return year >= 1 && year <= 9999 && month >= 1 && month <= 12 && day >= 1 &&
    dayToYmd(daysFromCivil(year, month, day)) === year * 10000 + month * 100 + day
}

/** Calendar date and time of day of `sec` seconds since the epoch (UTC, or local when already shifted). */
export function civilTime (sec: number): { year: number, month: number, day: number, hour: number, minute: number, second: number } {
  const days = Math.floor(sec / SECONDS_PER_DAY)
  const ymd = dayToYmd(days)
  const rest = sec - days * SECONDS_PER_DAY
  return {
    year: Math.floor(ymd / 10000), month: Math.floor(ymd / 100) % 100, day: ymd % 100,
    hour: Math.floor(rest / 3600), minute: Math.floor(rest / 60) % 60, second: rest % 60
  }
}

/** Zero-padded decimal. */
export function pad (n: number, width = 2): string {
  return String(n).padStart(width, '0')
}
