/**
 * The enrichment databases (src/enrich/): the packaged defaults answer what an independent reader
 * (`mmdblookup`, Debian's mmdb-bin) and the ASN CSV itself say; special ranges are named whatever
 * a database holds; a user's own .mmdb is used when given (and refused, saying why, when it is no
 * country or ASN database); the ASN index is built once and cached on disk.
 */
import assert from 'node:assert/strict'
import { execFileSync } from 'node:child_process'
import { mkdtempSync, readFileSync, rmSync, statSync, truncateSync, writeFileSync } from 'node:fs'
import { createRequire } from 'node:module'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { after, before, describe, test } from 'node:test'
import { Worker } from 'node:worker_threads'
import { loadEnricher, prepareEnrichment, type EnrichSpec } from '../src/enrich/databases.js'
import { special4, special6 } from '../src/enrich/special.js'
import { addressBytes, writeMmdb } from './helpers/mmdb-writer.js'

const require = createRequire(import.meta.url)
const COUNTRY_MMDB = require.resolve('@ip-location-db/geo-whois-asn-country-mmdb/geo-whois-asn-country.mmdb')
const ASN_CSV4 = require.resolve('@ip-location-db/asn/asn-ipv4-num.csv')
const ASN_CSV6 = require.resolve('@ip-location-db/asn/asn-ipv6-num.csv')

const dir = mkdtempSync(join(tmpdir(), 'potiron-enrich-'))
after(() => rmSync(dir, { recursive: true, force: true }))

/** Runs `fn` with environment variables set (undefined: removed), then puts them back. */
async function withEnv<T> (vars: Record<string, string | undefined>, fn: () => Promise<T>): Promise<T> {
  const saved = Object.fromEntries(Object.keys(vars).map(k => [k, process.env[k]]))
  const apply = (values: Record<string, string | undefined>): void => {
    for (const [k, v] of Object.entries(values)) {
      if (v === undefined) delete process.env[k]
      else process.env[k] = v
    }
  }
  apply(vars)
  try {
    return await fn()
  } finally {
    apply(saved)
  }
}

/** The packaged databases, the ASN index cached in a directory of this file's own. */
function prepareDefaults (): Promise<EnrichSpec> {
  return withEnv({ POTIRON_CACHE_DIR: join(dir, 'cache') }, () => prepareEnrichment({}))
}

function v4 (text: string): number {
  return text.split('.').reduce((n, octet) => n * 256 + Number(octet), 0)
}

/** The count-table code of a country: `FR` → (70 << 8) | 82. */
function cc (code: string): number {
  return (code.charCodeAt(0) << 8) | code.charCodeAt(1)
}

const WORD = { unknown: -1, private: -2, loopback: -3, 'link-local': -4, documentation: -5, multicast: -6, reserved: -7 } as const

/** What `mmdblookup` finds at `path` of the record of `ip`: the string or number, or undefined for no entry. */
function mmdblookup (file: string, ip: string, ...path: string[]): string | number | undefined {
  let out: string
  try {
    out = execFileSync('mmdblookup', ['--file', file, '--ip', ip, ...path], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] })
  } catch (error) {
    const { stdout, stderr } = error as { stdout?: string, stderr?: string }
    if (/Could not find an entry/.test(`${stdout}${stderr}`)) return undefined
    throw error
  }
  if (/Could not find an entry/.test(out)) return undefined
  const text = /^\s*"(.*)" <utf8_string>/m.exec(out)
  if (text !== null) return text[1]
  const number = /^\s*(\d+) <uint(16|32|64)>/m.exec(out)
  if (number !== null) return Number(number[1])
  throw new Error(`mmdblookup said: ${out}`)
}

interface CsvLine { start: bigint, end: bigint, asn: number, name: string }
const parsed = new Map<string, CsvLine[]>()
/** The lines of an ASN CSV, parsed here (the CSV is sorted by start). */
function csvLines (csv: string): CsvLine[] {
  let lines = parsed.get(csv)
  if (lines === undefined) {
    lines = readFileSync(csv, 'utf8').split('\n').filter(line => line !== '').map(line => {
      const [start, end, asn] = line.split(',', 3) as [string, string, string]
      const name = line.slice(start.length + end.length + asn.length + 3)
      return { start: BigInt(start), end: BigInt(end), asn: Number(asn), name: name.startsWith('"') ? name.slice(1, -1).replaceAll('""', '"') : name }
    })
    parsed.set(csv, lines)
  }
  return lines
}

