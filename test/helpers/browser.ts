/**
 * Debian's Chromium for the browser tests, driven by playwright-core (never a downloaded
 * browser), and pages that record what went wrong in them: console errors, uncaught errors,
 * dialogs (dismissed) and every request made.
 */
import { chromium, type Browser, type Locator, type Page } from 'playwright-core'

export const CHROMIUM_ARGS = ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking']

export async function launchChromium (): Promise<Browser> {
  return await chromium.launch({ executablePath: '/usr/bin/chromium', args: CHROMIUM_ARGS })
}

export interface Visit { page: Page, errors: string[], dialogs: string[], requests: string[] }

/** Opens `url` in a new page of `browser`, recording into the returned Visit. */
export async function visit (browser: Browser, url: string): Promise<Visit> {
  const page = await browser.newPage({ viewport: { width: 1280, height: 900 } })
  const v: Visit = { page, errors: [], dialogs: [], requests: [] }
  page.on('console', m => { if (m.type() === 'error') v.errors.push(m.text()) })
  page.on('pageerror', e => { v.errors.push(e.message) })
  page.on('dialog', d => { v.dialogs.push(d.message()); void d.dismiss() })
  page.on('request', r => { v.requests.push(r.url()) })
  await page.goto(url)
  return v
}

/** What the tests read of a Plotly chart's element: its traces and its axes' pixel mapping. */
export interface PlotlyChart {
  data: Array<{ type: string, name: string, x?: string[], y?: number[], labels?: string[] }>
  _fullLayout: { xaxis: { _offset: number, d2p: (v: string) => number }, yaxis: { _offset: number, d2p: (v: number) => number } }
}

/** Page coordinates of point `point` of the scatter trace `trace` in the chart `chart`, to move the mouse to. */
export async function plotlyPoint (chart: Locator, trace: number, point: number): Promise<{ x: number, y: number }> {
  const at = await chart.evaluate((el, [t, p]) => {
    const gd = el as unknown as PlotlyChart
    const { xaxis, yaxis } = gd._fullLayout
    return { x: xaxis._offset + xaxis.d2p(gd.data[t]!.x![p]!), y: yaxis._offset + yaxis.d2p(gd.data[t]!.y![p]!) }
  }, [trace, point] as const)
  const box = (await chart.boundingBox())!
  return { x: box.x + at.x, y: box.y + at.y }
}
