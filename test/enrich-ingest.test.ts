/**
 * Enrichment through the commands: ingest's sasn/dasn/scc/dcc keys, their names and PARAMETERS,
 * another database refused or (--force) taken for new files only, remove, and inspect; against
 * MaxMind files written by the test, so every expected member is known in advance.
 */
import { test, after, before } from 'node:test'
import assert from 'node:assert/strict'
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { prepareEnrichment } from '../src/enrich/databases.js'
import { ASN_NAMES } from '../src/store/keys.js'
import { pcapOf, type TimedFrame } from './helpers/captures.js'
import { potiron } from './helpers/cli.js'
import { hex, LT_RAW } from './helpers/frames.js'
import { addressBytes, writeMmdb } from './helpers/mmdb-writer.js'
import { dump, startRedis } from './helpers/redis.js'

const DAY1 = Date.UTC(2024, 0, 5) / 1000
const DAY2 = Date.UTC(2024, 0, 6) / 1000
const BUILT = Date.UTC(2023, 10, 14) / 1000
let dir: string
let countries: string
let asns: string

/** An IPv4 TCP SYN, 40 bytes, `src` → `dst` (dotted), to port `dport`. */
function tcp4 (src: string, dst: string, dport: number): Buffer {
  const addr = (a: string): string => a.split('.').map(o => Number(o).toString(16).padStart(2, '0')).join('')
  return hex(`4500 0028 0001 0000 4006 0000 ${addr(src)} ${addr(dst)}`, `c350 ${dport.toString(16).padStart(4, '0')} 0000 0001 0000 0000 5002 0400 0000 0000`)
}

/** An IPv6 TCP SYN, 60 bytes. */
function tcp6 (src: string, dst: string, dport: number): Buffer {
  const addr = (a: string): string => Buffer.from(addressBytes(a)).toString('hex')
  return hex(`6000 0000 0014 0640 ${addr(src)} ${addr(dst)}`, `c350 ${dport.toString(16).padStart(4, '0')} 0000 0001 0000 0000 5002 0400 0000 0000`)
}

/** The day's packets: 3 from Cloudflare's AU /24, 2 + 1 (IPv6) from Google's US networks, one private, one no network holds; all to documentation addresses. */
function capture (sec: number): Buffer {
  const frames: Buffer[] = [
    tcp4('1.0.0.1', '203.0.113.5', 22), tcp4('1.0.0.7', '203.0.113.5', 22), tcp4('1.0.0.1', '203.0.113.5', 23),
    tcp4('8.8.8.8', '203.0.113.5', 80), tcp4('8.8.4.4', '203.0.113.5', 80),
    tcp4('10.1.1.1', '203.0.113.5', 22), tcp4('9.9.9.9', '203.0.113.5', 22),
    tcp6('2001:4860::8888', '2001:db8::2', 443)
  ]
  return pcapOf(LT_RAW, frames.map((frame, i): TimedFrame => ({ frame, sec: sec + i })))
}

before(() => {
  dir = mkdtempSync(join(tmpdir(), 'potiron-enrich-ingest-'))
  countries = join(dir, 'GeoLite2-Country.mmdb')
  asns = join(dir, 'GeoLite2-ASN.mmdb')
  writeFileSync(countries, writeMmdb({
    databaseType: 'GeoLite2-Country',
    buildEpoch: BUILT,
    networks: [
      { network: '1.0.0.0/24', data: { country: { iso_code: 'AU' } } },
      { network: '8.8.0.0/16', data: { country: { iso_code: 'US' } } },
      { network: '2001:4860::/32', data: { country: { iso_code: 'US' } } }
    ]
  }))
  writeFileSync(asns, writeMmdb({
    databaseType: 'GeoLite2-ASN',
    buildEpoch: BUILT,
    networks: [
      { network: '1.0.0.0/24', data: { autonomous_system_number: 13335, autonomous_system_organization: 'CLOUDFLARENET' } },
      { network: '8.8.0.0/16', data: { autonomous_system_number: 15169, autonomous_system_organization: 'GOOGLE' } },
      { network: '2001:4860::/32', data: { autonomous_system_number: 15169, autonomous_system_organization: 'GOOGLE' } }
    ]
  }))
  writeFileSync(join(dir, 'lab-enrich-1-20240105000000.pcap'), capture(DAY1))
  writeFileSync(join(dir, 'lab-enrich-1-20240106000000.pcap'), capture(DAY2))
})