/** The number of an address: dotted IPv4 or IPv6 text. */
function addressValue (ip: string): bigint {
  const bytes = ip.includes(':') ? addressBytes(ip) : addressBytes(ip).subarray(12)
  return bytes.reduce((n, b) => (n << 8n) | BigInt(b), 0n)
}

/**
 * The AS number and name of the CSV line covering address `value`, read from the CSV itself;
 * undefined in a gap. Of two lines that overlap, the later-starting one.
 */
function csvAsn (value: bigint, ipv6: boolean): { asn: number, name: string } | undefined {
  const lines = csvLines(ipv6 ? ASN_CSV6 : ASN_CSV4)
  let lo = 0
  let hi = lines.length
  while (lo < hi) {
    const mid = (lo + hi) >> 1
    if (lines[mid]!.start <= value) lo = mid + 1
    else hi = mid
  }
  for (let i = lo - 1; i >= 0 && i >= lo - 4; i--) {
    const line = lines[i]!
    if (line.end >= value) return { asn: line.asn, name: line.name }
  }
  return undefined
}

function bytesOf (value: bigint): Uint8Array {
  const bytes = new Uint8Array(16)
  for (let i = 15; i >= 0; i--) { bytes[i] = Number(value & 255n); value >>= 8n }
  return bytes
}

