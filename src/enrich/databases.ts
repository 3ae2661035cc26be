/**
 * The AS and country databases behind the enrichment fields (sasn dasn scc dcc): which files,
 * prepared once by the coordinator (prepareEnrichment), then loaded by each thread that looks
 * addresses up (loadEnricher). Worker threads load this module: it imports node built-ins,
 * `maxmind` and src/aggregate/fields.ts only.
 *
 * The defaults are npm packages of ip-location-db: country from geo-whois-asn-country (CC0), AS
 * numbers and names from asn (RouteViews and DB-IP, CC BY 4.0). A user's own MaxMind files
 * replace them (`--geoip-db`, `--asn-db`).
 */
import { createRequire } from 'node:module'
import { readFileSync } from 'node:fs'
import { rangesIndexFile } from './cache.js'
import { checkAsns, checkCountries, MmdbAsns, MmdbCountries, MmdbFile } from './mmdb.js'
import { RangesIndex } from './ranges.js'
import { MAPPED, mappedIpv4, special4, special6 } from './special.js'

export interface DatabaseInfo { name: string, built: string /* YYYY-MM-DD */ }

/** What a worker needs to load the databases: plain data, structured-clonable, prepared once by the coordinator. */
export interface EnrichSpec {
  asn: { kind: 'ranges', path: string } | { kind: 'mmdb', path: string }
  country: { kind: 'mmdb', path: string }
  asnInfo: DatabaseInfo
  countryInfo: DatabaseInfo
}

export interface Enricher {
  /** IPv4 as uint32 → AS number or negative word code. */
  asn4 (addr: number): number
  asn6 (bytes: Uint8Array, off: number): number
  /** → (c1 << 8) | c2 or negative word code. */
  country4 (addr: number): number
  country6 (bytes: Uint8Array, off: number): number
  asnName (asn: number): string | undefined
  /** Bytes the loaded databases take (reported by bench:enrich). */
  readonly bytes: number
}

const require = createRequire(import.meta.url)
const ASN_PACKAGE = '@ip-location-db/asn'
const COUNTRY_FILE = '@ip-location-db/geo-whois-asn-country-mmdb/geo-whois-asn-country.mmdb'

/** The ASN package's build date: its version is `2.3.YYYYMMDDHH`. */
function packageDate (version: string): string {
  const m = /^\d+\.\d+\.(\d{4})(\d{2})(\d{2})\d{2}$/.exec(version)
  if (m === null) throw new Error(`${ASN_PACKAGE} ${version}: a version that carries no build date (2.3.YYYYMMDDHH)`)
  return `${m[1]}-${m[2]}-${m[3]}`
}

/** A .mmdb file, opened and checked: the Error says what named it (`--geoip-db`...), which file, and why it cannot be used. */
function mmdbFile (path: string, namedBy: string, check: (file: MmdbFile) => void): MmdbFile {
  try {
    const file = new MmdbFile(path)
    check(file)
    return file
  } catch (error) {
    const reason = (error as NodeJS.ErrnoException).code === 'ENOENT'
      ? `${path}: no such file`
      : (error as NodeJS.ErrnoException).code === 'EISDIR' ? `${path}: a directory` : (error as Error).message
    throw new Error(`${namedBy} ${reason}`, { cause: error })
  }
}

/** Opens the user's databases or the packaged defaults; builds the ASN CSV's compact index once, cached on disk. */
export async function prepareEnrichment (options: { geoipDb?: string | undefined, asnDb?: string | undefined }): Promise<EnrichSpec> {
  const country = options.geoipDb === undefined
    ? mmdbFile(require.resolve(COUNTRY_FILE), 'the packaged country database', checkCountries)
    : mmdbFile(options.geoipDb, '--geoip-db', checkCountries)
  const countryInfo = { name: options.geoipDb === undefined ? 'ip-location-db/geo-whois-asn-country' : country.type, built: country.built }
  if (options.asnDb !== undefined) {
    const asn = mmdbFile(options.asnDb, '--asn-db', checkAsns)
    return { asn: { kind: 'mmdb', path: asn.path }, country: { kind: 'mmdb', path: country.path }, asnInfo: { name: asn.type, built: asn.built }, countryInfo }
  }
  const { version } = JSON.parse(readFileSync(require.resolve(`${ASN_PACKAGE}/package.json`), 'utf8')) as { version: string }
  const path = await rangesIndexFile(require.resolve(`${ASN_PACKAGE}/asn-ipv4-num.csv`), require.resolve(`${ASN_PACKAGE}/asn-ipv6-num.csv`), version)
  return { asn: { kind: 'ranges', path }, country: { kind: 'mmdb', path: country.path }, asnInfo: { name: 'ip-location-db/asn', built: packageDate(version) }, countryInfo }
}

interface AsnSource {
  asn4 (addr: number): number
  asn6 (bytes: Uint8Array, off: number): number
  name (asn: number): string | undefined
}

/** Special ranges first (named as such whatever a database says of them), IPv4-mapped IPv6 as IPv4, then the databases. */
class Databases implements Enricher {
  readonly bytes: number
  readonly #asns: AsnSource
  readonly #countries: MmdbCountries

  constructor (asns: AsnSource, countries: MmdbCountries, bytes: number) {
    this.#asns = asns
    this.#countries = countries
    this.bytes = bytes
  }

  asn4 (addr: number): number {
    const special = special4(addr)
    return special !== 0 ? special : this.#asns.asn4(addr)
  }

  asn6 (bytes: Uint8Array, off: number): number {
    const special = special6(bytes, off)
    if (special === MAPPED) return this.asn4(mappedIpv4(bytes, off))
    return special !== 0 ? special : this.#asns.asn6(bytes, off)
  }

  country4 (addr: number): number {
    const special = special4(addr)
    return special !== 0 ? special : this.#countries.country4(addr)
  }

  country6 (bytes: Uint8Array, off: number): number {
    const special = special6(bytes, off)
    if (special === MAPPED) return this.country4(mappedIpv4(bytes, off))
    return special !== 0 ? special : this.#countries.country6(bytes, off)
  }

  asnName (asn: number): string | undefined {
    return this.#asns.name(asn)
  }
}

/** This thread's loaded databases, by spec: each thread reads the files once. */
const loaded = new Map<string, Enricher>()

/** Loads (memoized per thread by spec) what prepareEnrichment prepared. */
export function loadEnricher (spec: EnrichSpec): Enricher {
  const key = `${spec.asn.kind}\n${spec.asn.path}\n${spec.country.path}`
  let enricher = loaded.get(key)
  if (enricher === undefined) {
    const country = new MmdbFile(spec.country.path)
    if (spec.asn.kind === 'ranges') {
      const index = new RangesIndex(spec.asn.path)
      enricher = new Databases(index, new MmdbCountries(country), index.bytes + country.bytes)
    } else {
      const file = spec.asn.path === spec.country.path ? country : new MmdbFile(spec.asn.path)
      enricher = new Databases(new MmdbAsns(file), new MmdbCountries(country), country.bytes + (file === country ? 0 : file.bytes))
    }
    loaded.set(key, enricher)
  }
  return enricher
}
