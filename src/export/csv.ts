/**
 * `potiron export csv`: top-N tables of one field for a day, a month, or each day of a month.
 * A table is a header and one row per value, by descending count (ties by value):
 * `value,count,label`. File names are the original's (reference §4.2).
 */
import { mkdir, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import type { Redis } from 'ioredis'
import { UsageError } from '../errors.js'
import { valueLabel } from './labels.js'
import { dashed, topStem } from './names.js'
import { LIST_CAP, checkField, dayKeys, readLayout, sensorDays, topOf, type Row } from '../store/read.js'

/** RFC 4180: a field with a comma, quote or line break is quoted, quotes doubled. */
function cell (text: string): string {
  return /[",\r\n]/.test(text) ? `"${text.replace(/"/g, '""')}"` : text
}

export function csvText (field: string, rows: readonly Row[], protocol?: string): string {
  return ['value,count,label', ...rows.map(r => `${cell(r.value)},${r.count},${cell(valueLabel(field, r.value, protocol))}`)].join('\n') + '\n'
}

export interface CsvExport {
  sensor: string
  field: string
  /** YYYYMMDD (a day) or YYYYMM (a month). */
  date: string
  eachDay: boolean
  protocols: boolean
  limit: number
  skip: ReadonlySet<string>
  out: string
  /** Sum every member when the keys' heads do not prove the top (see topOf). */
  exact?: boolean
}

/**
 * Writes the tables; returns the files written, relative to `out`. A table whose top could not
 * be proven without reading everything is still written, and `warn` says how far it holds.
 */
export async function exportCsv (redis: Redis, job: CsvExport, warn: (line: string) => void): Promise<string[]> {
  const layout = await readLayout(redis)
  checkField(layout, job.field)
  if (job.protocols && !layout.combinedKeys) throw new UsageError('--protocols needs data ingested with --combined-keys: this data has no per-protocol counts')
  const days = await sensorDays(redis, job.sensor, job.date)
  if (days.length === 0) throw new UsageError(`no data for sensor '${job.sensor}' on ${dashed(job.date)}`)
  // A period is one table over the keys of its days: a day, each day on its own, or the month as one.
  const periods = job.date.length === 8 || job.eachDay ? days.map(d => [d, [d]] as const) : [[job.date, days] as const]
  await mkdir(job.out, { recursive: true })
  const written: string[] = []
  for (const [period, periodDays] of periods) {
    const scopes = job.protocols ? [...layout.protocols, undefined] : [undefined]
    for (const protocol of scopes) {
      const keys = periodDays.flatMap(d => dayKeys(layout, job.sensor, d, job.field, protocol))
      const { rows, missingAtMost } = await topOf(redis, keys, job.limit, job.skip, { exact: job.exact })
      // Every protocol of the data is tried: one that has no rows in this period gets no file.
      if (protocol !== undefined && rows.length === 0) continue
      const name = `${topStem(job.sensor, job.field, period, protocol, job.protocols)}.csv`
      if (missingAtMost !== undefined) warn(incompleteNote(name, missingAtMost))
      await writeFile(join(job.out, name), csvText(job.field, rows, protocol))
      written.push(name)
    }
  }
  return written
}

/** What an unproven top-N means, in one line (see topOf). */
export function incompleteNote (what: string, missingAtMost: number): string {
  return `${what}: too many values to prove this top-N from the first ${LIST_CAP} of each day; every count shown is exact, but a value with at most ${missingAtMost} packets may be missing (export, plot and report read everything with --exact)`
}
