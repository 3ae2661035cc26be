/**
 * What a person checks on any page of potiron's (the dashboard's or the offline report's), in
 * Chromium: the page in both themes (the system's light and dark, as prefers-color-scheme) at
 * 1400 and 800 px wide, each screenshotted into test-artifacts/<name>-<theme>-<width>.png, and in
 * each: the theme's background, no horizontal scroll, no chart wider than its card, a legend on
 * every chart of more than one line and a colour bar on every heatmap and map, no console error, no
 * request to another host (file:// pages: files only), and no serious or critical violation
 * found by axe-core.
 */
import assert from 'node:assert/strict'
import { mkdirSync, readFileSync } from 'node:fs'
import { createRequire } from 'node:module'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { STATUS_CODES } from 'node:http'
import type { ConsoleMessage, Page } from 'playwright-core'

// dist/test/helpers/page-checks.js → the checkout's test-artifacts/ (gitignored).
export const ARTIFACTS = fileURLToPath(new URL('../../../test-artifacts/', import.meta.url))
const AXE_SOURCE = readFileSync(createRequire(import.meta.url).resolve('axe-core/axe.min.js'), 'utf8')

export const THEMES = ['light', 'dark'] as const
export const WIDTHS = [1400, 800] as const

export interface PageToCheck {
  /** File name stem of its screenshots: `overview` → test-artifacts/overview-dark-800.png. */
  name: string
  url: string
  /** The page's HTTP status (default 200): the console error a browser logs for a 503 page itself is then expected. */
  status?: number
}

/** What a page shows of its layout: the widths the checks compare. */
interface Layout {
  scrollWidth: number
  clientWidth: number
  /** The body's background colour. */
  background: string
  /** Each chart: its id, its drawing's width and its card's inner width, its lines and legend entries, its heatmaps and maps that show their scale (a calendar's "no data" layer does not), its scatters coloured by a scale, and colour bars. */
  charts: Array<{ id: string, drawn: number, card: number, lines: number, legend: number, heatmaps: number, colorbars: number }>
}

/** Waits until every Plotly chart of the page (potiron-chart.js sets data-ready) is drawn. */
export async function chartsDrawn (page: Page): Promise<void> {
  // A string: this project's TypeScript has no DOM types.
  await page.waitForFunction('[...document.querySelectorAll("div.potiron-chart")].every(c => c.dataset.ready === "true")', undefined, { timeout: 30_000 })
}

/** The serious and critical violations axe-core finds in the page, one line each (rule, elements). */
export async function axeViolations (page: Page): Promise<string[]> {
  // page.evaluate runs outside the page's Content-Security-Policy; a script tag would be refused.
  if (await page.evaluate('typeof window.axe') === 'undefined') await page.evaluate(AXE_SOURCE)
  // No preload: axe would fetch the stylesheets again by XHR, which file:// pages refuse (a console error).
  return await page.evaluate(`axe.run(document, { resultTypes: ['violations'], preload: false }).then(r => r.violations
    .filter(v => v.impact === 'serious' || v.impact === 'critical')
    .map(v => v.id + ' (' + v.impact + '): ' + v.nodes.map(n => n.target.join(' ')).join(', ')))`)
}

async function layoutOf (page: Page): Promise<Layout> {
  return await page.evaluate(`(() => {
    const s = document.scrollingElement
    const charts = [...document.querySelectorAll('div.potiron-chart')].map(el => {
      const svg = el.querySelector('svg.main-svg')
      const card = el.closest('.card') ?? el.parentElement
      const style = getComputedStyle(card)
      const lines = (el._fullData ?? []).filter(t => t.type === 'scatter' && t.visible !== false).length
      return {
        id: el.id,
        drawn: svg === null ? 0 : svg.getBoundingClientRect().width,
        card: card.clientWidth - parseFloat(style.paddingLeft) - parseFloat(style.paddingRight),
        lines,
        legend: el.querySelectorAll('.legend .traces').length,
        heatmaps: (el._fullData ?? []).filter(t => ((t.type === 'heatmap' || t.type === 'choropleth') && t.showscale !== false) || (t.marker !== undefined && t.marker.showscale === true)).length,
        colorbars: el.querySelectorAll('g.colorbar').length
      }
    })
    return { scrollWidth: s.scrollWidth, clientWidth: s.clientWidth, background: getComputedStyle(document.body).backgroundColor, charts }
  })()`)
}

