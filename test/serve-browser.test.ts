/**
 * The dashboard (potiron serve) in Debian's Chromium, driven by playwright-core, on a private
 * Redis filled by ingesting the fixtures: the overview draws its tables and charts under the
 * Content-Security-Policy (a violation would be a console error), changing the day redraws
 * them, clicking a value opens its evolution chart, a settings change persists, a capture
 * value made of markup is shown as text with no dialog firing, and a DNS-rebound name gets 421.
 */
import { after, before, test } from 'node:test'
import assert from 'node:assert/strict'
import type { Redis } from 'ioredis'
import { chromium, type Browser, type Page } from 'playwright-core'
import { dashboardClient } from '../src/server/client.js'
import { CHROMIUM_ARGS, launchChromium, plotlyPoint, visit, type Visit } from './helpers/browser.js'
import { startRedis, type TestRedis } from './helpers/redis.js'
import { fillRedis, startApp, type RunningApp } from './helpers/serve.js'
import { teardown } from './helpers/teardown.js'
import { ARTIFACTS, THEMES, WIDTHS, axeViolations, checkPage } from './helpers/page-checks.js'
import { readFileSync, statSync } from 'node:fs'
import { join } from 'node:path'

let redis: TestRedis
let client: Redis
let app: RunningApp
let browser: Browser

before(async () => {
  redis = await startRedis()
  await fillRedis(redis.socket)
  client = dashboardClient({ socket: redis.socket })
  await client.connect()
  app = await startApp(client)
  browser = await launchChromium()
})

after(async () => {
  await teardown(async () => await browser?.close(), async () => await app?.close(), () => client?.disconnect(), async () => await redis?.stop())
})

/** A new page of the dashboard at `path`, recording errors and dialogs. */
async function open (path: string): Promise<Visit> {
  return await visit(browser, `${app.url}${path}`)
}

/** Waits until every chart of the page is drawn; returns how many there are. */
async function chartsReady (page: Page): Promise<number> {
  // A string: this project's TypeScript has no DOM types.
  await page.waitForFunction(`(() => {
    const charts = [...document.querySelectorAll('div.potiron-chart')]
    return charts.length > 0 && charts.every(c => c.dataset.ready === 'true')
  })()`, undefined, { timeout: 30_000 })
  return await page.locator('div.potiron-chart').count()
}

/** Traces of the chart at `selector` (name and y values: null for a day without capture). */
async function traces (page: Page, selector: string): Promise<Array<{ name: string, y: Array<number | null> }>> {
  return await page.locator(selector).evaluate(el => ((el as unknown as { data: Array<{ name: string, y: Array<number | null> }> }).data).map(t => ({ name: t.name, y: [...t.y] })))
}

/** What Plotly made of a chart's x axis (type, tick format, range) and the tick labels it drew. */
async function xAxis (page: Page, selector: string): Promise<{ type: string, tickformat: string, range: string[], ticks: string[] }> {
  const axis = await page.locator(selector).evaluate(el => {
    const { type, tickformat, range } = (el as unknown as { _fullLayout: { xaxis: { type: string, tickformat: string, range: string[] } } })._fullLayout.xaxis
    return { type, tickformat, range: [...range] }
  })
  return { ...axis, ticks: await page.locator(`${selector} .xtick text`).allTextContents() }
}

/** The rows of a field's top-10 table: [value, label, count, share]. */
async function rows (page: Page, field: string): Promise<string[][]> {
  return await page.locator(`section[data-field="${field}"] table.top tbody tr`).evaluateAll(trs =>
    trs.map(tr => {
      const [, value, count, share] = [...tr.querySelectorAll('td')]
      return [value!.querySelector('a')!.textContent ?? '', value!.querySelector('.label')?.textContent ?? '', count!.textContent ?? '', share!.textContent ?? '']
    }))
}