describe('the packaged databases', () => {
  let spec: EnrichSpec
  before(async () => { spec = await prepareDefaults() })

  test('names and build dates: the ASN package version, the country file build_epoch', () => {
    assert.equal(spec.asn.kind, 'ranges')
    assert.deepEqual(spec.asnInfo, { name: 'ip-location-db/asn', built: '2026-06-17' })
    assert.deepEqual(spec.countryInfo, { name: 'ip-location-db/geo-whois-asn-country', built: '2026-06-17' })
    assert.deepEqual(spec.country, { kind: 'mmdb', path: COUNTRY_MMDB })
  })

  const KNOWN = ['1.1.1.1', '8.8.8.8', '193.51.224.1', '202.12.27.33', '2001:4860:4860::8888', '2a00:1450:4001::1', '2606:4700:4700::1111', '2001:7fd::1']
  for (const ip of KNOWN) {
    test(`${ip}: the AS of its CSV line and the country mmdblookup reads`, () => {
      const enricher = loadEnricher(spec)
      const country = mmdblookup(COUNTRY_MMDB, ip, 'country_code')
      const as = csvAsn(addressValue(ip), ip.includes(':'))
      assert.equal(typeof country, 'string')
      assert.notEqual(as, undefined)
      const asn = ip.includes(':') ? enricher.asn6(addressBytes(ip), 0) : enricher.asn4(v4(ip))
      const code = ip.includes(':') ? enricher.country6(addressBytes(ip), 0) : enricher.country4(v4(ip))
      assert.deepEqual({ asn, name: enricher.asnName(asn), code }, { asn: as!.asn, name: as!.name, code: cc(country as string) })
    })
  }

  test('the AS numbers of well-known networks, and a name with quotes in the CSV', () => {
    const enricher = loadEnricher(spec)
    assert.deepEqual([enricher.asn4(v4('1.1.1.1')), enricher.asn4(v4('8.8.8.8')), enricher.asn4(v4('193.51.224.1'))], [13335, 15169, 2200])
    assert.equal(enricher.asnName(13335), 'Cloudflare, Inc.')
    assert.equal(enricher.asnName(201907), 'LLC "SPUTNIK"')
    assert.equal(enricher.asnName(4294967295), undefined)
  })

  test('the first and last address of every 97th CSV range, and the one after it, IPv4 and IPv6, are the CSV\'s answer', () => {
    const enricher = loadEnricher(spec)
    for (const ipv6 of [false, true]) {
      const addresses = csvLines(ipv6 ? ASN_CSV6 : ASN_CSV4).filter((_, i) => i % 97 === 0).flatMap(l => [l.start, l.end, l.end + 1n])
      const got: Array<number | undefined> = []
      const expected: Array<number | undefined> = []
      for (const value of addresses) {
        if (ipv6 ? special6(bytesOf(value), 0) !== 0 : value > 0xffffffffn || special4(Number(value)) !== 0) continue
        got.push(ipv6 ? enricher.asn6(bytesOf(value), 0) : enricher.asn4(Number(value)))
        expected.push(csvAsn(value, ipv6)?.asn ?? WORD.unknown)
      }
      assert.ok(got.length > (ipv6 ? 3000 : 12000), `${got.length} addresses`)
      assert.deepEqual(got, expected)
    }
  })

  test('the pair of overlapping IPv4 ranges: the later-starting one wins from its start', () => {
    const enricher = loadEnricher(spec)
    assert.deepEqual([3607101439, 3607101440, 3607166975, 3607167999].map(a => enricher.asn4(a)), [749, 721, 721, 721])
  })

  test('addresses no network covers are unknown: the first gap between two CSV lines, and where mmdblookup finds nothing', () => {
    const enricher = loadEnricher(spec)
    const lines = readFileSync(ASN_CSV4, 'utf8').split('\n', 1000).map(l => l.split(',', 2).map(Number) as [number, number])
    const gap = lines.findIndex(([, end], i) => end + 1 < lines[i + 1]![0])
    const free = lines[gap]![1] + 1
    assert.equal(csvAsn(BigInt(free), false), undefined)
    assert.equal(enricher.asn4(free), WORD.unknown)
    for (const ip of ['198.18.0.1', '192.88.99.1']) {
      assert.equal(mmdblookup(COUNTRY_MMDB, ip, 'country_code'), undefined)
      assert.equal(enricher.country4(v4(ip)), WORD.unknown)
    }
    for (const ip of ['4000::1', '2c0f:ffff::1']) {
      assert.equal(mmdblookup(COUNTRY_MMDB, ip, 'country_code'), undefined)
      assert.equal(enricher.country6(addressBytes(ip), 0), WORD.unknown)
    }
  })

  test('special ranges are named, in all four lookups, IPv4 and IPv6', () => {
    const enricher = loadEnricher(spec)
    const V4: Array<[string, keyof typeof WORD]> = [
      ['10.0.0.1', 'private'], ['172.16.0.1', 'private'], ['172.31.255.255', 'private'], ['192.168.1.1', 'private'],
      ['100.64.0.1', 'private'], ['100.127.255.255', 'private'], ['127.0.0.1', 'loopback'], ['127.255.255.254', 'loopback'],
      ['169.254.1.1', 'link-local'], ['192.0.2.1', 'documentation'], ['198.51.100.7', 'documentation'], ['203.0.113.255', 'documentation'],
      ['224.0.0.1', 'multicast'], ['239.255.255.250', 'multicast'], ['0.0.0.0', 'reserved'], ['0.1.2.3', 'reserved'],
      ['240.0.0.1', 'reserved'], ['255.255.255.255', 'reserved']
    ]
    const V6: Array<[string, keyof typeof WORD]> = [
      ['fc00::1', 'private'], ['fd12:3456::1', 'private'], ['::1', 'loopback'], ['fe80::1', 'link-local'], ['febf::1', 'link-local'],
      ['2001:db8::1', 'documentation'], ['3fff::1', 'documentation'], ['3fff:fff::1', 'documentation'],
      ['ff02::1', 'multicast'], ['::', 'reserved'],
      ['::ffff:10.1.2.3', 'private'], ['::ffff:127.0.0.1', 'loopback'], ['::ffff:224.0.0.251', 'multicast']
    ]
    const got = [
      ...V4.map(([ip]) => [ip, enricher.asn4(v4(ip)), enricher.country4(v4(ip))]),
      ...V6.map(([ip]) => [ip, enricher.asn6(addressBytes(ip), 0), enricher.country6(addressBytes(ip), 0)])
    ]
    assert.deepEqual(got, [...V4, ...V6].map(([ip, word]) => [ip, WORD[word], WORD[word]]))
  })

  test('just outside the special ranges is looked up: the CSV line and mmdblookup answer', () => {
    const enricher = loadEnricher(spec)
    const outside = ['100.128.0.1', '100.63.255.255', '172.32.0.1', '169.253.255.255', '192.0.3.1', '198.51.101.1', '203.0.114.1', '223.255.255.1', '3fff:1000::1', 'fec0::1', '2001:db9::1']
    const expected = outside.map(ip => {
      const country = mmdblookup(COUNTRY_MMDB, ip, 'country_code')
      return [ip, csvAsn(addressValue(ip), ip.includes(':'))?.asn ?? WORD.unknown, country === undefined ? WORD.unknown : cc(country as string)]
    })
    const got = outside.map(ip => ip.includes(':')
      ? [ip, enricher.asn6(addressBytes(ip), 0), enricher.country6(addressBytes(ip), 0)]
      : [ip, enricher.asn4(v4(ip)), enricher.country4(v4(ip))])
    assert.deepEqual(got, expected)
  })

  test('IPv4-mapped IPv6 is looked up as its IPv4 address, at any offset', () => {
    const enricher = loadEnricher(spec)
    const bytes = new Uint8Array(20)
    bytes.set(addressBytes('::ffff:1.1.1.1'), 4)
    bytes.set([0xff, 0xff], 14)
    assert.deepEqual([enricher.asn6(bytes, 4), enricher.country6(bytes, 4)], [13335, cc('AU')])
  })

  test('an IPv4-only tree (ip_version 4): IPv4 answers as mmdblookup reads them, IPv6 unknown', async () => {
    const ipv4Only = require.resolve('@ip-location-db/geo-whois-asn-country-mmdb/geo-whois-asn-country-ipv4.mmdb')
    const e = loadEnricher(await withEnv({ POTIRON_CACHE_DIR: join(dir, 'cache') }, () => prepareEnrichment({ geoipDb: ipv4Only })))
    const ips = ['1.1.1.1', '193.51.224.1', '202.12.27.33', '198.18.0.1']
    assert.deepEqual(ips.map(ip => e.country4(v4(ip))), ips.map(ip => {
      const code = mmdblookup(ipv4Only, ip, 'country_code')
      return code === undefined ? WORD.unknown : cc(code as string)
    }))
    assert.equal(e.country6(addressBytes('2606:4700:4700::1111'), 0), WORD.unknown)
    assert.equal(e.country6(addressBytes('::ffff:1.1.1.1'), 0), cc('AU'))
  })

  test('a worker thread loads the spec it is sent, as the ingest workers do', async () => {
    const url = new URL('../src/enrich/databases.js', import.meta.url).href
    const worker = new Worker(`
      const { parentPort, workerData } = require('node:worker_threads')
      import(${JSON.stringify(url)}).then(({ loadEnricher }) => {
        const e = loadEnricher(workerData)
        parentPort.postMessage([e.asn4(0x01010101), e.country4(0x08080808), e.asnName(15169)])
      })`, { eval: true, workerData: spec })
    const [answer] = await Promise.all([new Promise(resolve => worker.once('message', resolve)), new Promise(resolve => worker.once('exit', resolve))])
    assert.deepEqual(answer, [13335, cc('US'), 'Google LLC'])
  })

  test('memoized per thread: the same spec loads once', () => {
    assert.equal(loadEnricher(spec), loadEnricher({ ...spec }))
    assert.ok(loadEnricher(spec).bytes > statSync(COUNTRY_MMDB).size)
  })
})

