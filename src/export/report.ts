/**
 * `potiron report` and `potiron plot month`: the offline site of one sensor and month. The
 * report is an index.html linking, per field, the month's top values, a timeline of its five
 * leading values and every day's top values, each chart with its CSV; `plot month` writes one
 * timeline and the pages its points lead to.
 */
import { writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { UsageError } from '../errors.js'
import { ENRICH_WORDS, isEnrichField } from '../aggregate/fields.js'
import { ASSETS, chartBlock, document, escapeHtml, linkList, pageHeader, reportHead, scriptsAt, writeAssets, type Link } from './page.js'
import { heatmapFigure, topFigure, type TopItem } from './charts.js'
import { ASN_CREDIT, asnBarFigure, worldMapFigure } from './world.js'
import { fieldTitle } from './labels.js'
import { fitName } from '../documents/fit-name.js'
import { dashed, namePart, specText, type ValueSpec } from './names.js'
import { SitePlan, monthName, monthPeriod, topTable, writeSite, writeSiteFile, type Page, type SiteOptions } from './site.js'
import type { Layout } from '../store/read.js'
import type { Month } from '../store/report-data.js'
import { plural } from '../plural.js'

export const INDEX = 'index.html'
/** Values in the month timeline that the index links for each field. */
const TIMELINE_VALUES = 5

export interface SiteResult {
  /** Files written, relative to the output directory (assets not included). */
  files: string[]
  /** The page to open. */
  entry: string
  /** Tops that could not be proven complete, one line each (see topOf). */
  notes: string[]
}

/** The fields a report shows (default: every field in the data). */
export function reportFields (month: Month, fields?: readonly string[]): readonly string[] {
  return fields ?? month.layout.fields
}

/**
 * The pages of a report, to read (store/report-data.ts readPages): per field, the month's top
 * values, each day's, and once the month's top is read, the timeline of its leading values.
 */
export function planReport (month: Month, fields?: readonly string[]): SitePlan {
  const plan = new SitePlan(month)
  const shown = reportFields(month, fields)
  const months = shown.map(field => plan.need({ kind: 'top', field, period: month.month }))
  for (const field of shown) for (const d of month.days) plan.need({ kind: 'top', field, period: d })
  plan.afterRead(() => {
    shown.forEach((field, i) => {
      const leading = plan.top(months[i]!).slice(0, TIMELINE_VALUES)
      if (leading.length > 0) plan.need(leadingTimeline(field, leading.map(r => r.value)))
    })
  })
  return plan
}

function leadingTimeline (field: string, values: readonly string[]): Page {
  return { kind: 'timeline', field, specs: values.map(value => ({ value })) }
}

export interface ReportJob extends SiteOptions {
  /** Default: every field in the data. */
  fields?: readonly string[] | undefined
  /** The top-N read, for the index to say. */
  limit: number
  /** Values left out (undefined: each field's "not set" value), for the index to say. */
  skip?: ReadonlySet<string> | undefined
}

/** Writes a report read (planReport, then readPages): its pages and the index.html linking them. */
export async function writeReport (plan: SitePlan, job: ReportJob): Promise<SiteResult> {
  const options = { out: job.out, assets: job.assets, home: INDEX }
  const written = await writeSite(plan, options)
  const { month, days } = plan.month
  const fields = reportFields(plan.month, job.fields)
  const assets = job.assets ?? ASSETS
  const sections = fields.map(field => fieldSection(plan, field))
  const title = `potiron: sensor ${plan.month.sensor}, ${monthName(month)}`
  await writeSiteFile(job.out, INDEX, document(title, `${pageHeader(fields.map(f => ({ href: `#${fieldId(f)}`, text: fieldTitle(f) })))}
<main>
<h1>${escapeHtml(title)}</h1>
<p>${plural(days.length, 'day')} with data; top ${plural(job.limit, 'value')} per chart${skipText(job.skip, fields)}.</p>
${sections.join('\n')}
</main>`, sections.some(s => s.includes('potiron-chart')) ? scriptsAt(assets, sections.some(s => s.includes(MAP_CLASS))) : [], reportHead(assets)), written)
  return { files: written.files, entry: INDEX, notes: written.notes }
}

const MONTH_WORD = ['January', 'February', 'March', 'April', 'May', 'June', 'July', 'August', 'September', 'October', 'November', 'December']

function fieldId (field: string): string {
  return `field-${field}`
}

/**
 * A field on the index: the month's top values as a treemap with its table, a heatmap of those
 * values on each day (a cell opens its day's page), a strip of the month's days linking each
 * day's top values. All from pages read already: the month's top and its values' timelines.
 */
function fieldSection (plan: SitePlan, field: string): string {
  const { month, days } = plan.month
  const monthPage = plan.need({ kind: 'top', field, period: month })
  const csv = (page: string): string => page.replace(/\.html$/, '.csv')
  const rows = plan.top(monthPage)
  const leading = rows.slice(0, TIMELINE_VALUES)
  const timeline = leading.length === 0 ? undefined : plan.need(leadingTimeline(field, leading.map(r => r.value)))
  const id = fieldId(field)
  const period = monthPeriod(month)
  // Every calendar day, a link for a day with data.
  const calendar: Array<{ day: string, page: string | null }> = []
  for (let d = period.first; d <= period.last; d = new Date(Date.parse(d) + 86_400_000).toISOString().slice(0, 10)) {
    const compact = d.replaceAll('-', '')
    calendar.push({ day: d, page: days.includes(compact) ? plan.need({ kind: 'top', field, period: compact }) : null })
  }
  const strip = `<ol class="days" aria-label="${escapeHtml(fieldTitle(field))}: each day's top values">
${calendar.map(({ day, page }) => {
    // The day's number, its month said to screen readers only: `March 1`.
    const text = `<span class="vh">${MONTH_WORD[Number(day.slice(5, 7)) - 1]!} </span>${Number(day.slice(8))}`
    return `<li>${page === null ? `<span title="no data on ${day}">${text}</span>` : `<a href="${escapeHtml(encodeURI(page))}" title="${day}">${text}</a>`}</li>`
  }).join('')}
</ol>`
  const links = linkList([{ href: monthPage, text: 'top values' }, { href: csv(monthPage), text: 'CSV' }, ...(timeline !== undefined ? [{ href: timeline, text: `timeline of the top ${leading.length}` }] : [])])
  const head = `<section class="field" id="${escapeHtml(id)}" aria-labelledby="${escapeHtml(id)}-h">
<h2 id="${escapeHtml(id)}-h">${escapeHtml(fieldTitle(field))} <small>(${escapeHtml(field)})</small></h2>
<p>Month: ${links}</p>
${strip}`
  if (rows.length === 0) {
    return `${head}
<p class="empty">${escapeHtml(plan.emptyText(monthPage, field, monthName(month)))}</p>
</section>`
  }
  // Each value's counts per day: its own timeline, which its tile links to (read already).
  const counts = rows.map(r => plan.counts(plan.need({ kind: 'timeline', field, specs: [{ value: r.value }] }))[0]!)
  const at = new Map(days.map((d, i) => [d, i]))
  const heatRows = rows.map((r, v) => ({
    value: r.value,
    label: plan.label(field, r.value),
    counts: calendar.map(({ day }) => { const i = at.get(day.replaceAll('-', '')); return i === undefined ? null : counts[v]![i]! })
  }))
  const heat = heatmapFigure(heatRows, { x: calendar.map(c => c.day), links: calendar.map(c => c.page) }, period)
  const others = plan.others(monthPage)
  const items = rows.map(r => ({ ...r, label: plan.label(field, r.value), link: plan.need({ kind: 'timeline', field, specs: [{ value: r.value }] }) }))
  const tiles = topFigure('', items, others)
  const heatTable = `<details>
<summary>The heatmap as a table</summary>
<div class="scroll" tabindex="0" role="region" aria-label="${escapeHtml(fieldTitle(field))}: packets per day"><table>
<thead><tr><th scope="col">Value</th>${days.map(d => `<th scope="col" class="n">${dashed(d).slice(5)}</th>`).join('')}</tr></thead>
<tbody>
${heatRows.map((r, v) => `<tr><th scope="row">${escapeHtml(r.label === '' ? r.value : `${r.value} ${r.label}`)}</th>${counts[v]!.map(n => `<td class="n">${n.toLocaleString('en-US')}</td>`).join('')}</tr>`).join('\n')}
</tbody>
</table></div>
</details>`
  return `${head}
<div class="cards">
<div class="card">
<h3>Top ${rows.length} per day</h3>
${chartBlock(`${id}-heat`, heat).replace('class="potiron-chart"', 'class="potiron-chart heatmap"')}
${heatTable}
</div>
<div class="card">
<h3>Month's top values</h3>
${chartBlock(`${id}-tiles`, tiles)}
${topTable(items, others, `${fieldTitle(field)}, ${monthName(month)}`)}
</div>
${enrichmentCard(field, id, items, monthName(month))}</div>
</section>`
}

/** The class of a map's chart: a page that has one loads the world's outline (scriptsAt). */
const MAP_CLASS = 'potiron-chart map'

/**
 * The enrichment fields' card: a world map of the month's top source countries (scc), a bar
 * chart of its top source ASes with their names (sasn); '' for other fields. Their text
 * alternative is the table of the month's top values beside them.
 */
function enrichmentCard (field: string, id: string, items: readonly TopItem[], when: string): string {
  if (field === 'scc') {
    const map = worldMapFigure(items)
    const body = map === undefined
      ? `<p class="empty">None of the top source countries of ${escapeHtml(when)} has a place on the map (see the table).</p>`
      : `${chartBlock(`${id}-map`, map).replace('class="potiron-chart"', `class="${MAP_CLASS}"`)}
<p class="note">The month's top ${plural(items.length, 'value')}: those with no place on the map (private, unknown... and countries too small for it) are in the table.</p>`
    return `<div class="card">
<h3>Source countries on the map</h3>
${body}
</div>
`
  }
  if (field === 'sasn') {
    return `<div class="card">
<h3>Top source ASes</h3>
${chartBlock(`${id}-asn`, asnBarFigure(items)).replace('class="potiron-chart"', 'class="potiron-chart bars"')}
<p class="note">${ASN_CREDIT}</p>
</div>
`
  }
  return ''
}

/** What the index says is left out of every top: each page says how many packets that is. */
function skipText (skip: ReadonlySet<string> | undefined, fields: readonly string[]): string {
  const enriched = fields.some(isEnrichField) ? '; unknown for the AS and country fields' : ''
  if (skip === undefined) return `, leaving out each field's "not set" value (-1; 0 for iptos; 255 for icmpcode and icmptype${enriched})`
  return skip.size > 0 ? `, leaving out ${escapeHtml([...skip].join(', '))}` : ''
}

/** The pages of `plot month`, to read: the timeline of `values` (see parseSpec) and what it links to. */
export function planPlot (month: Month, field: string, values: readonly string[]): PlannedPlot {
  const plan = new SitePlan(month)
  const specs = values.map(v => parseSpec(v, month.layout))
  return { plan, field, entry: plan.need({ kind: 'timeline', field, specs }) }
}

export interface PlannedPlot {
  plan: SitePlan
  field: string
  /** The timeline asked for. */
  entry: string
}

/**
 * Writes a plot read (planPlot, then readPages). Values with no packet in the month are drawn
 * (flat at 0: an answer, say to compare with another month) and named in a warning, since a
 * typo (`--values 2222`) draws the same flat line.
 */
export async function writePlot (planned: PlannedPlot, options: SiteOptions): Promise<SiteResult> {
  const written = await writeSite(planned.plan, options)
  const unseen = planned.plan.unseen(planned.entry).map(specText)
  const { sensor, month } = planned.plan.month
  const warning = `warning: no packet with ${planned.field} ${unseen.join(', ')} in ${dashed(month)} on sensor ${sensor}: ${unseen.length === 1 ? 'its line is' : 'their lines are'} flat at 0`
  return { files: written.files, entry: planned.entry, notes: [...unseen.length > 0 ? [warning] : [], ...written.notes] }
}

/**
 * `22` (all protocols), `22-tcp` (one protocol), `22-*` or `22-all` (each protocol and the
 * total). A trailing `-<name>` is a protocol only when it names one in PROTOCOLS (or `*`/`all`),
 * so values such as `-1` stay whole.
 */
export function parseSpec (text: string, layout: Layout): ValueSpec {
  // The enrichment words are values, `link-local` included.
  if ((ENRICH_WORDS as readonly string[]).includes(text)) return { value: text }
  const names = [...layout.protocols, '*', 'all'].sort((a, b) => b.length - a.length)
  const name = names.find(n => text.length > n.length + 1 && text.endsWith(`-${n}`))
  // No field's values hold `-<letter>` (ports, addresses, 0x28, the -1 sentinel): it names a protocol.
  const asked = /-([a-z][a-z0-9.-]*)$/i.exec(text)
  if (!layout.combinedKeys && (name !== undefined || asked !== null)) {
    throw new UsageError(`'${text}' asks for a protocol, but this data has no per-protocol counts (ingest with --combined-keys)`)
  }
  if (name === undefined && asked !== null) {
    const value = text.slice(0, -asked[0].length)
    throw new UsageError(`--values ${text}: this data has no protocol '${asked[1]!}' (its protocols: ${layout.protocols.join(', ')}; or ${value}-* for each)`)
  }
  return name === undefined ? { value: text } : { value: text.slice(0, -name.length - 1), protocol: name === 'all' ? '*' : name }
}

export interface ReportsJob {
  out: string
  /** Default: every field in each report's data. */
  fields?: readonly string[] | undefined
  limit: number
  skip?: ReadonlySet<string> | undefined
}

/**
 * Several reports under one directory (`ingest --report`, `report` on several sensors):
 * `out/<sensor>/<YYYY-MM>/`, one copy of the assets in `out/assets/`, and `out/index.html` linking
 * each report. `reports` are read (planReport, then readPages), in the order listed.
 */
export async function writeReports (reports: readonly SitePlan[], job: ReportsJob): Promise<SiteResult> {
  await writeAssets(join(job.out, ASSETS))
  const files: string[] = []
  const notes: string[] = []
  const items: Link[] = []
  for (const plan of reports) {
    const { sensor, month } = plan.month
    const dir = `${fitName(namePart(sensor))}/${dashed(month)}`
    const result = await writeReport(plan, { out: join(job.out, dir), assets: `../../${ASSETS}`, fields: job.fields, limit: job.limit, skip: job.skip })
    files.push(...result.files.map(f => `${dir}/${f}`))
    notes.push(...result.notes.map(n => `${dir}/${n}`))
    items.push({ href: `${dir}/${result.entry}`, text: `${sensor}, ${monthName(month)}` })
  }
  await writeFile(join(job.out, INDEX), document('potiron reports', `${pageHeader([])}
<main>
<h1>potiron reports</h1>
<ul class="reports">
${items.map(i => `<li>${linkList([i])}</li>`).join('\n')}
</ul>
</main>`, [], reportHead(ASSETS)))
  files.push(INDEX)
  return { files, entry: INDEX, notes }
}

/** The reports `ingest --report` writes: one per sensor and month of `days` (sensor → YYYYMMDD), in order. */
export function reportMonths (days: Readonly<Record<string, readonly string[]>>): Array<{ sensor: string, month: string }> {
  return Object.entries(days).flatMap(([sensor, some]) => [...new Set(some.map(d => d.slice(0, 6)))].sort().map(month => ({ sensor, month })))
}
