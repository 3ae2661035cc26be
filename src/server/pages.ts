/**
 * The dashboard's HTML, drawn from the API's objects (src/server/api.ts). Every value in a page
 * comes from captures or file names, so all of it goes through escapeHtml, and chart texts
 * through plotlyText (timelineFigure does it). No inline script (the Content-Security-Policy
 * forbids them): chart data sits in `<script type="application/json">` blocks that
 * potiron-chart.js reads, and dashboard.js adds the little behaviour the forms have.
 */
import { bucketFigure, timelineFigure, type Figure, type TopItem } from '../export/charts.js'
import { MAX_POINTS, bucketText, type Aggregation } from '../export/range.js'
import { ASN_CREDIT, asnBarFigure, worldMapFigure } from '../export/world.js'
import { DEFAULTS } from '../config/defaults.js'
import { chartBlock, escapeHtml, scriptsAt } from '../export/page.js'
import { MAX_EVOLUTION_DAYS, MAX_VALUE_LENGTH, type Evolution, type Overview, type Settings, type TopRow } from './api.js'
import { plural } from '../plural.js'
import { dashed } from '../export/names.js'
import { shiftDay } from './params.js'

/** `<base>/path?params`, with every parameter percent-encoded. */
export function href (base: string, path: string, params: Record<string, string | number | undefined> = {}): string {
  const query = new URLSearchParams()
  for (const [name, value] of Object.entries(params)) if (value !== undefined) query.set(name, String(value))
  const text = query.toString()
  return `${base}${path}${text === '' ? '' : `?${text}`}`
}

function a (url: string, text: string): string {
  return `<a href="${escapeHtml(url)}">${escapeHtml(text)}</a>`
}

/** What the header's pickers offer: the sensors, the chosen one's days with data (YYYY-MM-DD, ascending) and the range shown. */
export interface Picker {
  sensors: readonly string[]
  sensor: string
  days: readonly string[]
  /** The range's first and last day shown in the inputs (empty: none, the latest day). */
  from?: string
  to?: string
  /** The overview's own choices, kept by its form. */
  notSet?: boolean
  /** The page shows one day (`to`), as a layer-2 database's: a Day input, no From. */
  oneDay?: boolean
}

export interface Frame {
  base: string
  title: string
  sensor?: string | undefined
  picker?: Picker | undefined
  body: string
  charts?: boolean
  /** Whether a chart is a world map: the world's outline is loaded with the charts' scripts (export/world.ts). */
  world?: boolean
  /** `data-*` attributes of `<body>` (names without `data-`). */
  data?: Record<string, string>
}

/**
 * The dashboard's page frame, every page of potiron serve is drawn in: the stylesheet and
 * dashboard.js in the head (it sets the stored theme before the first paint; no inline script),
 * the sticky header, the page's main part, then Plotly and insights.js (which fills the overview's
 * sparklines and new values after load).
 */