describe("a user's own MaxMind databases", () => {
  /** 2023-11-14T22:13:20Z */
  const EPOCH = 1700000000
  const COUNTRY = {
    databaseType: 'GeoLite2-Country',
    buildEpoch: EPOCH,
    networks: [
      { network: '1.2.3.0/24', data: { country: { iso_code: 'FR', names: { en: 'France' } }, registered_country: { iso_code: 'FR' } } },
      { network: '5.0.0.0/8', data: { registered_country: { iso_code: 'DE', geoname_id: 2921044 } } },
      { network: '9.9.9.9/32', data: { country_code: 'nl' } },
      { network: '10.0.0.0/8', data: { country: { iso_code: 'US' } } },
      { network: '2a01:e00::/26', data: { country: { iso_code: 'FR' } } }
    ]
  }
  const ASN = {
    databaseType: 'GeoLite2-ASN',
    buildEpoch: EPOCH + 86400,
    networks: [
      { network: '1.2.3.0/24', data: { autonomous_system_number: 64500, autonomous_system_organization: 'Example AS' } },
      { network: '5.6.0.0/16', data: { autonomous_system_number: 4200000000, autonomous_system_organization: 'Große Netze' } },
      { network: '2a01:e00::/26', data: { autonomous_system_number: 12322, autonomous_system_organization: 'Free SAS' } }
    ]
  }

  for (const recordSize of [24, 28, 32] as const) {
    test(`the test writer's files (${recordSize}-bit records) read the same with mmdblookup`, () => {
      const country = join(dir, `country-${recordSize}.mmdb`)
      const asn = join(dir, `asn-${recordSize}.mmdb`)
      writeFileSync(country, writeMmdb({ ...COUNTRY, recordSize }))
      writeFileSync(asn, writeMmdb({ ...ASN, recordSize }))
      assert.deepEqual([
        mmdblookup(country, '1.2.3.4', 'country', 'iso_code'), mmdblookup(country, '5.255.0.1', 'registered_country', 'iso_code'),
        mmdblookup(country, '5.255.0.1', 'registered_country', 'geoname_id'), mmdblookup(country, '9.9.9.9', 'country_code'),
        mmdblookup(country, '9.9.9.8', 'country_code'), mmdblookup(country, '2a01:e3f::1', 'country', 'iso_code'),
        mmdblookup(asn, '5.6.7.8', 'autonomous_system_number'), mmdblookup(asn, '5.6.7.8', 'autonomous_system_organization'),
        mmdblookup(asn, '2a01:e00::1', 'autonomous_system_number')
      ], ['FR', 'DE', 2921044, 'nl', undefined, 'FR', 4200000000, 'Große Netze', 12322])
      const metadata = execFileSync('mmdblookup', ['--file', country, '--ip', '1.2.3.4', '--verbose'], { encoding: 'utf8' })
      assert.match(metadata, /Record size: +\d+ bits/)
      assert.match(metadata, new RegExp(`Record size: +${recordSize} bits[\\s\\S]*Build epoch: +${EPOCH} \\(2023-11-14 22:13:20 UTC\\)[\\s\\S]*Type: +GeoLite2-Country`))
    })

    test(`prepareEnrichment uses them when given (${recordSize}-bit records): answers, names, build dates`, async () => {
      const spec = await prepareEnrichment({ geoipDb: join(dir, `country-${recordSize}.mmdb`), asnDb: join(dir, `asn-${recordSize}.mmdb`) })
      assert.deepEqual(spec, {
        asn: { kind: 'mmdb', path: join(dir, `asn-${recordSize}.mmdb`) },
        country: { kind: 'mmdb', path: join(dir, `country-${recordSize}.mmdb`) },
        asnInfo: { name: 'GeoLite2-ASN', built: '2023-11-15' },
        countryInfo: { name: 'GeoLite2-Country', built: '2023-11-14' }
      })
      const e = loadEnricher(spec)
      const six = (ip: string): [number, number] => [e.asn6(addressBytes(ip), 0), e.country6(addressBytes(ip), 0)]
      const four = (ip: string): [number, number] => [e.asn4(v4(ip)), e.country4(v4(ip))]
      assert.deepEqual(
        [four('1.2.3.4'), four('5.6.7.8'), four('5.7.0.1'), four('9.9.9.9'), four('9.9.9.8'), four('10.9.9.9'), six('2a01:e3f::1'), six('2a01:e40::1'), six('::ffff:1.2.3.200')],
        [[64500, cc('FR')], [4200000000, cc('DE')], [-1, cc('DE')], [-1, cc('NL')], [-1, -1], [-2, -2], [12322, cc('FR')], [-1, -1], [64500, cc('FR')]])
      assert.deepEqual([e.asnName(64500), e.asnName(4200000000), e.asnName(12322), e.asnName(1)], ['Example AS', 'Große Netze', 'Free SAS', undefined])
    })
  }

  test('AS names from a user\'s ASN mmdb before any lookup (a thread that only labels)', async () => {
    const asn = join(dir, 'asn-names.mmdb')
    writeFileSync(asn, writeMmdb(ASN))
    const e = loadEnricher(await prepareEnrichment({ asnDb: asn }))
    assert.deepEqual([e.asnName(12322), e.asnName(64500), e.asnName(4200000000), e.asnName(1)], ['Free SAS', 'Example AS', 'Große Netze', undefined])
    assert.equal(e.asn4(v4('1.2.3.4')), 64500)
  })

  test('a missing file, a file that is no mmdb, or the wrong kind of database: an Error naming the option, the file and why', async () => {
    const text = join(dir, 'notes.txt')
    writeFileSync(text, 'not a database\n')
    const country = join(dir, 'country-24.mmdb')
    const asn = join(dir, 'asn-24.mmdb')
    await assert.rejects(prepareEnrichment({ geoipDb: join(dir, 'nowhere.mmdb') }), { message: `--geoip-db ${join(dir, 'nowhere.mmdb')}: no such file` })
    await assert.rejects(prepareEnrichment({ geoipDb: dir }), { message: `--geoip-db ${dir}: a directory` })
    await assert.rejects(prepareEnrichment({ asnDb: text }), { message: new RegExp(`^--asn-db ${text}: not a MaxMind DB file \\(`) })
    await assert.rejects(prepareEnrichment({ geoipDb: asn }),
      { message: `--geoip-db ${asn}: not a country database: no country.iso_code, registered_country.iso_code or country_code (a GeoLite2-ASN database, whose records have none)` })
    await assert.rejects(prepareEnrichment({ geoipDb: country, asnDb: country }),
      { message: `--asn-db ${country}: not an ASN database: no autonomous_system_number (a GeoLite2-Country database, whose records have none)` })
    const cut = join(dir, 'cut.mmdb')
    writeFileSync(cut, readFileSync(country).subarray(0, 40))
    await assert.rejects(prepareEnrichment({ geoipDb: cut }), { message: new RegExp(`^--geoip-db ${cut}: not a MaxMind DB file \\(`) })
  })
})

