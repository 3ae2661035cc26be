/**
 * `potiron serve` on a layer-2 database (helpers/arp-day.ts), over HTTP: the overview is the
 * latest day's ARP (requests and replies per hour, the flagged IP-MAC pairs, the warnings, the
 * day picker and links to the other days), another day by `day`, a day without data refused;
 * `/arp` is for layer-2 databases only, `/isn` for ISN ones.
 */
import { after, before, test } from 'node:test'
import assert from 'node:assert/strict'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import type { Redis } from 'ioredis'
import { dashboardClient } from '../src/server/client.js'
import { ARP_PAIRS, ARP_WARNINGS, writeArpCapture } from './helpers/arp-day.js'
import { potiron } from './helpers/cli.js'
import { startRedis, type TestRedis } from './helpers/redis.js'
import { startApp, type RunningApp } from './helpers/serve.js'
import { teardown } from './helpers/teardown.js'

const SENSOR = 'lab-arps-1'

let redis: TestRedis
let dir: string
let file: string
let client: Redis
let app: RunningApp

before(async () => {
  redis = await startRedis()
  dir = mkdtempSync(join(tmpdir(), 'potiron-arp-serve-'))
  file = writeArpCapture(dir, SENSOR)
  const run = await potiron('ingest', file, '--layer2', '--unix', redis.socket)
  assert.equal(run.status, 0, run.err.join('\n'))
  client = dashboardClient({ socket: redis.socket })
  await client.connect()
  app = await startApp(client)
})

after(async () => {
  await teardown(async () => await app?.close(), () => client?.disconnect(), async () => await redis?.stop(), () => { rmSync(dir, { recursive: true, force: true }) })
})

async function get (path: string): Promise<{ status: number, text: string, headers: Headers }> {
  const res = await fetch(`${app.url}${path}`)
  return { status: res.status, text: await res.text(), headers: res.headers }
}

/** The texts of each `<td>` of each row of the pairs table, and whether the row is marked flagged. */
function tableRows (html: string): Array<[boolean, string[]]> {
  const body = /<table class="pairs">[\s\S]*?<tbody>([\s\S]*?)<\/tbody>/.exec(html)![1]!
  return [...body.matchAll(/<tr( class="flagged")?>(.*?)<\/tr>/g)].map(m => [m[1] !== undefined, [...m[2]!.matchAll(/<td[^>]*>(.*?)<\/td>/g)].map(c => c[1]!)])
}

test('the overview of a layer-2 database is its latest day\'s ARP: the chart per hour, the flagged pairs, the warnings, the day picker', async () => {
  const { status, text, headers } = await get('/')
  assert.equal(status, 200)
  assert.equal(headers.get('content-security-policy'), "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data:")
  // The latest day is 2017-03-02: one request.
  assert.match(text, /<h1>ARP of lab-arps-1, 2017-03-02<\/h1>/)
  assert.match(text, /<p class="note">1 requests, 0 replies; 1 IP-MAC pairs, 0 flagged\. Days: <a href="\/arp\?sensor=lab-arps-1&amp;day=2017-03-01">2017-03-01<\/a> · <strong aria-current="page">2017-03-02<\/strong><\/p>/)
  assert.deepEqual(tableRows(text), [[false, ['192.0.2.10', '02:00:00:00:00:0a', '0', '1', '']]])
  assert.doesNotMatch(text, /class="warnings"/)
  // The header's one-day picker: the sensor, a Day input bounded by the days with data, no From.
  assert.match(text, /<label>Sensor <select name="sensor"><option value="lab-arps-1" selected>lab-arps-1<\/option><\/select><\/label>\n<label>Day <input type="date" name="day" min="2017-03-01" max="2017-03-02" list="days-with-data" value="2017-03-02"><\/label>/)
  assert.doesNotMatch(text, /name="from"/)
})

test('another day by its link: requests and replies per hour (export arp\'s figure), the pairs flagged, a warning per spoofed IP and per MAC of several IPs', async () => {
  const { status, text } = await get(`/arp?sensor=${SENSOR}&day=2017-03-01`)
  assert.equal(status, 200)
  assert.match(text, /<h1>ARP of lab-arps-1, 2017-03-01<\/h1>/)
  assert.match(text, /<p class="note">3 requests, 3 replies; 4 IP-MAC pairs, 3 flagged\. Days: <strong aria-current="page">2017-03-01<\/strong> · <a href="\/arp\?sensor=lab-arps-1&amp;day=2017-03-02">2017-03-02<\/a><\/p>/)
  const figure = JSON.parse(/<script type="application\/json" id="arp-hours-figure">(.*?)<\/script>/.exec(text)![1]!) as { data: Array<{ type: string, name: string, x: string[], y: number[] }> }
  assert.deepEqual(figure.data.map(t => [t.type, t.name, t.x.length, t.x[0], t.y]), [
    ['bar', 'request', 24, '00:00', [1, 1, 1, ...Array<number>(21).fill(0)]],
    ['bar', 'reply', 24, '00:00', [1, 2, ...Array<number>(22).fill(0)]]
  ])
  assert.deepEqual(tableRows(text), ARP_PAIRS.map(row => [row[4] !== '', row]))
  assert.deepEqual([.../<ul class="warnings"[^>]*>([\s\S]*?)<\/ul>/.exec(text)![1]!.matchAll(/<li>(.*?)<\/li>/g)].map(m => m[1]), ARP_WARNINGS)
})

test('a layer-2 overview refuses a day without data and an unknown sensor, and has no ISN page', async () => {
  const none = await get(`/?sensor=${SENSOR}&day=2017-03-05`)
  assert.equal(none.status, 400)
  assert.match(none.text, /day: sensor &#39;lab-arps-1&#39; has no data on 2017-03-05 \(days: 2017-03-01 to 2017-03-02\)/)
  const unknown = await get('/arp?sensor=lab-nope-1')
  assert.equal(unknown.status, 400)
  assert.match(unknown.text, /sensor: unknown sensor &#39;lab-nope-1&#39; \(sensors: lab-arps-1\)/)
  const isn = await get('/isn')
  assert.equal(isn.status, 404)
  assert.match(isn.text, /this database holds no ISN records \(ingest --isn\)/)
})

test('/arp of a database of field counts is a 404 that says what it is for', async () => {
  const other = await startRedis()
  const otherClient = dashboardClient({ socket: other.socket })
  try {
    assert.equal((await potiron('ingest', file, '--unix', other.socket)).status, 0)
    await otherClient.connect()
    const otherApp = await startApp(otherClient)
    try {
      const res = await fetch(`${otherApp.url}/arp`)
      assert.equal(res.status, 404)
      assert.match(await res.text(), /this database holds no ARP requests and replies \(ingest --layer2\)/)
    } finally {
      await otherApp.close()
    }
  } finally {
    otherClient.disconnect()
    await other.stop()
  }
})
