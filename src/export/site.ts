/**
 * The offline site: linked top-values charts (a day or a month) and month timelines, with the
 * CSV beside each chart. Pages are planned by the links that point to them: a tile of a top
 * chart links to its value's month timeline, a timeline point to that day's top chart, and each
 * linked page is written once, so every link resolves to a file that exists.
 */
import { mkdir, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import type { Redis } from 'ioredis'
import { UsageError } from '../errors.js'
import { timelineFigure, topFigure, type TimelineLine } from './charts.js'
import { csvText, incompleteNote } from './csv.js'
import { fieldTitle, valueLabel } from './labels.js'
import { dashed, specText, timelineStem, topStem, type ValueSpec } from './names.js'
import { ASSETS, chartPage, writeAssets, type Link } from './page.js'
import { dayKeys, readLayout, scoresOf, sensorDays, topOf, type Layout, type Row } from '../store/read.js'

export interface SiteOptions {
  sensor: string
  /** YYYYMM */
  month: string
  out: string
  limit: number
  skip: ReadonlySet<string>
  /** The page every chart links back to (report's index.html), if any. */
  home?: string | undefined
  /** Where Plotly and the chart script are: relative to `out` (default `assets`, written there). */
  assets?: string | undefined
  /** Sum every member when the keys' heads do not prove a top (see topOf). */
  exact?: boolean | undefined
}

export type Page =
  | { kind: 'top', field: string, period: string, protocol?: string | undefined }
  | { kind: 'timeline', field: string, specs: readonly ValueSpec[] }

const MONTHS = ['January', 'February', 'March', 'April', 'May', 'June', 'July', 'August', 'September', 'October', 'November', 'December']

export function monthName (month: string): string {
  return `${MONTHS[Number(month.slice(4)) - 1]!} ${month.slice(0, 4)}`
}

export class Site {
  /** Files written, relative to `out`, in order. */
  readonly written: string[] = []
  /** Rows of every top page written, by page file name. */
  readonly tops = new Map<string, Row[]>()
  /** One line per top that could not be proven complete (see topOf). */
  readonly notes: string[] = []
  readonly #planned = new Set<string>()
  readonly #queue: Page[] = []
  readonly #redis: Redis
  readonly #options: SiteOptions

  private constructor (redis: Redis, readonly layout: Layout, options: SiteOptions, readonly days: readonly string[]) {
    this.#redis = redis
    this.#options = options
  }

  /** Checks that the sensor has data in the month and writes the assets. */
  static async open (redis: Redis, options: SiteOptions): Promise<Site> {
    const [layout, days] = await Promise.all([readLayout(redis), sensorDays(redis, options.sensor, options.month)])
    if (days.length === 0) throw new UsageError(`no data for sensor '${options.sensor}' in ${dashed(options.month)}`)
    await mkdir(options.out, { recursive: true })
    if (options.assets === undefined) await writeAssets(join(options.out, ASSETS))
    return new Site(redis, layout, options, days)
  }

  /** Plans `page` (once) and returns its file name, to link to. */
  need (page: Page): string {
    const name = pageName(this.#options.sensor, this.#options.month, page)
    if (!this.#planned.has(name)) {
      this.#planned.add(name)
      this.#queue.push(page)
    }
    return name
  }

  /** Writes every planned page, and the pages they link to, `concurrency` at a time. */
  async drain (concurrency = 8): Promise<void> {
    const run = async (): Promise<void> => {
      for (let page = this.#queue.shift(); page !== undefined; page = this.#queue.shift()) await this.#write(page)
    }
    // A runner that found the queue empty stops while others may still add pages: go on until none are left.
    while (this.#queue.length > 0) await Promise.all(Array.from({ length: concurrency }, run))
  }

  async writeFile (name: string, text: string): Promise<void> {
    await writeFile(join(this.#options.out, name), text)
    this.written.push(name)
  }

  async #write (page: Page): Promise<void> {
    if (page.kind === 'top') await this.#writeTop(page.field, page.period, page.protocol)
    else await this.#writeTimeline(page.field, page.specs)
  }

  get #assets (): string {
    return this.#options.assets ?? ASSETS
  }

  #nav (extra: readonly Link[]): Link[] {
    return [...(this.#options.home !== undefined ? [{ href: this.#options.home, text: 'index' }] : []), ...extra]
  }

  async #writeTop (field: string, period: string, protocol: string | undefined): Promise<void> {
    const { sensor, limit, skip } = this.#options
    const days = period.length === 8 ? [period] : this.days
    const keys = days.flatMap(d => dayKeys(this.layout, sensor, d, field, protocol))
    const { rows, missingAtMost } = await topOf(this.#redis, keys, limit, skip, { exact: this.#options.exact })
    const stem = topStem(sensor, field, period, protocol)
    const note = missingAtMost === undefined ? undefined : incompleteNote(`${stem}.csv`, missingAtMost)
    if (note !== undefined) this.notes.push(note)
    this.tops.set(`${stem}.html`, rows)
    const items = rows.map(r => ({
      ...r,
      label: valueLabel(field, r.value, protocol),
      link: this.need({ kind: 'timeline', field, specs: [{ value: r.value, protocol }] })
    }))
    const title = `Most frequent ${fieldTitle(field)} values on sensor ${sensor}, ${dashed(period)}${protocol !== undefined ? `, ${protocol} packets` : ''}`
    await this.writeFile(`${stem}.csv`, csvText(field, rows, protocol))
    await this.writeFile(`${stem}.html`, chartPage({ title, figure: topFigure(title, items), links: this.#nav([{ href: `${stem}.csv`, text: 'CSV' }]), assets: this.#assets, note }))
  }

  async #writeTimeline (field: string, specs: readonly ValueSpec[]): Promise<void> {
    const { sensor, month } = this.#options
    const lines: Array<{ value: string, protocol: string | undefined }> = []
    for (const spec of specs) {
      if (spec.protocol === '*') for (const protocol of [...this.layout.protocols, undefined]) lines.push({ value: spec.value, protocol })
      else lines.push({ value: spec.value, protocol: spec.protocol })
    }
    // Each key is asked once for every value, not once per line: with combined keys, the total
    // of all protocols is the sum of the protocols' own counts.
    const { combinedKeys, protocols: all } = this.layout
    const partsOf = (protocol: string | undefined): ReadonlyArray<string | undefined> => protocol === undefined && combinedKeys ? all : [protocol]
    const asked = [...new Set(lines.flatMap(l => partsOf(l.protocol)))]
    const values = [...new Set(lines.map(l => l.value))]
    const counts = await scoresOf(this.#redis, asked.flatMap(protocol => this.days.map(d => dayKeys(this.layout, sensor, d, field, protocol))), values)
    const series: TimelineLine[] = []
    lines.forEach(line => {
      const v = values.indexOf(line.value)
      const rows = partsOf(line.protocol).map(p => asked.indexOf(p) * this.days.length)
      const y = this.days.map((_, d) => rows.reduce((sum, first) => sum + counts[first + d]![v]!, 0))
      // With `22-*`, protocols that never carry the value would only add flat lines at zero.
      const splitLine = line.protocol !== undefined && specs.some(s => s.value === line.value && s.protocol === '*')
      if (splitLine && y.every(n => n === 0)) return
      series.push({
        name: specText(line),
        label: valueLabel(field, line.value, line.protocol),
        x: this.days.map(dashed),
        y,
        links: this.days.map(d => this.need({ kind: 'top', field, period: d, protocol: line.protocol }))
      })
    })
    const title = `Packets per day with ${fieldTitle(field)} ${specs.map(specText).join(', ')} on sensor ${sensor}, ${monthName(month)}`
    const stem = timelineStem(sensor, field, month, specs)
    await this.writeFile(`${stem}.html`, chartPage({ title, figure: timelineFigure(title, series), links: this.#nav([]), assets: this.#assets }))
  }
}

function pageName (sensor: string, month: string, page: Page): string {
  return (page.kind === 'top' ? topStem(sensor, page.field, page.period, page.protocol) : timelineStem(sensor, page.field, month, page.specs)) + '.html'
}
