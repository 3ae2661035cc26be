/**
 * The ARP pages in Debian's Chromium, on a known layer-2 capture (helpers/arp-day.ts): `export
 * arp`'s day page (a file: offline) and `potiron serve`'s overview of a layer-2 database, each
 * with its chart of requests and replies per hour drawn, its flagged pairs shown, and the
 * shared page checks (themes, widths, console, requests, axe-core).
 */
import { after, before, test } from 'node:test'
import assert from 'node:assert/strict'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { pathToFileURL } from 'node:url'
import type { Browser, Page } from 'playwright-core'
import type { Redis } from 'ioredis'
import { dashboardClient } from '../src/server/client.js'
import { ARP_PAIRS, ARP_WARNINGS, writeArpCapture } from './helpers/arp-day.js'
import { launchChromium, visit } from './helpers/browser.js'
import { potiron } from './helpers/cli.js'
import { chartsDrawn, checkPage } from './helpers/page-checks.js'
import { startRedis, type TestRedis } from './helpers/redis.js'
import { startApp, type RunningApp } from './helpers/serve.js'
import { teardown } from './helpers/teardown.js'

const SENSOR = 'lab-arpb-1'

let redis: TestRedis
let dir: string
let exported: string
let browser: Browser
let client: Redis
let app: RunningApp

before(async () => {
  dir = mkdtempSync(join(tmpdir(), 'potiron-arp-browser-'))
  redis = await startRedis()
  const file = writeArpCapture(dir, SENSOR)
  assert.equal((await potiron('ingest', file, '--layer2', '--unix', redis.socket)).status, 0)
  const out = join(dir, 'out')
  const run = await potiron('export', 'arp', '--sensor', SENSOR, '--date', '2017-03-01', '--unix', redis.socket, '--out', out)
  assert.equal(run.status, 0, run.err.join('\n'))
  exported = pathToFileURL(join(out, `${SENSOR}_arp_2017-03-01.html`)).href
  client = dashboardClient({ socket: redis.socket })
  await client.connect()
  app = await startApp(client)
  browser = await launchChromium()
})

after(async () => {
  await teardown(async () => await browser?.close(), async () => await app?.close(), () => client?.disconnect(), async () => await redis?.stop(), () => { rmSync(dir, { recursive: true, force: true }) })
})

/** The drawn chart's traces (type, name and the first three hours' counts: the other 21 hours are 0), then its y axis's tick labels. */
async function hoursDrawn (page: Page): Promise<unknown> {
  return await page.locator('#arp-hours').evaluate(el => {
    const gd = el as unknown as { _fullData: Array<{ type: string, name: string, y: number[] }>, querySelectorAll: (s: string) => ArrayLike<{ textContent: string }> }
    return [...gd._fullData.map(t => [t.type, t.name, t.y.length, t.y.slice(0, 3), t.y.slice(3).every(n => n === 0)]), Array.from(gd.querySelectorAll('.ytick text'), t => t.textContent)]
  })
}

/** The rows of the pairs table that are marked flagged and shown on screen, as their cells' texts. */
async function flaggedShown (page: Page): Promise<string[][]> {
  const rows = page.locator('tr.flagged')
  const shown: string[][] = []
  for (const row of await rows.all()) if (await row.isVisible()) shown.push(await row.locator('td').allTextContents())
  return shown
}

// Whole packets on the y axis: no 0, 1, 1, 2, 2 of Plotly's half steps.
const DRAWN = [['bar', 'request', 24, [1, 1, 1], true], ['bar', 'reply', 24, [1, 2, 0], true], ['0', '1', '2']]
const FLAGGED = ARP_PAIRS.filter(row => row[4] !== '')

test('export arp\'s day page draws requests and replies per hour, offline, and shows the flagged pairs', async () => {
  const v = await visit(browser, exported)
  await chartsDrawn(v.page)
  assert.deepEqual(await hoursDrawn(v.page), DRAWN)
  assert.deepEqual(await flaggedShown(v.page), FLAGGED)
  assert.deepEqual(v.errors, [])
  assert.deepEqual(v.requests.filter(r => !r.startsWith('file:')), [])
  await v.page.close()
})

test('export arp\'s day page passes the page checks', async () => {
  const p = await browser.newPage()
  await checkPage(p, { name: 'arp-export', url: exported })
  await p.close()
})

test('the dashboard of a layer-2 database: the latest day, another by its link and by the day picker, the chart drawn and the flagged pairs shown', async () => {
  const v = await visit(browser, `${app.url}/`)
  await chartsDrawn(v.page)
  assert.equal(await v.page.locator('h1').textContent(), `ARP of ${SENSOR}, 2017-03-02`)
  assert.deepEqual(await flaggedShown(v.page), [])
  await v.page.locator('a', { hasText: '2017-03-01' }).click()
  await v.page.waitForURL(/day=2017-03-01/)
  await chartsDrawn(v.page)
  assert.equal(await v.page.locator('h1').textContent(), `ARP of ${SENSOR}, 2017-03-01`)
  assert.deepEqual(await hoursDrawn(v.page), DRAWN)
  assert.deepEqual(await flaggedShown(v.page), FLAGGED)
  assert.deepEqual(await v.page.locator('ul.warnings li').allTextContents(), ARP_WARNINGS)
  // The picker's Day input takes only a day with data, then its form goes to that day.
  const day = v.page.locator('input[name="day"]')
  await day.fill('2017-03-05')
  assert.equal(await day.evaluate(el => (el as unknown as { validationMessage: string }).validationMessage), 'No data on 2017-03-05: choose a day from the list')
  await day.fill('2017-03-02')
  await v.page.locator('header button[type="submit"]').click()
  await v.page.waitForURL(/day=2017-03-02/)
  assert.equal(await v.page.locator('h1').textContent(), `ARP of ${SENSOR}, 2017-03-02`)
  assert.deepEqual(v.errors, [])
  assert.deepEqual(v.requests.filter(r => !r.startsWith(app.url)), [])
  await v.page.close()
})

test('the layer-2 overview passes the page checks', async () => {
  const p = await browser.newPage()
  await checkPage(p, { name: 'arp-overview', url: `${app.url}/arp?sensor=${SENSOR}&day=2017-03-01` })
  await p.close()
})
