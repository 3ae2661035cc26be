/**
 * MaxMind DB files (the packaged country database, users' GeoLite2/GeoIP2 Country, City and ASN),
 * read from numeric addresses. The `maxmind` package parses the metadata and decodes data records;
 * the search tree is walked here, from a uint32 or 16 bytes, because its own lookup takes an
 * address string (one per address, parsed again). A record is decoded once per data pointer and
 * its answer kept: a day's million addresses share a few thousand networks' records.
 * Format: https://maxmind.github.io/MaxMind-DB/
 */
import { Reader } from 'maxmind'
import { UNKNOWN } from './special.js'
import { readWhole } from './read-whole.js'

/** What the Reader does but does not declare public: decode the record a search-tree pointer leads to. */
interface RecordResolver { resolveDataPointer (pointer: number): unknown }

/** The search tree of one .mmdb file, and the records its leaves point to. */
export class MmdbFile {
  readonly path: string
  /** `databaseType` of the metadata, e.g. `GeoLite2-ASN`. */
  readonly type: string
  /** Build date, YYYY-MM-DD (UTC), from the metadata's build_epoch. */
  readonly built: string
  readonly bytes: number
  readonly #db: Uint8Array
  readonly #reader: RecordResolver
  readonly #nodeCount: number
  readonly #recordSize: number
  readonly #ipv6: boolean
  /** Where the walk of an IPv4 address stands after its first 16 bits, by those bits: 16 steps fewer per lookup. */
  readonly #ipv4Top16 = new Uint32Array(65536)
  /** The same for IPv6 addresses, from the root. */
  readonly #ipv6Top16 = new Uint32Array(65536)

  /** Opens `path`; throws an Error saying why when it is no MaxMind DB. */
  constructor (path: string) {
    this.path = path
    const db = readWhole(path)
    const buffer = Buffer.from(db.buffer, db.byteOffset, db.length)
    let reader: Reader<never>
    try {
      reader = new Reader(buffer)
    } catch (error) {
      throw new Error(`${path}: not a MaxMind DB file (${(error as Error).message})`)
    }
    const { nodeCount, recordSize, ipVersion, databaseType, buildEpoch, searchTreeSize } = reader.metadata
    if (recordSize !== 24 && recordSize !== 28 && recordSize !== 32) throw new Error(`${path}: not a MaxMind DB file (record size ${recordSize})`)
    if (searchTreeSize > db.length) throw new Error(`${path}: not a MaxMind DB file (a search tree of ${searchTreeSize} bytes in ${db.length})`)
    if (Number.isNaN(buildEpoch.getTime())) throw new Error(`${path}: a MaxMind DB file without a build_epoch (the build date potiron records)`)
    this.type = String(databaseType)
    this.built = buildEpoch.toISOString().slice(0, 10)
    this.bytes = db.length + this.#ipv4Top16.byteLength + this.#ipv6Top16.byteLength
    this.#db = db
    this.#reader = reader as unknown as RecordResolver
    this.#nodeCount = nodeCount
    this.#recordSize = recordSize
    this.#ipv6 = ipVersion === 6
    // IPv4 addresses of an IPv6 tree are ::a.b.c.d: their subtree is 96 left turns from the root.
    let node = 0
    for (let i = 0; this.#ipv6 && i < 96 && node < nodeCount; i++) node = this.#child(node, 0)
    this.#fillTop16(this.#ipv4Top16, node, 0, 0)
    if (this.#ipv6) this.#fillTop16(this.#ipv6Top16, 0, 0, 0)
  }

  /** Fills `top16` for the addresses whose first `depth` bits are `prefix`, from their subtree `node`. */
  #fillTop16 (top16: Uint32Array, node: number, depth: number, prefix: number): void {
    if (depth === 16 || node >= this.#nodeCount) {
      top16.fill(node, prefix << (16 - depth), (prefix + 1) << (16 - depth))
      return
    }
    this.#fillTop16(top16, this.#child(node, 0), depth + 1, prefix << 1)
    this.#fillTop16(top16, this.#child(node, 1), depth + 1, (prefix << 1) | 1)
  }

  /** Record `bit` (0 left, 1 right) of node `node`. */
  #child (node: number, bit: number): number {
    const db = this.#db
    switch (this.#recordSize) {
      case 24: {
        const o = node * 6 + bit * 3
        return (db[o]! << 16) | (db[o + 1]! << 8) | db[o + 2]!
      }
      case 28: {
        // | left: 24 bits | left's top 4 bits, right's top 4 bits | right: 24 bits |
        const o = node * 7
        const middle = db[o + 3]!
        return bit === 0
          ? (((middle & 0xf0) << 20) | (db[o]! << 16) | (db[o + 1]! << 8) | db[o + 2]!) >>> 0
          : (((middle & 0x0f) << 24) | (db[o + 4]! << 16) | (db[o + 5]! << 8) | db[o + 6]!) >>> 0
      }
      default: {
        const o = node * 8 + bit * 4
        return ((db[o]! << 24) | (db[o + 1]! << 16) | (db[o + 2]! << 8) | db[o + 3]!) >>> 0
      }
    }
  }

  /** The data pointer of an IPv4 address (uint32), or 0 when the tree has no record for it. */
  pointer4 (addr: number): number {
    const nodeCount = this.#nodeCount
    let node = this.#ipv4Top16[addr >>> 16]!
    for (let bit = 15; bit >= 0 && node < nodeCount; bit--) node = this.#child(node, (addr >>> bit) & 1)
    return node > nodeCount ? node : 0
  }

