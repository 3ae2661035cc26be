/**
 * The ASN CSV (`start,end,asn,"name"`, addresses as decimal numbers, as @ip-location-db/asn ships
 * it) as a compact binary index: built once by the coordinator (src/enrich/cache.ts keeps it on
 * disk), then loaded by every worker thread as one read into typed arrays, with no parsing.
 *
 * Layout (every number a uint32 in this machine's byte order: the file is a local cache, and a
 * foreign byte order fails the version check and is rebuilt):
 *
 * ```
 * header (64 bytes)  magic 'POTASNIX' | format | n4 | n6 | names | nameBytes | total bytes | SHA-256 of the body (32 bytes)
 * starts4[n4] ends4[n4] asns4[n4]      IPv4 ranges, sorted, disjoint
 * top16[65537]                         number of IPv4 ranges starting below (h << 16), for h = 0..65536
 * starts6[4 n6] ends6[4 n6] asns6[n6]  IPv6 ranges, each address as 4 words, most significant first
 * top16v6[65537]                       number of IPv6 ranges starting below (h << 112)
 * nameAsns[names] nameOffsets[names+1] the AS names, by AS number (sorted), as offsets into
 * nameBytes (UTF-8)
 * ```
 */
import { createHash } from 'node:crypto'
import { readFile } from 'node:fs/promises'
import { readWhole } from './read-whole.js'
import { UNKNOWN } from './special.js'

/** Bumped whenever the layout above changes: it is part of the cache file's name. */
export const INDEX_FORMAT = 1
const MAGIC = 'POTASNIX'
const HEADER_BYTES = 64
const DIGEST_AT = 32
const TOP16 = 65537

interface Range { start: bigint, end: bigint, asn: number }

/** Layout of a body: word offsets of each section, from the header's counts. */
interface Layout { n4: number, n6: number, names: number, nameBytes: number, starts4: number, ends4: number, asns4: number, top16: number, starts6: number, ends6: number, asns6: number, top16v6: number, nameAsns: number, nameOffsets: number, nameText: number, total: number }

function layout (n4: number, n6: number, names: number, nameBytes: number): Layout {
  let word = HEADER_BYTES / 4
  const take = (words: number): number => { const at = word; word += words; return at }
  const sections = {
    starts4: take(n4), ends4: take(n4), asns4: take(n4), top16: take(TOP16),
    starts6: take(4 * n6), ends6: take(4 * n6), asns6: take(n6), top16v6: take(TOP16),
    nameAsns: take(names), nameOffsets: take(names + 1)
  }
  return { n4, n6, names, nameBytes, ...sections, nameText: word * 4, total: word * 4 + nameBytes }
}

/** One CSV line's name field: `"LLC ""SPUTNIK"""` → `LLC "SPUTNIK"`. */
function unquote (field: string): string {
  return field.startsWith('"') && field.endsWith('"') && field.length >= 2 ? field.slice(1, -1).replaceAll('""', '"') : field
}

/**
 * The ranges of one CSV file, sorted by start and made disjoint. Where two overlap (the packaged
 * IPv4 file has one pair, neither inside the other), the later-starting one wins from its start:
 * the earlier one is cut short there.
 */
async function readRanges (csv: string, names: Map<number, string>): Promise<Range[]> {
  const text = await readFile(csv, 'utf8')
  const ranges: Range[] = []
  let line = 0
  for (let at = 0; at < text.length; line++) {
    let eol = text.indexOf('\n', at)
    if (eol < 0) eol = text.length
    const row = text.slice(at, eol).replace(/\r$/, '')
    at = eol + 1
    if (row === '') continue
    const c1 = row.indexOf(',')
    const c2 = row.indexOf(',', c1 + 1)
    const c3 = row.indexOf(',', c2 + 1)
    const asn = Number(row.slice(c2 + 1, c3))
    if (c1 < 0 || c2 < 0 || c3 < 0 || !Number.isInteger(asn) || asn < 0 || asn > 0xffffffff) throw new Error(`${csv}:${line + 1}: not a start,end,asn,name line: ${row.slice(0, 80)}`)
    const start = BigInt(row.slice(0, c1))
    const end = BigInt(row.slice(c1 + 1, c2))
    if (end < start) throw new Error(`${csv}:${line + 1}: range ends before it starts`)
    ranges.push({ start, end, asn })
    if (!names.has(asn)) names.set(asn, unquote(row.slice(c3 + 1)))
  }
  ranges.sort((a, b) => a.start < b.start ? -1 : a.start > b.start ? 1 : 0)
  const disjoint: Range[] = []
  for (const range of ranges) {
    const last = disjoint.at(-1)
    if (last !== undefined && last.end >= range.start) {
      last.end = range.start - 1n
      if (last.end < last.start) disjoint.pop()
    }
    disjoint.push(range)
  }
  return disjoint
}

