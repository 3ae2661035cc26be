/**
 * `plot isn`'s page in Debian's Chromium: both scatters drawn with WebGL (scattergl traces, a
 * canvas with a WebGL context, the points at their records), offline, and the shared page checks
 * (themes, widths, axe-core).
 */
import { after, before, test } from 'node:test'
import assert from 'node:assert/strict'
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { pathToFileURL } from 'node:url'
import type { Browser } from 'playwright-core'
import type { Redis } from 'ioredis'
import { dashboardClient } from '../src/server/client.js'
import { startApp, type RunningApp } from './helpers/serve.js'
import { launchChromium, visit } from './helpers/browser.js'
import { potiron } from './helpers/cli.js'
import { pcapOf } from './helpers/captures.js'
import { LT_ETHERNET } from './helpers/frames.js'
import { tcp4 } from './helpers/modes.js'
import { chartsDrawn, checkPage } from './helpers/page-checks.js'
import { startRedis, type TestRedis } from './helpers/redis.js'
import { teardown } from './helpers/teardown.js'

const SENSOR = 'lab-isnb-1'
/** 2017-03-01 13:00:00 UTC: 600 SYNs a second apart, Mirai-like (sequence number = the target, 198.51.100.2) and random-looking. */
const T0 = 1488373200
const COUNT = 600

let redis: TestRedis
let dir: string
let page: string
let browser: Browser
let client: Redis
let app: RunningApp

before(async () => {
  dir = mkdtempSync(join(tmpdir(), 'potiron-isn-browser-'))
  redis = await startRedis()
  const file = join(dir, `${SENSOR}-20170301130000.pcap`)
  writeFileSync(file, pcapOf(LT_ETHERNET, Array.from({ length: COUNT }, (_, i) => ({
    frame: tcp4(1024 + i * 97, i % 2 === 0 ? 23 : 2323, i % 2 === 0 ? 0xc6336402 : (i * 2654435761) % 4294967296, 0, '02'), sec: T0 + i
  }))))
  assert.equal((await potiron('ingest', file, '--isn', '--unix', redis.socket)).status, 0)
  const out = join(dir, 'out')
  const run = await potiron('plot', 'isn', '--sensor', SENSOR, '--date', '2017-03-01', '--hour', '13', '--unix', redis.socket, '--out', out)
  assert.equal(run.status, 0, run.err.join('\n'))
  page = pathToFileURL(join(out, `isn_${SENSOR}_2017-03-01_13.html`)).href
  client = dashboardClient({ socket: redis.socket })
  await client.connect()
  app = await startApp(client)
  browser = await launchChromium()
})

after(async () => {
  await teardown(async () => await browser?.close(), async () => await app?.close(), () => client?.disconnect(), async () => await redis?.stop(), () => rmSync(dir, { recursive: true, force: true }))
})

test('plot isn draws both scatters with WebGL, offline, every record a point', async () => {
  const v = await visit(browser, page)
  await chartsDrawn(v.page)
  for (const id of ['isn-seq', 'isn-ack']) {
    const drawn = await v.page.locator(`#${id}`).evaluate(el => {
      const gd = el as unknown as { _fullData: Array<{ type: string, x: number[] }>, querySelectorAll: (s: string) => ArrayLike<{ getContext: (k: string) => unknown }> }
      const canvases = Array.from(gd.querySelectorAll('canvas'))
      return { types: gd._fullData.map(t => t.type), points: gd._fullData[0]!.x.length, webgl: canvases.some(c => c.getContext('webgl') !== null || c.getContext('webgl2') !== null) }
    })
    assert.deepEqual(drawn, { types: ['scattergl'], points: COUNT, webgl: true }, id)
  }
  assert.deepEqual(v.errors, [])
  assert.deepEqual(v.requests.filter(r => !r.startsWith('file:')), [])
  await v.page.close()
})

test('plot isn\'s page passes the page checks', async () => {
  const p = await browser.newPage()
  await checkPage(p, { name: 'isn', url: page })
  await p.close()
})

test('the dashboard of an ISN database: its overview is the latest day\'s scatters, with links to each hour', async () => {
  const v = await visit(browser, `${app.url}/`)
  await chartsDrawn(v.page)
  assert.deepEqual(await v.page.locator('#isn-seq').evaluate(el => (el as unknown as { _fullData: Array<{ type: string, x: number[] }> })._fullData.map(t => [t.type, t.x.length])), [['scattergl', COUNT]])
  assert.equal(await v.page.locator('h1').textContent(), `TCP initial sequence numbers of ${SENSOR}, 2017-03-01`)
  await v.page.locator('a', { hasText: /^14$/ }).click()
  await v.page.waitForURL(/hour=14/)
  assert.match(await v.page.locator('p.empty').textContent() ?? '', /No TCP SYN or SYN-ACK packet in this period/)
  assert.deepEqual(v.errors, [])
  await v.page.close()
})