  /** The data pointer of the IPv6 address in the 16 bytes at `off`, or 0 (always, in an IPv4-only tree). */
  pointer6 (bytes: Uint8Array, off: number): number {
    if (!this.#ipv6) return 0
    const nodeCount = this.#nodeCount
    let node = this.#ipv6Top16[(bytes[off]! << 8) | bytes[off + 1]!]!
    for (let i = 16; i < 128 && node < nodeCount; i++) node = this.#child(node, (bytes[off + (i >> 3)]! >> (7 - (i & 7))) & 1)
    return node > nodeCount ? node : 0
  }

  /** The decoded record a data pointer leads to. */
  record (pointer: number): unknown {
    return this.#reader.resolveDataPointer(pointer)
  }

  /**
   * Up to `limit` distinct data pointers of the file, the first met walking the tree left first.
   * Each node once: MaxMind's IPv6 files alias the IPv4 subtree (at ::ffff:0:0/96, 2002::/16),
   * and a damaged file could loop.
   */
  pointers (limit: number): Set<number> {
    const pointers = new Set<number>()
    const seen = new Uint8Array(this.#nodeCount)
    const stack = [0]
    seen[0] = 1
    while (stack.length > 0 && pointers.size < limit) {
      const node = stack.pop()!
      for (let bit = 1; bit >= 0; bit--) {
        const next = this.#child(node, bit)
        if (next > this.#nodeCount) pointers.add(next)
        else if (next < this.#nodeCount && seen[next] === 0) {
          seen[next] = 1
          stack.push(next)
        }
      }
    }
    return pointers
  }
}

function field (record: unknown, key: string): unknown {
  return typeof record === 'object' && record !== null ? (record as Record<string, unknown>)[key] : undefined
}

const ISO_CODE = /^[A-Za-z]{2}$/

/** A record's ISO 3166 alpha-2 code, in upper case: `country.iso_code`, else `registered_country.iso_code`, else `country_code`. */
function isoCode (record: unknown): string | undefined {
  for (const code of [field(field(record, 'country'), 'iso_code'), field(field(record, 'registered_country'), 'iso_code'), field(record, 'country_code')]) {
    if (typeof code === 'string' && ISO_CODE.test(code)) return code.toUpperCase()
  }
  return undefined
}

function asNumber (record: unknown): number | undefined {
  const asn = field(record, 'autonomous_system_number')
  return typeof asn === 'number' && Number.isInteger(asn) && asn >= 0 && asn <= 0xffffffff ? asn : undefined
}

/** Whether a sample of the file's records has one that answers what `answers` asks; else an Error naming the file and `what` it is not. */
function checkShape (file: MmdbFile, what: string, answers: (record: unknown) => boolean): void {
  let records: unknown[]
  try {
    records = [...file.pointers(64)].map(p => file.record(p))
  } catch (error) {
    throw new Error(`${file.path}: a damaged MaxMind DB file (${(error as Error).message})`)
  }
  if (!records.some(answers)) throw new Error(`${file.path}: not ${what} (a ${file.type} database, whose records have none)`)
}

/** Throws unless the file's records carry country codes. */
export function checkCountries (file: MmdbFile): void {
  checkShape(file, 'a country database: no country.iso_code, registered_country.iso_code or country_code', r => isoCode(r) !== undefined)
}

/** Throws unless the file's records carry AS numbers. */
export function checkAsns (file: MmdbFile): void {
  checkShape(file, 'an ASN database: no autonomous_system_number', r => asNumber(r) !== undefined)
}

/** Countries from a .mmdb file, as `(c1 << 8) | c2` of the code's letters, or UNKNOWN. */
export class MmdbCountries {
  readonly file: MmdbFile
  readonly #codes = new Map<number, number>()

  constructor (file: MmdbFile) {
    this.file = file
  }

  country4 (addr: number): number {
    return this.#code(this.file.pointer4(addr))
  }

  country6 (bytes: Uint8Array, off: number): number {
    return this.#code(this.file.pointer6(bytes, off))
  }

  #code (pointer: number): number {
    if (pointer === 0) return UNKNOWN
    let code = this.#codes.get(pointer)
    if (code === undefined) {
      const iso = isoCode(this.file.record(pointer))
      code = iso === undefined ? UNKNOWN : (iso.charCodeAt(0) << 8) | iso.charCodeAt(1)
      this.#codes.set(pointer, code)
    }
    return code
  }
}

/**
 * AS numbers from a .mmdb file (GeoLite2-ASN), or UNKNOWN. Names come from the records lookups
 * decode; a name asked for before any lookup met its AS has every record of the file decoded
 * once (an mmdb has no index by AS), so a thread that only labels gets them all.
 */
export class MmdbAsns {
  readonly file: MmdbFile
  readonly #asns = new Map<number, number>()
  readonly #names = new Map<number, string>()
  #scanned = false

  constructor (file: MmdbFile) {
    this.file = file
  }

  asn4 (addr: number): number {
    return this.#asn(this.file.pointer4(addr))
  }

  asn6 (bytes: Uint8Array, off: number): number {
    return this.#asn(this.file.pointer6(bytes, off))
  }

  name (asn: number): string | undefined {
    if (!this.#names.has(asn) && !this.#scanned) {
      this.#scanned = true
      for (const pointer of this.file.pointers(Infinity)) this.#asn(pointer)
    }
    return this.#names.get(asn)
  }

  #asn (pointer: number): number {
    if (pointer === 0) return UNKNOWN
    let asn = this.#asns.get(pointer)
    if (asn === undefined) {
      const record = this.file.record(pointer)
      asn = asNumber(record) ?? UNKNOWN
      const name = field(record, 'autonomous_system_organization')
      if (asn >= 0 && typeof name === 'string' && !this.#names.has(asn)) this.#names.set(asn, name)
      this.#asns.set(pointer, asn)
    }
    return asn
  }
}