test('the overview draws a table and a chart for every field of the sensor that has values, under the CSP', async () => {
  const { page, errors } = await open('/?sensor=lab-pair-1')
  // Twelve fields; icmpcode and icmptype hold only "not set" on 2010-07-04 (one sentence each, no chart).
  assert.equal(await chartsReady(page), 10)
  assert.deepEqual((await rows(page, 'sport')).slice(0, 3), [['36050', '', '1,000', '49.73 %'], ['36051', '', '993', '49.38 %'], ['22', 'ssh', '4', '0.20 %']])
  assert.equal((await rows(page, 'ipttl')).length, 10)
  // The days without any capture between the sensor's two days are gaps, not zeros, on a date axis naming months.
  assert.deepEqual(await traces(page, 'section[data-field="iptos"] div.potiron-chart'), [{ name: '0x00', y: [null, 20, null, null, null, null, 2011] }])
  assert.deepEqual(await xAxis(page, 'section[data-field="iptos"] div.potiron-chart'), {
    type: 'date', tickformat: '%b %-d', range: ['2010-06-27 12:00', '2010-07-04 12:00'], ticks: ['Jun 28', 'Jun 30', 'Jul 2', 'Jul 4']
  })
  assert.deepEqual((await traces(page, 'section[data-field="sport"] div.potiron-chart')).map(t => t.name), ['36050', '36051', '22, ssh'])
  assert.deepEqual([await page.locator('input[name="from"]').inputValue(), await page.locator('input[name="day"]').inputValue()], ['2010-06-29', '2010-07-04'])
  assert.deepEqual(errors, [])
  await page.close()
})

test('choosing another day in the header reloads the tables and charts for that day', async () => {
  const { page, errors } = await open('/?sensor=lab-pair-1')
  await chartsReady(page)
  // An empty From: the default week up to the day chosen.
  await page.locator('input[name="from"]').fill('')
  await page.locator('input[name="day"]').fill('2010-06-29')
  await Promise.all([page.waitForURL(/day=2010-06-29/), page.locator('form.picker button[type="submit"]').click()])
  // ICMP only on 2010-06-29: sport, dport, tcpseq and tcpack hold only "not set".
  assert.equal(await chartsReady(page), 8)
  assert.deepEqual(await rows(page, 'icmptype'), [['0', 'echo reply', '10', '50.00 %'], ['8', 'echo request', '10', '50.00 %']])
  const icmp = 'section[data-field="icmptype"] div.potiron-chart'
  assert.deepEqual(await traces(page, icmp), [{ name: '0, echo reply', y: [null, null, null, null, null, null, 10] }, { name: '8, echo request', y: [null, null, null, null, null, null, 10] }])
  // Equal counts: both points stay visible, each its own marker (the first larger, under the second), and the legend names both.
  assert.deepEqual(await page.locator(icmp).evaluate(el => (el as unknown as { _fullData: Array<{ marker: { symbol: string, size: number } }> })._fullData.map(t => [t.marker.symbol, t.marker.size])), [['circle', 11], ['square', 9]])
  assert.deepEqual(await page.locator(`${icmp} .legendtext`).allTextContents(), ['0, echo reply', '8, echo request'])
  assert.match(await page.locator('h1').textContent() ?? '', /lab-pair-1, 2010-06-29/)
  // Another sensor: its latest day, whatever day was chosen before.
  await Promise.all([page.waitForURL(/sensor=lab-multiif-1/), page.selectOption('select[name="sensor"]', 'lab-multiif-1')])
  await chartsReady(page)
  assert.match(await page.locator('h1').textContent() ?? '', /lab-multiif-1, 2026-01-06/)
  assert.deepEqual(errors, [])
  await page.close()
})

test('clicking a value in a top-10 table opens its evolution chart', async () => {
  const { page, errors } = await open('/?sensor=lab-pair-1')
  await chartsReady(page)
  await Promise.all([page.waitForURL(/\/evolution\?/), page.locator('section[data-field="iptos"] table.top a', { hasText: '0x00' }).click()])
  assert.equal(await chartsReady(page), 1)
  assert.equal(await page.locator('h1').textContent(), 'Evolution of type of service 0x00')
  const chart = await page.locator('#evolution').evaluate(el => ((el as unknown as { data: Array<{ name: string, x: string[], y: Array<number | null> }> }).data).map(t => ({ name: t.name, x: [...t.x], y: [...t.y] })))
  // The days between the sensor's two days had no capture: the line breaks there.
  assert.deepEqual(chart, [{ name: 'total', x: ['2010-06-29', '2010-06-30', '2010-07-04'], y: [20, null, 2011] }])
  const { type, tickformat, range } = await xAxis(page, '#evolution')
  assert.deepEqual({ type, tickformat, range }, { type: 'date', tickformat: '%b %-d', range: ['2010-01-05 12:00', '2010-07-04 12:00'] })
  assert.deepEqual(errors, [])
  await page.close()
})