/** The theme forced on the page (`<html data-theme>`), null when it follows the system. */
export async function forcedTheme (page: Page): Promise<string | null> {
  return await page.evaluate('document.documentElement.dataset.theme ?? null')
}

/** The page at `url` in both themes and widths: screenshots, layout, legends, console, requests and axe-core (see the file's comment). */
export async function checkPage (page: Page, { name, url, status = 200 }: PageToCheck): Promise<void> {
  mkdirSync(ARTIFACTS, { recursive: true })
  const errors: string[] = []
  const elsewhere: string[] = []
  const own = new URL(url)
  const onConsole = (m: ConsoleMessage): void => {
    const itself = status !== 200 && m.location().url === url && m.text() === `Failed to load resource: the server responded with a status of ${status} (${STATUS_CODES[status] ?? ''})`
    if (m.type() === 'error' && !itself) errors.push(m.text())
  }
  const onError = (e: Error): void => { errors.push(e.message) }
  const onRequest = (r: { url: () => string }): void => {
    const to = new URL(r.url())
    const local = to.protocol === 'data:' || to.protocol === 'blob:' || (own.protocol === 'file:' ? to.protocol === 'file:' : to.origin === own.origin)
    if (!local) elsewhere.push(r.url())
  }
  page.on('console', onConsole)
  page.on('pageerror', onError)
  page.on('request', onRequest)
  try {
    for (const theme of THEMES) {
      await page.emulateMedia({ colorScheme: theme })
      for (const width of WIDTHS) {
        const at = `${name}, ${theme}, ${width} px`
        await page.setViewportSize({ width, height: 900 })
        const answer = await page.goto(url)
        // A page from a file has no status.
        if (!own.protocol.startsWith('file')) assert.equal(answer?.status(), status, `${at}: HTTP status`)
        await chartsDrawn(page)
        await page.screenshot({ path: join(ARTIFACTS, `${name}-${theme}-${width}.png`), fullPage: true })
        const layout = await layoutOf(page)
        assert.ok(layout.scrollWidth <= layout.clientWidth, `${at}: scrolls sideways (${layout.scrollWidth} > ${layout.clientWidth} px)`)
        assert.equal(layout.background, theme === 'dark' ? 'rgb(17, 20, 24)' : 'rgb(255, 255, 255)', `${at}: background of the ${theme} theme`)
        for (const chart of layout.charts) {
          assert.ok(chart.drawn > 0 && chart.drawn <= chart.card + 1, `${at}: chart ${chart.id} is ${chart.drawn} px wide in a card of ${chart.card} px`)
          if (chart.lines > 1) assert.equal(chart.legend, chart.lines, `${at}: chart ${chart.id} has ${chart.lines} lines but ${chart.legend} legend entries`)
          assert.equal(chart.colorbars, chart.heatmaps, `${at}: chart ${chart.id} has ${chart.heatmaps} heatmaps and ${chart.colorbars} colour bars`)
        }
        // Both themes, once each: the width changes no colour.
        if (width === WIDTHS[0]) assert.deepEqual(await axeViolations(page), [], `${at}: axe-core`)
      }
    }
    assert.deepEqual(errors, [], `${name}: console errors`)
    assert.deepEqual(elsewhere, [], `${name}: requests to another host`)
  } finally {
    page.off('console', onConsole)
    page.off('pageerror', onError)
    page.off('request', onRequest)
  }
}
