/**
 * HTML of the insights' pages, in the dashboard's frame (pages.ts `page`): the comparison of two
 * periods or sensors (with its CSV), and the calendar heatmap of a sensor's packets per day with
 * its table. Everything from the data is escaped (escapeHtml in HTML, plotlyText in the chart).
 */
import { calendarFigure } from '../export/calendar.js'
import { chartBlock, escapeHtml } from '../export/page.js'
import { plural } from '../plural.js'
import { MAX_COMPARE_DAYS, type Calendar, type Comparison, type CompareRow, type Side } from './insights.js'
import { href, page } from './pages.js'

function a (url: string, text: string): string {
  return `<a href="${escapeHtml(url)}">${escapeHtml(text)}</a>`
}

function number (n: number): string {
  return n.toLocaleString('en-US')
}

function options (values: readonly string[], selected: string | undefined): string {
  return values.map(v => `<option value="${escapeHtml(v)}"${v === selected ? ' selected' : ''}>${escapeHtml(v)}</option>`).join('')
}

/** Styles of these pages only (the frame's stylesheet does the rest); `style-src` allows them inline. */
const STYLE = `<style>
table.compare td.only { font-size: 0.8125rem; color: var(--muted, #5b6470) } table.compare td.n { white-space: nowrap }
.calendar .potiron-chart { height: 260px; max-width: 72rem }
details.calendar-days { margin-top: 1rem }
.scroll { max-width: 100%; overflow-x: auto }
</style>`

/** `lab-gen-1, 2024-03-05` or `lab-gen-1, 2024-03-01 to 2024-03-05`. */
export function sideName (s: Side): string {
  return `${s.sensor}, ${s.from === s.to ? s.from : `${s.from} to ${s.to}`}`
}

/** The comparison's query, to link its CSV and its fields' values. */
function compareQuery (c: Comparison): Record<string, string | undefined> {
  return {
    sensor: c.period.sensor, from: c.period.from, to: c.period.to,
    ref_sensor: c.reference.sensor, ref_from: c.reference.from, ref_to: c.reference.to,
    notset: c.showNotSet ? '1' : undefined
  }
}

function sideSummary (s: Side): string {
  if (s.days.length === 0) return `${escapeHtml(sideName(s))}: no data.`
  const packets = s.total === null ? '' : `${plural(s.total, 'packet', number(s.total))} over `
  return `${escapeHtml(sideName(s))}: ${packets}${plural(s.days.length, 'day')} with data.`
}

function changeCells (r: CompareRow): string {
  const sign = r.change > 0 ? '+' : r.change < 0 ? '−' : ''
  const cls = r.change > 0 ? ' up' : r.change < 0 ? ' down' : ''
  const percent = r.percent === null ? '' : `${r.percent > 0 ? '+' : r.percent < 0 ? '−' : ''}${Math.abs(r.percent).toFixed(1)} %`
  return `<td class="n${cls}">${sign}${number(Math.abs(r.change))}</td><td class="n${cls}">${percent}</td>`
}

export function comparePage (base: string, c: Comparison, sensors: readonly string[]): string {
  const { period, reference } = c
  const form = `<form method="get" action="${escapeHtml(href(base, '/compare'))}" class="compare-form">
<fieldset><legend>Period</legend>
<label>Sensor <select name="sensor">${options(sensors, period.sensor)}</select></label>
<label>From <input type="date" name="from" value="${escapeHtml(period.from)}"></label>
<label>To <input type="date" name="to" value="${escapeHtml(period.to)}"></label>
</fieldset>
<fieldset><legend>Compared with</legend>
<label>Sensor <select name="ref_sensor">${options(sensors, reference.sensor)}</select></label>
<label>From <input type="date" name="ref_from" value="${escapeHtml(reference.from)}"></label>
<label>To <input type="date" name="ref_to" value="${escapeHtml(reference.to)}"></label>
</fieldset>
<label><input type="checkbox" name="notset" value="1"${c.showNotSet ? ' checked' : ''}> show "not set" values</label>
<button type="submit">Compare</button>
</form>
<p class="muted">Periods of up to ${MAX_COMPARE_DAYS} days. Per field, the top ${10} values of either side, each counted on both; change is the period's count minus the reference's.</p>
<p>${sideSummary(period)}<br>${sideSummary(reference)}</p>
<p>${a(href(base, '/compare.csv', compareQuery(c)), 'Download as CSV')}</p>`
  const head = `<thead><tr><th scope="col">Value</th><th scope="col">Label</th><th scope="col">${escapeHtml(sideName(period))}</th><th scope="col">${escapeHtml(sideName(reference))}</th><th scope="col">Change</th><th scope="col">Change %</th><th scope="col">Only in</th></tr></thead>`
  const fields = c.fields.map(f => {
    const link = (value: string): string => href(base, '/evolution', { sensor: period.sensor, field: f.field, value, until: period.to })
    const rows = f.rows.map(r => `<tr data-value="${escapeHtml(r.value)}"${r.only === null ? '' : ` class="only-${r.only}"`}><td>${a(link(r.value), r.value)}</td><td>${escapeHtml(r.label)}</td><td class="n">${number(r.count)}</td><td class="n">${number(r.reference)}</td>${changeCells(r)}<td class="only">${r.only === 'period' ? 'period only' : r.only === 'reference' ? 'reference only' : ''}</td></tr>`).join('\n')
    const table = f.rows.length === 0
      ? `<p class="empty">No ${escapeHtml(f.title)} values on either side.</p>`
      : `<div class="scroll"><table class="compare">${head}<tbody>
${rows}
</tbody></table></div>`
    const caveat = f.missingAtMost === undefined ? '' : `\n<p class="muted">A top proven only among each day's first values: a value with at most ${plural(f.missingAtMost, 'packet', number(f.missingAtMost))} may be missing.</p>`
    return `<section class="field" data-field="${escapeHtml(f.field)}">
<h2>${escapeHtml(f.title)} <span class="muted">(${escapeHtml(f.field)})</span></h2>
${table}${caveat}
</section>`
  }).join('\n')
  return page({ base, title: `Compare ${sideName(period)} with ${sideName(reference)}`, sensor: period.sensor, body: STYLE + form + fields })
}

