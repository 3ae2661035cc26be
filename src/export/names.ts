/**
 * File names of the exports, after the original's (reference §4.2, §4.4): `<sensor>_<field
 * words>_<date>[...]` for top values, `<sensor>_<YYYY-MM>_<field words>_<values>` for month
 * timelines. Parts that come from data are made safe for file names and relative links.
 */
import { createHash } from 'node:crypto'
import { dayToYmd, daysFromCivil } from '../aggregate/days.js'
import { fieldWords } from './labels.js'
import { NAME_BYTES, fitName } from '../documents/fit-name.js'

/** Stems get `.html` or `.csv` after them (and are cut to fit, see fitName). */
const STEM_BYTES = NAME_BYTES - '.html'.length

/** A value or sensor as a file-name part: `:` (IPv6) becomes `_`; anything else unusual, a hash. */
export function namePart (text: string): string {
  if (/^[A-Za-z0-9.:-]+$/.test(text) && !text.startsWith('.')) return text.replaceAll(':', '_')
  return 'x' + createHash('sha256').update(text).digest('hex').slice(0, 16)
}

/**
 * A field in file names: potiron's own as the original wrote them (`destination-port`), any other
 * name found in the data's field list made safe like a value.
 */
function fieldPart (field: string): string {
  return namePart(fieldWords(field))
}

/** A value, optionally restricted to one protocol (`22-tcp`), or split by protocol plus the total (`22-*`). */
export interface ValueSpec {
  value: string
  protocol?: string | undefined
}

/**
 * `YYYYMMDD` of a `YYYY-MM-DD` the calendar has, `YYYYMM` of `YYYY-MM`, as `accept` allows;
 * undefined for anything else (each caller says so in its own way).
 */
export function compactOf (text: string, accept: 'day' | 'month' | 'day or month'): string | undefined {
  const m = /^(\d{4})-(\d{2})(?:-(\d{2}))?$/.exec(text)
  if (m === null) return undefined
  const [year, month] = [Number(m[1]), Number(m[2])]
  if (month < 1 || month > 12) return undefined
  if (m[3] === undefined) return accept === 'day' ? undefined : `${m[1]}${m[2]}`
  const ymd = year * 10000 + month * 100 + Number(m[3])
  return accept !== 'month' && dayToYmd(daysFromCivil(year, month, Number(m[3]))) === ymd ? `${m[1]}${m[2]}${m[3]}` : undefined
}

/** `YYYY-MM-DD` of `YYYYMMDD`, `YYYY-MM` of `YYYYMM`. */
export function dashed (compact: string): string {
  return compact.length === 8 ? `${compact.slice(0, 4)}-${compact.slice(4, 6)}-${compact.slice(6)}` : `${compact.slice(0, 4)}-${compact.slice(4)}`
}

/**
 * Stem (no extension) of a top-values table/chart for a day (`YYYYMMDD`) or month (`YYYYMM`):
 * `<sensor>_<fw>_<date>` for all protocols, `<sensor>_<fw>_with-protocols_<date>_<proto>` for one.
 * `withProtocols` names the all-protocols file of a per-protocol export as the original did.
 */
export function topStem (sensor: string, field: string, period: string, protocol?: string, withProtocols = false): string {
  const base = `${namePart(sensor)}_${fieldPart(field)}`
  const stem = protocol !== undefined
    ? `${base}_with-protocols_${dashed(period)}_${namePart(protocol)}`
    : withProtocols ? `${base}_with-protocols_${dashed(period)}` : `${base}_${dashed(period)}`
  return fitName(stem, STEM_BYTES)
}

export function specText (spec: ValueSpec): string {
  return spec.protocol === undefined ? spec.value : `${spec.value}-${spec.protocol}`
}

/** Stem of a month timeline: values in sorted order, `*` written `all`. */
export function timelineStem (sensor: string, field: string, month: string, specs: readonly ValueSpec[]): string {
  return periodStem(sensor, dashed(month), field, specs)
}

/** Stem of a long timeline (`plot range`) from month `from` to `to` (YYYYMM): `<sensor>_<YYYY-MM>_to_<YYYY-MM>_...` as a month's. */
export function rangeStem (sensor: string, field: string, from: string, to: string, specs: readonly ValueSpec[]): string {
  return periodStem(sensor, `${dashed(from)}_to_${dashed(to)}`, field, specs)
}

/** Stem of a value's year calendar: `<sensor>_<YYYY>_calendar_<field words>_<value>`. */
export function calendarStem (sensor: string, field: string, year: number, spec: ValueSpec): string {
  return periodStem(sensor, `${year}_calendar`, field, [spec])
}

function periodStem (sensor: string, period: string, field: string, specs: readonly ValueSpec[]): string {
  const perProtocol = specs.some(s => s.protocol !== undefined)
  const parts = specs.map(s => namePart(specText({ value: s.value, protocol: s.protocol === '*' ? 'all' : s.protocol }))).sort()
  return fitName(`${namePart(sensor)}_${period}_${fieldPart(field)}${perProtocol ? '_with-protocols' : ''}_${parts.join('_')}`, STEM_BYTES)
}
