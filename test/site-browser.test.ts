/**
 * The offline site (potiron report) in Debian's Chromium, driven by playwright-core: every page
 * opens from file:// with no console error and no request leaving the machine, every chart has
 * its traces, and clicks on a day point and on a value tile lead to the right pages. Screenshots
 * of the index and of a chart are kept in test-artifacts/.
 */
import { after, before, test } from 'node:test'
import assert from 'node:assert/strict'
import { mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { pathToFileURL } from 'node:url'
import type { Browser } from 'playwright-core'
import { FIXTURES, ROOT } from './helpers/shared.js'
import { potiron } from './helpers/cli.js'
import { MONTH_SENSOR, writeLaterCapture, writeMonthCapture } from './helpers/month.js'
import { launchChromium, plotlyPoint, visit as open, type PlotlyChart, type Visit } from './helpers/browser.js'
import { startRedis, type TestRedis } from './helpers/redis.js'
import { teardown } from './helpers/teardown.js'
import { chartsDrawn, checkPage, forcedTheme } from './helpers/page-checks.js'

const ARTIFACTS = join(ROOT, 'test-artifacts')

let redis: TestRedis
let dir: string
let site: string
let browser: Browser

before(async () => {
  dir = mkdtempSync(join(tmpdir(), 'potiron-site-'))
  redis = await startRedis()
  const capture = await writeMonthCapture(dir)
  assert.equal((await potiron('ingest', capture, '--unix', redis.socket, '--quiet')).status, 0)
  site = join(dir, 'site')
  const run = await potiron('report', '--sensor', MONTH_SENSOR, '--date', '2024-03', '--fields', 'dport,protocol', '--limit', '3', '--out', site, '--unix', redis.socket)
  assert.equal(run.status, 0, run.err.join('\n'))
  browser = await launchChromium()
})

after(async () => {
  await teardown(async () => await browser?.close(), async () => await redis?.stop(), () => rmSync(dir, { recursive: true, force: true }))
})

/** What Plotly leaves on a chart's div. */
/** Opens a page of the site, recording console errors and every request it makes; waits for its chart. */
async function visit (name: string): Promise<Visit> {
  const v = await open(browser, pathToFileURL(join(site, name)).href)
  if (name !== 'index.html') await v.page.waitForSelector('#chart[data-ready="true"]', { timeout: 20_000 })
  return v
}

function url (name: string): string {
  return pathToFileURL(join(site, name)).href
}

test('every page opens offline with no console error, and every chart has its traces', async () => {
  const pages = readdirSync(site).filter(f => f.endsWith('.html')).sort()
  assert.equal(pages.length, 18)
  for (const name of pages) {
    const { page, errors, requests } = await visit(name)
    try {
      assert.deepEqual(errors, [], name)
      assert.deepEqual(requests.filter(r => !r.startsWith('file://')), [], name)
      if (name === 'index.html') continue
      const traces = await page.locator('#chart').evaluate(el => (el as unknown as PlotlyChart).data.map(t => [t.type, (t.x ?? t.labels ?? []).length]))
      if (name.includes('_2024-03_')) {
        assert.ok(traces.length > 0 && traces.every(([type, n]) => type === 'scatter' && n === 3), `${name}: ${JSON.stringify(traces)}`)
      } else {
        // A tile per row of the CSV beside the page, and one of the others.
        const rows = readFileSync(join(site, name.replace(/\.html$/, '.csv')), 'utf8').trim().split('\n').length - 1
        assert.deepEqual(traces, [['treemap', rows + 1]], name)
      }
    } finally {
      await page.close()
    }
  }
})

test('clicking a day point opens that day\'s top values; clicking a value opens its month timeline', async () => {
  mkdirSync(ARTIFACTS, { recursive: true })
  const index = await visit('index.html')
  await index.page.screenshot({ path: join(ARTIFACTS, 'site-index.png'), fullPage: true })
  await index.page.close()

  const { page } = await visit('lab-gen-1_2024-03_destination-port_22_23_80.html')
  try {
    await page.screenshot({ path: join(ARTIFACTS, 'site-timeline.png') })
    // The pixel of port 22's point on March 2 (trace 0 is 22: values in order of the month's counts).
    const chart = page.locator('#chart')
    const [trace, point] = await chart.evaluate(el => {
      const gd = el as unknown as PlotlyChart
      const t = gd.data.findIndex(d => d.name.startsWith('22,'))
      return [t, gd.data[t]!.x!.indexOf('2024-03-02')] as const
    })
    const at = await plotlyPoint(chart, trace, point)
    // Hovering it shows the line's name (value and label), the day and the count.
    await page.mouse.move(at.x, at.y)
    await page.waitForSelector('g.hovertext')
    assert.equal(await page.locator('g.hovertext').first().textContent(), '22, ssh2024-03-02: 93 packets')
    await Promise.all([page.waitForURL(url('lab-gen-1_destination-port_2024-03-02.html')), page.mouse.click(at.x, at.y)])
    await page.waitForSelector('#chart[data-ready="true"]')
    await page.screenshot({ path: join(ARTIFACTS, 'site-day.png') })
    // The tile of port 23 (second of the day).
    const tile = page.locator('g.slice').filter({ hasText: /^23/ }).first()
    // Hovering it shows the value, its label and its count (77 packets on March 2).
    await tile.hover()
    await page.waitForSelector('g.hovertext')
    assert.equal(await page.locator('g.hovertext').first().textContent(), '23telnet77 packets (8.3%)')
    await Promise.all([page.waitForURL(url('lab-gen-1_2024-03_destination-port_23.html')), tile.click()])
    await page.waitForSelector('#chart[data-ready="true"]')
    const title = await page.locator('h1').textContent()
    assert.equal(title, 'Packets per day with destination port 23 on sensor lab-gen-1, March 2024')
  } finally {
    await page.close()
  }
})

test('charts that tell the truth: a day without capture is a gap on a month-named axis, the sum of 22-* is "total", an empty top is one sentence', async () => {
  // March 1-3 and 5 (nothing on March 4), per protocol; and a day of TCP only (no ICMP type at all).
  const truth = await startRedis()
  try {
    const captures = [await writeMonthCapture(dir), await writeLaterCapture(dir), join(FIXTURES, 'lab-synscan-1-20100704202416.pcapng')]
    assert.equal((await potiron('ingest', ...captures, '--unix', truth.socket, '--quiet', '--combined-keys')).status, 0)
    const out = join(dir, 'truth')
    assert.equal((await potiron('plot', 'month', '--sensor', MONTH_SENSOR, '--field', 'dport', '--values', '22-*', '--date', '2024-03', '--out', out, '--unix', truth.socket)).status, 0)
    assert.equal((await potiron('report', '--sensor', 'lab-synscan-1', '--fields', 'icmptype', '--out', out, '--unix', truth.socket)).status, 0)

    const timeline = await open(browser, pathToFileURL(join(out, 'lab-gen-1_2024-03_destination-port_with-protocols_22-all.html')).href)
    await timeline.page.waitForSelector('#chart[data-ready="true"]', { timeout: 20_000 })
    await timeline.page.screenshot({ path: join(ARTIFACTS, 'site-timeline-gap.png') })
    const chart = timeline.page.locator('#chart')
    const drawn = await chart.evaluate(el => {
      const gd = el as unknown as PlotlyChart & { _fullLayout: { xaxis: { type: string, tickformat: string, range: string[] } } }
      const { type, tickformat, range } = gd._fullLayout.xaxis
      return { traces: gd.data.map(t => [t.name, [...t.y!]]), type, tickformat, range: [...range] }
    })
    assert.deepEqual(drawn, {
      traces: [['22-tcp, ssh', [94, 88, 91, null, 47]], ['22-udp, ssh', [3, 5, 3, null, 0]], ['total', [97, 93, 94, null, 47]]],
      type: 'date',
      tickformat: '%b %-d',
      range: ['2024-02-29 12:00', '2024-03-31 12:00']
    })
    assert.deepEqual(await chart.locator('.xtick text').allTextContents(), MARCH_TICKS)
    assert.deepEqual(await chart.locator('.legendtext').allTextContents(), ['22-tcp, ssh', '22-udp, ssh', 'total'])
    assert.deepEqual(timeline.errors, [])
    await timeline.page.close()

    const empty = await open(browser, pathToFileURL(join(out, 'lab-synscan-1_icmp-type_2010-07-04.html')).href)
    assert.deepEqual(await empty.page.locator('p.empty').allTextContents(), ['No icmp type values on 2010-07-04 but those left out: 255 (not set), 2,011 packets.'])
    assert.equal(await empty.page.locator('#chart, .main-svg').count(), 0)
    assert.deepEqual([empty.errors, empty.requests.filter(r => !r.startsWith('file://'))], [[], []])
    await empty.page.close()
  } finally {
    await truth.stop()
  }
})

test('every kind of page, in both themes at 1400 and 800 px: no sideways scroll, charts within their cards, legends, no console error, offline, no serious axe violation', async () => {
  // The reports' index (several sensors), a month's index, a day's and the month's top values, a
  // timeline of several values and of one, and a top with nothing to draw.
  const all = join(dir, 'all')
  const synscan = await startRedis()
  const empty = join(dir, 'empty')
  try {
    assert.equal((await potiron('ingest', join(FIXTURES, 'lab-synscan-1-20100704202416.pcapng'), await writeMonthCapture(dir), '--unix', synscan.socket, '--quiet')).status, 0)
    assert.equal((await potiron('report', '--sensor', 'lab-synscan-1', '--fields', 'icmptype', '--out', empty, '--unix', synscan.socket)).status, 0)
    const run = await potiron('report', '--fields', 'dport,icmptype', '--limit', '5', '--out', all, '--unix', synscan.socket)
    assert.equal(run.status, 0, run.err.join('\n'))
  } finally {
    await synscan.stop()
  }
  const kinds: Array<[string, string]> = [
    ['site-reports', join(all, 'index.html')],
    ['site-month', join(site, 'index.html')],
    ['site-day', join(site, 'lab-gen-1_destination-port_2024-03-02.html')],
    ['site-month-top', join(site, 'lab-gen-1_destination-port_2024-03.html')],
    ['site-timeline', join(site, 'lab-gen-1_2024-03_destination-port_22_23_80.html')],
    ['site-value-timeline', join(site, 'lab-gen-1_2024-03_destination-port_23.html')],
    ['site-empty-top', join(empty, 'lab-synscan-1_icmp-type_2010-07-04.html')],
    ['site-empty-month', join(empty, 'index.html')]
  ]
  const page = await browser.newPage()
  try {
    for (const [name, path] of kinds) await checkPage(page, { name, url: pathToFileURL(path).href })
  } finally {
    await page.close()
  }
})

test('the month\'s index: per field a heatmap of the top values per day (a cell opens its day), the month\'s treemap with "others", a strip of the days', async () => {
  const { page, errors } = await visit('index.html')
  try {
    await chartsDrawn(page)
    assert.deepEqual(await page.locator('section.field h2').allTextContents(), ['destination port (dport)', 'protocol (protocol)'])
    // Every day of March in the strip, the three with data as links.
    const strip = page.locator('#field-dport ol.days')
    assert.equal(await strip.locator('li').count(), 31)
    assert.deepEqual(await strip.locator('a').evaluateAll(as => as.map(a => a.getAttribute('href'))), [
      'lab-gen-1_destination-port_2024-03-01.html', 'lab-gen-1_destination-port_2024-03-02.html', 'lab-gen-1_destination-port_2024-03-03.html'
    ])
    const heat = page.locator('#field-dport-heat')
    const drawn = await heat.evaluate(el => {
      const gd = el as unknown as { data: Array<{ type: string, y: string[], z: Array<Array<number | null>> }> }
      return { type: gd.data[0]!.type, y: gd.data[0]!.y, z: gd.data[0]!.z.map(row => row.slice(0, 5)) }
    })
    // The month's top 3 (22, 23, 80) on March 1-3; March 4 and 5 have no data: blank, not 0.
    assert.deepEqual(drawn, { type: 'heatmap', y: ['22 ssh', '23 telnet', '80 www-http'], z: [[97, 93, 94, null, null], [88, 77, 80, null, null], [58, 70, 81, null, null]] })
    const tiles = await page.locator('#field-dport-tiles').evaluate(el => (el as unknown as { data: Array<{ labels: string[], values: number[] }> }).data[0]!)
    // The month's 3,000 packets: 284 + 245 + 209 shown, 229 "not set" (said apart), the 2,033 others.
    assert.deepEqual([tiles.labels, tiles.values], [['22', '23', '80', 'others'], [284, 245, 209, 2033]])
    // The cell of 23 on March 2 opens March 2's top values.
    const cell = await heat.evaluate(el => {
      const gd = el as unknown as { _fullLayout: { xaxis: { _offset: number, d2p: (v: string) => number }, yaxis: { _offset: number, d2p: (v: string) => number } } }
      const { xaxis, yaxis } = gd._fullLayout
      return { x: xaxis._offset + xaxis.d2p('2024-03-02'), y: yaxis._offset + yaxis.d2p('23 telnet') }
    })
    const box = (await heat.boundingBox())!
    await page.mouse.move(box.x + cell.x, box.y + cell.y)
    await page.waitForSelector('g.hovertext')
    assert.equal(await page.locator('g.hovertext').first().textContent(), '23 telnet2024-03-02: 77 packets')
    await Promise.all([page.waitForURL(url('lab-gen-1_destination-port_2024-03-02.html')), page.mouse.click(box.x + cell.x, box.y + cell.y)])
    assert.deepEqual(errors, [])
  } finally {
    await page.close()
  }
})

test('the theme switch: system, light, dark, kept across pages; charts take the theme\'s text colour', async () => {
  const page = await browser.newPage()
  try {
    await page.emulateMedia({ colorScheme: 'light' })
    await page.goto(url('lab-gen-1_destination-port_2024-03-02.html'))
    await page.waitForSelector('#chart[data-ready="true"]')
    const button = page.locator('button.theme-switch')
    const state = async (): Promise<[string | null, string | null, string]> => [
      await button.textContent(),
      await forcedTheme(page),
      await page.locator('#chart').evaluate(el => (el as unknown as { _fullLayout: { font: { color: string } } })._fullLayout.font.color)
    ]
    assert.deepEqual(await state(), ['Theme: system', null, '#1b1f24'])
    // Keyboard: focus and Enter.
    await button.focus()
    await page.keyboard.press('Enter')
    assert.deepEqual(await state(), ['Theme: light', 'light', '#1b1f24'])
    await page.keyboard.press('Enter')
    assert.deepEqual(await state(), ['Theme: dark', 'dark', '#e6e9ee'])
    // Kept on the next page.
    await page.goto(url('index.html'))
    assert.equal(await forcedTheme(page), 'dark')
    await page.locator('button.theme-switch').click()
    assert.equal(await forcedTheme(page), null)
  } finally {
    await page.close()
  }
})

/** The ticks Plotly draws on a month's axis in a 1280-pixel page: month names, never bare day numbers. */
const MARCH_TICKS = ['Mar 3', 'Mar 10', 'Mar 17', 'Mar 24', 'Mar 31']
