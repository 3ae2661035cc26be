/**
 * The insights in Debian's Chromium (playwright-core), on a private Redis of known counts:
 * insights.js draws each sparkline as an inline SVG (gaps on days without data, a title for
 * assistive tech) and fills the new-today line, the calendar heatmap draws and a click on a day
 * opens its overview, the comparison page loads; no console error and no request to another
 * host on any page. The overview's markup for sparklines (body data-*, `td.spark`,
 * `div.new-today`) is drawn by pages.ts; this test serves a small page of that markup beside the
 * app (same origin, same CSP) so it does not depend on the overview's layout. Each page, in the
 * light and dark schemes at 1400 and 800 px wide: a screenshot in test-artifacts/, no horizontal
 * scroll, no chart wider than its container, and axe-core finds no serious or critical violation.
 */
import { after, before, test } from 'node:test'
import assert from 'node:assert/strict'
import { mkdirSync, readFileSync } from 'node:fs'
import { createServer, type Server } from 'node:http'
import { createRequire } from 'node:module'
import { join } from 'node:path'
import type { AddressInfo } from 'node:net'
import type { Redis } from 'ioredis'
import type { Browser, Page } from 'playwright-core'
import { createApp } from '../src/server/app.js'
import { dashboardClient } from '../src/server/client.js'
import { launchChromium, visit, type Visit } from './helpers/browser.js'
import { COUNTS, fill } from './helpers/insights.js'
import { ROOT } from './helpers/shared.js'
import { startRedis, type TestRedis } from './helpers/redis.js'
import { teardown } from './helpers/teardown.js'

const ARTIFACTS = join(ROOT, 'test-artifacts')
const AXE = readFileSync(createRequire(import.meta.url).resolve('axe-core/axe.min.js'), 'utf8')
const CSP = "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data:"

/** The overview's markup for the insights, as pages.ts draws it: a field's rows, a spark cell each, its new-today box. */
const FIXTURE = `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>sparklines</title></head>
<body data-sensor="lab-ins-1" data-day="2024-03-05" data-from="2024-03-01" data-to="2024-03-05">
<section class="field" data-field="dport">
<div class="new-today" data-field="dport"></div>
<table class="top"><tbody>
${['22', '23', '4444', '443'].map(v => `<tr data-value="${v}"><td>${v}</td><td class="spark"></td></tr>`).join('\n')}
</tbody></table>
</section>
<section class="field" data-field="protocol"><div class="new-today" data-field="protocol"></div></section>
<script src="/assets/insights.js"></script>
</body></html>`

let redis: TestRedis
let client: Redis
let server: Server
let url: string
let browser: Browser

