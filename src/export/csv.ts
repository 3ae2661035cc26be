/**
 * `potiron export csv`: writes top-N tables of one field for a day, a month, or each day of a month.
 * A table is a header and one row per value, by descending count (ties by value):
 * `value,count,label`. File names are the original's (reference §4.2).
 */
import { mkdir, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { valueLabel, type AsNames } from './labels.js'
import { topStem } from './names.js'
import type { Row } from '../store/read.js'
import type { Tables } from '../store/report-data.js'
import { plural } from '../plural.js'

/** RFC 4180: a field with a comma, quote or line break is quoted, quotes doubled. */
export function cell (text: string): string {
  return /[",\r\n]/.test(text) ? `"${text.replace(/"/g, '""')}"` : text
}

/** A table's CSV; `asNames`: the names of its AS numbers, read with it (the AS fields' labels). */
export function csvText (field: string, rows: readonly Row[], protocol?: string, asNames?: AsNames): string {
  return ['value,count,label', ...rows.map(r => `${cell(r.value)},${r.count},${cell(valueLabel(field, r.value, protocol, asNames))}`)].join('\n') + '\n'
}

export interface CsvJob {
  sensor: string
  field: string
  /** Name the files as a per-protocol export (`--protocols`) does. */
  protocols: boolean
  out: string
}

/**
 * Writes the tables read (readTables); returns the files written, relative to `out`. A table
 * whose top could not be proven without reading everything is still written, and `warn` says how
 * far it holds.
 */
export async function writeCsv (data: Tables, job: CsvJob, warn: (line: string) => void): Promise<string[]> {
  await mkdir(job.out, { recursive: true })
  const written: string[] = []
  for (const { period, protocol, top: { rows, missingAtMost } } of data.tables) {
    // Every protocol of the data is read: one that has no rows in this period gets no file.
    if (protocol !== undefined && rows.length === 0) continue
    const name = `${topStem(job.sensor, job.field, period, protocol, job.protocols)}.csv`
    if (missingAtMost !== undefined) warn(incompleteNote(name, missingAtMost, data.listCap))
    await writeFile(join(job.out, name), csvText(job.field, rows, protocol, data.asNames))
    written.push(name)
  }
  return written
}

/** What an unproven top-N means, in one line (see topOf): `listCap` members were read from the head of each day. */
export function incompleteNote (what: string, missingAtMost: number, listCap: number): string {
  return `${what}: too many values to prove this top-N from the first ${listCap} of each day; every count shown is exact, but a value with at most ${plural(missingAtMost, 'packet')} may be missing (export, plot and report read everything with --exact)`
}
