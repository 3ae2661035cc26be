/**
 * HTML of the offline site's pages. Pages carry only aggregated series, as JSON in a
 * `<script type="application/json">`, and load one local copy of Plotly from `assets/`, so
 * they open from file:// with no network.
 */
import { copyFile, mkdir, writeFile } from 'node:fs/promises'
import { createRequire } from 'node:module'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import type { Figure } from './charts.js'
import { WORLD_SCRIPT, worldScript } from './world.js'

export const ASSETS = 'assets'
const PLOTLY = createRequire(import.meta.url).resolve('plotly.js-dist')
// dist/src/export/page.js → src/export/browser/potiron-chart.js (not compiled: it runs in the browser as written)
const CHART_SCRIPT = fileURLToPath(new URL('../../../src/export/browser/potiron-chart.js', import.meta.url))

/** Browser-side files by name: copied into a site's `assets/`, or served by potiron serve. */
export const ASSET_FILES: Readonly<Record<string, string>> = { 'plotly.js': PLOTLY, 'potiron-chart.js': CHART_SCRIPT }
/** The report's look, beside the charts' scripts in its `assets/`: the stylesheet and the theme switch (loaded in the head). */
export const REPORT_CSS = 'potiron-report.css'
export const THEME_SCRIPT = 'potiron-theme.js'
const SITE_FILES: Readonly<Record<string, string>> = {
  ...ASSET_FILES,
  [REPORT_CSS]: fileURLToPath(new URL(`../../../src/export/browser/${REPORT_CSS}`, import.meta.url)),
  [THEME_SCRIPT]: fileURLToPath(new URL(`../../../src/export/browser/${THEME_SCRIPT}`, import.meta.url))
}

/**
 * The scripts a chart page loads, from the assets directory at `href` (relative to the page);
 * with `world`, the world's outline between Plotly and the chart script, for a map (world.ts).
 */
export function scriptsAt (href: string, world = false): string[] {
  const [plotly, ...rest] = Object.keys(ASSET_FILES)
  return [plotly!, ...world ? [WORLD_SCRIPT] : [], ...rest].map(name => `${href}/${name}`)
}

/** Copies Plotly, the chart script, the stylesheet and the theme switch into `dir` (a site's `assets/`), and writes the world's outline. */
export async function writeAssets (dir: string): Promise<void> {
  await mkdir(dir, { recursive: true })
  await Promise.all([
    ...Object.entries(SITE_FILES).map(async ([name, path]) => { await copyFile(path, join(dir, name)) }),
    (async () => { await writeFile(join(dir, WORLD_SCRIPT), await worldScript()) })()
  ])
}

export function escapeHtml (text: string): string {
  return text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;').replace(/'/g, '&#39;')
}

/** JSON for a `<script type="application/json">`: `<` escaped so no value can close the element. */
export function scriptJson (value: unknown): string {
  return JSON.stringify(value).replace(/</g, '\\u003c')
}

export interface Link { href: string, text: string }

export interface ChartPage {
  title: string
  /** The chart, or the one sentence that says why there is none (nothing to draw). */
  figure: Figure | string
  /** Links shown above the chart (up to the index, the CSV beside the page). */
  links: readonly Link[]
  /** The assets directory, relative to the page. */
  assets: string
  /** Caveats shown under the title, one paragraph each. */
  notes?: readonly string[]
  /** The chart's text alternative (HTML: its table), shown under it. */
  table?: string
  /** `calendar`: a chart as tall as its figure's layout.height says, not 75vh (potiron-report.css). */
  kind?: 'calendar'
}

export function linkList (links: readonly Link[]): string {
  return links.map(l => `<a href="${escapeHtml(encodeURI(l.href))}">${escapeHtml(l.text)}</a>`).join(' · ')
}

/** What a page's head loads besides its title (document's `head`): stylesheets, and scripts that must run before the body is drawn. */
export interface Head {
  stylesheets?: readonly string[]
  scripts?: readonly string[]
}

/**
 * A page. With `head.stylesheets`, they replace the built-in style (the report's pages: the
 * shared look in assets/); `head.scripts` run before the body (the theme, so no page flashes
 * in the other one).
 */
export function document (title: string, body: string, scripts: readonly string[] = [], head: Head = {}): string {
  const styles = head.stylesheets ?? []
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${escapeHtml(title)}</title>
${styles.length > 0
    ? styles.map(s => `<link rel="stylesheet" href="${escapeHtml(s)}">`).join('\n')
    : `<style>
body { font-family: system-ui, sans-serif; margin: 1.5rem; color: #222 }
nav { margin-bottom: 1rem }
.potiron-chart { width: 100%; height: 80vh }
table { border-collapse: collapse } td, th { padding: .2rem .8rem; text-align: left } td.n { text-align: right }
</style>`}${(head.scripts ?? []).map(s => `\n<script src="${escapeHtml(s)}"></script>`).join('')}
</head>
<body>
${body}
${scripts.map(s => `<script src="${escapeHtml(s)}"></script>`).join('\n')}
</body>
</html>
`
}

/** The head of a report page whose assets are at `assets` (relative to it): the shared look and the theme. */
export function reportHead (assets: string): Head {
  return { stylesheets: [`${assets}/${REPORT_CSS}`], scripts: [`${assets}/${THEME_SCRIPT}`] }
}

/** A report page's header: its links, and the theme switch (a button potiron-theme.js shows and wires). */
export function pageHeader (links: readonly Link[]): string {
  return `<header class="bar">
<nav aria-label="Site">${linkList(links)}</nav>
<button type="button" class="theme-switch" hidden>Theme: system</button>
</header>`
}

/** A chart: its div and its figure's JSON, which browser/potiron-chart.js draws from; `kind` a class of the div besides potiron-chart. */
export function chartBlock (id: string, figure: Figure, kind?: string): string {
  return `<div class="potiron-chart${kind === undefined ? '' : ` ${kind}`}" id="${id}" data-figure="${id}-figure"></div>
<script type="application/json" id="${id}-figure">${scriptJson(figure)}</script>`
}

export function chartPage (page: ChartPage): string {
  const notes = (page.notes ?? []).map(note => `<p class="note">${escapeHtml(note)}</p>\n`).join('')
  const chart = typeof page.figure === 'string' ? `<p class="empty">${escapeHtml(page.figure)}</p>` : chartBlock('chart', page.figure, page.kind)
  return document(page.title, `${pageHeader(page.links)}
<main>
<h1>${escapeHtml(page.title)}</h1>
${notes}${chart}${page.table === undefined ? '' : `\n${page.table}`}
</main>`, typeof page.figure === 'string' ? [] : scriptsAt(page.assets), reportHead(page.assets))
}
