/**
 * `plot range`'s files: a long timeline of some values from one month to another (a point per
 * day, ISO week or month, see range.ts) with its CSV, and a year calendar of each value (see
 * calendar.ts). Rendered from plain data read by store/report-data.ts readTimeline; no Redis here.
 */
import { mkdir } from 'node:fs/promises'
import { join } from 'node:path'
import { calendarFigure } from './calendar.js'
import { bucketFigure, timelineFigure, type Figure } from './charts.js'
import { cell } from './csv.js'
import { fieldTitle, valueLabel } from './labels.js'
import { calendarStem, dashed, rangeStem, specText, type ValueSpec } from './names.js'
import { ASSETS, chartPage, escapeHtml, writeAssets, type Link } from './page.js'
import { aggregate, bucketText, monthsPeriod, type Aggregated, type Aggregation } from './range.js'
import type { SiteResult } from './report.js'
import { monthName, writeSiteFile, type Written } from './site.js'
import { plural } from '../plural.js'
import type { Layout } from '../store/read.js'
import type { Line } from '../store/report-data.js'

/** A line of a long timeline: `total` is the sum line of a `22-*` (each protocol and their total). */
export interface RangeLine { line: Line, total: boolean }

/** The lines of `specs`: `22-*` is each protocol of the data, then the total. */
export function rangeLines (specs: readonly ValueSpec[], layout: Layout): RangeLine[] {
  return specs.flatMap((spec): RangeLine[] => spec.protocol === '*'
    ? [...layout.protocols.map(protocol => ({ line: { value: spec.value, protocol }, total: false })), { line: { value: spec.value, protocol: undefined }, total: true }]
    : [{ line: { value: spec.value, protocol: spec.protocol }, total: false }])
}

/** A `plot range` read: the lines' counts on every day with data of the months and of the calendars' years. */
export interface RangePlot {
  sensor: string
  field: string
  specs: readonly ValueSpec[]
  /** YYYYMM, the first and last month of the timeline. */
  from: string
  to: string
  /** The years whose calendar is written, one per value. */
  calendars: readonly number[]
  lines: readonly RangeLine[]
  /** The days with data read (YYYYMMDD, ascending) and `y[line][day]`, each line's count on them. */
  days: readonly string[]
  y: readonly number[][]
  /** The names of the AS numbers among the values (AS fields only), for their labels. */
  asNames: ReadonlyMap<string, string>
}

const PER: Record<Aggregation, string> = { day: 'day', week: 'ISO week (Monday to Sunday)', month: 'month' }

/**
 * The lines drawn, named: a `22-*`'s protocols that never carry the value are left out (flat
 * lines at 0). `calendar`: whether the line gets calendars (a `22-*` gets its total's only).
 */
function shownLines (plot: RangePlot, inRange: (d: number) => boolean): Array<{ name: string, label: string, index: number, calendar: boolean }> {
  const several = new Set(plot.specs.map(s => s.value)).size > 1
  return plot.lines.flatMap(({ line, total }, index) => {
    const split = plot.specs.some(s => s.value === line.value && s.protocol === '*')
    if (split && !total && plot.y[index]!.every((n, d) => n === 0 || !inRange(d))) return []
    const name = total ? (several ? `${line.value} total` : 'total') : specText(line)
    return [{ name, label: total ? '' : valueLabel(plot.field, line.value, line.protocol, plot.asNames), index, calendar: !split || total }]
  })
}

/** The chart's CSV: a row per point, its days, and each line's packets. */
export function rangeCsv (names: readonly string[], agg: Aggregated): string {
  const head = ['period', 'first', 'last', 'days', 'days_with_data', 'partial', ...names].map(cell).join(',')
  const rows = agg.buckets.map((b, i) => [b.label, dashed(b.first), dashed(b.last), b.days, agg.withData[i]!, b.partial, ...agg.sums.map(s => s[i]!)].map(v => cell(String(v))).join(','))
  return [head, ...rows].join('\n') + '\n'
}

/** The chart's text alternative: a row per point (folded). */
function rangeTable (names: readonly string[], agg: Aggregated): string {
  const rows = agg.buckets.map((b, i) => `<tr><th scope="row">${escapeHtml(b.label)}${b.partial ? ' (partial)' : ''}</th><td class="n">${agg.withData[i]!} of ${b.days}</td>${agg.sums.map(s => `<td class="n">${s[i]!.toLocaleString('en-US')}</td>`).join('')}</tr>`)
  return `<details>
<summary>The chart's counts as a table</summary>
<div class="scroll"><table>
<thead><tr><th scope="col">${escapeHtml(agg.aggregation === 'week' ? 'ISO week' : agg.aggregation === 'month' ? 'Month' : 'Day')}</th><th scope="col" class="n">Days with data</th>${names.map(n => `<th scope="col" class="n">${escapeHtml(n)}</th>`).join('')}</tr></thead>
<tbody>
${rows.join('\n')}
</tbody>
</table></div>
</details>`
}