test('a one-day evolution is a day on a date axis, not milliseconds; a period without data is one sentence', async () => {
  const { page, errors } = await open('/evolution?sensor=lab-pair-1&field=iptos&value=0x00&days=1')
  assert.equal(await chartsReady(page), 1)
  assert.deepEqual(await xAxis(page, '#evolution'), { type: 'date', tickformat: '%b %-d', range: ['2010-07-03 12:00', '2010-07-04 12:00'], ticks: ['Jul 4'] })
  await page.goto(`${app.url}/evolution?sensor=lab-pair-1&field=iptos&value=0x00&until=2010-06-01&days=30`)
  assert.deepEqual(await page.locator('p.empty').allTextContents(), ['Sensor lab-pair-1 has no data from 2010-05-03 to 2010-06-01.'])
  assert.equal(await page.locator('div.potiron-chart, .main-svg').count(), 0)
  assert.deepEqual(errors, [])
  await page.close()
})

test('"not set" is left out of the tops, said with its count; ticking the box shows it', async () => {
  const { page, errors } = await open('/?sensor=lab-pair-1')
  await chartsReady(page)
  assert.deepEqual(await page.locator('section[data-field="icmptype"] p').allTextContents(), ['No icmp type on 2010-07-04: all 2,011 packets have it "not set" (255). Show "not set" values'])
  assert.equal(await page.locator('section[data-field="icmptype"] div.potiron-chart').count(), 0)
  await Promise.all([page.waitForURL(/notset=1/), page.locator('input[name="notset"]').check()])
  await chartsReady(page)
  assert.deepEqual(await rows(page, 'icmptype'), [['255', 'not set', '2,011', '100.00 %']])
  // The range kept, from the sensor's first day with data (the From input's min) on.
  assert.match(page.url(), /from=2010-06-29&day=2010-07-04&notset=1$/)
  assert.deepEqual(await traces(page, 'section[data-field="icmptype"] div.potiron-chart'), [{ name: '255, not set', y: [0, null, null, null, null, 2011] }])
  assert.equal(await page.locator('input[name="notset"]').isChecked(), true)
  assert.deepEqual(errors, [])
  await page.close()
})

test('clicking a point of an overview chart opens that value\'s evolution', async () => {
  const { page, errors } = await open('/?sensor=lab-pair-1')
  await chartsReady(page)
  const chart = page.locator('section[data-field="iptos"] div.potiron-chart')
  await chart.scrollIntoViewIfNeeded()
  const at = await plotlyPoint(chart, 0, 6)
  await Promise.all([page.waitForURL(/\/evolution\?sensor=lab-pair-1&field=iptos&value=0x00&until=2010-07-04$/), page.mouse.click(at.x, at.y)])
  assert.equal(await chartsReady(page), 1)
  assert.deepEqual(errors, [])
  await page.close()
})

test('the custom query form (field, value, date) opens that value\'s evolution until that date', async () => {
  const { page, errors } = await open('/custom?sensor=lab-pair-1')
  await page.locator('select[name="field"]').selectOption('iptos')
  await page.locator('input[name="value"]').fill('0x00')
  await page.locator('input[name="until"]').fill('2010-07-04')
  await Promise.all([page.waitForURL(/\/evolution\?sensor=lab-pair-1&field=iptos&value=0x00&until=2010-07-04$/), page.locator('main button[type="submit"]').click()])
  assert.equal(await chartsReady(page), 1)
  assert.equal(await page.locator('h1').textContent(), 'Evolution of type of service 0x00')
  assert.deepEqual(errors, [])
  await page.close()
})

test('a settings change is saved in ENFIELDS and the overview then shows only those fields', async () => {
  const { page, errors } = await open('/settings?sensor=lab-pair-1')
  try {
    for (const box of await page.locator('input[name="fields"]').all()) {
      const want = ['dport', 'icmptype'].includes(await box.getAttribute('value') ?? '')
      if (await box.isChecked() !== want) await box.click()
    }
    await Promise.all([page.waitForURL(/saved=1/), page.locator('#settings button[type="submit"]').click()])
    assert.equal(await page.locator('p.saved').textContent(), 'Saved.')
    assert.deepEqual((await redis.client.smembers('ENFIELDS')).sort(), ['dport', 'icmptype'])
    await page.reload()
    const checked = await page.locator('input[name="fields"]:checked').evaluateAll(boxes => boxes.map(b => (b as unknown as { value: string }).value))
    assert.deepEqual(checked, ['dport', 'icmptype'])
    await page.goto(`${app.url}/?sensor=lab-pair-1`)
    // icmptype has nothing but "not set" that day: its sentence, no chart.
    assert.equal(await chartsReady(page), 1)
    assert.deepEqual(await page.locator('section.field').evaluateAll(s => s.map(e => e.getAttribute('data-field'))), ['dport', 'icmptype'])
    assert.deepEqual(errors, [])
  } finally {
    // The other tests expect every field shown.
    await redis.client.del('ENFIELDS')
    await page.close()
  }
})

