/**
 * The enrichment fields' charts in Debian's Chromium (playwright-core), on known counts: the
 * report's index (from file://) and the dashboard's overview draw the world map of source
 * countries (a path per country of the outline) and the named bars of the top source ASes, with
 * no request leaving the machine (the outline is never fetched: no world_110m.json request) and
 * the labels in their tables; both pages pass the shared page checks (themes, widths, axe-core).
 */
import { after, before, test } from 'node:test'
import assert from 'node:assert/strict'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { pathToFileURL } from 'node:url'
import type { Redis } from 'ioredis'
import type { Browser, Page } from 'playwright-core'
import { dashboardClient } from '../src/server/client.js'
import { launchChromium, visit, type Visit } from './helpers/browser.js'
import { potiron } from './helpers/cli.js'
import { ENRICH_SENSOR, fillEnriched } from './helpers/enrich.js'
import { chartsDrawn, checkPage } from './helpers/page-checks.js'
import { startRedis, type TestRedis } from './helpers/redis.js'
import { startApp, type RunningApp } from './helpers/serve.js'
import { teardown } from './helpers/teardown.js'

let redis: TestRedis
let client: Redis
let app: RunningApp
let dir: string
let index: string
let browser: Browser

before(async () => {
  dir = mkdtempSync(join(tmpdir(), 'potiron-enrich-browser-'))
  redis = await startRedis()
  await fillEnriched(redis.client)
  const run = await potiron('report', '--sensor', ENRICH_SENSOR, '--date', '2024-01', '--fields', 'scc,sasn', '--out', join(dir, 'site'), '--unix', redis.socket)
  assert.equal(run.status, 0, run.err.join('\n'))
  index = pathToFileURL(join(dir, 'site', 'index.html')).href
  client = dashboardClient({ socket: redis.socket })
  await client.connect()
  app = await startApp(client)
  browser = await launchChromium()
})

after(async () => {
  await teardown(async () => await browser?.close(), async () => await app?.close(), () => client?.disconnect(), async () => await redis?.stop(), () => rmSync(dir, { recursive: true, force: true }))
})

/** What a map and a bar chart drew: the countries' paths (by their location), the bars and their axis names. */
async function drawn (page: Page, map: string, bars: string): Promise<{ countries: string[], bars: number, names: string[] }> {
  return {
    // A country without a place in the outline gets a path with no outline (`d` empty or none).
    countries: await page.locator(`${map} path.choroplethlocation`).evaluateAll(paths => paths
      .filter(p => (p.getAttribute('d') ?? '').length > 0)
      .map(p => (p as unknown as { __data__: { loc: string } }).__data__.loc).sort()),
    bars: await page.locator(`${bars} g.point path`).count(),
    // Top to bottom, as they read.
    names: await page.locator(`${bars} .ytick text`).evaluateAll(texts => texts
      .map(t => ({ text: t.textContent ?? '', top: (t as unknown as { getBoundingClientRect: () => { top: number } }).getBoundingClientRect().top }))
      .sort((a, b) => a.top - b.top).map(t => t.text))
  }
}

function checkRequests (v: Visit, local: (url: string) => boolean): void {
  assert.deepEqual(v.errors, [])
  assert.deepEqual(v.requests.filter(r => !local(r)), [])
  assert.deepEqual(v.requests.filter(r => r.includes('world_110m')), [])
}

test('the report draws the month\'s source countries on the map and its top ASes as named bars, offline', async () => {
  const v = await visit(browser, index)
  try {
    await chartsDrawn(v.page)
    assert.deepEqual(await drawn(v.page, '#field-scc-map', '#field-sasn-asn'), {
      // Singapore is in the table: the 110m outline has no place for it.
      countries: ['DEU', 'FRA', 'USA'],
      bars: 5,
      names: ['AS13335 Cloudflare, Inc.', 'AS3215 Orange S.A.', 'AS16509 Amazon.com, Inc.', 'private', 'AS64512']
    })
    checkRequests(v, r => r.startsWith('file://'))
    assert.ok(v.requests.some(r => r.endsWith('/assets/potiron-world.js')))
    const cells = await v.page.locator('#field-scc td').allTextContents()
    assert.ok(['United States', 'Germany', 'France', 'Singapore', 'private'].every(name => cells.includes(name)), cells.join('|'))
  } finally {
    await v.page.close()
  }
})

test('the dashboard draws the day\'s source countries on the map and its top ASes as named bars, from its own assets', async () => {
  const v = await visit(browser, `${app.url}/?sensor=${ENRICH_SENSOR}&day=2024-01-05`)
  try {
    await chartsDrawn(v.page)
    assert.deepEqual(await drawn(v.page, 'section[data-field="scc"] div.map', 'section[data-field="sasn"] div.bars'), {
      countries: ['FRA', 'USA'],
      bars: 4,
      names: ['AS13335 Cloudflare, Inc.', 'AS3215 Orange S.A.', 'private', 'AS64512']
    })
    checkRequests(v, r => r.startsWith(`${app.url}/`))
    assert.ok(v.requests.includes(`${app.url}/assets/potiron-world.js`))
    const labels = await v.page.locator('section[data-field="sasn"] table.top .label').allTextContents()
    // A word (`private`) has no label: its row has no label cell's text.
    assert.deepEqual(labels.slice(1), ['Cloudflare, Inc.', 'Orange S.A.'])
    assert.deepEqual(await v.page.locator('section[data-field="scc"] table.top .label').allTextContents(), ['label', 'United States', 'France', 'Singapore'])
  } finally {
    await v.page.close()
  }
})

test('the report\'s index and the dashboard\'s overview with their maps pass the page checks', async () => {
  const page = await browser.newPage()
  try {
    await checkPage(page, { name: 'enrich-report-index', url: index })
    await checkPage(page, { name: 'enrich-overview', url: `${app.url}/?sensor=${ENRICH_SENSOR}&day=2024-01-05` })
  } finally {
    await page.close()
  }
})
