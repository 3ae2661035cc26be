/**
 * Numeric options, read as typed. yargs's `type: 'number'` turns `--limit abc` into NaN before
 * any check sees it, so the message could only say `got NaN`: these options are strings
 * (`requiresArg`, so a flag without its value is refused by yargs), parsed here, and a refusal
 * quotes what was typed. Their default is applied by the command's `check`, and shown in
 * `--help` through `defaultDescription`.
 */
import { UsageError } from '../errors.js'

/** `--flag N`: a whole number from `min` to `max`, written in decimal digits. */
export function wholeNumber (flag: string, text: string, min: number, max: number): number {
  const n = /^\d+$/.test(text) ? Number(text) : Number.NaN
  if (!(n >= min && n <= max)) throw new UsageError(`--${flag}: expected a whole number from ${min} to ${max}, got '${text}'`)
  return n
}

/** `--flag N`: a number of seconds, 0 or more, decimals allowed (`1.5`). */
export function seconds (flag: string, text: string): number {
  if (!/^\d+(\.\d+)?$/.test(text)) throw new UsageError(`--${flag}: expected a number of seconds, 0 or more, got '${text}'`)
  return Number(text)
}