test('a capture value made of markup is shown as text in the table, the chart and its evolution page; no dialog fires', async () => {
  const evil = '<img src=x onerror=alert(1)>'
  await redis.client.zadd('lab-traceroute-1:20090702:dport', 1_000_000, evil)
  try {
    const { page, errors, dialogs, requests } = await open('/?sensor=lab-traceroute-1')
    await chartsReady(page)
    const link = page.locator('section[data-field="dport"] table.top a').first()
    assert.equal(await link.textContent(), evil)
    assert.equal(await page.locator('img').count(), 0)
    // Plotly draws the legend from the escaped name: the text shown is the value itself.
    const legend = await page.locator('section[data-field="dport"] .legendtext').first().textContent()
    assert.equal(legend, evil)
    await Promise.all([page.waitForURL(/\/evolution\?/), link.click()])
    await chartsReady(page)
    assert.equal(await page.locator('h1').textContent(), `Evolution of destination port ${evil}`)
    assert.equal(await page.locator('.gtitle').textContent(), `destination port ${evil}, 180 days until 2009-07-02`)
    assert.equal(await page.locator('img').count(), 0)
    // No image made from the markup and no dialog, waited for by events, not a delay. Such an
    // image (in the page or detached) loads `x` relative to the page; one of the same URL made
    // now fails after it, so by then its onerror has run (or been refused by the CSP: a console
    // error). A dialog is modal: one it opened comes before the sentinel's.
    const x = `${app.url}/x`
    await page.evaluate('new Promise(resolve => { const img = new Image(); img.onerror = img.onload = resolve; img.src = \'x\' })')
    await Promise.all([page.waitForEvent('dialog'), page.evaluate('alert("sentinel")')])
    assert.deepEqual(dialogs, ['sentinel'])
    // The only request for x is the sentinel image's, and its 404 the only error.
    assert.deepEqual(requests.filter(r => r === x), [x])
    assert.deepEqual(errors, ['Failed to load resource: the server responded with a status of 404 (Not Found)'])
    await page.close()
  } finally {
    await redis.client.zrem('lab-traceroute-1:20090702:dport', evil)
  }
})

test('DNS rebinding: a page whose name resolves to 127.0.0.1 gets 421, and so does its request to the API', async () => {
  // Chromium resolves attacker.example to 127.0.0.1, as a rebinding DNS server would make it.
  const rebound = await chromium.launch({ executablePath: '/usr/bin/chromium', args: [...CHROMIUM_ARGS, '--host-resolver-rules=MAP attacker.example 127.0.0.1'] })
  try {
    const { port } = new URL(app.url)
    const page = await rebound.newPage()
    const answer = await page.goto(`http://attacker.example:${port}/`)
    assert.equal(answer?.status(), 421)
    assert.equal(await page.locator('p.error').textContent(), `Host 'attacker.example:${port}' is not a name of this server (potiron serve --allowed-host NAME adds one)`)
    // The rebound page's own script: same origin to the browser, so it could read the answer, were there one.
    assert.deepEqual(await page.evaluate(`fetch('/api/settings', { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: '{"fields":["dport"]}' })
      .then(async r => [r.status, await r.json()])`), [421, { error: `Host 'attacker.example:${port}' is not a name of this server (potiron serve --allowed-host NAME adds one)` }])
    assert.equal(await redis.client.exists('ENFIELDS'), 0)
    assert.equal((await page.goto(`http://localhost:${port}/?sensor=lab-pair-1`))?.status(), 200)
  } finally {
    await rebound.close()
  }
})

