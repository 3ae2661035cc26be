/**
 * The dashboard's insights over HTTP, on private redis-servers filled with known counts (written
 * with ZADD, so every expected number can be checked by hand): sparkline series with null gaps
 * for days without data, new-today sets across a day gap, comparison rows of two periods and two
 * sensors (JSON, CSV, page), the calendar's cells and links, and the pure shaping functions.
 */
import { after, before, describe, test } from 'node:test'
import assert from 'node:assert/strict'
import type { Redis } from 'ioredis'
import { dashboardClient } from '../src/server/client.js'
import { calendarCell, daysOfYear } from '../src/export/calendar.js'
import { compareRows, gapSeries, newRows, previousDaysWithData } from '../src/server/insights.js'
import { DAYS_KEY_PATTERN, JSON_FIELDS, PARAMETERS, PROTOCOLS, combinedKey, daysKey } from '../src/store/keys.js'
import { COUNTS, fill } from './helpers/insights.js'
import { startRedis, type TestRedis } from './helpers/redis.js'
import { startApp, type RunningApp } from './helpers/serve.js'
import { teardown } from './helpers/teardown.js'

async function getJson (url: string): Promise<{ status: number, body: any }> {
  const res = await fetch(url)
  assert.match(res.headers.get('content-type') ?? '', /^application\/json/)
  return { status: res.status, body: await res.json() }
}

const NULLS = (n: number): null[] => new Array<null>(n).fill(null)

