/**
 * What a person checks on a page of potiron's (the report's, the dashboard's), asserted in
 * Chromium: in the light and the dark theme, at 1400 and 800 px wide, the page is screenshotted
 * into test-artifacts/, has no horizontal scroll, no chart wider than its container, a legend
 * (or colour bar) on every chart that asks for one, no console error, no request outside its own
 * origin (file:// pages: none at all but files), and axe-core finds no serious or critical
 * violation.
 */
import assert from 'node:assert/strict'
import { mkdirSync, readFileSync } from 'node:fs'
import { createRequire } from 'node:module'
import { join } from 'node:path'
import type { Page } from 'playwright-core'
import { ROOT } from './shared.js'

export const ARTIFACTS = join(ROOT, 'test-artifacts')
export const WIDTHS = [1400, 800] as const
export const THEMES = ['light', 'dark'] as const

const AXE = readFileSync(createRequire(import.meta.url).resolve('axe-core/axe.min.js'), 'utf8')

export interface PageToCheck {
  /** Names the screenshots: `<name>-<theme>-<width>.png`. */
  name: string
  url: string
}

/** What one chart of a page shows, as the checks read it. */
interface ChartSeen {
  id: string
  width: number
  container: number
  svg: number
  legend: boolean
  colorbar: boolean
  wantsLegend: boolean
  wantsColorbar: boolean
}

/**
 * The browser's globals the checks read, as far as they read them (the tests compile without
 * the DOM library): functions passed to page.evaluate run in the page, where they exist.
 */
interface Node {
  id: string
  dataset: Record<string, string | undefined>
  textContent: string | null
  parentElement: Node | null
  clientWidth: number
  scrollWidth: number
  getBoundingClientRect: () => { width: number }
  querySelector: (selector: string) => Node | null
}
interface Axe { run: (context: unknown, options: object) => Promise<{ violations: Array<{ id: string, impact: string | null, nodes: Array<{ target: unknown[] }> }> }> }
interface Window {
  document: { documentElement: Node, body: Node, querySelectorAll: (selector: string) => Iterable<Node>, getElementById: (id: string) => Node | null }
  getComputedStyle: (node: Node) => { backgroundColor: string }
  axe: Axe
}

/** Where a request may go: the page's own origin (for file://, files only). */
function ownOrigin (url: string): (request: string) => boolean {
  const { protocol, origin } = new URL(url)
  return protocol === 'file:' ? request => request.startsWith('file://') : request => request.startsWith('data:') || new URL(request).origin === origin
}

/** Every chart of the page drawn (Plotly's `data-ready`), within 20 s. */
export async function chartsDrawn (page: Page): Promise<void> {
  await page.waitForFunction(() => {
    const { document } = globalThis as unknown as Window
    return [...document.querySelectorAll('div.potiron-chart')].every(el => el.dataset.ready === 'true')
  }, undefined, { timeout: 20_000 })
}

/** The theme forced on the page (`<html data-theme>`), null when it follows the system. */
export async function forcedTheme (page: Page): Promise<string | null> {
  return await page.evaluate(() => (globalThis as unknown as Window).document.documentElement.dataset.theme ?? null)
}

/** Checks `url` in `page` in both themes at both widths (see the file's comment); asserts inside, naming the page, theme and width. */
export async function checkPage (page: Page, { name, url }: PageToCheck): Promise<void> {
  mkdirSync(ARTIFACTS, { recursive: true })
  const errors: string[] = []
  const away: string[] = []
  const allowed = ownOrigin(url)
  const onConsole = (m: { type: () => string, text: () => string }): void => { if (m.type() === 'error') errors.push(m.text()) }
  const onError = (e: Error): void => { errors.push(e.message) }
  const onRequest = (r: { url: () => string }): void => { if (!allowed(r.url())) away.push(r.url()) }
  page.on('console', onConsole)
  page.on('pageerror', onError)
  page.on('request', onRequest)
  try {
    for (const theme of THEMES) {
      await page.emulateMedia({ colorScheme: theme })
      for (const width of WIDTHS) {
        const at = `${name} (${theme}, ${width} px)`
        await page.setViewportSize({ width, height: 900 })
        await page.goto(url)
        await chartsDrawn(page)
        await page.screenshot({ path: join(ARTIFACTS, `${name}-${theme}-${width}.png`), fullPage: true })
        const { scroll, client, charts, background } = await page.evaluate(() => {
          const { document, getComputedStyle } = globalThis as unknown as Window
          const root = document.documentElement
          return {
            scroll: root.scrollWidth,
            client: root.clientWidth,
            background: getComputedStyle(document.body).backgroundColor,
            charts: [...document.querySelectorAll('div.potiron-chart')].map(el => {
              const figure = JSON.parse(document.getElementById(el.dataset.figure!)!.textContent!) as { data: Array<{ type: string }>, layout: { showlegend?: boolean } }
              return {
                id: el.id,
                width: el.getBoundingClientRect().width,
                container: el.parentElement!.clientWidth,
                svg: el.querySelector('svg.main-svg')?.getBoundingClientRect().width ?? 0,
                legend: el.querySelector('g.legend') !== null,
                colorbar: el.querySelector('g.colorbar') !== null,
                wantsLegend: figure.layout.showlegend === true,
                wantsColorbar: figure.data.some(t => t.type === 'heatmap')
              }
            })
          }
        })
        assert.ok(scroll <= client, `${at}: scrolls sideways (${scroll} px of content in ${client})`)
        assert.equal(background, theme === 'dark' ? 'rgb(17, 20, 24)' : 'rgb(255, 255, 255)', `${at}: background of the ${theme} theme`)
        for (const c of charts as ChartSeen[]) {
          assert.ok(c.width <= c.container + 0.5 && c.svg <= c.width + 0.5, `${at}: chart #${c.id} is ${c.width} px (drawing ${c.svg}) in ${c.container}`)
          assert.ok(c.svg > 0, `${at}: chart #${c.id} not drawn`)
          if (c.wantsLegend) assert.ok(c.legend, `${at}: chart #${c.id} has no legend`)
          if (c.wantsColorbar) assert.ok(c.colorbar, `${at}: chart #${c.id} has no colour bar`)
        }
        // axe through evaluate, not a <script>: a page's Content-Security-Policy allows no inline script.
        await page.evaluate(AXE)
        const violations = await page.evaluate(async () => {
          const { axe, document } = globalThis as unknown as Window
          // No preload: axe would fetch the stylesheets again by XHR, which file:// pages refuse (a console error).
          const { violations } = await axe.run(document, { resultTypes: ['violations'], preload: false })
          return violations.filter(v => v.impact === 'serious' || v.impact === 'critical').map(v => `${v.id} (${v.impact ?? ''}): ${v.nodes.slice(0, 3).map(n => JSON.stringify(n.target)).join(' ')}`)
        })
        assert.deepEqual(violations, [], `${at}: axe`)
      }
    }
    assert.deepEqual(errors, [], `${name}: console errors`)
    assert.deepEqual(away, [], `${name}: requests outside the page's origin`)
  } finally {
    page.off('console', onConsole)
    page.off('pageerror', onError)
    page.off('request', onRequest)
  }
}
