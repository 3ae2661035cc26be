/**
 * The offline site: linked top-values charts (a day or a month) and month timelines, with the
 * CSV beside each chart. Pages are planned by the links that point to them: a tile of a top
 * chart links to its value's month timeline, a timeline point to that day's top chart, and each
 * linked page is written once, so every link resolves to a file that exists.
 */
import { mkdir, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { shareText, timelineFigure, topFigure, type Period, type TimelineLine } from './charts.js'
import { csvText, incompleteNote } from './csv.js'
import { fieldTitle, valueLabel, type AsNames } from './labels.js'
import { dashed, specText, timelineStem, topStem, type ValueSpec } from './names.js'
import { ASSETS, chartPage, escapeHtml, writeAssets, type Link } from './page.js'
import { daysFromCivil } from '../aggregate/days.js'
import type { Row } from '../store/read.js'
import type { Line, Month, PageData, PagePlan, PageQuery } from '../store/report-data.js'
import { plural } from '../plural.js'

export interface SiteOptions {
  out: string
  /** The page every chart links back to (report's index.html), if any. */
  home?: string | undefined
  /** Where Plotly and the chart script are: relative to `out` (default `assets`, written there). */
  assets?: string | undefined
}

export type Page =
  | { kind: 'top', field: string, period: string, protocol?: string | undefined }
  | { kind: 'timeline', field: string, specs: readonly ValueSpec[] }

const MONTHS = ['January', 'February', 'March', 'April', 'May', 'June', 'July', 'August', 'September', 'October', 'November', 'December']

export function monthName (month: string): string {
  return `${MONTHS[Number(month.slice(4)) - 1]!} ${month.slice(0, 4)}`
}

/** Every calendar day of `month` (YYYYMM): a month timeline spans them, days without data as gaps. */
export function monthPeriod (month: string): Period {
  const [year, m] = [Number(month.slice(0, 4)), Number(month.slice(4))]
  const length = daysFromCivil(year, m + 1, 1) - daysFromCivil(year, m, 1)
  return { first: `${dashed(month)}-01`, last: `${dashed(month)}-${String(length).padStart(2, '0')}` }
}

/** The values a top leaves out, as its page says them: `-1 (not set), 12 packets`. */
function leftOut (field: string, left: readonly Row[], protocol: string | undefined, asNames: AsNames): string {
  return left.map(r => {
    const label = valueLabel(field, r.value, protocol, asNames)
    return `${r.value}${label === '' ? '' : ` (${label})`}, ${plural(r.count, 'packet', r.count.toLocaleString('en-US'))}`
  }).join('; ')
}

/**
 * The pages of one sensor's month and, once read (store/report-data.ts readPages), their data.
 * Planning is pure: a page's data tells which pages it links to, and those are planned in
 * turn, so reading to the end gives every page a link can open. writeSite renders the result.
 */
export class SitePlan implements PagePlan {
  /** Pages by file name, in the order planned. */
  readonly #pages = new Map<string, Page>()
  readonly #data = new Map<string, PageData>()
  readonly #queue: Array<[string, Page]> = []
  /** Planning that needs earlier pages' data: run once everything planned before was read. */
  readonly #stages: Array<() => void> = []
  /** The names of the AS numbers of every page read (the same hash for all: one map), for their labels. */
  readonly #asNames = new Map<string, string>()

  constructor (readonly month: Month) {}

  get layout (): Month['layout'] { return this.month.layout }
  get days (): readonly string[] { return this.month.days }
  get asNames (): AsNames { return this.#asNames }

  /** The label of `field`'s `value` (valueLabel), AS names as read with the pages. */
  label (field: string, value: string, protocol?: string): string {
    return valueLabel(field, value, protocol, this.#asNames)
  }

  /** Plans `page` (once) and returns its file name, to link to. */
  need (page: Page): string {
    const name = pageName(this.month.sensor, this.month.month, page)
    if (!this.#pages.has(name)) {
      this.#pages.set(name, page)
      this.#queue.push([name, page])
    }
    return name
  }

  /** Runs `stage` once every page planned so far has its data (not `then`: a plan would be a thenable). */
  afterRead (stage: () => void): void {
    this.#stages.push(stage)
  }

  /** The rows of a top page read. */
  top (name: string): Row[] {
    return this.#topData(name).top.rows
  }

  /** The packets of a top page read that its tiles do not show: its "others" (see othersOf). */
  others (name: string): number {
    return othersOf(this.#topData(name))
  }

  /** The sentence that says a top page read has nothing to draw, its month named `when`. */
  emptyText (name: string, field: string, when: string): string {
    return emptyTop(field, when, undefined, leftOut(field, this.#topData(name).left, undefined, this.#asNames))
  }

  #topData (name: string): PageData & { kind: 'top' } {
    const data = this.#data.get(name)
    if (data?.kind !== 'top') throw new Error(`${name}: not a top page read`)
    return data
  }

  /** The counts of a timeline page read: `[line][day]` over the month's days with data. */
  counts (name: string): number[][] {
    const data = this.#data.get(name)
    if (data?.kind !== 'timeline') throw new Error(`${name}: not a timeline read`)
    return data.y
  }

  next (): { query: PageQuery, answer: (data: PageData) => void } | undefined {
    const planned = this.#queue.shift()
    if (planned === undefined) return undefined
    const [name, page] = planned
    return {
      query: page.kind === 'top' ? { kind: 'top', field: page.field, period: page.period, protocol: page.protocol } : { kind: 'timeline', field: page.field, lines: this.#lines(page.specs) },
      answer: data => {
        this.#data.set(name, data)
        for (const [asn, asName] of data.asNames) this.#asNames.set(asn, asName)
        this.#links(page, data)
      }
    }
  }

  more (): boolean {
    while (this.#queue.length === 0 && this.#stages.length > 0) this.#stages.shift()!()
    return this.#queue.length > 0
  }

  /** Every page with its data, in the order planned. */
  * read (): Generator<[string, Page, PageData]> {
    for (const [name, page] of this.#pages) {
      const data = this.#data.get(name)
      if (data === undefined) throw new Error(`${name}: planned but not read`)
      yield [name, page, data]
    }
  }

  /** The lines of a timeline: `22-*` is each protocol and the total. */
  #lines (specs: readonly ValueSpec[]): Line[] {
    const lines: Line[] = []
    for (const spec of specs) {
      if (spec.protocol === '*') for (const protocol of [...this.layout.protocols, undefined]) lines.push({ value: spec.value, protocol })
      else lines.push({ value: spec.value, protocol: spec.protocol })
    }
    return lines
  }

  /** Plans what `page` links to: a top's values open their timelines, a timeline's points their day's top. */
  #links (page: Page, data: PageData): void {
    if (page.kind === 'top' && data.kind === 'top') {
      for (const r of data.top.rows) this.need({ kind: 'timeline', field: page.field, specs: [{ value: r.value, protocol: page.protocol }] })
    } else if (page.kind === 'timeline' && data.kind === 'timeline') {
      for (const { line } of this.shown(page.specs, data.y)) for (const d of this.days) this.need({ kind: 'top', field: page.field, period: d, protocol: line.protocol })
    }
  }

  /** The values of the timeline `name` (read) that have no packet on any day of the month. */
  unseen (name: string): ValueSpec[] {
    const page = this.#pages.get(name)
    const data = this.#data.get(name)
    if (page?.kind !== 'timeline' || data?.kind !== 'timeline') throw new Error(`${name}: not a timeline read`)
    let at = 0
    return page.specs.filter(spec => {
      const lines = data.y.slice(at, at + this.#lines([spec]).length)
      at += lines.length
      return lines.every(counts => counts.every(n => n === 0))
    })
  }

  /** The lines a timeline draws, with their counts per day; `total`: the sum line of a `22-*`. */
  shown (specs: readonly ValueSpec[], y: readonly number[][]): Array<{ line: Line, y: number[], total: boolean }> {
    return this.#lines(specs).flatMap((line, i) => {
      const counts = y[i]!
      const split = specs.some(s => s.value === line.value && s.protocol === '*')
      // With `22-*`, protocols that never carry the value would only add flat lines at zero.
      return split && line.protocol !== undefined && counts.every(n => n === 0) ? [] : [{ line, y: counts, total: split && line.protocol === undefined }]
    })
  }
}

/** What writeSite wrote. */
export interface Written {
  /** Files written, relative to `out`, in order. */
  files: string[]
  /** One line per top that could not be proven complete (see topOf). */
  notes: string[]
}

/** Writes every page of `plan` (read) into `options.out`, each chart with its CSV, and the assets unless they are elsewhere. */
export async function writeSite (plan: SitePlan, options: SiteOptions): Promise<Written> {
  await mkdir(options.out, { recursive: true })
  if (options.assets === undefined) await writeAssets(join(options.out, ASSETS))
  const written: Written = { files: [], notes: [] }
  for (const [, page, data] of plan.read()) {
    const files = page.kind === 'top' && data.kind === 'top'
      ? topFiles(plan, options, page, data, written.notes)
      : page.kind === 'timeline' && data.kind === 'timeline' ? timelineFiles(plan, options, page.field, page.specs, data.y) : []
    for (const [name, text] of files) await writeSiteFile(options.out, name, text, written)
  }
  return written
}

export async function writeSiteFile (out: string, name: string, text: string, written: Written): Promise<void> {
  await writeFile(join(out, name), text)
  written.files.push(name)
}

function nav (options: SiteOptions, extra: readonly Link[]): Link[] {
  return [...(options.home !== undefined ? [{ href: options.home, text: 'index' }] : []), ...extra]
}

/** The one sentence of a top with nothing to draw, `when` as it reads (`on 2010-07-04`'s date, or a month's name). */
function emptyTop (field: string, when: string, protocol: string | undefined, skipped: string): string {
  return `No ${fieldTitle(field)} values ${/^\d/.test(when) ? 'on' : 'in'} ${when}${protocol === undefined ? '' : ` in ${protocol} packets`}${skipped === '' ? '' : ` but those left out: ${skipped}`}.`
}

/**
 * A top's packets that none of its values shown hold: the period's total less the rows and what
 * was left out ("not set", said apart); 0 when the total is unknown.
 */
export function othersOf (data: Omit<PageData & { kind: 'top' }, 'asNames'>): number {
  if (data.total === undefined) return 0
  const shown = [...data.top.rows, ...data.left].reduce((sum, r) => sum + r.count, 0)
  return Math.max(0, data.total - shown)
}

/**
 * A top's table, the text alternative of its treemap: each value with its count and its share of
 * the chart (a bar behind it), linking what its tile opens (the keyboard's way there).
 */
export function topTable (rows: ReadonlyArray<Row & { label: string, link?: string | null }>, others: number, caption: string): string {
  const total = rows.reduce((sum, r) => sum + r.count, others)
  const line = (value: string, label: string, count: number, link?: string | null): string => {
    const share = shareText(count, total)
    const shown = link === undefined || link === null ? escapeHtml(value) : `<a href="${escapeHtml(encodeURI(link))}">${escapeHtml(value)}</a>`
    return `<tr><td>${shown}</td><td>${escapeHtml(label)}</td><td class="n">${count.toLocaleString('en-US')}</td><td class="n share" style="--share: ${share.replace('<', '')}">${escapeHtml(share)}</td></tr>`
  }
  return `<div class="scroll"><table>
<caption class="muted">${escapeHtml(caption)}</caption>
<thead><tr><th scope="col">Value</th><th scope="col">Label</th><th scope="col" class="n">Packets</th><th scope="col" class="n">Share</th></tr></thead>
<tbody>
${[...rows.map(r => line(r.value, r.label, r.count, r.link)), ...others > 0 ? [line('others', 'other values', others)] : []].join('\n')}
</tbody>
</table></div>`
}

function topFiles (plan: SitePlan, options: SiteOptions, page: Page & { kind: 'top' }, data: PageData & { kind: 'top' }, notes: string[]): Array<[string, string]> {
  const { top, left } = data
  const { sensor } = plan.month
  const { field, period, protocol } = page
  const { rows, missingAtMost } = top
  const stem = topStem(sensor, field, period, protocol)
  const note = missingAtMost === undefined ? undefined : incompleteNote(`${stem}.csv`, missingAtMost, plan.month.listCap)
  if (note !== undefined) notes.push(note)
  const skipped = leftOut(field, left, protocol, plan.asNames)
  const items = rows.map(r => ({
    ...r,
    label: plan.label(field, r.value, protocol),
    link: plan.need({ kind: 'timeline', field, specs: [{ value: r.value, protocol }] })
  }))
  const title = `Most frequent ${fieldTitle(field)} values on sensor ${sensor}, ${dashed(period)}${protocol !== undefined ? `, ${protocol} packets` : ''}`
  // Nothing to draw: one sentence instead of an empty chart (and what was left out, in it).
  const others = othersOf(data)
  const figure = rows.length > 0
    ? topFigure(title, items, others)
    : emptyTop(field, dashed(period), protocol, skipped)
  const caveats = [...note === undefined ? [] : [note], ...rows.length > 0 && skipped !== '' ? [`Left out of this top: ${skipped}.`] : []]
  return [
    [`${stem}.csv`, csvText(field, rows, protocol, plan.asNames)],
    [`${stem}.html`, chartPage({
      title,
      figure,
      links: nav(options, [{ href: `${stem}.csv`, text: 'CSV' }]),
      assets: options.assets ?? ASSETS,
      notes: caveats,
      ...rows.length > 0 ? { table: topTable(items, others, 'The chart\'s values, with their share of its packets') } : {}
    })]
  ]
}

function timelineFiles (plan: SitePlan, options: SiteOptions, field: string, specs: readonly ValueSpec[], y: readonly number[][]): Array<[string, string]> {
  const { sensor, month, days } = plan.month
  const several = new Set(specs.map(s => s.value)).size > 1
  const series: TimelineLine[] = plan.shown(specs, y).map(({ line, y, total }) => ({
    // The sum line of `22-*` is the total of its protocols, named so: not one more line of port 22.
    name: total ? (several ? `${line.value} total` : 'total') : specText(line),
    label: total ? '' : plan.label(field, line.value, line.protocol),
    x: days.map(dashed),
    y,
    links: days.map(d => plan.need({ kind: 'top', field, period: d, protocol: line.protocol }))
  }))
  const title = `Packets per day with ${fieldTitle(field)} ${specs.map(specText).join(', ')} on sensor ${sensor}, ${monthName(month)}`
  const stem = timelineStem(sensor, field, month, specs)
  return [[`${stem}.html`, chartPage({ title, figure: timelineFigure(title, series, monthPeriod(month)), links: nav(options, []), assets: options.assets ?? ASSETS, table: timelineTable(series) })]]
}

function dayLink (day: string, link: string | null): string {
  return link === null ? escapeHtml(day) : `<a href="${escapeHtml(encodeURI(link))}">${escapeHtml(day)}</a>`
}

/** A timeline's text alternative: a row per day with data (opening its day's page, as its points do), a column per line (folded: a month of rows). */
function timelineTable (series: readonly TimelineLine[]): string {
  const days = series[0]?.x ?? []
  return `<details>
<summary>The chart's counts as a table</summary>
<div class="scroll"><table>
<thead><tr><th scope="col">Day</th>${series.map(s => `<th scope="col" class="n">${escapeHtml(s.label === '' ? s.name : `${s.name}, ${s.label}`)}</th>`).join('')}</tr></thead>
<tbody>
${days.map((day, d) => `<tr><th scope="row">${dayLink(day, series[0]!.links[d] ?? null)}</th>${series.map(s => `<td class="n">${(s.y[d] ?? 0).toLocaleString('en-US')}</td>`).join('')}</tr>`).join('\n')}
</tbody>
</table></div>
</details>`
}

function pageName (sensor: string, month: string, page: Page): string {
  return (page.kind === 'top' ? topStem(sensor, page.field, page.period, page.protocol) : timelineStem(sensor, page.field, month, page.specs)) + '.html'
}