describe('insights over HTTP', () => {
  let redis: TestRedis
  let combined: TestRedis
  let client: Redis
  let combinedClient: Redis
  let app: RunningApp
  let combinedApp: RunningApp

  before(async () => {
    [redis, combined] = await Promise.all([startRedis(), startRedis()])
    await fill(redis.client, COUNTS, ['protocol', 'dport'])
    // Combined keys: the protocols' keys of a day are summed.
    await combined.client.multi()
      .hset(PARAMETERS, 'format', 'standard', 'ck', 'True').rpush(JSON_FIELDS, 'dport').sadd(PROTOCOLS, 'tcp', 'udp')
      .sadd(daysKey('lab-ck-1'), '20240303', '20240305')
      .zadd(combinedKey('lab-ck-1', 'tcp', '20240303', 'dport'), 4, '22')
      .zadd(combinedKey('lab-ck-1', 'tcp', '20240305', 'dport'), 20, '22', 10, '443')
      .zadd(combinedKey('lab-ck-1', 'udp', '20240305', 'dport'), 10, '22', 5, '53')
      .exec()
    client = dashboardClient({ socket: redis.socket })
    combinedClient = dashboardClient({ socket: combined.socket })
    await Promise.all([client.connect(), combinedClient.connect()])
    app = await startApp(client)
    combinedApp = await startApp(combinedClient)
  })

  after(async () => {
    await teardown(
      async () => await app?.close(), async () => await combinedApp?.close(),
      () => client?.disconnect(), () => combinedClient?.disconnect(),
      async () => await redis?.stop(), async () => await combined?.stop()
    )
  })

  test('the data is what the tests expect', async () => {
    assert.deepEqual((await redis.client.keys(DAYS_KEY_PATTERN)).sort(), ['lab-ins-1_DAYS', 'lab-ins-2_DAYS'])
  })

  test('GET /api/sparklines: each value of the day\'s top counted per day of the range, null on days without data', async () => {
    const { status, body } = await getJson(`${app.url}/api/sparklines?sensor=lab-ins-1&day=2024-03-05&from=2024-03-01&to=2024-03-05&field=dport`)
    assert.equal(status, 200)
    assert.deepEqual(body, {
      sensor: 'lab-ins-1',
      day: '2024-03-05',
      from: '2024-03-01',
      to: '2024-03-05',
      days: ['2024-03-01', '2024-03-02', '2024-03-03', '2024-03-04', '2024-03-05'],
      showNotSet: false,
      fields: [{
        field: 'dport',
        // The top of 2024-03-05 without "not set" (-1); 23 and 4444 tie, by number.
        values: [
          { value: '22', counts: [40, 20, 10, null, 30] },
          { value: '23', counts: [0, 0, 0, null, 15] },
          { value: '4444', counts: [5, 0, 0, null, 15] },
          { value: '443', counts: [0, 5, 20, null, 10] }
        ]
      }]
    })
  })

  test('GET /api/sparklines: by default the 30 days ending at the latest day, every field shown, "not set" with notset=1', async () => {
    const { body } = await getJson(`${app.url}/api/sparklines?sensor=lab-ins-1`)
    assert.equal(body.from, '2024-02-05')
    assert.equal(body.to, '2024-03-05')
    assert.equal(body.days.length, 30)
    assert.deepEqual(body.fields.map((f: { field: string }) => f.field), ['protocol', 'dport'])
    assert.deepEqual(body.fields[0].values, [
      { value: '6', counts: [...NULLS(25), 100, 50, 30, null, 70] },
      { value: '17', counts: [...NULLS(25), 20, 0, 0, null, 10] }
    ])
    const withNotSet = await getJson(`${app.url}/api/sparklines?sensor=lab-ins-1&field=dport&from=2024-03-04&notset=1`)
    assert.deepEqual(withNotSet.body.fields[0].values, [
      { value: '22', counts: [null, 30] },
      { value: '23', counts: [null, 15] },
      { value: '4444', counts: [null, 15] },
      { value: '-1', counts: [null, 10] },
      { value: '443', counts: [null, 10] }
    ])
  })

  test('GET /api/sparklines and /api/new read boundedly: one ZMSCORE per day with data and field, no KEYS or unions', async () => {
    const calls = async (path: string): Promise<Record<string, number>> => {
      await redis.client.config('RESETSTAT')
      assert.equal((await fetch(`${app.url}${path}`)).status, 200)
      const stats = await redis.client.info('commandstats')
      return Object.fromEntries([...stats.matchAll(/^cmdstat_(\w+):calls=(\d+)/gm)].map(m => [m[1]!, Number(m[2])]))
    }
    // 2024-03-01 to 2024-03-05: four days with data (the 4th is never asked).
    const spark = await calls('/api/sparklines?sensor=lab-ins-1&day=2024-03-05&from=2024-03-01&to=2024-03-05&field=dport')
    assert.equal(spark.zmscore, 4)
    assert.equal(spark.keys, undefined)
    assert.equal(spark.zunionstore, undefined)
    // Two previous days with data, two fields.
    const fresh = await calls('/api/new?sensor=lab-ins-1&day=2024-03-05&newdays=2')
    assert.equal(fresh.zmscore, 4)
    // The calendar: one ZRANGE of each day's protocol key, in one pipeline.
    const calendar = await calls('/api/calendar?sensor=lab-ins-1&year=2024')
    assert.equal(calendar.zrange, 4)
  })

  test('GET /api/sparklines with combined keys: the protocols summed per day', async () => {
    const { body } = await getJson(`${combinedApp.url}/api/sparklines?sensor=lab-ck-1&from=2024-03-03`)
    assert.deepEqual(body.fields, [{ field: 'dport', values: [{ value: '22', counts: [4, null, 30] }, { value: '443', counts: [0, null, 10] }, { value: '53', counts: [0, null, 5] }] }])
  })

  test('GET /api/sparklines: bad parameters are 400 naming them', async () => {
    const cases: Array<[string, string]> = [
      ['sensor=lab-ins-1&day=2024-03-04', "day: sensor 'lab-ins-1' has no data on 2024-03-04 (days: 2023-12-31 to 2024-03-05)"],
      ['sensor=lab-ins-1&from=2024-03-06&to=2024-03-05', 'from/to: 2024-03-06 is after 2024-03-05'],
      ['sensor=lab-ins-1&from=2023-01-01', 'from/to: 2023-01-01 to 2024-03-05 is 430 days, at most 366'],
      ['sensor=lab-ins-1&field=nope', "field: unknown field 'nope' (fields: protocol, dport)"],
      ['sensor=nope', "sensor: unknown sensor 'nope' (sensors: lab-ins-1, lab-ins-2)"],
      ['sensor=lab-ins-1&to=2024-02-30', "to: expected a day YYYY-MM-DD, got '2024-02-30'"]
    ]
    for (const [query, error] of cases) assert.deepEqual(await getJson(`${app.url}/api/sparklines?${query}`), { status: 400, body: { error } }, query)
  })

  test('GET /api/new: values of the top absent from each of the previous N days with data (a day without data is skipped)', async () => {
    const { status, body } = await getJson(`${app.url}/api/new?sensor=lab-ins-1&day=2024-03-05&newdays=2`)
    assert.equal(status, 200)
    assert.deepEqual(body, {
      sensor: 'lab-ins-1',
      day: '2024-03-05',
      newDays: 2,
      // 2024-03-04 has no data: the two previous days with data are the 3rd and the 2nd.
      previousDays: ['2024-03-03', '2024-03-02'],
      showNotSet: false,
      fields: [
        { field: 'protocol', title: 'protocol', values: [{ value: '17', label: 'udp', count: 10 }] },
        { field: 'dport', title: 'destination port', values: [{ value: '23', label: 'telnet', count: 15 }, { value: '4444', label: 'nv-video', count: 15 }] }
      ]
    })
    // Three days back, 2024-03-01 had 4444 and udp.
    const three = await getJson(`${app.url}/api/new?sensor=lab-ins-1&day=2024-03-05&newdays=3&field=dport`)
    assert.deepEqual(three.body.previousDays, ['2024-03-03', '2024-03-02', '2024-03-01'])
    assert.deepEqual(three.body.fields, [{ field: 'dport', title: 'destination port', values: [{ value: '23', label: 'telnet', count: 15 }] }])
    // By default 7 days, here the four the sensor has before the day.
    const seven = await getJson(`${app.url}/api/new?sensor=lab-ins-1&field=dport`)
    assert.equal(seven.body.newDays, 7)
    assert.deepEqual(seven.body.previousDays, ['2024-03-03', '2024-03-02', '2024-03-01', '2023-12-31'])
    // The first day with data has nothing to be new against.
    const first = await getJson(`${app.url}/api/new?sensor=lab-ins-1&day=2023-12-31`)
    assert.deepEqual(first.body.previousDays, [])
    assert.deepEqual(first.body.fields.map((f: { values: unknown[] }) => f.values), [[], []])
    assert.deepEqual(await getJson(`${app.url}/api/new?sensor=lab-ins-1&newdays=0`), { status: 400, body: { error: "newdays: expected a whole number from 1 to 90, got '0'" } })
  })

  const DAY_VS_PREVIOUS = [
    { value: '22', label: 'ssh', count: 30, reference: 10, change: 20, percent: 200, only: null },
    { value: '23', label: 'telnet', count: 15, reference: 0, change: 15, percent: null, only: 'period' },
    { value: '4444', label: 'nv-video', count: 15, reference: 0, change: 15, percent: null, only: 'period' },
    { value: '443', label: 'https', count: 10, reference: 20, change: -10, percent: -50, only: null },
    { value: '8080', label: 'http-alt', count: 0, reference: 5, change: -5, percent: -100, only: 'reference' }
  ]

  test('GET /api/compare: a day against the previous day with data, rows of both tops counted on both sides', async () => {
    const { status, body } = await getJson(`${app.url}/api/compare?sensor=lab-ins-1&day=2024-03-05&field=dport`)
    assert.equal(status, 200)
    assert.deepEqual(body, {
      period: { sensor: 'lab-ins-1', from: '2024-03-05', to: '2024-03-05', days: ['2024-03-05'], total: 80 },
      reference: { sensor: 'lab-ins-1', from: '2024-03-03', to: '2024-03-03', days: ['2024-03-03'], total: 35 },
      showNotSet: false,
      fields: [{ field: 'dport', title: 'destination port', rows: DAY_VS_PREVIOUS }]
    })
  })

  test('GET /api/compare: a range against the range of as many days before, and two sensors on one day', async () => {
    const range = await getJson(`${app.url}/api/compare?sensor=lab-ins-1&from=2024-03-02&to=2024-03-05&field=dport`)
    assert.deepEqual(range.body.period, { sensor: 'lab-ins-1', from: '2024-03-02', to: '2024-03-05', days: ['2024-03-02', '2024-03-03', '2024-03-05'], total: 165 })
    // Four days ending on the last day with data before the 2nd.
    assert.deepEqual(range.body.reference, { sensor: 'lab-ins-1', from: '2024-02-27', to: '2024-03-01', days: ['2024-03-01'], total: 120 })
    assert.deepEqual(range.body.fields[0].rows, [
      { value: '22', label: 'ssh', count: 60, reference: 40, change: 20, percent: 50, only: null },
      { value: '443', label: 'https', count: 35, reference: 0, change: 35, percent: null, only: 'period' },
      { value: '80', label: 'www-http', count: 25, reference: 30, change: -5, percent: -16.7, only: null },
      // Equal counts: the larger reference first.
      { value: '4444', label: 'nv-video', count: 15, reference: 5, change: 10, percent: 200, only: null },
      { value: '23', label: 'telnet', count: 15, reference: 0, change: 15, percent: null, only: 'period' },
      { value: '8080', label: 'http-alt', count: 5, reference: 0, change: 5, percent: null, only: 'period' }
    ])
    const sensors = await getJson(`${app.url}/api/compare?sensor=lab-ins-1&day=2024-03-05&ref_sensor=lab-ins-2&field=dport`)
    assert.deepEqual(sensors.body.reference, { sensor: 'lab-ins-2', from: '2024-03-05', to: '2024-03-05', days: ['2024-03-05'], total: 12 })
    assert.deepEqual(sensors.body.fields[0].rows, [
      { value: '22', label: 'ssh', count: 30, reference: 3, change: 27, percent: 900, only: null },
      { value: '23', label: 'telnet', count: 15, reference: 0, change: 15, percent: null, only: 'period' },
      { value: '4444', label: 'nv-video', count: 15, reference: 0, change: 15, percent: null, only: 'period' },
      { value: '443', label: 'https', count: 10, reference: 0, change: 10, percent: null, only: 'period' },
      { value: '53', label: 'domain', count: 0, reference: 9, change: -9, percent: -100, only: 'reference' }
    ])
    const errors: Array<[string, string]> = [
      ['from=2024-03-05&to=2024-03-01', 'from/to: 2024-03-05 is after 2024-03-01'],
      ['from=2024-01-01&to=2024-03-05', 'from/to: 2024-01-01 to 2024-03-05 is 65 days, at most 31'],
      ['day=2024-03-05&from=2024-03-01', 'day: give either day or from/to, not both'],
      ['ref_sensor=nope', "ref_sensor: unknown sensor 'nope' (sensors: lab-ins-1, lab-ins-2)"]
    ]
    for (const [query, error] of errors) assert.deepEqual(await getJson(`${app.url}/api/compare?sensor=lab-ins-1&${query}`), { status: 400, body: { error } }, query)
  })

  test('GET /compare.csv and /compare: the same rows as a CSV download and as a page', async () => {
    const res = await fetch(`${app.url}/compare.csv?sensor=lab-ins-1&day=2024-03-05&field=dport`)
    assert.equal(res.status, 200)
    assert.equal(res.headers.get('content-type'), 'text/csv; charset=utf-8')
    assert.equal(res.headers.get('content-disposition'), 'attachment; filename="compare_lab-ins-1_2024-03-05_vs_lab-ins-1_2024-03-03.csv"')
    assert.equal(await res.text(), `field,value,label,count,reference,change,percent,only
dport,22,ssh,30,10,20,200,
dport,23,telnet,15,0,15,,period
dport,4444,nv-video,15,0,15,,period
dport,443,https,10,20,-10,-50,
dport,8080,http-alt,0,5,-5,-100,reference
`)
    const page = await (await fetch(`${app.url}/compare?sensor=lab-ins-1&day=2024-03-05`)).text()
    assert.match(page, /<title>Compare lab-ins-1, 2024-03-05 with lab-ins-1, 2024-03-03<\/title>/)
    assert.match(page, /lab-ins-1, 2024-03-05: 80 packets over 1 day with data\.<br>lab-ins-1, 2024-03-03: 35 packets over 1 day with data\./)
    const rows = [...page.matchAll(/<tr data-value="([^"]*)"( class="[^"]*")?><td>.*?<\/td><td>(.*?)<\/td><td class="n">(.*?)<\/td><td class="n">(.*?)<\/td><td class="n[^"]*">(.*?)<\/td><td class="n[^"]*">(.*?)<\/td><td class="only">(.*?)<\/td><\/tr>/g)].map(m => m.slice(1))
    assert.deepEqual(rows, [
      ['6', undefined, 'tcp', '70', '30', '+40', '+133.3 %', ''],
      ['17', ' class="only-period"', 'udp', '10', '0', '+10', '', 'period only'],
      ['1', ' class="only-reference"', 'icmp', '0', '5', '−5', '−100.0 %', 'reference only'],
      ['22', undefined, 'ssh', '30', '10', '+20', '+200.0 %', ''],
      ['23', ' class="only-period"', 'telnet', '15', '0', '+15', '', 'period only'],
      ['4444', ' class="only-period"', 'nv-video', '15', '0', '+15', '', 'period only'],
      ['443', undefined, 'https', '10', '20', '−10', '−50.0 %', ''],
      ['8080', ' class="only-reference"', 'http-alt', '0', '5', '−5', '−100.0 %', 'reference only']
    ])
    assert.match(page, /<a href="\/compare\.csv\?sensor=lab-ins-1&amp;from=2024-03-05&amp;to=2024-03-05&amp;ref_sensor=lab-ins-1&amp;ref_from=2024-03-03&amp;ref_to=2024-03-03">Download as CSV<\/a>/)
    assert.match(page, /<a href="\/compare\?sensor=lab-ins-1">Compare<\/a>/)
    assert.match(page, /<a href="\/calendar\?sensor=lab-ins-1">Calendar<\/a>/)
  })

  test('GET /api/calendar and /calendar: packets per day of the year, a heatmap of weeks × weekdays linking each day, and its table', async () => {
    const { body } = await getJson(`${app.url}/api/calendar?sensor=lab-ins-1`)
    assert.deepEqual(body, {
      sensor: 'lab-ins-1',
      year: 2024,
      years: [2023, 2024],
      days: [{ day: '2024-03-01', total: 120 }, { day: '2024-03-02', total: 50 }, { day: '2024-03-03', total: 35 }, { day: '2024-03-05', total: 80 }]
    })
    const page = await (await fetch(`${app.url}/calendar?sensor=lab-ins-1`)).text()
    const figure = JSON.parse(/<script type="application\/json" id="calendar-figure">(.*?)<\/script>/.exec(page)![1]!)
    const [none, trace] = figure.data
    assert.equal(trace.type, 'heatmap')
    // The days without data are a trace of their own under the counts: 366 days, 4 with data.
    assert.equal(none.z.flat().filter((z: number | null) => z === 0).length, 362)
    assert.equal(none.z[0][9], 0)
    assert.equal(none.z[1][9], null)
    assert.equal(none.showscale, false)
    assert.deepEqual(trace.y, ['Mon', 'Tue', 'Wed', 'Thu', 'Fri', 'Sat', 'Sun'])
    // 2024-01-01 is a Monday: 53 weeks, March 1 (a Friday) in week 8, March 5 (a Tuesday) in week 9.
    assert.equal(trace.x.length, 53)
    const cells: Array<[number, number, number, unknown]> = []
    trace.z.forEach((row: Array<number | null>, wd: number) => { row.forEach((z, w) => { if (z !== null) cells.push([wd, w, z, trace.customdata[wd][w]]) }) })
    assert.deepEqual(cells, [
      [1, 9, 80, ['/?sensor=lab-ins-1&day=2024-03-05']],
      [4, 8, 120, ['/?sensor=lab-ins-1&day=2024-03-01']],
      [5, 8, 50, ['/?sensor=lab-ins-1&day=2024-03-02']],
      [6, 8, 35, ['/?sensor=lab-ins-1&day=2024-03-03']]
    ])
    // Days without data are blank (null, no link), and named in the hover text.
    assert.equal(trace.text[0][9], '2024-03-04')
    assert.equal(trace.customdata[0][9], null)
    assert.equal(trace.hoverongaps, false)
    assert.deepEqual(figure.layout.xaxis.tickvals, [0, 4, 8, 13, 17, 21, 26, 30, 34, 39, 43, 47])
    const links = [...page.matchAll(/<tr><td><a href="([^"]*)">([^<]*)<\/a><\/td><td class="n">([^<]*)<\/td><\/tr>/g)].map(m => m.slice(1))
    assert.deepEqual(links, [
      ['/?sensor=lab-ins-1&amp;day=2024-03-01', '2024-03-01', '120'],
      ['/?sensor=lab-ins-1&amp;day=2024-03-02', '2024-03-02', '50'],
      ['/?sensor=lab-ins-1&amp;day=2024-03-03', '2024-03-03', '35'],
      ['/?sensor=lab-ins-1&amp;day=2024-03-05', '2024-03-05', '80']
    ])
    assert.match(page, /<summary>Packets per day, as a table \(4 days with data\)<\/summary>/)
    assert.match(page, /<nav class="years" aria-label="Years with data"><a href="\/calendar\?sensor=lab-ins-1&amp;year=2023">← 2023<\/a> · <a href="\/calendar\?sensor=lab-ins-1&amp;year=2023">2023<\/a> <strong aria-current="page">2024<\/strong><\/nav>/)
    const year2023 = await (await fetch(`${app.url}/calendar?sensor=lab-ins-1&year=2023`)).text()
    const z2023 = JSON.parse(/id="calendar-figure">(.*?)<\/script>/.exec(year2023)![1]!).data[1]
    // 2023-01-01 is a Sunday (row 6 of week 0; the Monday before it is 2022's, no text) and so is 2023-12-31 (week 52).
    assert.equal(z2023.text[6][0], '2023-01-01')
    assert.equal(z2023.text[0][0], '')
    assert.equal(z2023.z[6][52], 7)
    assert.equal(z2023.z.flat().filter((z: number | null) => z !== null).length, 1)
    assert.deepEqual(await getJson(`${app.url}/api/calendar?sensor=lab-ins-1&year=2022`), { status: 400, body: { error: "year: sensor 'lab-ins-1' has no data in 2022 (years: 2023, 2024)" } })
    assert.deepEqual(await getJson(`${app.url}/api/calendar?sensor=lab-ins-1&year=24`), { status: 400, body: { error: "year: expected a year such as 2024, got '24'" } })
  })

  test('a reference without data counts 0 on every row, each marked as the period\'s only', async () => {
    const { body } = await getJson(`${app.url}/api/compare?sensor=lab-ins-1&day=2024-03-05&ref_day=2024-03-04&field=dport`)
    assert.deepEqual(body.reference, { sensor: 'lab-ins-1', from: '2024-03-04', to: '2024-03-04', days: [], total: 0 })
    assert.deepEqual(body.fields[0].rows.map((r: { value: string, reference: number, only: string }) => [r.value, r.reference, r.only]), [['22', 0, 'period'], ['23', 0, 'period'], ['4444', 0, 'period'], ['443', 0, 'period']])
    const page = await (await fetch(`${app.url}/compare?sensor=lab-ins-1&day=2024-03-05&ref_day=2024-03-04`)).text()
    assert.match(page, /<br>lab-ins-1, 2024-03-04: no data\.<\/p>/)
  })

  test('a sensor name made of markup is shown as text on the comparison and the calendar', async () => {
    const evil = 'lab-<img src=x onerror=alert(1)>-1'
    await redis.client.multi().sadd(daysKey(evil), '20240305').zadd(`${evil}:20240305:protocol`, 3, '6').zadd(`${evil}:20240305:dport`, 3, '<b>22</b>').exec()
    const fresh = await startApp(client, { sensorTtlMs: 0 })
    try {
      for (const path of ['/compare', '/calendar']) {
        const text = await (await fetch(`${fresh.url}${path}?sensor=${encodeURIComponent(evil)}`)).text()
        assert.doesNotMatch(text, /<img|<b>22/, path)
        assert.match(text, /lab-&lt;img src=x onerror=alert\(1\)&gt;-1/, path)
      }
      const calendar = await (await fetch(`${fresh.url}/calendar?sensor=${encodeURIComponent(evil)}`)).text()
      const figure = JSON.parse(/id="calendar-figure">(.*?)<\/script>/.exec(calendar)![1]!)
      assert.equal(figure.data[1].name, 'lab-&lt;img src=x onerror=alert(1)&gt;-1')
      assert.deepEqual(figure.data[1].customdata[1][9], [`/?sensor=${encodeURIComponent(evil).replaceAll('%20', '+').replaceAll('(', '%28').replaceAll(')', '%29')}&day=2024-03-05`])
    } finally {
      await fresh.close()
      await redis.client.del(daysKey(evil), `${evil}:20240305:protocol`, `${evil}:20240305:dport`)
    }
  })

  test('the insights script is served as an asset, and the pages hold no inline script', async () => {
    const res = await fetch(`${app.url}/assets/insights.js`)
    assert.equal(res.status, 200)
    assert.equal(res.headers.get('content-type'), 'text/javascript; charset=utf-8')
    assert.match(await res.text(), /^\/\/ The overview's insights/)
    for (const path of ['/compare?sensor=lab-ins-1', '/calendar?sensor=lab-ins-1']) {
      const text = await (await fetch(`${app.url}${path}`)).text()
      const scripts = [...text.matchAll(/<script([^>]*)>/g)].map(m => m[1])
      assert.ok(scripts.every(attrs => /src="|type="application\/json"/.test(attrs!)), `${path}: ${scripts.join(' | ')}`)
      assert.match(text, /<script src="\/assets\/insights\.js"><\/script>/)
    }
  })
})

describe('insights: shaping', () => {
  test('gapSeries: the scores asked on days with data, null on the others', () => {
    assert.deepEqual(gapSeries(['20240301', '20240302', '20240303'], new Set(['20240301', '20240303']), [[1, 2], [3, 4]], 1), [2, null, 4])
  })

  test('newRows: rows absent from every previous day; none without any previous day', () => {
    const top = [{ value: '22', count: 5 }, { value: '23', count: 3 }, { value: '80', count: 1 }]
    assert.deepEqual(newRows(top, [[1, 0, 0], [0, 0, 2]]), [{ value: '23', count: 3 }])
    assert.deepEqual(newRows(top, []), [])
  })

  test('previousDaysWithData: the N latest days before the day, latest first', () => {
    assert.deepEqual(previousDaysWithData(['20240101', '20240103', '20240107', '20240110'], '20240110', 2), ['20240107', '20240103'])
    assert.deepEqual(previousDaysWithData(['20240101', '20240110'], '20240101', 7), [])
  })

  test('compareRows: changes, percentages to one decimal, one-sided values, ties by number', () => {
    assert.deepEqual(compareRows('dport', ['1000', '22', '7'], [3, 3, 0], [0, 9, 3]), [
      { value: '22', label: 'ssh', count: 3, reference: 9, change: -6, percent: -66.7, only: null },
      { value: '1000', label: 'cadlock2', count: 3, reference: 0, change: 3, percent: null, only: 'period' },
      { value: '7', label: 'echo', count: 0, reference: 3, change: -3, percent: -100, only: 'reference' }
    ])
  })

  test('calendarCell and daysOfYear: weeks from Monday, the week of January 1 first', () => {
    assert.equal(daysOfYear(2024).length, 366)
    assert.equal(daysOfYear(2023).length, 365)
    assert.deepEqual(calendarCell('20240101'), { week: 0, weekday: 0 })
    assert.deepEqual(calendarCell('20240107'), { week: 0, weekday: 6 })
    assert.deepEqual(calendarCell('20240108'), { week: 1, weekday: 0 })
    assert.deepEqual(calendarCell('20241231'), { week: 52, weekday: 1 })
    assert.deepEqual(calendarCell('20230101'), { week: 0, weekday: 6 })
    assert.deepEqual(calendarCell('20230102'), { week: 1, weekday: 0 })
  })
})