test('every dashboard page in both themes at 1400 and 800 px: no sideways scroll, charts inside their cards, legends, no console error, no other host, axe-core clean', async () => {
  // A sensor with IPv6 addresses (long values) and one with lines of equal counts; the 503 page from an app whose Redis is not there.
  const gone = dashboardClient({ socket: '/nonexistent/potiron-test.sock' })
  const down = await startApp(gone)
  const page = await browser.newPage()
  const started = Date.now() - 1000
  try {
    for (const [name, url] of [
      ['overview', `${app.url}/?sensor=lab-pair-1`],
      ['overview-ipv6', `${app.url}/?sensor=lab-ipv6http-1`],
      ['overview-icmp', `${app.url}/?sensor=lab-pair-1&day=2010-06-29`],
      ['evolution', `${app.url}/evolution?sensor=lab-pair-1&field=iptos&value=0x00`],
      ['custom', `${app.url}/custom?sensor=lab-pair-1`],
      ['settings', `${app.url}/settings?sensor=lab-pair-1`],
      ['unavailable', `${down.url}/`]
    ] as const) {
      await checkPage(page, { name, url, status: name === 'unavailable' ? 503 : 200 })
      for (const theme of THEMES) for (const width of WIDTHS) assert.ok(statSync(join(ARTIFACTS, `${name}-${theme}-${width}.png`)).mtimeMs >= started, `${name}-${theme}-${width}.png written`)
    }
  } finally {
    await page.close()
    await down.close()
    gone.disconnect()
  }
})

test('field cards: two per row at 1400 px, one at 800 px', async () => {
  const { page, errors } = await open('/?sensor=lab-pair-1')
  const perRow = async (): Promise<number> => {
    await chartsReady(page)
    return await page.evaluate('(() => { const tops = [...document.querySelectorAll("section.card")].map(c => c.getBoundingClientRect().top); return tops.filter(t => t === tops[0]).length })()')
  }
  await page.setViewportSize({ width: 1400, height: 900 })
  assert.equal(await perRow(), 2)
  await page.setViewportSize({ width: 800, height: 900 })
  assert.equal(await perRow(), 1)
  assert.deepEqual(errors, [])
  await page.close()
})

test('the theme switch: dark stored in localStorage and kept on the next page, charts redrawn in the theme\'s colours; "system" follows the system', async () => {
  const { page, errors } = await open('/?sensor=lab-pair-1')
  await chartsReady(page)
  const chart = 'section[data-field="sport"] div.potiron-chart'
  const colours = async (): Promise<unknown> => await page.locator(chart).evaluate(el => {
    const gd = el as unknown as { _fullLayout: { paper_bgcolor: string, plot_bgcolor: string, font: { color: string } }, _fullData: Array<{ line: { color: string } }> }
    return { paper: gd._fullLayout.paper_bgcolor, plot: gd._fullLayout.plot_bgcolor, font: gd._fullLayout.font.color, lines: gd._fullData.map(t => t.line.color) }
  })
  const okabeIto = ['#0072B2', '#E69F00', '#009E73']
  assert.deepEqual(await colours(), { paper: 'rgba(0,0,0,0)', plot: 'rgba(0,0,0,0)', font: '#1b1f24', lines: okabeIto })
  assert.equal(await page.evaluate('getComputedStyle(document.body).backgroundColor'), 'rgb(255, 255, 255)')
  await page.locator('#theme').selectOption('dark')
  await page.waitForFunction(`document.querySelector('${chart}')._fullLayout.font.color === '#e6e9ee'`)
  await chartsReady(page)
  assert.deepEqual(await colours(), { paper: 'rgba(0,0,0,0)', plot: 'rgba(0,0,0,0)', font: '#e6e9ee', lines: okabeIto })
  assert.equal(await page.evaluate('getComputedStyle(document.body).backgroundColor'), 'rgb(17, 20, 24)')
  assert.deepEqual(await page.evaluate('[document.documentElement.dataset.theme, localStorage.getItem("potiron-theme")]'), ['dark', 'dark'])
  // The next page starts dark, before its first paint (dashboard.js in the head), and says so in the switch.
  await page.goto(`${app.url}/custom?sensor=lab-pair-1`)
  assert.deepEqual(await page.evaluate('[document.documentElement.dataset.theme, getComputedStyle(document.body).backgroundColor]'), ['dark', 'rgb(17, 20, 24)'])
  assert.equal(await page.locator('#theme').inputValue(), 'dark')
  await page.locator('#theme').selectOption('system')
  await page.emulateMedia({ colorScheme: 'light' })
  assert.deepEqual(await page.evaluate('[document.documentElement.hasAttribute("data-theme"), localStorage.getItem("potiron-theme"), getComputedStyle(document.body).backgroundColor]'), [false, null, 'rgb(255, 255, 255)'])
  await page.emulateMedia({ colorScheme: 'dark' })
  assert.equal(await page.evaluate('getComputedStyle(document.body).backgroundColor'), 'rgb(17, 20, 24)')
  // Forced light wins over a dark system.
  await page.locator('#theme').selectOption('light')
  assert.equal(await page.evaluate('getComputedStyle(document.body).backgroundColor'), 'rgb(255, 255, 255)')
  assert.deepEqual(errors, [])
  await page.close()
})