after(() => { rmSync(dir, { recursive: true, force: true }) })

const FIELDS = 'dport,sasn,dasn,scc,dcc'
/** What each day's capture makes of the four fields. */
const ENRICHED = {
  sasn: { 13335: 3, 15169: 3, private: 1, unknown: 1 },
  dasn: { documentation: 8 },
  scc: { AU: 3, US: 3, private: 1, unknown: 1 },
  dcc: { documentation: 8 }
}

function zsets (d: Awaited<ReturnType<typeof dump>>, day: string): Record<string, unknown> {
  return Object.fromEntries(Object.entries(d).filter(([key]) => key.startsWith(`lab-enrich-1:${day}:`)).map(([key, v]) => [key.split(':')[2], v.value]))
}

test('ingest --fields with enrichment: AS and country keys, names in potiron:asn-names, the databases in PARAMETERS; no address keys', async () => {
  const redis = await startRedis()
  try {
    const r = await potiron('ingest', join(dir, 'lab-enrich-1-20240105000000.pcap'), '--unix', redis.socket, '--quiet', '--fields', FIELDS, '--geoip-db', countries, '--asn-db', asns)
    assert.equal(r.status, 0, r.err.join('\n'))
    const d = await dump(redis.client)
    assert.deepEqual(zsets(d, '20240105'), { dport: { 22: 4, 23: 1, 80: 2, 443: 1 }, ...ENRICHED })
    assert.deepEqual(d[ASN_NAMES]?.value, { 13335: 'CLOUDFLARENET', 15169: 'GOOGLE' })
    assert.deepEqual(d.PARAMETERS?.value, { format: 'standard', ck: 'False', tshark_filter: '', selection: 'default', tz: 'UTC', asn_db: 'GeoLite2-ASN 2023-11-14', country_db: 'GeoLite2-Country 2023-11-14' })
    assert.deepEqual(d.JSON_FIELDS?.value, ['dport', 'sasn', 'dasn', 'scc', 'dcc'])
    const status = await potiron('status', '--unix', redis.socket)
    assert.deepEqual(status.out.join('\n').split('\n').slice(2, 4), ['fields: dport,sasn,dasn,scc,dcc', 'databases: AS GeoLite2-ASN 2023-11-14, country GeoLite2-Country 2023-11-14'])
  } finally {
    await redis.stop()
  }
})