/** Writes the timeline, its CSV and the calendars into `out` (with the assets); the timeline is the entry. */
export async function writeRange (plot: RangePlot, out: string): Promise<SiteResult> {
  await mkdir(out, { recursive: true })
  await writeAssets(join(out, ASSETS))
  const { first, last } = monthsPeriod(plot.from, plot.to)
  const inRange = (d: number): boolean => plot.days[d]! >= first && plot.days[d]! <= last
  const shown = shownLines(plot, inRange)
  const names = shown.map(s => s.label === '' ? s.name : `${s.name} (${s.label})`)
  const agg = aggregate(first, last, plot.days, shown.map(s => plot.y[s.index]!))
  const stem = rangeStem(plot.sensor, plot.field, plot.from, plot.to, plot.specs)
  const title = `Packets per ${PER[agg.aggregation]} with ${fieldTitle(plot.field)} ${plot.specs.map(specText).join(', ')} on sensor ${plot.sensor}, ${monthName(plot.from)} to ${monthName(plot.to)}${agg.aggregation === 'day' ? '' : ', summed'}`
  const written: Written = { files: [], notes: [] }
  const calendars: Link[] = []
  const calendarFiles: Array<[string, string]> = []
  for (const year of plot.calendars) {
    for (const s of shown.filter(s => s.calendar)) {
      const { line } = plot.lines[s.index]!
      const name = `${calendarStem(plot.sensor, plot.field, year, { value: line.value, protocol: line.protocol })}.html`
      calendars.push({ href: name, text: `${year} calendar of ${s.name}` })
      calendarFiles.push([name, calendarPage(plot, year, s.index, `${fieldTitle(plot.field)} ${s.name}${s.label === '' ? '' : ` (${s.label})`}`, `${stem}.html`)])
    }
  }
  const figure = rangeFigure(title, agg, shown.map((s, i) => ({ name: s.name, label: s.label, y: agg.sums[i]! })), plot, first, last, shown.map(s => s.index))
  await writeSiteFile(out, `${stem}.html`, chartPage({ title, figure, links: [{ href: `${stem}.csv`, text: 'CSV' }, ...calendars], assets: ASSETS, table: rangeTable(names, agg) }), written)
  await writeSiteFile(out, `${stem}.csv`, rangeCsv(names, agg), written)
  for (const [name, text] of calendarFiles) await writeSiteFile(out, name, text, written)
  const unseen = plot.specs.filter(spec => plot.lines.every(({ line }, l) => line.value !== spec.value || plot.y[l]!.every((n, d) => n === 0 || !inRange(d)))).map(specText)
  const warning = `warning: no packet with ${plot.field} ${unseen.join(', ')} from ${dashed(plot.from)} to ${dashed(plot.to)} on sensor ${plot.sensor}: ${unseen.length === 1 ? 'its line is' : 'their lines are'} flat at 0`
  return { files: written.files, entry: `${stem}.html`, notes: unseen.length > 0 ? [warning] : [] }
}

/** Days: the daily timeline of plot month (a day without data a gap); weeks and months: their sums (bucketFigure). */
function rangeFigure (title: string, agg: Aggregated, lines: Array<{ name: string, label: string, y: number[] }>, plot: RangePlot, first: string, last: string, indexes: readonly number[]): Figure {
  const period = { first: dashed(first), last: dashed(last) }
  if (agg.aggregation === 'day') {
    const days = plot.days.map((d, i) => [d, i] as const).filter(([d]) => d >= first && d <= last)
    return timelineFigure(title, lines.map((l, i) => ({ name: l.name, label: l.label, x: days.map(([d]) => dashed(d)), y: days.map(([, at]) => plot.y[indexes[i]!]![at]!), links: days.map(() => null) })), period)
  }
  const points = agg.buckets.map((b, i) => ({ x: dashed(b.start), text: bucketText({ ...b, first: dashed(b.first), last: dashed(b.last) }, agg.withData[i]!, agg.aggregation), partial: b.partial }))
  return bucketFigure(title, agg.aggregation === 'week' ? 'Week' : 'Month', lines, points, period)
}

/** A calendar's height in px (its page's chart is otherwise 75vh tall). */
const CALENDAR_HEIGHT = 300

/** A value's calendar of `year`: its packets on each day with data (0 on one without it), days without data grey. */
function calendarPage (plot: RangePlot, year: number, line: number, subject: string, back: string): string {
  const counts = new Map<string, number>()
  plot.days.forEach((d, i) => { if (d.startsWith(String(year))) counts.set(d, plot.y[line]![i]!) })
  const sum = [...counts.values()].reduce((a, b) => a + b, 0)
  const title = `Packets per day with ${subject} on sensor ${plot.sensor}, ${year}`
  const drawn = calendarFigure(year, counts, subject, () => null)
  // Seven rows of cells: as tall as the dashboard's calendar, not the 75vh of a timeline (kind 'calendar').
  const figure = counts.size === 0 ? `Sensor ${plot.sensor} has no data in ${year}.` : { data: drawn.data, layout: { ...drawn.layout, height: CALENDAR_HEIGHT } }
  const note = `${plural(sum, 'packet', sum.toLocaleString('en-US'))} over ${plural(counts.size, 'day')} with data; days without data are grey (no data, not 0).`
  return chartPage({ title, figure, links: [{ href: back, text: 'timeline' }], assets: ASSETS, notes: [note], kind: 'calendar' })
}
