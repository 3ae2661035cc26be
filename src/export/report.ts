/**
 * `potiron report` and `potiron plot month`: the offline site of one sensor and month. The
 * report is an index.html linking, per field, the month's top values, a timeline of its five
 * leading values and every day's top values, each chart with its CSV; `plot month` writes one
 * timeline and the pages its points lead to.
 */
import { writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import type { Redis } from 'ioredis'
import { UsageError } from '../errors.js'
import { ASSETS, document, escapeHtml, linkList, writeAssets, type Link } from './page.js'
import { fieldTitle, valueLabel } from './labels.js'
import { fitName } from '../documents/fit-name.js'
import { dashed, namePart, type ValueSpec } from './names.js'
import { Site, monthName, type SiteOptions } from './site.js'
import { checkField, type Layout } from '../store/read.js'

export const INDEX = 'index.html'
/** Values in the month timeline that the index links for each field. */
const TIMELINE_VALUES = 5

export interface ReportJob extends Omit<SiteOptions, 'home'> {
  /** Default: every field in the data. */
  fields?: readonly string[] | undefined
}

export interface SiteResult {
  /** Files written, relative to the output directory (assets not included). */
  files: string[]
  /** The page to open. */
  entry: string
  /** Tops that could not be proven complete, one line each (see topOf). */
  notes: string[]
}

export async function writeReport (redis: Redis, job: ReportJob): Promise<SiteResult> {
  const site = await Site.open(redis, { ...job, home: INDEX })
  const fields = job.fields ?? site.layout.fields
  fields.forEach(f => { checkField(site.layout, f) })
  const months = fields.map(field => site.need({ kind: 'top', field, period: job.month }))
  const days = fields.map(field => site.days.map(d => [d, site.need({ kind: 'top', field, period: d })] as const))
  await site.drain()
  const leading = fields.map((_, i) => site.tops.get(months[i]!)!.slice(0, TIMELINE_VALUES))
  const timelines = fields.map((field, i) => leading[i]!.length === 0
    ? undefined
    : site.need({ kind: 'timeline', field, specs: leading[i]!.map(r => ({ value: r.value })) }))
  await site.drain()
  const sections = fields.map((field, i) => {
    const month = months[i]!
    const csv = (page: string): string => page.replace(/\.html$/, '.csv')
    const timeline = timelines[i]
    const top = leading[i]!
    const values = top.map(r => {
      const label = valueLabel(field, r.value)
      return `${escapeHtml(r.value)}${label !== '' ? ` (${escapeHtml(label)})` : ''}: ${r.count.toLocaleString('en-US')}`
    })
    return `<section>
<h2>${escapeHtml(fieldTitle(field))} <small>(${escapeHtml(field)})</small></h2>
<p>Month: ${linkList([{ href: month, text: 'top values' }, { href: csv(month), text: 'CSV' }, ...(timeline !== undefined ? [{ href: timeline, text: `timeline of the top ${top.length}` }] : [])])}</p>
<p>Leading values: ${values.length > 0 ? values.join('; ') : 'none'}</p>
<table><tr><th>Day</th><th>Top values</th><th>CSV</th></tr>
${days[i]!.map(([d, page]) => `<tr><td>${dashed(d)}</td><td>${linkList([{ href: page, text: 'chart' }])}</td><td>${linkList([{ href: csv(page), text: 'CSV' }])}</td></tr>`).join('\n')}
</table>
</section>`
  })
  const title = `potiron: sensor ${job.sensor}, ${monthName(job.month)}`
  await site.writeFile(INDEX, document(title, `<h1>${escapeHtml(title)}</h1>
<p>${site.days.length} days with data; top ${job.limit} values per chart${job.skip.size > 0 ? `, leaving out ${escapeHtml([...job.skip].join(', '))}` : ''}.</p>
${sections.join('\n')}`))
  return { files: site.written, entry: INDEX, notes: site.notes }
}

export interface PlotJob extends Omit<SiteOptions, 'home'> {
  field: string
  /** `22`, `22-tcp`, `22-*` (see parseSpec). */
  values: readonly string[]
}

export async function plotMonth (redis: Redis, job: PlotJob): Promise<SiteResult> {
  const site = await Site.open(redis, job)
  checkField(site.layout, job.field)
  const specs = job.values.map(v => parseSpec(v, site.layout))
  const entry = site.need({ kind: 'timeline', field: job.field, specs })
  await site.drain()
  return { files: site.written, entry, notes: site.notes }
}

/**
 * `22` (all protocols), `22-tcp` (one protocol), `22-*` or `22-all` (each protocol and the
 * total). A trailing `-<name>` is a protocol only when it names one in PROTOCOLS (or `*`/`all`),
 * so values such as `-1` stay whole.
 */
export function parseSpec (text: string, layout: Layout): ValueSpec {
  const names = [...layout.protocols, '*', 'all'].sort((a, b) => b.length - a.length)
  const name = names.find(n => text.length > n.length + 1 && text.endsWith(`-${n}`))
  if (!layout.combinedKeys && (name !== undefined || /-[a-z][a-z0-9.-]*$/.test(text))) {
    throw new UsageError(`'${text}' asks for a protocol, but this data has no per-protocol counts (ingest with --combined-keys)`)
  }
  return name === undefined ? { value: text } : { value: text.slice(0, -name.length - 1), protocol: name === 'all' ? '*' : name }
}

export interface ReportsJob {
  /** Sensor → days (YYYYMMDD) to report: one report per sensor and month. */
  days: Readonly<Record<string, readonly string[]>>
  out: string
  limit: number
  skip: ReadonlySet<string>
}

/**
 * Several reports under one directory (`ingest --report`): `out/<sensor>/<YYYY-MM>/`, one copy
 * of the assets in `out/assets/`, and `out/index.html` linking each report.
 */
export async function writeReports (redis: Redis, job: ReportsJob): Promise<SiteResult> {
  await writeAssets(join(job.out, ASSETS))
  const files: string[] = []
  const notes: string[] = []
  const items: Link[] = []
  for (const [sensor, days] of Object.entries(job.days)) {
    for (const month of [...new Set(days.map(d => d.slice(0, 6)))].sort()) {
      const dir = `${fitName(namePart(sensor))}/${dashed(month)}`
      const result = await writeReport(redis, { sensor, month, out: join(job.out, dir), assets: `../../${ASSETS}`, limit: job.limit, skip: job.skip })
      files.push(...result.files.map(f => `${dir}/${f}`))
      notes.push(...result.notes.map(n => `${dir}/${n}`))
      items.push({ href: `${dir}/${result.entry}`, text: `${sensor}, ${monthName(month)}` })
    }
  }
  await writeFile(join(job.out, INDEX), document('potiron reports', `<h1>potiron reports</h1>
<ul>
${items.map(i => `<li>${linkList([i])}</li>`).join('\n')}
</ul>`))
  files.push(INDEX)
  return { files, entry: INDEX, notes }
}