test('other databases are refused like any setting; --force counts new files with them (a warning, PARAMETERS lists both), not the counted ones; remove then refuses', async () => {
  const redis = await startRedis()
  const one = join(dir, 'lab-enrich-1-20240105000000.pcap')
  const two = join(dir, 'lab-enrich-1-20240106000000.pcap')
  try {
    assert.equal((await potiron('ingest', one, '--unix', redis.socket, '--quiet', '--fields', FIELDS, '--geoip-db', countries, '--asn-db', asns)).status, 0)
    const before = await dump(redis.client)
    const packaged = await prepareEnrichment({})
    const asnDb = `${packaged.asnInfo.name} ${packaged.asnInfo.built}`
    const countryDb = `${packaged.countryInfo.name} ${packaged.countryInfo.built}`
    const refused = await potiron('ingest', two, '--unix', redis.socket, '--quiet')
    assert.equal(refused.status, 1)
    assert.match(refused.err.join('\n'), new RegExp(`asn_db is 'GeoLite2-ASN 2023-11-14' in Redis but '${asnDb.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&')}' here \\(--asn-db; ingest --force counts new files with it\\)`))
    assert.deepEqual(await dump(redis.client), before)

    const forced = await potiron('ingest', one, two, '--unix', redis.socket, '--quiet', '--force')
    assert.equal(forced.status, 0, forced.err.join('\n'))
    assert.deepEqual(forced.err.filter(l => l.includes('warning')), [
      `potiron: warning: --force: asn_db is 'GeoLite2-ASN 2023-11-14' in Redis but '${asnDb}' here; only files not counted yet are counted with it, PARAMETERS lists both`,
      `potiron: warning: --force: country_db is 'GeoLite2-Country 2023-11-14' in Redis but '${countryDb}' here; only files not counted yet are counted with it, PARAMETERS lists both`
    ])
    assert.match(forced.out.join('\n'), /^files: 1 ingested, 1 skipped \(already in FILES\), 0 failed$/m)
    const d = await dump(redis.client)
    // The first day as it was; the second with the packaged databases' answers (Cloudflare's 1.0.0.0/24 and Google's 8.8.x.x are in them too).
    assert.deepEqual(zsets(d, '20240105'), zsets(before, '20240105'))
    assert.deepEqual(Object.keys(zsets(d, '20240106')), ['dasn', 'dcc', 'dport', 'sasn', 'scc'])
    assert.equal((d.PARAMETERS?.value as Record<string, string>).asn_db, `GeoLite2-ASN 2023-11-14 + ${asnDb}`)
    assert.equal((d.PARAMETERS?.value as Record<string, string>).country_db, `GeoLite2-Country 2023-11-14 + ${countryDb}`)

    // The last database is the one in use now: no warning, no refusal.
    const again = await potiron('ingest', two, '--unix', redis.socket, '--quiet')
    assert.deepEqual([again.status, again.err.filter(l => l.includes('warning'))], [0, []])

    const remove = await potiron('remove', one, '--unix', redis.socket)
    assert.equal(remove.status, 1)
    assert.match(remove.err.join('\n'), /these files were enriched with other databases: asn_db is 'GeoLite2-ASN 2023-11-14 \+ /)
  } finally {
    await redis.stop()
  }
})

test('remove with the databases that counted the file takes every enrichment count back out', async () => {
  const redis = await startRedis()
  const one = join(dir, 'lab-enrich-1-20240105000000.pcap')
  try {
    assert.equal((await potiron('ingest', one, '--unix', redis.socket, '--quiet', '--fields', FIELDS, '--geoip-db', countries, '--asn-db', asns)).status, 0)
    const wrong = await potiron('remove', one, '--unix', redis.socket)
    assert.equal(wrong.status, 1)
    const removed = await potiron('remove', one, '--unix', redis.socket, '--geoip-db', countries, '--asn-db', asns)
    assert.equal(removed.status, 0, removed.err.join('\n'))
    assert.deepEqual(Object.keys(zsets(await dump(redis.client), '20240105')), [])
  } finally {
    await redis.stop()
  }
})

test('inspect: the top source ASes with their names and the top source countries', async () => {
  const r = await potiron('inspect', '--json', join(dir, 'lab-enrich-1-20240105000000.pcap'), '--geoip-db', countries, '--asn-db', asns)
  assert.equal(r.status, 0)
  const report = JSON.parse(r.out[0]!) as { topSourceAsns: unknown, topSourceCountries: unknown }
  assert.deepEqual(report.topSourceAsns, [['13335', 3, 'CLOUDFLARENET'], ['15169', 3, 'GOOGLE'], ['private', 1, ''], ['unknown', 1, '']])
  assert.deepEqual(report.topSourceCountries, [['AU', 3, 'Australia'], ['US', 3, 'United States'], ['private', 1, ''], ['unknown', 1, '']])
  const text = await potiron('inspect', join(dir, 'lab-enrich-1-20240105000000.pcap'), '--geoip-db', countries, '--asn-db', asns)
  assert.match(text.out.join('\n'), /\n {2}top src AS {2}13335 CLOUDFLARENET \(3\), 15169 GOOGLE \(3\), private \(1\), unknown \(1\)\n {2}top src cc {2}AU Australia \(3\), US United States \(3\), private \(1\), unknown \(1\)\n/)
})

test('a --geoip-db that is no country database: a usage error naming the file; nothing is written', async () => {
  const redis = await startRedis()
  try {
    const r = await potiron('ingest', join(dir, 'lab-enrich-1-20240105000000.pcap'), '--unix', redis.socket, '--quiet', '--fields', FIELDS, '--geoip-db', asns)
    assert.equal(r.status, 2)
    assert.match(r.err.join('\n'), new RegExp(asns.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&')))
    assert.deepEqual(await redis.client.keys('*'), [])
  } finally {
    await redis.stop()
  }
})
