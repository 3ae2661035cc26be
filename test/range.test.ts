/**
 * Long timelines (issue 18): the aggregation arithmetic (days, ISO weeks, months; ends cut
 * partial; days without data adding 0), `plot range`'s files and refusals, and the dashboard's
 * evolution over months and calendar of a value, on known counts ZADDed into a private Redis.
 */
import { after, before, describe, test } from 'node:test'
import assert from 'node:assert/strict'
import { existsSync, mkdtempSync, readFileSync, readdirSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { aggregate, aggregationOf, bucketsOf, isoWeek, monthsPeriod } from '../src/export/range.js'
import { daysFromCivil } from '../src/aggregate/days.js'
import { potiron } from './helpers/cli.js'
import { fill } from './helpers/insights.js'
import { RANGE_COUNTS, RANGE_SENSOR as S } from './helpers/range.js'
import { startRedis, type TestRedis } from './helpers/redis.js'
import type { Redis } from 'ioredis'
import { dashboardClient } from '../src/server/client.js'
import { startApp, type RunningApp } from './helpers/serve.js'
import { teardown } from './helpers/teardown.js'

async function getJson (url: string): Promise<{ status: number, body: any }> {
  const res = await fetch(url)
  assert.match(res.headers.get('content-type') ?? '', /^application\/json/)
  return { status: res.status, body: await res.json() }
}

describe('range arithmetic', () => {
  test('a day per point up to 400 days, then ISO weeks up to 400 weeks, then months', () => {
    assert.equal(aggregationOf('20240101', '20250203'), 'day') // 400 days
    assert.equal(aggregationOf('20240101', '20250204'), 'week')
    assert.equal(aggregationOf('20220101', '20241231'), 'week') // 1,096 days, 158 weeks
    const { first, last } = monthsPeriod('201001', '201712')
    assert.deepEqual([first, last], ['20100101', '20171231'])
    assert.equal(aggregationOf(first, last), 'month') // 418 weeks
    assert.equal(bucketsOf(first, last, 'month').length, 96)
  })

  test('ISO weeks: the year of their Thursday', () => {
    const monday = (y: number, m: number, d: number): string => isoWeek(daysFromCivil(y, m, d))
    assert.deepEqual([monday(2021, 1, 4), monday(2020, 12, 28), monday(2024, 12, 30), monday(2024, 2, 26)], ['2021-W01', '2020-W53', '2025-W01', '2024-W09'])
  })

  test('weeks cut by the period are partial; whole months are not; sums add each day with data, others add 0', () => {
    assert.deepEqual(bucketsOf('20240301', '20240331', 'week').map(b => [b.label, b.start, b.first, b.last, b.days, b.partial]), [
      ['2024-W09', '20240226', '20240301', '20240303', 3, true],
      ['2024-W10', '20240304', '20240304', '20240310', 7, false],
      ['2024-W11', '20240311', '20240311', '20240317', 7, false],
      ['2024-W12', '20240318', '20240318', '20240324', 7, false],
      ['2024-W13', '20240325', '20240325', '20240331', 7, false]
    ])
    assert.deepEqual(bucketsOf('20240215', '20240410', 'month').map(b => [b.label, b.first, b.last, b.days, b.partial]), [
      ['2024-02', '20240215', '20240229', 15, true], ['2024-03', '20240301', '20240331', 31, false], ['2024-04', '20240401', '20240410', 10, true]
    ])
    // Days outside the period are ignored; a point without any day with data sums to 0.
    const days = ['20240229', '20240301', '20240303', '20240305', '20240401']
    const agg = aggregate('20240301', '20240331', days, [[9, 1, 2, 4, 9], [9, 0, 0, 7, 9]], 'week')
    assert.deepEqual([agg.withData, agg.sums], [[2, 1, 0, 0, 0], [[3, 4, 0, 0, 0], [0, 7, 0, 0, 0]]])
    assert.deepEqual(aggregate('20240301', '20240305', days, [[9, 1, 2, 4, 9]]), { aggregation: 'day', buckets: bucketsOf('20240301', '20240305', 'day'), withData: [1, 0, 1, 0, 1], sums: [[1, 0, 2, 0, 4]] })
  })
})

describe('plot range and the evolution over months', () => {
  let redis: TestRedis
  let dir: string
  let client: Redis
  let serve: RunningApp
  const NAMED = (): string => `potiron: redis unix:${redis.socket}`

  before(async () => {
    redis = await startRedis()
    await fill(redis.client, RANGE_COUNTS, ['protocol', 'dport'])
    dir = mkdtempSync(join(tmpdir(), 'potiron-range-'))
    client = dashboardClient({ socket: redis.socket })
    await client.connect()
    serve = await startApp(client)
  })
  after(async () => {
    await teardown(async () => await serve?.close(), () => client?.disconnect(), async () => await redis?.stop(), () => { rmSync(dir, { recursive: true, force: true }) })
  })

  const plot = async (out: string, ...args: string[]): ReturnType<typeof potiron> => await potiron('plot', 'range', '--sensor', S, '--field', 'dport', '--unix', redis.socket, '--out', join(dir, out), ...args)

  test('three whole years: weekly sums in the CSV (ends partial), the chart says so, a calendar per value and year', async () => {
    const run = await plot('years', '--values', '22', '23', '--from', '2022-01', '--to', '2024-12')
    const out = join(dir, 'years')
    const stem = `${S}_2022-01_to_2024-12_destination-port_22_23`
    assert.deepEqual([run.status, run.err, run.out], [0, [NAMED()], [`8 files written under ${out}; open ${join(out, `${stem}.html`)}`]])
    assert.deepEqual(readdirSync(out).sort(), [
      `${stem}.csv`, `${stem}.html`,
      ...[2022, 2023, 2024].flatMap(y => [`${S}_${y}_calendar_destination-port_22.html`, `${S}_${y}_calendar_destination-port_23.html`]),
      'assets'
    ].sort())
    const csv = readFileSync(join(out, `${stem}.csv`), 'utf8').split('\n')
    assert.equal(csv.length, 1 + 158 + 1)
    assert.deepEqual(csv.filter((line, i) => i < 3 || /,[1-9]\d*,(true|false),/.test(line) || i >= 158), [
      'period,first,last,days,days_with_data,partial,22 (ssh),23 (telnet)',
      '2021-W52,2022-01-01,2022-01-02,2,0,true,0,0',
      '2022-W01,2022-01-03,2022-01-09,7,1,false,5,0',
      '2022-W52,2022-12-26,2023-01-01,7,1,false,3,1',
      '2023-W52,2023-12-25,2023-12-31,7,1,false,0,0',
      '2024-W09,2024-02-26,2024-03-03,7,3,false,70,0',
      '2024-W10,2024-03-04,2024-03-10,7,1,false,30,15',
      '2025-W01,2024-12-30,2024-12-31,2,1,true,1,0',
      ''
    ])
    const html = readFileSync(join(out, `${stem}.html`), 'utf8')
    const figure = JSON.parse(/id="chart-figure">(.*?)<\/script>/.exec(html)![1]!)
    assert.equal(figure.layout.title.text, `Packets per ISO week (Monday to Sunday) with destination port 22, 23 on sensor ${S}, January 2022 to December 2024, summed`)
    const [ssh, telnet] = figure.data
    assert.deepEqual([ssh.name, telnet.name, ssh.x.length, ssh.x[0], ssh.x[157]], ['22, ssh', '23, telnet', 158, '2021-12-27', '2024-12-30'])
    assert.deepEqual([ssh.marker.symbol[0], ssh.marker.symbol[1], telnet.marker.symbol[157]], ['circle-open', 'circle', 'square-open'])
    assert.deepEqual([ssh.customdata[0], ssh.customdata[1], ssh.customdata[157]], [
      [null, '2021-W52, 2022-01-01 to 2022-01-02 (partial week: 2 days in the period), 0 of 2 days with data'],
      [null, '2022-W01, 2022-01-03 to 2022-01-09, 1 of 7 days with data'],
      [null, '2025-W01, 2024-12-30 to 2024-12-31 (partial week: 2 days in the period), 1 of 2 days with data']
    ])
    assert.equal(ssh.y.reduce((a: number, b: number) => a + b, 0), 109)
    // The calendar of port 23 in 2023: its two days with data (one without it: 0), the others no data.
    const calendar = readFileSync(join(out, `${S}_2023_calendar_destination-port_23.html`), 'utf8')
    const cal = JSON.parse(/id="chart-figure">(.*?)<\/script>/.exec(calendar)![1]!)
    const cells: Array<[number, number, number]> = []
    cal.data[1].z.forEach((row: Array<number | null>, wd: number) => { row.forEach((z, w) => { if (z !== null) cells.push([wd, w, z]) }) })
    assert.deepEqual(cells, [[6, 0, 1], [6, 52, 0]])
    assert.match(calendar, /<p class="note">1 packet over 2 days with data; days without data are grey \(no data, not 0\)\.<\/p>/)
  })

  test('one month: a point per day, days without data are gaps as in plot month; --calendar YYYY alone is that year', async () => {
    const run = await plot('march', '--values', '22', '--from', '2024-03', '--to', '2024-03')
    assert.equal(run.status, 0)
    const stem = `${S}_2024-03_to_2024-03_destination-port_22`
    const figure = JSON.parse(/id="chart-figure">(.*?)<\/script>/.exec(readFileSync(join(dir, 'march', `${stem}.html`), 'utf8'))![1]!)
    assert.deepEqual([figure.layout.title.text, figure.data[0].x, figure.data[0].y], [
      `Packets per day with destination port 22 on sensor ${S}, March 2024 to March 2024`,
      ['2024-03-01', '2024-03-02', '2024-03-03', '2024-03-04', '2024-03-05'], [40, 20, 10, null, 30]
    ])
    const csv = readFileSync(join(dir, 'march', `${stem}.csv`), 'utf8').split('\n')
    assert.deepEqual(csv.slice(0, 6), ['period,first,last,days,days_with_data,partial,22 (ssh)', '2024-03-01,2024-03-01,2024-03-01,1,1,false,40', '2024-03-02,2024-03-02,2024-03-02,1,1,false,20', '2024-03-03,2024-03-03,2024-03-03,1,1,false,10', '2024-03-04,2024-03-04,2024-03-04,1,0,false,0', '2024-03-05,2024-03-05,2024-03-05,1,1,false,30'])
    assert.equal(csv.length, 1 + 31 + 1)
    // --to defaults to the latest month with data (2024-12): 2023 and 2024 are held whole, a calendar each.
    const latest = await plot('latest', '--values', '22', '--from', '2022-06')
    assert.equal(latest.status, 0)
    assert.deepEqual(readdirSync(join(dir, 'latest')).filter(f => f.includes('calendar')), [`${S}_2023_calendar_destination-port_22.html`, `${S}_2024_calendar_destination-port_22.html`])
    const year = await plot('cal', '--values', '9999', '--calendar', '2024')
    assert.deepEqual([year.status, year.err], [0, [NAMED(), `potiron: warning: no packet with dport 9999 from 2024-01 to 2024-12 on sensor ${S}: its line is flat at 0`]])
    assert.deepEqual(readdirSync(join(dir, 'cal')).sort(), [`${S}_2024-01_to_2024-12_destination-port_9999.csv`, `${S}_2024-01_to_2024-12_destination-port_9999.html`, `${S}_2024_calendar_destination-port_9999.html`, 'assets'].sort())
  })

  test('refusals: months out of order or not months, a calendar outside the range, flags of the other chart; no data in the range', async () => {
    const refused = async (...args: string[]): Promise<[number, string[]]> => {
      const run = await plot('refused', '--values', '22', ...args)
      return [run.status, run.err.flatMap(t => t.split('\n'))]
    }
    const hint = "Run 'potiron plot range --help' for usage."
    assert.deepEqual(await refused('--from', '2024-05', '--to', '2024-03'), [2, ['potiron: --from 2024-05 is after --to 2024-03', hint]])
    assert.deepEqual(await refused('--from', '2024-13', '--to', '2024-03'), [2, ['potiron: --from: 2024-13 does not exist (there is no month 13)', hint]])
    assert.deepEqual(await refused('--from', '2024-03-01', '--to', '2024-03'), [2, ["potiron: --from: expected YYYY-MM, got '2024-03-01'", hint]])
    assert.deepEqual(await refused('--to', '2024-03'), [2, ['potiron: plot range needs --from YYYY-MM (--to defaults to the latest month with data), or --calendar YYYY alone', hint]])
    assert.deepEqual(await refused('--from', '1990-01', '--to', '2024-12'), [2, ['potiron: --from 1990-01 --to 2024-12 is 420 months, at most 400', hint]])
    assert.deepEqual(await refused('--calendar', '24'), [2, ["potiron: --calendar: expected a year YYYY, got '24'", hint]])
    assert.deepEqual(await refused('--from', '2024-01', '--to', '2024-06', '--calendar', '2022'), [2, ['potiron: --calendar 2022: not a year of --from 2024-01 --to 2024-06', hint]])
    assert.deepEqual(await refused('--from', '2024-01', '--to', '2024-06', '--date', '2024-03'), [2, ['potiron: --date is for plot month; plot range takes --from YYYY-MM --to YYYY-MM', hint]])
    const month = await potiron('plot', 'month', '--field', 'dport', '--values', '22', '--from', '2024-01', '--unix', redis.socket)
    assert.deepEqual([month.status, month.err.flatMap(t => t.split('\n'))], [2, ['potiron: --from is for plot range; plot month takes --date YYYY-MM', "Run 'potiron plot month --help' for usage."]])
    assert.deepEqual(await refused('--from', '2021-01', '--to', '2021-12'), [2, [NAMED(), `potiron: no data for sensor '${S}' from 2021-01-01 to 2021-12-31 (its days: 2022-01-03 to 2024-12-31)`]])
    assert.equal(existsSync(join(dir, 'refused')), false)
  })

  test('GET /api/evolution with from/to months: weekly sums with partial ends; the page says so and links the value\'s calendars', async () => {
    const url = `${serve.url}/api/evolution?sensor=${S}&field=dport&value=23&from=2022-01&to=2024-12`
    const { status, body } = await getJson(url)
    assert.equal(status, 200)
    assert.deepEqual([body.until, body.days, body.months, body.aggregation, body.periods.length], ['2024-12-31', 1096, { from: '2022-01', to: '2024-12' }, 'week', 158])
    assert.deepEqual(body.periods[0], { label: '2021-W52', start: '2021-12-27', first: '2022-01-01', last: '2022-01-02', days: 2, daysWithData: 0, partial: true })
    assert.deepEqual(body.series.map((s: { name: string, points: unknown[], sums: number[] }) => [s.name, s.points.length, s.sums.filter(n => n > 0)]), [['total', 8, [1, 15]]])
    const short = (await getJson(`${serve.url}/api/evolution?sensor=${S}&field=dport&value=22&from=2024-03&to=2024-03`)).body
    assert.deepEqual([short.aggregation, short.periods, short.series[0].points.length], ['day', undefined, 4])
    const bad = async (query: string): Promise<unknown> => (await getJson(`${serve.url}/api/evolution?sensor=${S}&field=dport&value=22&${query}`)).body
    assert.deepEqual(await bad('from=2024-05&to=2024-03'), { error: 'from: 2024-05 is after to 2024-03' })
    assert.deepEqual(await bad('from=2024-13&to=2024-03'), { error: "from: expected a month YYYY-MM, got '2024-13'" })
    assert.deepEqual(await bad('from=2024-01'), { error: 'to: missing (a range of months needs from and to, YYYY-MM)' })
    assert.deepEqual(await bad('from=2024-01&to=2024-02&days=3'), { error: 'from/to: give either the months from/to or until/days, not both' })
    assert.deepEqual(await bad('from=2000-01&to=2024-02'), { error: 'from/to: 2000-01 to 2024-02 is 8826 days, at most 3660' })
    const page = await (await fetch(`${serve.url}/evolution?sensor=${S}&field=dport&value=23&from=2022-01&to=2024-12`)).text()
    assert.match(page, /More than 400 days: a point per ISO week \(Monday to Sunday\), the sum of its days \(a day without data adds 0\); a week the period cuts is partial, an open marker\./)
    assert.match(page, /<p class="calendars">Calendar of this value: <a href="\/calendar\?sensor=lab-range-1&amp;field=dport&amp;value=23&amp;year=2022">2022<\/a> · <a href="\/calendar\?sensor=lab-range-1&amp;field=dport&amp;value=23&amp;year=2023">2023<\/a> · <a href="\/calendar\?sensor=lab-range-1&amp;field=dport&amp;value=23&amp;year=2024">2024<\/a><\/p>/)
    const figure = JSON.parse(/id="evolution-figure">(.*?)<\/script>/.exec(page)![1]!)
    assert.equal(figure.layout.title.text, 'destination port 23 (telnet) per ISO week (sums), 2022-01 to 2024-12')
  })

  test('GET /api/calendar with field and value: the value\'s packets on each day with data of the year (0 without it)', async () => {
    const { body } = await getJson(`${serve.url}/api/calendar?sensor=${S}&field=dport&value=23&year=2024`)
    assert.deepEqual(body, {
      sensor: S, year: 2024, years: [2022, 2023, 2024],
      value: { field: 'dport', title: 'destination port', value: '23', label: 'telnet' },
      days: [{ day: '2024-03-01', total: 0 }, { day: '2024-03-02', total: 0 }, { day: '2024-03-03', total: 0 }, { day: '2024-03-05', total: 15 }, { day: '2024-12-31', total: 0 }]
    })
    assert.deepEqual((await getJson(`${serve.url}/api/calendar?sensor=${S}&field=dport`)).body, { error: "value: missing (a value's calendar needs both field and value)" })
    assert.deepEqual((await getJson(`${serve.url}/api/calendar?sensor=${S}&field=port&value=1`)).body, { error: "field: unknown field 'port' (fields: protocol, dport)" })
    const page = await (await fetch(`${serve.url}/calendar?sensor=${S}&field=dport&value=23&year=2024`)).text()
    assert.match(page, /<title>Calendar of destination port 23 \(telnet\) on sensor lab-range-1, 2024<\/title>/)
    assert.match(page, /<a href="\/calendar\?sensor=lab-range-1&amp;year=2023&amp;field=dport&amp;value=23">← 2023<\/a>/)
  })
})
