/**
 * `potiron bench --html FILE`: throughput against worker threads, one line for the parse on
 * the pool, one for the whole ingest when Redis was measured, and the reference tools as
 * dashed horizontal lines (they run one file at a time: threads do not apply to them).
 * A chart page of the site's kind (page.ts), its Plotly in `assets/` beside it.
 */
import type { Figure } from './charts.js'
import { chartPage, escapeHtml } from './page.js'

export interface BenchPoint {
  threads: number
  /** 10^6 bytes on disk per second. */
  parse: number
  ingest: number | null
}

export interface BenchReference {
  tool: string
  diskMbPerSecond: number | null
}

export function benchFigure (points: readonly BenchPoint[], references: readonly BenchReference[]): Figure {
  const x = points.map(p => p.threads)
  const data: Array<Record<string, unknown>> = [
    { type: 'scatter', mode: 'lines+markers', name: 'potiron parse (worker pool)', x, y: points.map(p => p.parse), hovertemplate: '%{x} threads: %{y:.2f} MB/s<extra>parse</extra>' }
  ]
  if (points.some(p => p.ingest !== null)) {
    data.push({ type: 'scatter', mode: 'lines+markers', name: 'potiron ingest (parse + Redis)', x, y: points.map(p => p.ingest), hovertemplate: '%{x} threads: %{y:.2f} MB/s<extra>ingest</extra>' })
  }
  const span = x.length === 0 ? [1, 1] : [Math.min(...x), Math.max(...x)]
  for (const r of references) {
    if (r.diskMbPerSecond === null) continue
    data.push({ type: 'scatter', mode: 'lines', name: `${r.tool} (reference, one file at a time)`, x: span, y: [r.diskMbPerSecond, r.diskMbPerSecond], line: { dash: 'dash' }, hovertemplate: `%{y:.2f} MB/s<extra>${r.tool}</extra>` })
  }
  return {
    data,
    layout: {
      title: { text: 'Throughput against worker threads (MB of capture on disk per second)' },
      xaxis: { title: { text: 'worker threads' }, dtick: 1 },
      yaxis: { title: { text: 'MB/s on disk' }, rangemode: 'tozero' },
      legend: { orientation: 'h' }
    }
  }
}

/** The page, with its notes (the Redis used, the sample) and the table behind the chart. */
export function benchPage (points: readonly BenchPoint[], references: readonly BenchReference[], notes: readonly string[]): string {
  const rows = points.map(p => `<tr><td class="n">${p.threads}</td><td class="n">${p.parse.toFixed(2)}</td><td class="n">${p.ingest === null ? '-' : p.ingest.toFixed(2)}</td></tr>`).join('\n')
  const table = `<table>
<caption>MB/s on disk</caption>
<thead><tr><th>threads</th><th>parse</th><th>ingest</th></tr></thead>
<tbody>
${rows}
</tbody>
</table>${references.filter(r => r.diskMbPerSecond !== null).map(r => `\n<p>${escapeHtml(r.tool)} (reference): ${r.diskMbPerSecond!.toFixed(2)} MB/s</p>`).join('')}`
  return chartPage({ title: 'potiron bench', figure: benchFigure(points, references), links: [], assets: 'assets', notes, table })
}