function checkAddresses (ranges: readonly Range[], max: bigint, csv: string): void {
  if (ranges.length > 0 && ranges.at(-1)!.end > max) throw new Error(`${csv}: an address is out of range for its family`)
}

/** The index file's bytes, from the IPv4 and IPv6 CSV files. */
export async function buildRangesIndex (csv4: string, csv6: string): Promise<Uint8Array> {
  const names = new Map<number, string>()
  const v4 = await readRanges(csv4, names)
  const v6 = await readRanges(csv6, names)
  checkAddresses(v4, 0xffffffffn, csv4)
  checkAddresses(v6, (1n << 128n) - 1n, csv6)
  const encoder = new TextEncoder()
  const asns = [...names.keys()].sort((a, b) => a - b)
  const nameText = asns.map(asn => encoder.encode(names.get(asn)))
  const l = layout(v4.length, v6.length, asns.length, nameText.reduce((sum, b) => sum + b.length, 0))
  const bytes = new Uint8Array(l.total)
  const words = new Uint32Array(bytes.buffer, 0, l.nameText / 4)
  v4.forEach((r, i) => {
    words[l.starts4 + i] = Number(r.start)
    words[l.ends4 + i] = Number(r.end)
    words[l.asns4 + i] = r.asn
  })
  fillTop16(words, l.top16, v4, 16n)
  fillTop16(words, l.top16v6, v6, 112n)
  v6.forEach((r, i) => {
    for (let w = 0; w < 4; w++) {
      const shift = BigInt(96 - 32 * w)
      words[l.starts6 + 4 * i + w] = Number((r.start >> shift) & 0xffffffffn)
      words[l.ends6 + 4 * i + w] = Number((r.end >> shift) & 0xffffffffn)
    }
    words[l.asns6 + i] = r.asn
  })
  let offset = 0
  asns.forEach((asn, i) => {
    words[l.nameAsns + i] = asn
    words[l.nameOffsets + i] = offset
    bytes.set(nameText[i]!, l.nameText + offset)
    offset += nameText[i]!.length
  })
  words[l.nameOffsets + asns.length] = offset
  bytes.set(encoder.encode(MAGIC), 0)
  words.set([INDEX_FORMAT, l.n4, l.n6, l.names, l.nameBytes, l.total], 2)
  bytes.set(digest(bytes), DIGEST_AT)
  return bytes
}

/** For each h of 0..65536, the number of ranges starting below (h << shift): where the ranges of each first 16 bits begin. */
function fillTop16 (words: Uint32Array, at: number, ranges: readonly Range[], shift: bigint): void {
  for (let h = 0, i = 0; h < TOP16; h++) {
    while (i < ranges.length && ranges[i]!.start < BigInt(h) << shift) i++
    words[at + h] = i
  }
}

function digest (bytes: Uint8Array): Uint8Array {
  return createHash('sha256').update(bytes.subarray(HEADER_BYTES)).digest()
}

/** The layout a file's header announces, if the header is potiron's and agrees with the file's size; else why not. */
function readHeader (bytes: Uint8Array): Layout | string {
  if (bytes.length < HEADER_BYTES) return 'shorter than its header'
  if (new TextDecoder().decode(bytes.subarray(0, 8)) !== MAGIC) return 'not an ASN index'
  const header = new Uint32Array(bytes.buffer, bytes.byteOffset, HEADER_BYTES / 4)
  if (header[2] !== INDEX_FORMAT) return `index format ${header[2]}, not ${INDEX_FORMAT}`
  const l = layout(header[3]!, header[4]!, header[5]!, header[6]!)
  if (header[7] !== l.total || bytes.length !== l.total) return `${bytes.length} bytes where the header announces ${l.total}`
  return l
}

/** Why the index file's bytes cannot be used (truncated, another format, a body that fails its digest), or undefined when they can. */
export function checkRangesIndex (bytes: Uint8Array): string | undefined {
  const l = readHeader(bytes)
  if (typeof l === 'string') return l
  const stored = bytes.subarray(DIGEST_AT, DIGEST_AT + 32)
  return digest(bytes).every((b, i) => b === stored[i]) ? undefined : 'its body does not match its digest'
}

