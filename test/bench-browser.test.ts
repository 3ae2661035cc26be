/**
 * `potiron bench --html` in Debian's Chromium: the page opens from file:// with no console
 * error and no request leaving the machine, and its chart plots what the JSON report says,
 * MB/s on disk against the thread counts measured.
 */
import { after, before, test } from 'node:test'
import assert from 'node:assert/strict'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { pathToFileURL } from 'node:url'
import type { Browser } from 'playwright-core'
import { launchChromium, visit, type PlotlyChart } from './helpers/browser.js'
import { potiron } from './helpers/cli.js'
import { FIXTURES } from './helpers/shared.js'

let dir: string
let browser: Browser

before(async () => {
  dir = mkdtempSync(join(tmpdir(), 'potiron-bench-page-'))
  browser = await launchChromium()
})

after(async () => {
  await browser.close()
  rmSync(dir, { recursive: true, force: true })
})

test('bench --html: a chart of the parse\'s MB/s on disk against threads, as the report says, opened from file:// alone', async () => {
  const html = join(dir, 'bench.html')
  const run = await potiron('bench', join(FIXTURES, 'lab-dnsicmp-1-20130530224517.pcap'), '--threads', '1,2', '--no-redis', '--no-references', '--json', '--html', html)
  assert.equal(run.status, 0, run.err.join('\n'))
  const report = JSON.parse(run.out.join('')) as { threads: Array<{ threads: number, diskMbPerSecond: number }> }
  const v = await visit(browser, pathToFileURL(html).href)
  try {
    const chart = v.page.locator('.js-plotly-plot').first()
    await chart.waitFor()
    const data = await chart.evaluate(el => (el as unknown as PlotlyChart).data.map(t => ({ name: t.name, x: t.x, y: t.y })))
    // --no-redis: the parse alone, no ingest line; --no-references: no reference lines.
    assert.deepEqual(data, [{ name: 'potiron parse (worker pool)', x: [1, 2], y: report.threads.map(t => t.diskMbPerSecond) }])
    assert.deepEqual(v.errors, [])
    assert.deepEqual(v.requests.filter(r => !r.startsWith('file://')), [])
  } finally {
    await v.page.close()
  }
})
