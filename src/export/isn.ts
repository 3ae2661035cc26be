/**
 * `potiron plot isn`: the original's ISN scatter plots of a day or an hour, from records read
 * by store/isn-read.ts: sequence numbers against time coloured by destination port, and
 * acknowledgement numbers against time coloured by source port. Plotly `scattergl` (WebGL)
 * traces: a day of a scanned honeypot is hundreds of thousands of points, which SVG cannot draw.
 * Mirai-like scanners show as a band: their ISN is the target's address.
 */
import { mkdir, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import type { IsnRead } from '../store/isn-read.js'
import type { Figure } from './charts.js'
import { namePart } from './names.js'
import { ASSETS, chartBlock, document, escapeHtml, pageHeader, reportHead, scriptsAt, writeAssets } from './page.js'

export interface IsnPlot {
  sensor: string
  /** YYYY-MM-DD. */
  day: string
  hour?: number | undefined
  /** The zone of the database's days (PARAMETERS tz). */
  zone: string
  read: IsnRead
}

/** The page's file name: `isn_<sensor>_<YYYY-MM-DD>[_<HH>].html`. */
export function isnFileName (p: Pick<IsnPlot, 'sensor' | 'day' | 'hour'>): string {
  return `isn_${namePart(p.sensor)}_${p.day}${p.hour === undefined ? '' : `_${String(p.hour).padStart(2, '0')}`}.html`
}

/** One scatter of the records: `y` against time, coloured by `color` (a port). */
export function isnFigure (read: IsnRead, y: 'seq' | 'ack', color: 'dport' | 'sport'): Figure {
  const records = read.records
  const name = y === 'seq' ? 'Sequence number' : 'Acknowledgement number'
  const port = color === 'dport' ? 'Destination port' : 'Source port'
  return {
    data: [{
      type: 'scattergl',
      mode: 'markers',
      // Milliseconds since the epoch: a number per point, not a date string, for millions of them.
      x: records.map(r => Number(r.time) * 1000),
      y: records.map(r => r[y]),
      marker: { size: 3, color: records.map(r => r[color]), colorscale: 'Viridis', showscale: true, colorbar: { title: { text: port }, thickness: 12 } },
      hovertemplate: `%{x|%H:%M:%S.%L}<br>${name} %{y}<br>${port} %{marker.color}<extra></extra>`
    }],
    layout: {
      xaxis: { type: 'date', title: { text: 'Time (UTC)' } },
      yaxis: { title: { text: name }, range: [0, 4294967295], tickformat: ',d', automargin: true },
      margin: { t: 10, r: 10 },
      height: 520
    }
  }
}

/** The page of one plot (its assets at `assets`, relative to it). */
export function isnPage (p: IsnPlot, assets: string): string {
  const when = p.hour === undefined ? p.day : `${p.day} ${String(p.hour).padStart(2, '0')}:00-${String(p.hour + 1).padStart(2, '0')}:00 (${p.zone})`
  const title = `TCP initial sequence numbers of ${p.sensor}, ${when}`
  const { records, cut, uncounted } = p.read
  const synAcks = records.filter(r => r.synAck).length
  const notes = [
    `${records.length} packets: ${records.length - synAcks} SYN, ${synAcks} SYN-ACK.`,
    ...cut ? [`Only the first ${records.length} records are drawn (potiron plot isn --limit).`] : [],
    ...uncounted > 0 ? [`${uncounted} records of files whose ingest has not finished are left out.`] : []
  ]
  const body = records.length === 0
    ? '<p class="empty">No TCP SYN or SYN-ACK packet in this period.</p>'
    : `<h2>Sequence numbers, coloured by destination port</h2>\n${chartBlock('isn-seq', isnFigure(p.read, 'seq', 'dport'))}
<h2>Acknowledgement numbers, coloured by source port</h2>\n${chartBlock('isn-ack', isnFigure(p.read, 'ack', 'sport'))}`
  return document(title, `${pageHeader([])}
<main>
<h1>${escapeHtml(title)}</h1>
${notes.map(n => `<p class="note">${escapeHtml(n)}</p>`).join('\n')}
${body}
</main>`, records.length === 0 ? [] : scriptsAt(assets), reportHead(assets))
}

/** Writes the page and its assets under `out`; returns the page's path. */
export async function writeIsnPlot (p: IsnPlot, out: string): Promise<string> {
  await mkdir(out, { recursive: true })
  await writeAssets(join(out, ASSETS))
  const path = join(out, isnFileName(p))
  await writeFile(path, isnPage(p, ASSETS))
  return path
}

/** The index of an ISN report: a link to each day's page, with its number of records. */
export function isnIndex (sensor: string, days: ReadonlyArray<{ day: string, records: number, page: string }>, assets: string): string {
  const title = `TCP initial sequence numbers of ${sensor}`
  const rows = days.map(d => `<tr><td><a href="${escapeHtml(encodeURI(d.page))}">${escapeHtml(d.day)}</a></td><td class="n">${d.records}</td></tr>`).join('\n')
  return document(title, `${pageHeader([])}
<main>
<h1>${escapeHtml(title)}</h1>
<p class="note">An ISN database (ingest --isn): each day's SYN and SYN-ACK sequence and acknowledgement numbers.</p>
<table><thead><tr><th scope="col">Day</th><th scope="col">Records</th></tr></thead>
<tbody>
${rows}
</tbody></table>
</main>`, [], reportHead(assets))
}