/** AS numbers of address ranges, from an index file prepared by the coordinator. */
export class RangesIndex {
  readonly bytes: number
  readonly #starts4: Uint32Array
  readonly #ends4: Uint32Array
  readonly #asns4: Uint32Array
  readonly #top16: Uint32Array
  readonly #starts6: Uint32Array
  readonly #ends6: Uint32Array
  readonly #asns6: Uint32Array
  readonly #top16v6: Uint32Array
  readonly #nameAsns: Uint32Array
  readonly #nameOffsets: Uint32Array
  readonly #nameText: Uint8Array
  readonly #decoder = new TextDecoder()

  /** Loads the file: its digest was checked when it was prepared, so only its header is checked here. */
  constructor (path: string) {
    const bytes = readWhole(path)
    const l = readHeader(bytes)
    if (typeof l === 'string') throw new Error(`ASN index ${path}: ${l}`)
    const words = (at: number, n: number): Uint32Array => new Uint32Array(bytes.buffer, at * 4, n)
    this.bytes = bytes.length
    this.#starts4 = words(l.starts4, l.n4)
    this.#ends4 = words(l.ends4, l.n4)
    this.#asns4 = words(l.asns4, l.n4)
    this.#top16 = words(l.top16, TOP16)
    this.#starts6 = words(l.starts6, 4 * l.n6)
    this.#ends6 = words(l.ends6, 4 * l.n6)
    this.#asns6 = words(l.asns6, l.n6)
    this.#top16v6 = words(l.top16v6, TOP16)
    this.#nameAsns = words(l.nameAsns, l.names)
    this.#nameOffsets = words(l.nameOffsets, l.names + 1)
    this.#nameText = bytes.subarray(l.nameText)
  }

  /**
   * The AS number of an IPv4 address (uint32), or UNKNOWN. The top 16 bits narrow the search to
   * the ranges starting in that /16 (a handful), then a binary search finds the last range
   * starting at or below the address.
   */
  asn4 (addr: number): number {
    const starts = this.#starts4
    const h = addr >>> 16
    let lo = this.#top16[h]!
    let hi = this.#top16[h + 1]!
    while (lo < hi) {
      const mid = (lo + hi) >>> 1
      if (starts[mid]! <= addr) lo = mid + 1
      else hi = mid
    }
    const i = lo - 1
    return i >= 0 && this.#ends4[i]! >= addr ? this.#asns4[i]! : UNKNOWN
  }

  /** The AS number of the IPv6 address in the 16 bytes at `off`, or UNKNOWN; searched as asn4 is. */
  asn6 (bytes: Uint8Array, off: number): number {
    const a0 = word(bytes, off)
    const a1 = word(bytes, off + 4)
    const a2 = word(bytes, off + 8)
    const a3 = word(bytes, off + 12)
    const starts = this.#starts6
    const h = a0 >>> 16
    let lo = this.#top16v6[h]!
    let hi = this.#top16v6[h + 1]!
    while (lo < hi) {
      const mid = (lo + hi) >>> 1
      if (compare(starts, 4 * mid, a0, a1, a2, a3) <= 0) lo = mid + 1
      else hi = mid
    }
    const i = lo - 1
    return i >= 0 && compare(this.#ends6, 4 * i, a0, a1, a2, a3) >= 0 ? this.#asns6[i]! : UNKNOWN
  }

  /** The name of an AS of the index, or undefined. */
  name (asn: number): string | undefined {
    const asns = this.#nameAsns
    let lo = 0
    let hi = asns.length
    while (lo < hi) {
      const mid = (lo + hi) >>> 1
      if (asns[mid]! < asn) lo = mid + 1
      else hi = mid
    }
    if (asns[lo] !== asn) return undefined
    return this.#decoder.decode(this.#nameText.subarray(this.#nameOffsets[lo], this.#nameOffsets[lo + 1]))
  }
}

/** The big-endian uint32 at `off`. */
function word (bytes: Uint8Array, off: number): number {
  return ((bytes[off]! << 24) | (bytes[off + 1]! << 16) | (bytes[off + 2]! << 8) | bytes[off + 3]!) >>> 0
}

/** The sign of (the address stored as 4 words at `at`) − (a0 a1 a2 a3). */
function compare (words: Uint32Array, at: number, a0: number, a1: number, a2: number, a3: number): number {
  return (words[at]! - a0) || (words[at + 1]! - a1) || (words[at + 2]! - a2) || (words[at + 3]! - a3)
}