export function page (frame: Frame): string {
  const { base, sensor } = frame
  const nav = [
    a(href(base, '/', { sensor }), 'Overview'),
    a(href(base, '/custom', { sensor }), 'Custom query'),
    a(href(base, '/calendar', { sensor }), 'Calendar'), a(href(base, '/compare', { sensor }), 'Compare'),
    a(href(base, '/settings', { sensor }), 'Settings')
  ].join('\n')
  const scripts = [...(frame.charts === true ? scriptsAt(`${base}/assets`, frame.world) : []), `${base}/assets/insights.js`]
  const data = Object.entries(frame.data ?? {}).map(([name, value]) => ` data-${name}="${escapeHtml(value)}"`).join('')
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${escapeHtml(frame.title)}</title>
<link rel="stylesheet" href="${escapeHtml(`${base}/assets/potiron.css`)}">
<script src="${escapeHtml(`${base}/assets/dashboard.js`)}"></script>
</head>
<body${data}>
<header class="bar">
<a class="brand" href="${escapeHtml(href(base, '/', { sensor }))}">Potiron</a>
${frame.picker === undefined ? '' : pickerForm(base, frame.picker)}<label>Theme <select id="theme" name="theme"><option value="system">System</option><option value="light">Light</option><option value="dark">Dark</option></select></label>
<nav aria-label="Pages">${nav}</nav>
</header>
<main>
<h1>${escapeHtml(frame.title)}</h1>
${frame.body}
</main>
${scripts.map(s => `<script src="${escapeHtml(s)}"></script>`).join('\n')}
</body>
</html>
`
}

/**
 * The sensor and the date range (or the day), sent to the overview: two date inputs bounded by the sensor's
 * first and last day with data, the days with data listed for them (dashboard.js refuses
 * another; the server answers one with its one-sentence error).
 */
function pickerForm (base: string, p: Picker): string {
  const first = p.days[0] ?? ''
  const last = p.days[p.days.length - 1] ?? ''
  const bounds = `min="${escapeHtml(first)}" max="${escapeHtml(last)}" list="days-with-data"`
  return `<form method="get" action="${escapeHtml(href(base, '/'))}" data-autosubmit class="picker">
<label>Sensor <select name="sensor">${options(p.sensors, p.sensor)}</select></label>
${p.oneDay === true ? '' : `<label>From <input type="date" name="from" ${bounds} value="${escapeHtml(p.from ?? '')}"></label>\n`}<label>${p.oneDay === true ? 'Day' : 'To'} <input type="date" name="day" ${bounds} value="${escapeHtml(p.to ?? '')}"></label>
<datalist id="days-with-data">${p.days.map(d => `<option value="${escapeHtml(d)}"></option>`).join('')}</datalist>
${p.notSet === undefined ? '' : `<label><input type="checkbox" name="notset" value="1"${p.notSet ? ' checked' : ''}> show "not set" values</label>\n`}<button type="submit">Show</button>
</form>
`
}

function options (values: readonly string[], selected: string | undefined, text: (v: string) => string = v => v): string {
  return values.map(v => `<option value="${escapeHtml(v)}"${v === selected ? ' selected' : ''}>${escapeHtml(text(v))}</option>`).join('')
}

function number (n: number): string {
  return n.toLocaleString('en-US')
}

function evolutionHref (base: string, sensor: string, field: string, value: string, until: string, protocol?: string): string {
  return href(base, '/evolution', { sensor, field, value, until, protocol })
}

/** The overview's first day: `days` days until `day` (YYYY-MM-DD). */
export function rangeStart (day: string, days: number): string {
  return dashed(shiftDay(day.replaceAll('-', ''), 1 - days))
}

export function overviewPage (base: string, o: Overview, sensors: readonly string[]): string {
  const from = rangeStart(o.day, o.days)
  // The input cannot hold a day before the sensor's first (its min): the range then starts there.
  const picker: Picker = { sensors, sensor: o.sensor, days: o.sensorDays, from: from < o.sensorDays[0]! ? o.sensorDays[0]! : from, to: o.day, notSet: o.showNotSet }
  const intro = `<p class="muted">${o.total === null ? '' : `${plural(o.total, 'packet', number(o.total))} on ${escapeHtml(o.day)}. `}Click a value for its evolution.${o.showNotSet ? '' : ' Each field\'s "not set" value is left out of its top.'}</p>`
  const fields = o.fields.map((f, i) => `<section class="field card" data-field="${escapeHtml(f.field)}">
<h2>${escapeHtml(f.title)} <span class="muted">(${escapeHtml(f.field)})</span>${f.top.length === 0 ? '' : ` <a class="csv" href="${escapeHtml(csvHref(base, o, f.field))}" download>CSV<span class="visually-hidden"> of ${escapeHtml(f.title)}</span></a>`}</h2>
<div class="new-today" data-field="${escapeHtml(f.field)}"></div>
${notSetNote(base, o, f)}${f.top.length === 0 ? '' : fieldTop(base, o, f, i)}
</section>`).join('\n')
  const none = o.fields.length === 0 ? `<p class="error">No field to show: choose some in ${a(href(base, '/settings', { sensor: o.sensor }), 'Settings')}.</p>` : ''
  return page({
    base,
    title: `Potiron: sensor ${o.sensor}, ${o.day}`,
    sensor: o.sensor,
    picker,
    body: `${intro}${none}\n<div class="cards">\n${fields}\n</div>`,
    charts: true,
    world: o.fields.some(f => f.top.length > 0 && f.map !== undefined),
    data: { sensor: o.sensor, day: o.day, from, to: o.day }
  })
}

/** The CSV of a field's top on the overview's day: the rows `potiron export csv` writes (app.ts). */
function csvHref (base: string, o: Overview, field: string): string {
  return href(base, '/csv', { sensor: o.sensor, day: o.day, field, notset: o.showNotSet ? 1 : undefined })
}

/**
 * What a field's top leaves out, and the link that shows it: its "not set" value's packets, in
 * one sentence (the only one when nothing else is left, never an empty table and chart).
 */
function notSetNote (base: string, o: Overview, f: Overview['fields'][number]): string {
  const { value, count } = f.notSet
  const hidden = !o.showNotSet && count > 0
  const show = hidden ? ` ${a(href(base, '/', { sensor: o.sensor, day: o.day, days: o.days === DEFAULTS.overviewDays ? undefined : o.days, notset: 1 }), 'Show "not set" values')}` : ''
  const packets = plural(count, 'packet', number(count))
  if (f.top.length > 0) return hidden ? `<p class="muted not-set">Left out: ${escapeHtml(value)} (not set), ${packets}.${show}</p>\n` : ''
  const sentence = hidden ? `No ${escapeHtml(f.title)} on ${escapeHtml(o.day)}: all ${packets} have it "not set" (${escapeHtml(value)}).` : `No ${escapeHtml(f.title)} values on ${escapeHtml(o.day)}.`
  return `<p class="empty">${sentence}${show}</p>`
}

/** Share of the day's packets, as the table shows it and its bar's width. */
function percent (share: number): string {
  return (share * 100).toFixed(2)
}

/**
 * A field's top-10 table, each value's label beside it (one column less: the table leaves room
 * for the chart), each share a bar behind its percentage, and beside it the compact chart of
 * its leading values over the overview's days (no title: the card's heading says it).
 * Each row carries its value (`data-value`) and an empty cell for its sparkline, filled by
 * insights.js.
 */
function fieldTop (base: string, o: Overview, f: Overview['fields'][number], i: number): string {
  const link = (value: string): string => evolutionHref(base, o.sensor, f.field, value, o.day)
  const rows = f.top.map((r, n) => {
    const share = r.share === null ? '<td class="n"></td>' : `<td class="n share" style="--share:${percent(r.share)}%">${percent(r.share)} %</td>`
    return `<tr data-value="${escapeHtml(r.value)}"><td class="n">${n + 1}</td><td>${a(link(r.value), r.value)}${r.label === '' ? '' : ` <span class="label">${escapeHtml(r.label)}</span>`}</td><td class="n">${number(r.count)}</td>${share}<td class="spark"></td></tr>`
  }).join('\n')
  const { days, series } = f.timeline
  const figure = timelineFigure('', series.map(s => {
    // Every point of a line opens the same evolution page: its address made once.
    const to = link(s.value)
    return { name: s.value, label: s.label, x: days, y: s.counts, links: days.map(() => to) }
  }), { first: days[0]!, last: days[days.length - 1]! })
  return `<div class="card-body">
<div class="table-wrap"><table class="top"><caption class="visually-hidden">Top ${f.top.length} of ${escapeHtml(f.title)} on ${escapeHtml(o.day)}</caption>
<thead><tr><th class="n">#</th><th>Value <span class="label">label</span></th><th class="n">Count</th><th class="n">Share</th><th class="spark" aria-hidden="true"></th></tr></thead>
<tbody>
${rows}
</tbody></table></div>
${f.missingAtMost === undefined ? '' : `<p class="muted">Top of the protocols' sum proven only among each protocol's first values: a value with at most ${plural(f.missingAtMost, 'packet', number(f.missingAtMost))} may be missing.</p>`}
${chartBlock(`chart-${i}`, compact(figure, days.length))}
</div>
${enrichmentChart(f, i, link)}`
}

/**
 * The enrichment fields' chart under their card's table: the day's source countries on a world
 * map (scc), the top source ASes as bars with their names (sasn); '' for other fields. The
 * table above is their text alternative (the map's countries beyond its top 10 are in the CSV).
 */
function enrichmentChart (f: Overview['fields'][number], i: number, link: (value: string) => string): string {
  const items = (rows: readonly TopRow[]): TopItem[] => rows.map(r => ({ value: r.value, label: r.label, count: r.count, link: link(r.value) }))
  if (f.map !== undefined) {
    const map = worldMapFigure(items(f.map))
    return map === undefined
      ? '<p class="muted">None of the day\'s source countries has a place on the map.</p>'
      : `<h3 class="chart-title">On the map</h3>\n${chartBlock(`map-${i}`, map).replace('class="potiron-chart"', 'class="potiron-chart map"')}`
  }
  if (f.field === 'sasn') return `<h3 class="chart-title">Top source ASes</h3>\n${chartBlock(`asn-${i}`, asnBarFigure(items(f.top))).replace('class="potiron-chart"', 'class="potiron-chart bars"')}\n<p class="muted">${ASN_CREDIT}</p>`
  return ''
}

/** A timeline made to fit a card: no title (the card's heading says it), no axis title under the dates, the legend below, small margins (the top one holds the mode bar, off the points). */
/**
 * A card's narrow date axis: at most 4 ticks, a whole number of days apart, left level (Plotly
 * would turn a tick a day on end, into the legend below).
 */
function levelTicks (xaxis: Record<string, unknown>, days: number): Record<string, unknown> {
  const step = Math.ceil(days / 4)
  return { ...xaxis, ...(step > 1 && typeof xaxis.dtick === 'number' ? { dtick: xaxis.dtick * step } : {}), tickangle: 0 }
}

function compact (figure: Figure, days: number): Figure {
  const { title: _title, margin: _margin, ...layout } = figure.layout
  const { title: _xTitle, ...xaxis } = figure.layout.xaxis as Record<string, unknown>
  return {
    data: figure.data,
    layout: { ...layout, xaxis: levelTicks(xaxis, days), margin: { t: 32, r: 10, b: 10, l: 50 }, legend: { orientation: 'h', x: 0, y: -0.15, yanchor: 'top' } }
  }
}

/** What the evolution's points are, said above its chart (our own words, HTML as they are). */
const AGGREGATED: Record<Aggregation, string> = {
  day: ' (days without any capture are gaps in the lines). Click a point for that day\'s overview.',
  week: `. More than ${MAX_POINTS} days: a point per ISO week (Monday to Sunday), the sum of its days (a day without data adds 0); a week the period cuts is partial, an open marker.`,
  month: `. More than ${MAX_POINTS} weeks: a point per month, the sum of its days (a day without data adds 0); a month the period cuts is partial, an open marker.`
}

export function evolutionPage (base: string, e: Evolution, picker?: Picker): string {
  const subject = `${e.title} ${e.value}${e.label === '' ? '' : ` (${e.label})`}`
  const first = dashed(shiftDay(e.until.replaceAll('-', ''), 1 - e.days))
  const protocols = e.protocols.length === 0
    ? ''
    : `<label>Protocol <select name="protocol"><option value="">all (sum)</option>${options(['each', ...e.protocols], e.protocol ?? undefined, p => p === 'each' ? 'each protocol' : p)}</select></label>`
  const which = `<input type="hidden" name="sensor" value="${escapeHtml(e.sensor)}"><input type="hidden" name="field" value="${escapeHtml(e.field)}"><input type="hidden" name="value" value="${escapeHtml(e.value)}">`
  const form = `<form method="get" action="${escapeHtml(href(base, '/evolution'))}" data-autosubmit>
${which}
<label>Until <input type="date" name="until" value="${escapeHtml(e.until)}"></label>
<label>Days <input type="number" name="days" min="1" max="${MAX_EVOLUTION_DAYS}" value="${e.days}"></label>
${protocols}
<button type="submit">Show</button>
</form>
<form method="get" action="${escapeHtml(href(base, '/evolution'))}" class="months">
${which}${e.protocol === null ? '' : `<input type="hidden" name="protocol" value="${escapeHtml(e.protocol)}">`}
<label>From month <input type="month" name="from" value="${escapeHtml(e.months?.from ?? first.slice(0, 7))}" required></label>
<label>To month <input type="month" name="to" value="${escapeHtml(e.months?.to ?? e.until.slice(0, 7))}" required></label>
<button type="submit">Show months</button>
</form>`
  const total = e.series[e.series.length - 1]!.points.reduce((sum, p) => sum + p.count, 0)
  const withData = e.series[0]!.points.length
  const years = [...new Set(e.series[0]!.points.map(p => p.day.slice(0, 4)))]
  const calendars = years.map(year => a(href(base, '/calendar', { sensor: e.sensor, field: e.field, value: e.value, year }), year)).join(' · ')
  const body = withData === 0
    ? `${form}\n<p class="empty">Sensor ${escapeHtml(e.sensor)} has no data from ${escapeHtml(first)} to ${escapeHtml(e.until)}.</p>`
    : `${form}
<p class="muted">Sensor ${escapeHtml(e.sensor)}: ${plural(total, 'packet', number(total))} over ${plural(withData, 'day')} with data${AGGREGATED[e.aggregation]}</p>
<p class="calendars">Calendar of this value: ${calendars}</p>
<div class="chart-wide">${chartBlock('evolution', evolutionFigure(base, e, subject, first))}</div>`
  return page({ base, title: `Evolution of ${subject}`, sensor: e.sensor, picker, body, charts: withData > 0, data: { sensor: e.sensor } })
}

/** The evolution's chart: its days with data over the whole period asked (`first` to `until`), a gap over the days without; or its weekly or monthly sums. */
function evolutionFigure (base: string, e: Evolution, subject: string, first: string): Figure {
  const when = e.months === undefined ? `${plural(e.days, 'day')} until ${e.until}` : `${e.months.from} to ${e.months.to}`
  if (e.periods !== undefined) {
    const unit = e.aggregation === 'week' ? 'Week' : 'Month'
    const points = e.periods.map(p => ({ x: p.start, text: bucketText(p, p.daysWithData, e.aggregation), partial: p.partial }))
    return bucketFigure(`${subject} per ${e.aggregation === 'week' ? 'ISO week' : 'month'} (sums), ${when}`, unit, e.series.map(s => ({ name: s.name, label: '', y: s.sums ?? [] })), points, { first, last: e.until })
  }
  return timelineFigure(`${subject}, ${when}`, e.series.map(s => ({
    name: s.name, label: '', x: s.points.map(p => p.day), y: s.points.map(p => p.count), links: s.points.map(p => href(base, '/', { sensor: e.sensor, day: p.day }))
  })), { first, last: e.until })
}

export function customPage (base: string, sensors: readonly string[], sensor: string | undefined, fields: readonly string[], picker?: Picker): string {
  const body = `<form class="stack" method="get" action="${escapeHtml(href(base, '/evolution'))}">
<p><label>Sensor <select name="sensor">${options(sensors, sensor)}</select></label></p>
<p><label>Field <select name="field">${options(fields, undefined)}</select></label></p>
<p><label>Value <input type="text" name="value" required maxlength="${MAX_VALUE_LENGTH}"></label></p>
<p><label>Until <input type="date" name="until"></label> <span class="muted">(empty: the latest day)</span></p>
<p><button type="submit">Show evolution</button></p>
</form>`
  return page({ base, title: 'Custom query', sensor, picker, body })
}

export function settingsPage (base: string, s: Settings, sensor: string | undefined, saved: boolean, picker?: Picker): string {
  const boxes = s.fields.map(f => `<label><input type="checkbox" name="fields" value="${escapeHtml(f.field)}"${f.enabled ? ' checked' : ''}${s.readOnly ? ' disabled' : ''}> ${escapeHtml(f.title)} <span class="muted">(${escapeHtml(f.field)})</span></label><br>`).join('\n')
  const note = s.stored ? '' : '<p class="muted">No choice stored yet (no ENFIELDS set): the overview shows every field.</p>'
  const body = s.readOnly
    ? `<p class="muted">This dashboard is read-only (--read-only): settings cannot be changed here.</p>${note}<fieldset><legend>Fields in the overview</legend>${boxes}</fieldset>`
    : `${saved ? '<p class="saved">Saved.</p>' : ''}${note}<form method="post" action="${escapeHtml(href(base, '/settings', { sensor }))}" id="settings">
<fieldset><legend>Fields in the overview</legend>
${boxes}
</fieldset>
<p><button type="submit">Save</button></p>
</form>`
  return page({ base, title: 'Settings', sensor, picker, body })
}

export function errorPage (base: string, status: number, message: string): string {
  const titles: Record<number, string> = { 403: 'Forbidden', 404: 'Not found', 405: 'Method not allowed', 413: 'Request too large', 421: 'Misdirected request', 500: 'Internal error' }
  return page({ base, title: titles[status] ?? 'Bad request', body: `<p class="error">${escapeHtml(message)}</p>` })
}

export function unavailablePage (base: string): string {
  return page({
    base,
    title: 'Potiron is not available',
    body: '<p class="error">The backend is unavailable: potiron cannot reach its Redis database. This page works again as soon as Redis is back; try again in a few seconds.</p>'
  })
}
