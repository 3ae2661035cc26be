/**
 * Long timelines in Debian's Chromium (playwright-core), on known counts (helpers/range.ts):
 * `plot range`'s weekly chart and a value's calendar (offline files), and the dashboard's
 * evolution over months and calendar of a value, each drawn, in the light and dark themes at
 * two widths (checkPage: screenshots, layout, legends and colour bars, console, requests, axe-core).
 */
import { after, before, test } from 'node:test'
import assert from 'node:assert/strict'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { pathToFileURL } from 'node:url'
import type { Redis } from 'ioredis'
import type { Browser } from 'playwright-core'
import { dashboardClient } from '../src/server/client.js'
import { potiron } from './helpers/cli.js'
import { launchChromium } from './helpers/browser.js'
import { fill } from './helpers/insights.js'
import { checkPage } from './helpers/page-checks.js'
import { RANGE_COUNTS, RANGE_SENSOR as S } from './helpers/range.js'
import { startRedis, type TestRedis } from './helpers/redis.js'
import { startApp, type RunningApp } from './helpers/serve.js'
import { teardown } from './helpers/teardown.js'

let redis: TestRedis
let client: Redis
let app: RunningApp
let browser: Browser
let dir: string

before(async () => {
  redis = await startRedis()
  await fill(redis.client, RANGE_COUNTS, ['protocol', 'dport'])
  dir = mkdtempSync(join(tmpdir(), 'potiron-range-browser-'))
  client = dashboardClient({ socket: redis.socket })
  await client.connect()
  app = await startApp(client)
  browser = await launchChromium()
})

after(async () => {
  await teardown(
    async () => await browser?.close(), async () => await app?.close(), () => client?.disconnect(),
    async () => await redis?.stop(), () => { rmSync(dir, { recursive: true, force: true }) }
  )
})

test('plot range\'s weekly chart and calendar, the evolution over months and a value\'s calendar draw cleanly in both themes', async () => {
  const run = await potiron('plot', 'range', '--sensor', S, '--field', 'dport', '--values', '22', '23', '--from', '2022-01', '--to', '2024-12', '--out', dir, '--unix', redis.socket)
  assert.equal(run.status, 0)
  const page = await browser.newPage()
  try {
    const pages: Array<[string, string]> = [
      ['range-weeks', pathToFileURL(join(dir, `${S}_2022-01_to_2024-12_destination-port_22_23.html`)).href],
      ['range-calendar', pathToFileURL(join(dir, `${S}_2024_calendar_destination-port_22.html`)).href],
      ['evolution-months', `${app.url}/evolution?sensor=${S}&field=dport&value=22&from=2022-01&to=2024-12`],
      ['calendar-value', `${app.url}/calendar?sensor=${S}&field=dport&value=22&year=2024`]
    ]
    for (const [name, url] of pages) await checkPage(page, { name, url })
    // The weekly chart: two lines of 158 points drawn.
    await page.goto(pages[0]![1])
    assert.deepEqual(await page.evaluate('document.getElementById("chart")._fullData.map(t => t.x.length)'), [158, 158])
  } finally {
    await page.close()
  }
})