/** RFC 4180: a field with a comma, quote or line break is quoted, quotes doubled. */
function cell (text: string): string {
  return /[",\r\n]/.test(text) ? `"${text.replace(/"/g, '""')}"` : text
}

/** The comparison as one CSV table: `field,value,label,count,reference,change,percent,only`, rows as on the page. */
export function compareCsv (c: Comparison): string {
  const lines = ['field,value,label,count,reference,change,percent,only']
  for (const f of c.fields) {
    for (const r of f.rows) lines.push([f.field, r.value, r.label, r.count, r.reference, r.change, r.percent ?? '', r.only ?? ''].map(v => cell(String(v))).join(','))
  }
  return lines.join('\n') + '\n'
}

/** `potiron_compare_<sensor>_<from>_<to>_vs_<sensor>_<from>_<to>.csv`, in characters safe in a header. */
export function compareFileName (c: Comparison): string {
  const side = (s: Side): string => `${s.sensor}_${s.from}${s.from === s.to ? '' : `_${s.to}`}`
  return `compare_${side(c.period)}_vs_${side(c.reference)}.csv`.replace(/[^A-Za-z0-9._-]/g, '_')
}

/** `destination port 22 (ssh)`: the value a calendar counts, as its title says it. */
function subjectOf (v: NonNullable<Calendar['value']>): string {
  return `${v.title} ${v.value}${v.label === '' ? '' : ` (${v.label})`}`
}

export function calendarPage (base: string, cal: Calendar, sensors: readonly string[]): string {
  const at = cal.years.indexOf(cal.year)
  const v = cal.value
  const counting = v === undefined ? {} : { field: v.field, value: v.value }
  const yearLink = (y: number | undefined, text: string): string => y === undefined ? '' : a(href(base, '/calendar', { sensor: cal.sensor, year: y, ...counting }), text)
  const nav = `<nav class="years" aria-label="Years with data">${[
    yearLink(cal.years[at - 1], `← ${cal.years[at - 1] ?? ''}`),
    cal.years.map(y => y === cal.year ? `<strong aria-current="page">${y}</strong>` : yearLink(y, String(y))).join(' '),
    yearLink(cal.years[at + 1], `${cal.years[at + 1] ?? ''} →`)
  ].filter(s => s !== '').join(' · ')}</nav>`
  const hidden = v === undefined ? '' : `<input type="hidden" name="field" value="${escapeHtml(v.field)}"><input type="hidden" name="value" value="${escapeHtml(v.value)}">\n`
  const form = `<form method="get" action="${escapeHtml(href(base, '/calendar'))}" data-autosubmit>
${hidden}<label>Sensor <select name="sensor">${options(sensors, cal.sensor)}</select></label>
<button type="submit">Show</button>
</form>`
  const counted = cal.days.filter(d => d.total !== null)
  const sum = counted.reduce((s, d) => s + d.total!, 0)
  const rows = cal.days.map(d => `<tr><td>${a(href(base, '/', { sensor: cal.sensor, day: d.day }), d.day)}</td><td class="n">${d.total === null ? '' : number(d.total)}</td></tr>`).join('\n')
  const table = `<details class="calendar-days"><summary>Packets per day, as a table (${plural(cal.days.length, 'day')} with data)</summary>
<table class="calendar-days"><thead><tr><th scope="col">Day</th><th scope="col">Packets</th></tr></thead><tbody>
${rows}
</tbody></table></details>`
  const about = v === undefined
    ? ''
    : ` with ${escapeHtml(subjectOf(v))} (a day with data without it is 0). ${a(href(base, '/evolution', { sensor: cal.sensor, field: v.field, value: v.value, from: `${cal.year}-01`, to: `${cal.year}-12` }), 'Its evolution over the year')} · ${a(href(base, '/calendar', { sensor: cal.sensor, year: cal.year }), 'all the sensor\'s packets')}.`
  const chart = counted.length === 0
    ? `<p class="empty">No packet counts for sensor ${escapeHtml(cal.sensor)} in ${cal.year}: the data has no protocol field to count a day's packets from.</p>`
    : `<p class="muted">${plural(sum, 'packet', number(sum))} over ${plural(cal.days.length, 'day')} with data in ${cal.year}${about}; days without data are grey (no data, not 0). Click a day for its overview.</p>
<div class="calendar">${chartBlock('calendar', calendarFigure(cal.year, new Map(cal.days.map(d => [d.day.replaceAll('-', ''), d.total])), v === undefined ? cal.sensor : v.value, day => href(base, '/', { sensor: cal.sensor, day })))}</div>`
  const title = v === undefined ? `Calendar of sensor ${cal.sensor}, ${cal.year}` : `Calendar of ${subjectOf(v)} on sensor ${cal.sensor}, ${cal.year}`
  return page({ base, title, sensor: cal.sensor, body: `${STYLE}${form}\n${nav}\n${chart}\n${table}`, charts: counted.length > 0 })
}