test('the mode bar keeps download, zoom, pan and reset only (no logo, no "share" to a remote host); the compact charts have no title of their own', async () => {
  const { page, errors } = await open('/?sensor=lab-pair-1')
  await chartsReady(page)
  const chart = page.locator('section[data-field="sport"] div.potiron-chart')
  await chart.hover()
  assert.deepEqual(await chart.locator('.modebar-btn').evaluateAll(bs => bs.map(b => b.getAttribute('data-title'))), ['Download plot as a PNG', 'Zoom', 'Pan', 'Reset axes'])
  assert.equal(await page.locator('.modebar-btn--logo').count(), 0)
  assert.equal(await page.locator('section.card .gtitle').count(), 0)
  assert.equal(await page.locator('section[data-field="sport"] h2').count(), 1)
  assert.deepEqual(errors, [])
  await page.close()
})

test('the date range: bounded by the days with data, a day without data refused before sending, a valid range sent as from and day', async () => {
  const { page, errors } = await open('/?sensor=lab-pair-1')
  await chartsReady(page)
  const from = page.locator('input[name="from"]')
  const day = page.locator('input[name="day"]')
  assert.deepEqual(await day.evaluate(el => [el.getAttribute('min'), el.getAttribute('max')]), ['2010-06-29', '2010-07-04'])
  await day.fill('2010-07-01')
  assert.deepEqual(await day.evaluate(el => [(el as unknown as { validity: { valid: boolean } }).validity.valid, (el as unknown as { validationMessage: string }).validationMessage]), [false, 'No data on 2010-07-01: choose a day from the list'])
  await day.fill('2010-06-29')
  await from.fill('2010-07-04')
  assert.equal(await from.evaluate(el => (el as unknown as { validationMessage: string }).validationMessage), 'The range starts after it ends')
  await from.fill('2010-06-29')
  await Promise.all([page.waitForURL(/\?sensor=lab-pair-1&from=2010-06-29&day=2010-06-29$/), page.locator('form.picker button[type="submit"]').click()])
  assert.equal(await chartsReady(page), 8)
  assert.deepEqual(await traces(page, 'section[data-field="icmptype"] div.potiron-chart'), [{ name: '0, echo reply', y: [10] }, { name: '8, echo request', y: [10] }])
  // Keyboard: the header's controls are reached with Tab, focus drawn.
  await page.keyboard.press('Tab')
  assert.deepEqual(await page.evaluate('[document.activeElement.className, getComputedStyle(document.activeElement).outlineStyle]'), ['brand', 'solid'])
  assert.deepEqual(errors, [])
  await page.close()
})

test('a table\'s CSV link downloads the rows export csv writes', async () => {
  const { page, errors } = await open('/?sensor=lab-pair-1')
  await chartsReady(page)
  const [download] = await Promise.all([page.waitForEvent('download'), page.locator('section[data-field="sport"] a.csv').click()])
  assert.equal(download.suggestedFilename(), 'lab-pair-1_source-port_2010-07-04.csv')
  const text = readFileSync(await download.path(), 'utf8')
  assert.deepEqual(text.split('\n').slice(0, 4), ['value,count,label', '36050,1000,', '36051,993,', '22,4,ssh'])
  assert.deepEqual(errors, [])
  await page.close()
})

test('the page checks can fail: axe-core finds text too faint to read', async () => {
  const { page } = await open('/custom?sensor=lab-pair-1')
  assert.deepEqual(await axeViolations(page), [])
  await page.evaluate('(() => { const p = document.createElement("p"); p.id = "faint"; p.textContent = "faint"; p.style.color = "#eeeeee"; p.style.background = "#ffffff"; document.querySelector("main").append(p) })()')
  assert.deepEqual(await axeViolations(page), ['color-contrast (serious): #faint'])
  await page.close()
})