before(async () => {
  redis = await startRedis()
  await fill(redis.client, COUNTS, ['protocol', 'dport'])
  client = dashboardClient({ socket: redis.socket })
  await client.connect()
  const app = createApp(client, { log: () => {} })
  server = createServer((req, res) => {
    if (req.url?.startsWith('/fixture') === true) {
      res.writeHead(200, { 'Content-Type': 'text/html; charset=utf-8', 'Content-Security-Policy': CSP }).end(FIXTURE)
      return
    }
    app(req, res)
  })
  await new Promise<void>(resolve => server.listen(0, '127.0.0.1', resolve))
  url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`
  browser = await launchChromium()
})

after(async () => {
  await teardown(
    async () => await browser?.close(),
    async () => await new Promise<void>(resolve => { if (server === undefined) resolve(); else { server.close(() => { resolve() }); server.closeAllConnections() } }),
    () => client?.disconnect(), async () => await redis?.stop()
  )
})

async function open (path: string): Promise<Visit> {
  return await visit(browser, `${url}${path}`)
}

/** Every request went to this server. */
function onlyLocal (v: Visit): void {
  const elsewhere = v.requests.filter(r => !r.startsWith(`${url}/`))
  assert.deepEqual(elsewhere, [])
}

async function chartsReady (page: Page): Promise<void> {
  await page.waitForFunction(`(() => {
    const charts = [...document.querySelectorAll('div.potiron-chart')]
    return charts.length > 0 && charts.every(c => c.dataset.ready === 'true')
  })()`, undefined, { timeout: 30_000 })
}

test('insights.js draws a sparkline per row (a gap on the day without data) and the new-today line', async () => {
  const v = await open('/fixture?newdays=2')
  await v.page.locator('body[data-sparklines="ready"][data-new-today="ready"]').waitFor({ state: 'attached', timeout: 30_000 })
  const sparks = await v.page.locator('tr[data-value]').evaluateAll(trs => trs.map(tr => {
    const svg = tr.querySelector('td.spark svg')!
    return {
      value: (tr as unknown as { dataset: { value: string } }).dataset.value,
      title: svg.querySelector('title')!.textContent,
      role: svg.getAttribute('role'),
      lines: [...svg.querySelectorAll('polyline')].map(p => p.getAttribute('points')),
      dots: [...svg.querySelectorAll('circle')].map(c => [c.getAttribute('cx'), c.getAttribute('cy')])
    }
  }))
  // 96 × 22 box, 2 px margins: days 2 + 23 d; counts from 20 (0) up to 2 (the row's max).
  assert.deepEqual(sparks, [
    { value: '22', title: 'dport 22, 2024-03-01 to 2024-03-05: min 10, max 40 packets a day (1 day without data)', role: 'img', lines: ['2.0,2.0 25.0,11.0 48.0,15.5'], dots: [['94.0', '6.5']] },
    { value: '23', title: 'dport 23, 2024-03-01 to 2024-03-05: min 0, max 15 packets a day (1 day without data)', role: 'img', lines: ['2.0,20.0 25.0,20.0 48.0,20.0'], dots: [['94.0', '2.0']] },
    { value: '4444', title: 'dport 4444, 2024-03-01 to 2024-03-05: min 0, max 15 packets a day (1 day without data)', role: 'img', lines: ['2.0,14.0 25.0,20.0 48.0,20.0'], dots: [['94.0', '2.0']] },
    { value: '443', title: 'dport 443, 2024-03-01 to 2024-03-05: min 0, max 20 packets a day (1 day without data)', role: 'img', lines: ['2.0,20.0 25.0,15.5 48.0,2.0'], dots: [['94.0', '11.0']] }
  ])
  assert.equal(await v.page.locator('div.new-today[data-field="dport"]').textContent(), 'New today: 23, 4444 (absent the 2 previous days with data)')
  assert.equal(await v.page.locator('div.new-today[data-field="dport"] a').first().getAttribute('href'), '/evolution?sensor=lab-ins-1&field=dport&value=23&until=2024-03-05')
  assert.equal(await v.page.locator('div.new-today[data-field="protocol"]').textContent(), 'New today: 17 (absent the 2 previous days with data)')
  assert.deepEqual(v.errors, [])
  onlyLocal(v)
  await v.page.close()
})

test('the calendar draws its heatmap, a click on a day opens its overview; the comparison and overview pages load cleanly', async () => {
  const v = await open('/calendar?sensor=lab-ins-1')
  await chartsReady(v.page)
  const chart = v.page.locator('div.potiron-chart')
  // March 5, 2024: week 9, Tuesday (row 1).
  const at = await chart.evaluate(el => {
    const { xaxis, yaxis } = (el as unknown as { _fullLayout: { xaxis: { _offset: number, l2p: (v: number) => number }, yaxis: { _offset: number, l2p: (v: number) => number } } })._fullLayout
    return { x: xaxis._offset + xaxis.l2p(9), y: yaxis._offset + yaxis.l2p(1) }
  })
  const box = (await chart.boundingBox())!
  assert.ok(box.width <= 1280, `chart ${box.width} px wide`)
  await v.page.mouse.move(box.x + at.x, box.y + at.y)
  await v.page.mouse.click(box.x + at.x, box.y + at.y)
  await v.page.waitForURL(`${url}/?sensor=lab-ins-1&day=2024-03-05`, { timeout: 30_000 })
  assert.deepEqual(v.errors, [])
  onlyLocal(v)
  await v.page.close()
  for (const path of ['/compare?sensor=lab-ins-1&day=2024-03-05', '/?sensor=lab-ins-1&day=2024-03-05']) {
    const page = await open(path)
    await page.page.waitForLoadState('load')
    assert.deepEqual(page.errors, [], path)
    onlyLocal(page)
    await page.page.close()
  }
})

test('each insights page, light and dark, 1400 and 800 px wide: no horizontal scroll, charts within their box, no serious axe-core violation', async () => {
  mkdirSync(ARTIFACTS, { recursive: true })
  const pages: Array<[string, string]> = [['calendar', '/calendar?sensor=lab-ins-1'], ['compare', '/compare?sensor=lab-ins-1&day=2024-03-05'], ['sparklines', '/fixture']]
  for (const scheme of ['light', 'dark'] as const) {
    for (const width of [1400, 800]) {
      for (const [name, path] of pages) {
        const what = `${name} ${scheme} ${width}`
        // bypassCSP for axe's own script only: the pages' CSP is checked by the tests above.
        const page = await browser.newPage({ viewport: { width, height: 900 }, colorScheme: scheme, bypassCSP: true })
        const errors: string[] = []
        page.on('console', m => { if (m.type() === 'error') errors.push(m.text()) })
        page.on('pageerror', e => { errors.push(e.message) })
        await page.goto(`${url}${path}`)
        if (name === 'calendar') await chartsReady(page)
        if (name === 'sparklines') await page.locator('body[data-sparklines="ready"]').waitFor({ state: 'attached', timeout: 30_000 })
        const sizes = await page.evaluate<{ scroll: number, client: number, charts: number[][] }>(`(() => ({
          scroll: document.documentElement.scrollWidth, client: document.documentElement.clientWidth,
          charts: [...document.querySelectorAll('div.potiron-chart')].map(c => [c.getBoundingClientRect().right, c.parentElement.getBoundingClientRect().right, c.querySelector('svg.main-svg')?.getBoundingClientRect().width ?? 0, c.getBoundingClientRect().width])
        }))()`)
        assert.ok(sizes.scroll <= sizes.client, `${what}: ${sizes.scroll} px wide in a ${sizes.client} px window`)
        for (const [right, parentRight, drawn, box] of sizes.charts) {
          assert.ok(right! <= parentRight! + 0.5 && drawn! <= box! + 0.5, `${what}: chart ${right}/${drawn} px past its box ${parentRight}/${box}`)
        }
        await page.screenshot({ path: join(ARTIFACTS, `insights-${name}-${scheme}-${width}.png`), fullPage: true })
        await page.evaluate(AXE)
        const violations = await page.evaluate<string[]>(`axe.run(document, { resultTypes: ['violations'] })
          .then(r => r.violations.filter(v => v.impact === 'serious' || v.impact === 'critical').map(v => v.id + ': ' + v.nodes.map(n => n.target.join(' ')).join(', ')))`)
        assert.deepEqual(violations, [], what)
        assert.deepEqual(errors, [], what)
        await page.close()
      }
    }
  }
})