describe('the ASN index cache', () => {
  const cache = join(dir, 'cache-tests')
  const prepare = (vars: Record<string, string | undefined> = {}): Promise<EnrichSpec> =>
    withEnv({ POTIRON_CACHE_DIR: cache, ...vars }, () => prepareEnrichment({}))

  test('built once: a second prepare reads the file (its mtime unchanged); the name carries version and format', async () => {
    const first = await prepare()
    assert.equal(first.asn.path, join(cache, 'asn-ranges-2.3.2026061719-f1.bin'))
    const { mtimeMs, size } = statSync(first.asn.path)
    const second = await prepare()
    assert.deepEqual(second, first)
    assert.deepEqual([statSync(first.asn.path).mtimeMs, statSync(first.asn.path).size], [mtimeMs, size])
  })

  test('without POTIRON_CACHE_DIR: $XDG_CACHE_HOME/potiron, else ~/.cache/potiron', async () => {
    const xdg = join(dir, 'xdg')
    const home = join(dir, 'home')
    const byXdg = await withEnv({ POTIRON_CACHE_DIR: undefined, XDG_CACHE_HOME: xdg }, () => prepareEnrichment({}))
    const byHome = await withEnv({ POTIRON_CACHE_DIR: undefined, XDG_CACHE_HOME: undefined, HOME: home }, () => prepareEnrichment({}))
    assert.deepEqual([byXdg.asn.path, byHome.asn.path],
      [join(xdg, 'potiron', 'asn-ranges-2.3.2026061719-f1.bin'), join(home, '.cache', 'potiron', 'asn-ranges-2.3.2026061719-f1.bin')])
  })

  test('a truncated or corrupt cache file is rebuilt', async () => {
    const { asn: { path } } = await prepare()
    const whole = readFileSync(path)
    truncateSync(path, whole.length >> 1)
    await prepare()
    assert.ok(readFileSync(path).equals(whole))
    const corrupt = Buffer.from(whole)
    corrupt[corrupt.length >> 1] = 0xff - corrupt[corrupt.length >> 1]!
    writeFileSync(path, corrupt)
    const spec = await prepare()
    assert.ok(readFileSync(path).equals(whole))
    assert.equal(loadEnricher(spec).asn4(v4('8.8.8.8')), 15169)
  })

  test('a cache directory that cannot be written: the index goes to os.tmpdir()', async () => {
    const blocker = join(dir, 'a-file')
    writeFileSync(blocker, '')
    const tmp = mkdtempSync(join(dir, 'tmp-'))
    const spec = await prepare({ POTIRON_CACHE_DIR: join(blocker, 'cache'), TMPDIR: tmp })
    assert.equal(spec.asn.path, join(tmp, 'asn-ranges-2.3.2026061719-f1.bin'))
    assert.equal(loadEnricher(spec).asn4(v4('1.1.1.1')), 13335)
  })
})
