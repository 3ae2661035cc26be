/**
 * The dashboard's request parameters, checked before anything reaches Redis: a bad one is an
 * HttpError 400 with a message saying what was expected. Days travel as YYYY-MM-DD in URLs and
 * JSON, and as YYYYMMDD in Redis keys.
 */
import { compactOf } from '../export/names.js'

/** An answer other than 200 that the request itself caused (400, 403, 404, 405, 413). */
export class HttpError extends Error {
  override name = 'HttpError'
  constructor (readonly status: number, message: string, readonly headers: Readonly<Record<string, string>> = {}) {
    super(message)
  }
}

export function badRequest (message: string): HttpError {
  return new HttpError(400, message)
}

/** `2024-03-05` → `20240305`, only for a day that exists in the calendar. */
export function ymdOf (iso: string, name: string): string {
  const ymd = compactOf(iso, 'day')
  if (ymd === undefined) throw badRequest(`${name}: expected a day YYYY-MM-DD, got '${iso}'`)
  return ymd
}

/** The YYYYMMDD day `n` days after `ymd` (n may be negative). */
export function shiftDay (ymd: string, n: number): string {
  const date = new Date(Date.UTC(Number(ymd.slice(0, 4)), Number(ymd.slice(4, 6)) - 1, Number(ymd.slice(6, 8)) + n))
  return date.toISOString().slice(0, 10).replaceAll('-', '')
}

/** The `count` days (YYYYMMDD) ending at `last`, oldest first. */
export function daysUntil (last: string, count: number): string[] {
  return Array.from({ length: count }, (_, i) => shiftDay(last, i - count + 1))
}

/** An optional parameter: absent or empty is undefined; given twice is an error. */
export function optional (params: URLSearchParams, name: string): string | undefined {
  const all = params.getAll(name)
  if (all.length > 1) throw badRequest(`${name}: given ${all.length} times`)
  return all[0] === undefined || all[0] === '' ? undefined : all[0]
}

export function required (params: URLSearchParams, name: string): string {
  const value = optional(params, name)
  if (value === undefined) throw badRequest(`${name}: missing`)
  return value
}

/** A whole number from `min` to `max`, or `fallback` when absent. */
export function intParam (params: URLSearchParams, name: string, fallback: number, min: number, max: number): number {
  const text = optional(params, name)
  if (text === undefined) return fallback
  const n = /^\d{1,6}$/.test(text) ? Number(text) : Number.NaN
  if (!(n >= min && n <= max)) throw badRequest(`${name}: expected a whole number from ${min} to ${max}, got '${text}'`)
  return n
}

/** A yes/no parameter: `1` is yes; absent, empty or `0` is no. */
export function flagParam (params: URLSearchParams, name: string): boolean {
  const text = optional(params, name)
  if (text !== undefined && text !== '0' && text !== '1') throw badRequest(`${name}: expected 1 or 0, got '${text}'`)
  return text === '1'
}

/** The choices that are valid, in a message: `a, b, c` (the first 20, then how many more). */
export function listed (choices: readonly string[]): string {
  if (choices.length === 0) return 'none'
  const head = choices.slice(0, 20).join(', ')
  return choices.length > 20 ? `${head} and ${choices.length - 20} more` : head
}
