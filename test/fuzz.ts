/**
 * Seeded fuzzing of the capture readers and the decoders: real captures from the shared corpus,
 * mutated where it hurts (record and block headers, length fields, block order, truncation,
 * gzip), and hostile captures built here (4 % of cases), each written to a file and run through
 * analyzeFile.
 *
 * Every case is a pure function of (seed, case number), so `node dist/test/fuzz-run.js --seed S
 * --case N` rebuilds it, and a failing input is kept on disk. Cases run in a worker thread
 * watched from the main thread: a case that does not answer within the timeout is a hang even
 * when it spins synchronously, and the worker is replaced.
 *
 * What must hold for every input:
 * - analyzeFile resolves (a rejection is a bug: capture problems come back in `error`);
 * - `error` and `warning` carry known CaptureError codes (the warning is TRUNCATED, or
 *   TRAILING_GARBAGE for gzip);
 * - no case makes the process's resident memory grow by more than 512 MiB, nor the worker's
 *   heap past 256 MiB: memory follows what a file holds, never what it claims;
 * - a case built to a known outcome gives it: hostile captures (a flood of pcapng interfaces,
 *   thousands of days from year 68 to 11000, IPv6 lengths of 65,575) and gzip files damaged
 *   after their deflate data (trailing bytes, CRC-32, ISIZE: all their content is counted);
 * - the counts agree with each other and with the count table;
 * - reading the same file through readCapture in small chunks gives the same result (except
 *   when zlib refuses a gzip file's deflate data: what came out before it noticed depends on chunking);
 * - every packet decodes to the same facts in place and copied between guard bytes (no read
 *   outside the record), with every fact in its range.
 */
import { mkdirSync, readdirSync, readFileSync, statSync, unlinkSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { isDeepStrictEqual } from 'node:util'
import { Worker, isMainThread, parentPort, workerData } from 'node:worker_threads'
import { gunzipSync, gzipSync } from 'node:zlib'
import { analyzeFile, type FileResult } from '../src/aggregate/analyze-file.js'
import { Analyzer, type AnalyzeOptions } from '../src/aggregate/analyzer.js'
import { PACKET_FIELDS as FIELDS } from '../src/aggregate/fields.js'
import { UNDATED } from '../src/aggregate/table.js'
import { MAX_INTERFACES_PER_SECTION } from '../src/capture/constants.js'
import { readCapture } from '../src/capture/read.js'
import { MAX_RECORD_BYTES, type PacketSink } from '../src/capture/types.js'
import { PacketFacts } from '../src/decode/facts.js'
import { decodeFrame } from '../src/decode/link.js'
import type { CaptureErrorCode } from '../src/errors.js'
import { ADDRS6, ETH_IPV4, ETH_IPV6, IPV4_UDP, IPV6_UDP } from './helpers/frames.js'
import { EPB_ON_IF_65535, IDB_BARE, SHB_BARE, hex, idbFlood, idbFloodGzip } from './helpers/hex.js'
import { PUBLIC } from './helpers/shared.js'

export interface FuzzOptions {
  cases: number
  seed: number
  /** Where case files are written; failing ones stay there. */
  dir: string
  log?: (s: string) => void
  /** Number of the first case (to replay one case: first = N, cases = 1). */
  first?: number
  /** Per-case limit; a case over it is a hang. */
  timeoutMs?: number
  /** Directory of seed captures (default: the shared public corpus). */
  corpus?: string
  /** Growth of resident memory a case may cause (default 512 MiB); past it the case fails. */
  memoryMiB?: number
  /** Which hostile captures to make, and how often (default: all of them, in 4 % of cases). */
  hostile?: HostileOptions
}

export interface HostileOptions {
  /** Names of HOSTILE_KINDS. */
  kinds?: readonly string[]
  /** Share of cases, 0..1. */
  rate?: number
}

export interface FuzzResult {
  cases: number
  /** Cases read to their end without a fatal error (a TRUNCATED warning allowed). */
  parsed: number
  /** Cases stopped by a CaptureError, per code. */
  failedTyped: Record<string, number>
  /** Hostile captures among the cases. */
  hostile: number
  /** The largest growth of resident memory a case caused, in MiB. */
  peakMemoryMiB: number
}

/** One case that broke an invariant, with what it takes to replay it. */
export interface Failure {
  seed: number
  case: number
  path: string
  mutations: string[]
  problems: string[]
}

/** Failures described in full in a FuzzFailure's message. */
const MAX_DESCRIBED = 10

/** Thrown by fuzz() after all cases ran when some failed; `failures` lists them. */
export class FuzzFailure extends Error {
  override name = 'FuzzFailure'
  readonly failures: Failure[]
  readonly result: FuzzResult
  constructor (failures: Failure[], result: FuzzResult) {
    const shown = failures.slice(0, MAX_DESCRIBED).map(describeFailure)
    if (failures.length > MAX_DESCRIBED) shown.push(`  ... and ${failures.length - MAX_DESCRIBED} more: ${failures.slice(MAX_DESCRIBED).map(f => f.case).join(' ')}`)
    super(`${failures.length} fuzz case(s) failed:\n${shown.join('\n')}`)
    this.failures = failures
    this.result = result
  }
}

export function describeFailure (f: Failure): string {
  return `  seed ${f.seed} case ${f.case}: ${f.path}\n    mutations: ${f.mutations.join(', ')}\n` +
    f.problems.map(p => `    - ${p.split('\n').join('\n      ')}`).join('\n')
}

/** What analyzeFile is asked in every case: every field, split by protocol, the default selection. */
export const ANALYZE_OPTIONS: AnalyzeOptions = { fields: FIELDS, combinedKeys: true, selection: 'default', zone: undefined }

/** Every CaptureErrorCode: the Record type makes the compiler flag a code added to or removed from errors.ts. */
const CODES: Record<CaptureErrorCode, true> = {
  EMPTY: true, BAD_MAGIC: true, BAD_HEADER: true, BAD_RECORD: true, RECORD_TOO_BIG: true, TOO_MANY_INTERFACES: true, BAD_TRAILER: true, TRAILING_GARBAGE: true,
  CORRUPT_GZIP: true, NOT_A_FILE: true, UNREADABLE: true, TRUNCATED: true
}
export const KNOWN_CODES: ReadonlySet<string> = new Set(Object.keys(CODES))
/** Codes that a readable regular file must never produce. */
const IMPOSSIBLE_CODES = new Set(['NOT_A_FILE', 'UNREADABLE'])

/**
 * A case that has not answered after this long is a hang. The slowest hostile cases take about
 * 1.3 s of CPU alone; 5 s flagged them as hangs when the 2-vCPU machine ran ten busy threads
 * (seed 1, cases 18862, 26210 and 160583, each passing in ~1-5 s when replayed). A real hang
 * never answers, so a generous limit only delays its report.
 */
export const DEFAULT_TIMEOUT_MS = 30_000
/** Seed captures are the small ones, so that a case takes milliseconds. */
const MAX_SEED_BYTES = 300 * 1024
const CAPTURE_NAME = /\.(pcap|pcapng|cap)(\.gz)?$/i

// ---------------------------------------------------------------------------------------------
// Randomness: mulberry32, seeded per case.

export class Rng {
  #a: number
  constructor (seed: number) {
    this.#a = seed >>> 0
  }

  /** Uniform in [0, 1). */
  next (): number {
    this.#a = (this.#a + 0x6d2b79f5) >>> 0
    let t = this.#a
    t = Math.imul(t ^ (t >>> 15), t | 1)
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61)
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296
  }

  /** Integer in [0, n). */
  int (n: number): number {
    return Math.floor(this.next() * n)
  }

  u32 (): number {
    return this.int(4294967296)
  }

  chance (p: number): boolean {
    return this.next() < p
  }

  pick<T> (items: readonly T[]): T {
    if (items.length === 0) throw new Error('pick from nothing')
    return items[this.int(items.length)]!
  }
}

/** The seed of one case: a hash of the run's seed and the case number. */
export function caseSeed (seed: number, n: number): number {
  let h = Math.imul(seed ^ 0x9e3779b9, 0x85ebca6b) ^ Math.imul(n + 0x632be5ab, 0xc2b2ae35)
  h = Math.imul(h ^ (h >>> 16), 0x7feb352d)
  h = Math.imul(h ^ (h >>> 15), 0x846ca68b)
  return (h ^ (h >>> 16)) >>> 0
}

// ---------------------------------------------------------------------------------------------
// The corpus.

export interface SeedCapture {
  name: string
  /** The file as stored. */
  raw: Buffer
  /** Its decompressed content when it is a gzip file that decompresses. */
  inflated: Buffer | undefined
}

/** The small captures of `dir` (top level), sorted by name so that seeds replay. */
export function loadCorpus (dir = PUBLIC): SeedCapture[] {
  const corpus: SeedCapture[] = []
  for (const name of readdirSync(dir).sort()) {
    if (!CAPTURE_NAME.test(name)) continue
    const path = join(dir, name)
    const st = statSync(path)
    if (!st.isFile() || st.size === 0 || st.size >= MAX_SEED_BYTES) continue
    const raw = readFileSync(path)
    let inflated: Buffer | undefined
    if (raw[0] === 0x1f && raw[1] === 0x8b) {
      try {
        inflated = gunzipSync(raw)
      } catch {
        inflated = undefined
      }
    }
    corpus.push({ name, raw, inflated })
  }
  return corpus
}

// ---------------------------------------------------------------------------------------------
// The structure of a capture, as far as it can be walked: where its units are and their fields.

interface Field {
  at: number
  bytes: 2 | 4
  le: boolean
}

/** A file header, record or block: [start, end), its first `header` bytes hold its fixed fields. */
interface Unit {
  start: number
  end: number
  header: number
  /** Length-like fields: lengths, snap lengths, option lengths, link types. */
  fields: Field[]
}

const PCAP_LE_MAGICS = new Set([0xd4c3b2a1, 0x4d3cb2a1, 0x34cdb2a1])
const PCAP_BE_MAGICS = new Set([0xa1b2c3d4, 0xa1b23c4d, 0xa1b2cd34])
const PCAP_MODIFIED_MAGICS = new Set([0x34cdb2a1, 0xa1b2cd34])
const PCAPNG_SHB = 0x0a0d0d0a
const PCAPNG_BOM = 0x1a2b3c4d

function pad4 (n: number): number {
  return (n + 3) & ~3
}

function readField (buf: Buffer, f: Field): number {
  if (f.bytes === 2) return f.le ? buf.readUInt16LE(f.at) : buf.readUInt16BE(f.at)
  return f.le ? buf.readUInt32LE(f.at) : buf.readUInt32BE(f.at)
}

function writeField (buf: Buffer, f: Field, value: number): void {
  if (f.bytes === 2) {
    if (f.le) buf.writeUInt16LE(value & 0xffff, f.at)
    else buf.writeUInt16BE(value & 0xffff, f.at)
  } else if (f.le) {
    buf.writeUInt32LE(value >>> 0, f.at)
  } else {
    buf.writeUInt32BE(value >>> 0, f.at)
  }
}

/** The units of a pcap or pcapng buffer, in order, until the walk stops making sense. */
export function walk (buf: Buffer): Unit[] {
  if (buf.length < 4) return []
  const magic = buf.readUInt32BE(0)
  if (PCAP_LE_MAGICS.has(magic) || PCAP_BE_MAGICS.has(magic)) return walkPcap(buf, PCAP_LE_MAGICS.has(magic), PCAP_MODIFIED_MAGICS.has(magic))
  if (magic === PCAPNG_SHB) return walkPcapng(buf)
  return []
}

function walkPcap (buf: Buffer, le: boolean, modified: boolean): Unit[] {
  if (buf.length < 24) return []
  const units: Unit[] = [{ start: 0, end: 24, header: 24, fields: [{ at: 16, bytes: 4, le }, { at: 20, bytes: 4, le }] }]
  const recordHeader = modified ? 24 : 16
  let pos = 24
  while (pos + recordHeader <= buf.length) {
    const caplen = le ? buf.readUInt32LE(pos + 8) : buf.readUInt32BE(pos + 8)
    const end = Math.min(buf.length, pos + recordHeader + caplen)
    units.push({ start: pos, end, header: recordHeader, fields: [{ at: pos + 8, bytes: 4, le }, { at: pos + 12, bytes: 4, le }] })
    pos = end
  }
  return units
}

function walkPcapng (buf: Buffer): Unit[] {
  const units: Unit[] = []
  let le = true
  let pos = 0
  while (pos + 12 <= buf.length) {
    const type = le ? buf.readUInt32LE(pos) : buf.readUInt32BE(pos)
    if (type === PCAPNG_SHB) {
      if (buf.readUInt32LE(pos + 8) === PCAPNG_BOM) le = true
      else if (buf.readUInt32BE(pos + 8) === PCAPNG_BOM) le = false
      else break
    }
    const length = le ? buf.readUInt32LE(pos + 4) : buf.readUInt32BE(pos + 4)
    if (length < 12 || length % 4 !== 0 || pos + length > buf.length) break
    const end = pos + length
    const fields: Field[] = [{ at: pos + 4, bytes: 4, le }, { at: end - 4, bytes: 4, le }]
    let header = 8
    let options = -1
    const u32 = (at: number): number => le ? buf.readUInt32LE(at) : buf.readUInt32BE(at)
    if ((type === 6 || type === 2) && length >= 32) { // EPB, obsolete PB: caplen, origlen
      header = 28
      fields.push({ at: pos + 20, bytes: 4, le }, { at: pos + 24, bytes: 4, le })
      options = pos + 28 + pad4(u32(pos + 20))
    } else if (type === 3 && length >= 16) { // SPB: origlen
      header = 12
      fields.push({ at: pos + 8, bytes: 4, le })
    } else if (type === 1 && length >= 20) { // IDB: link type, snaplen
      header = 16
      fields.push({ at: pos + 8, bytes: 2, le }, { at: pos + 12, bytes: 4, le })
      options = pos + 16
    } else if (type === PCAPNG_SHB && length >= 28) {
      header = 24
      options = pos + 24
    }
    // Option lengths, while they stay inside the block.
    for (let at = options; at >= 0 && at + 4 <= end - 4;) {
      const code = le ? buf.readUInt16LE(at) : buf.readUInt16BE(at)
      const size = le ? buf.readUInt16LE(at + 2) : buf.readUInt16BE(at + 2)
      fields.push({ at: at + 2, bytes: 2, le })
      if (code === 0) break
      at += 4 + pad4(size)
    }
    units.push({ start: pos, end, header, fields })
    pos = end
  }
  return units
}

// ---------------------------------------------------------------------------------------------
// Mutations. Each takes the buffer and returns the new one (or the same, changed in place).

/** Values a length field may lie with. */
function lie (rng: Rng, current: number, bytes: 2 | 4): number {
  const max = bytes === 4 ? 0xffffffff : 0xffff
  const choices = [
    0, 1, 2, 3, max, max - 3, current + 1, current - 1, current + 4, current - 4, current + 8, current * 2,
    Math.floor(current / 2), rng.u32(), rng.int(64), 12, 16, 20, 24, 28, 32,
    MAX_RECORD_BYTES, MAX_RECORD_BYTES + 1, MAX_RECORD_BYTES + 64 * 1024 + 4, 16 * 1024 * 1024 + 4, 0x7fffffff, 0x80000000
  ]
  const v = rng.pick(choices)
  return bytes === 4 ? v >>> 0 : v & 0xffff
}

function flipBits (rng: Rng, buf: Buffer, from: number, to: number, count: number): void {
  if (to <= from) return
  for (let i = 0; i < count; i++) {
    const at = from + rng.int(to - from)
    buf[at] = buf[at]! ^ (1 << rng.int(8))
  }
}

function overwriteBytes (rng: Rng, buf: Buffer, from: number, to: number, count: number): void {
  if (to <= from) return
  for (let i = 0; i < count; i++) {
    const at = from + rng.int(to - from)
    buf[at] = rng.pick([0x00, 0xff, 0x7f, 0x80, rng.int(256), rng.int(256)])
  }
}

/** A unit boundary (start of a unit or the end of the last), or a random offset. */
function boundary (rng: Rng, units: Unit[], length: number): number {
  if (units.length === 0 || rng.chance(0.2)) return rng.int(length + 1)
  const u = rng.pick(units)
  return rng.chance(0.5) ? u.start : u.end
}

type Mutation = (rng: Rng, buf: Buffer, units: Unit[]) => Buffer

const MUTATIONS: Record<string, Mutation> = {
  'bit-flips': (rng, buf) => {
    const b = Buffer.from(buf)
    flipBits(rng, b, 0, b.length, 1 + rng.int(rng.chance(0.8) ? 4 : 64))
    return b
  },
  'header-bytes': (rng, buf, units) => {
    const b = Buffer.from(buf)
    if (units.length === 0) {
      overwriteBytes(rng, b, 0, Math.min(b.length, 64), 1 + rng.int(4))
      return b
    }
    const u = rng.pick(units)
    overwriteBytes(rng, b, u.start, Math.min(u.end, u.start + u.header), 1 + rng.int(4))
    // Sometimes the trailing length of a pcapng block too.
    if (rng.chance(0.2) && u.end - 4 > u.start + u.header) overwriteBytes(rng, b, u.end - 4, u.end, 1)
    return b
  },
  'length-lie': (rng, buf, units) => {
    const b = Buffer.from(buf)
    const withFields = units.filter(u => u.fields.length > 0)
    if (withFields.length === 0) return MUTATIONS['bit-flips']!(rng, b, units)
    const f = rng.pick(rng.pick(withFields).fields)
    writeField(b, f, lie(rng, readField(b, f), f.bytes))
    return b
  },
  'packet-bytes': (rng, buf, units) => {
    const b = Buffer.from(buf)
    const records = units.filter(u => u.end - u.start > u.header + 4)
    if (records.length === 0) return MUTATIONS['bit-flips']!(rng, b, units)
    for (let n = 1 + rng.int(8); n > 0; n--) {
      const u = rng.pick(records)
      overwriteBytes(rng, b, u.start + u.header, u.end, 1 + rng.int(6))
    }
    return b
  },
  truncate: (rng, buf, units) => {
    let at = boundary(rng, units, buf.length)
    if (rng.chance(0.5)) at += rng.int(9) - 4
    return buf.subarray(0, Math.max(0, Math.min(buf.length, at)))
  },
  duplicate: (rng, buf, units) => {
    if (units.length === 0) return buf
    const u = rng.pick(units)
    const at = rng.chance(0.6) ? u.end : boundary(rng, units, buf.length)
    return Buffer.concat([buf.subarray(0, at), buf.subarray(u.start, u.end), buf.subarray(at)])
  },
  remove: (rng, buf, units) => {
    if (units.length === 0) return buf
    const u = rng.pick(units)
    return Buffer.concat([buf.subarray(0, u.start), buf.subarray(u.end)])
  },
  swap: (rng, buf, units) => {
    if (units.length < 2) return buf
    const i = rng.int(units.length - 1)
    const a = units[i]!
    const b = units[i + 1]!
    return Buffer.concat([buf.subarray(0, a.start), buf.subarray(b.start, b.end), buf.subarray(a.start, a.end), buf.subarray(b.end)])
  },
  'insert-bytes': (rng, buf, units) => {
    const at = boundary(rng, units, buf.length)
    const junk = Buffer.alloc(1 + rng.int(rng.chance(0.5) ? 8 : 80))
    for (let i = 0; i < junk.length; i++) junk[i] = rng.chance(0.5) ? 0 : rng.int(256)
    return Buffer.concat([buf.subarray(0, at), junk, buf.subarray(at)])
  },
  'fill-run': (rng, buf) => {
    const b = Buffer.from(buf)
    if (b.length === 0) return b
    const from = rng.int(b.length)
    b.fill(rng.pick([0x00, 0xff, 0xaa]), from, Math.min(b.length, from + 1 + rng.int(32)))
    return b
  }
}
const MUTATION_NAMES = Object.keys(MUTATIONS)

/** An error or warning as [code, offset], or null for none. */
export type Outcome = [string, number] | null

/** What a case must give, when its construction tells. */
export interface Expectation {
  /** The error; absent when not known. */
  error?: Outcome
  /** The warning; absent when not known. */
  warning?: Outcome
}

/** One fuzz case: the bytes of its file and how they were made. */
export interface FuzzCase {
  bytes: Buffer
  gzip: boolean
  /** Length of the capture stream (after decompression), when known. */
  streamBytes: number | undefined
  /** Chunk size of the second, differential read. */
  chunkSize: number
  mutations: string[]
  expect: Expectation | undefined
  /**
   * A gzip case damaged only after its deflate data (trailing bytes, CRC-32, ISIZE): its capture
   * stream, which must give the same counts, and its own error (or warning, unless `expect` has
   * the gzip's) first.
   */
  twin: Buffer | undefined
}

/** Share of cases that are hostile captures (see below) rather than mutated corpus ones. */
const HOSTILE_RATE = 0.04

/** Builds case `n` of run `seed`: a pure function of its arguments. */
export function makeCase (corpus: readonly SeedCapture[], seed: number, n: number, options: HostileOptions = {}): FuzzCase {
  const rng = new Rng(caseSeed(seed, n))
  if (rng.chance(options.rate ?? HOSTILE_RATE)) return finish(rng, hostile(rng, options.kinds ?? HOSTILE_KINDS))
  const source = rng.pick(corpus)
  const mutations: string[] = [source.name]
  let gzipped: Buffer | undefined
  let stream: Buffer | undefined
  if (source.inflated === undefined && source.raw[0] === 0x1f && source.raw[1] === 0x8b) {
    gzipped = source.raw // a gzip that does not inflate: mutate it as it is
  } else if (source.inflated !== undefined && rng.chance(0.4)) {
    gzipped = source.raw // corrupt the compressed bytes below
  } else {
    stream = Buffer.from(source.inflated ?? source.raw)
    for (let k = 1 + rng.int(rng.chance(0.7) ? 2 : 5); k > 0; k--) {
      const name = rng.pick(MUTATION_NAMES)
      mutations.push(name)
      stream = MUTATIONS[name]!(rng, stream, walk(stream))
    }
    if (source.inflated !== undefined || rng.chance(0.12)) {
      const level = 1 + rng.int(9)
      mutations.push(`gzip-${level}`)
      gzipped = gzipSync(stream, { level })
      if (rng.chance(0.15)) {
        // A second gzip member: readers must go on into it (RFC 1952 allows several).
        const split = rng.int(stream.length + 1)
        mutations.push(`gzip-members@${split}`)
        gzipped = Buffer.concat([gzipSync(stream.subarray(0, split)), gzipSync(stream.subarray(split))])
      }
    }
  }
  const c: Built = { bytes: gzipped ?? stream!, gzip: gzipped !== undefined, streamBytes: stream?.length, mutations, expect: undefined, twin: undefined }
  if (gzipped !== undefined && (stream === undefined || rng.chance(0.35))) damageGzip(rng, c, stream ?? source.inflated)
  return finish(rng, c)
}

type Built = Omit<FuzzCase, 'chunkSize'>

/** Small chunks for the second read, but at most about 100 reads per file: a case stays fast. */
function finish (rng: Rng, c: Built): FuzzCase {
  const minChunk = Math.ceil(c.bytes.length / 100)
  return { ...c, chunkSize: Math.max(minChunk, rng.pick([1, 2, 3, 5, 16, 24, 64, 100, 1000, 4096, 65536])) }
}

/**
 * Damages the gzip file of `c`, whose capture stream is `stream` when known. Damage after the
 * deflate data has a known outcome: all of the stream is read, then the damage is told.
 */
function damageGzip (rng: Rng, c: Built, stream: Buffer | undefined): void {
  const gz = Buffer.from(c.bytes)
  c.streamBytes = undefined
  const how = rng.pick(['gzip-flip', 'gzip-flip', 'gzip-truncate', 'gzip-garbage', 'gzip-trailer'])
  c.mutations.push(how)
  let expect: Expectation | undefined
  if (how === 'gzip-flip') {
    // Mostly past the 10-byte header: corrupt deflate data, not just a bad magic.
    const from = rng.chance(0.85) ? Math.min(10, gz.length) : 0
    overwriteBytes(rng, gz, from, gz.length, 1 + rng.int(4))
  } else if (how === 'gzip-truncate') {
    c.bytes = gz.subarray(0, rng.int(gz.length))
    return
  } else if (how === 'gzip-garbage') {
    // Zeros (padding), or bytes that do not start a gzip member, after the last member.
    const garbage = Buffer.alloc(1 + rng.int(rng.chance(0.2) ? 70000 : 40))
    const zeros = rng.chance(0.25) ? garbage.length : rng.int(garbage.length)
    for (let i = zeros; i < garbage.length; i++) garbage[i] = rng.int(256)
    if (garbage[0] === 0x1f) garbage[0] = 0x1e
    expect = { error: null, warning: zeros === garbage.length ? null : ['TRAILING_GARBAGE', gz.length] }
    c.bytes = Buffer.concat([gz, garbage])
  } else {
    const at = gz.length - 1 - rng.int(Math.min(8, gz.length)) // CRC-32 or ISIZE
    const was = gz[at]
    overwriteBytes(rng, gz, at, at + 1, 1)
    const field = at >= gz.length - 4 ? gz.length - 4 : gz.length - 8
    expect = { error: gz[at] === was ? null : ['CORRUPT_GZIP', field], warning: null }
  }
  if (how !== 'gzip-garbage') c.bytes = gz
  if (expect !== undefined && stream !== undefined && gz.length >= 18) {
    c.expect = expect
    c.twin = stream
    c.streamBytes = stream.length
  }
}

// ---------------------------------------------------------------------------------------------
// Hostile captures (issue 11): shapes no mutation of a small capture reaches, each with what it
// must give. Their big parts are cached, so a case stays a pure function of (seed, n).

const HOSTILE: Record<string, (rng: Rng) => Built> = {
  // 65,536 interfaces in a section is the limit; one more fails the file at that IDB.
  'idb-limit': () => plainCase(cached('idb-limit', () => Buffer.concat([SHB_BARE, idbFlood(IDB_LIMIT), EPB_ON_IF_65535])), null),
  'idb-over': () => plainCase(cached('idb-over', () => Buffer.concat([SHB_BARE, idbFlood(IDB_LIMIT + 1), EPB_ON_IF_65535])), FIRST_IDB_TOO_MANY),
  'idb-sections': (rng) => {
    const k = 2 + rng.int(3)
    return plainCase(cached(`idb-sections-${k}`, () => Buffer.concat([...new Array<Buffer>(k).fill(Buffer.concat([SHB_BARE, idbFlood(IDB_LIMIT)])), EPB_ON_IF_65535])), null)
  },
  // 50M interfaces (1 GB of pcapng) in 2.4 MB of gzip members.
  'idb-bomb': () => ({
    bytes: cached('idb-bomb', () => idbFloodGzip(50, 1_000_000)), gzip: true, streamBytes: SHB_BARE.length + 50_000_000 * IDB_BARE.length,
    mutations: [], expect: { error: FIRST_IDB_TOO_MANY, warning: null }, twin: undefined
  }),
  days: (rng) => plainCase(manyDays(rng), null),
  'ipv6-length-0xffff': (rng) => plainCase(ipv6Lengths(rng), null)
}
export const HOSTILE_KINDS: readonly string[] = Object.keys(HOSTILE)

const IDB_LIMIT = MAX_INTERFACES_PER_SECTION
const FIRST_IDB_TOO_MANY: Outcome = ['TOO_MANY_INTERFACES', SHB_BARE.length + IDB_LIMIT * IDB_BARE.length]
const hostileCache = new Map<string, Buffer>()

function cached (key: string, make: () => Buffer): Buffer {
  let bytes = hostileCache.get(key)
  if (bytes === undefined) hostileCache.set(key, bytes = make())
  return bytes
}

function plainCase (bytes: Buffer, error: Outcome): Built {
  return { bytes, gzip: false, streamBytes: bytes.length, mutations: [], expect: { error, warning: null }, twin: undefined }
}

/** A hostile case, sometimes gzipped (the same content must give the same outcome). */
function hostile (rng: Rng, kinds: readonly string[]): Built {
  const name = rng.pick(kinds)
  const make = HOSTILE[name]
  if (make === undefined) throw new Error(`no hostile capture named ${name}: ${HOSTILE_KINDS.join(', ')}`)
  const c = make(rng)
  c.mutations.unshift(`hostile ${name}`)
  if (!c.gzip && rng.chance(0.3)) {
    c.mutations.push('gzip-1')
    return { ...c, bytes: gzipSync(c.bytes, { level: 1 }), gzip: true }
  }
  return c
}

/**
 * A pcapng capture over thousands of days: up to three interfaces whose if_tsoffset puts them
 * in years 68..9574, 1970.. or 9892.. (so before 1000 and after 9999 too), in µs or ns, and
 * 50..3000 UDP packets over IPv4 or IPv6, each on its own day, at random or day after day.
 */
function manyDays (rng: Rng): Buffer {
  const blocks = [SHB_BARE]
  const clocks: Array<{ units: bigint, span: number }> = []
  for (let i = 1 + rng.int(3); i > 0; i--) {
    const ns = rng.chance(0.3)
    const offset = rng.pick([0n, -60_000_000_000n, -40_000_000_000n, 250_000_000_000n])
    blocks.push(pcapngIdb(ns, offset))
    // Ticks stay below 2^64: 1.5e10 s of nanoseconds, 3e11 s of microseconds.
    clocks.push({ units: ns ? 1_000_000_000n : 1_000_000n, span: ns ? 1.5e10 : 3e11 })
  }
  const packets = 50 + rng.int(2951)
  const daily = rng.chance(0.5)
  const first = rng.int(1e9)
  for (let p = 0; p < packets; p++) {
    const iface = rng.int(clocks.length)
    const { units, span } = clocks[iface]!
    const sec = daily ? first + p * 86400 + rng.int(86400) : Math.floor(rng.next() * span)
    const frame = rng.chance(0.7) ? HOSTILE_UDP4 : HOSTILE_UDP6
    blocks.push(pcapngEpb(iface, BigInt(sec) * units + BigInt(rng.int(Number(units))), frame))
  }
  return Buffer.concat(blocks)
}

const HOSTILE_UDP4 = hex(ETH_IPV4, IPV4_UDP)
const HOSTILE_UDP6 = hex(ETH_IPV6, IPV6_UDP)

/** A little-endian IDB for Ethernet with if_tsresol 10^-9 (when `ns`) and if_tsoffset. */
function pcapngIdb (ns: boolean, offset: bigint): Buffer {
  const resol = ns ? hex('0900 0100 09 000000') : Buffer.alloc(0)
  const tsoffset = Buffer.alloc(12)
  tsoffset.writeUInt16LE(14, 0)
  tsoffset.writeUInt16LE(8, 2)
  tsoffset.writeBigInt64LE(offset, 4)
  const length = 16 + resol.length + tsoffset.length + 4 + 4
  const head = Buffer.alloc(16)
  head.writeUInt32LE(1, 0)
  head.writeUInt32LE(length, 4)
  head.writeUInt16LE(1, 8)
  const tail = Buffer.alloc(8)
  tail.writeUInt32LE(length, 4)
  return Buffer.concat([head, resol, tsoffset, tail])
}

/** A little-endian EPB carrying `frame` whole. */
function pcapngEpb (iface: number, ticks: bigint, frame: Buffer): Buffer {
  const b = Buffer.alloc(32 + pad4(frame.length))
  b.writeUInt32LE(6, 0)
  b.writeUInt32LE(b.length, 4)
  b.writeUInt32LE(iface, 8)
  b.writeUInt32LE(Number(ticks >> 32n), 12)
  b.writeUInt32LE(Number(ticks & 0xffffffffn), 16)
  b.writeUInt32LE(frame.length, 20)
  b.writeUInt32LE(frame.length, 24)
  frame.copy(b, 28)
  b.writeUInt32LE(b.length, b.length - 4)
  return b
}

/**
 * A pcap of 1..40 Ethernet IPv6 packets whose payload length is 0xffff (IP length 65,575) or
 * near it, over UDP, TCP and ICMPv6; only their first bytes are captured.
 */
function ipv6Lengths (rng: Rng): Buffer {
  const records = [hex('d4c3b2a1 0200 0400 00000000 00000000 ffff0000 01000000')]
  for (let p = 1 + rng.int(40); p > 0; p--) {
    const payload = rng.pick([0xffff, 0xffff, 0xffff, 0xfffe, 0xffd7, 0])
    const [next, transport] = rng.pick<[number, string]>([
      [17, 'c000 0035 ffff 0000'], // UDP 49152 → 53
      [6, 'c350 0050 dead beef 8000 0001 5010 ffff 0000 0000'], // TCP 50000 → 80, ACK
      [58, '8000 0000 0001 0001'] // ICMPv6 echo request
    ])
    const ip = hex('6000 0000 0000 0040', ADDRS6)
    ip.writeUInt16BE(payload, 4)
    ip[6] = next
    const frame = Buffer.concat([hex(ETH_IPV6), ip, hex(transport)])
    const header = Buffer.alloc(16)
    header.writeUInt32LE(1700000000 + rng.int(86400 * 3), 0)
    header.writeUInt32LE(frame.length, 8)
    header.writeUInt32LE(14 + 40 + payload, 12)
    records.push(header, frame)
  }
  return Buffer.concat(records)
}

// ---------------------------------------------------------------------------------------------
// The checks, run in the worker.

interface Job {
  id: number
  path: string
  chunkSize: number
  streamBytes: number | undefined
  expect: Expectation | undefined
  /** The twin's file (see FuzzCase). */
  twin: string | undefined
}

interface Verdict {
  id: number
  /** The error code, or undefined when the file was read to its end. */
  code: string | undefined
  problems: string[]
  /** Growth of the process's resident memory while the case ran (set by the main thread). */
  peakBytes?: number
}

function describeError (err: unknown): string {
  return err instanceof Error ? (err.stack ?? err.message) : String(err)
}

/** Everything two reads of one file must agree on. */
function outcome (r: FileResult): unknown {
  return { info: r.info, stats: r.stats, table: r.table, error: r.error, warning: r.warning }
}

/**
 * Checks one file: analyzeFile's result, its invariants, what the case was built to give (with
 * `twin`, the file of its capture stream), and a second read in small chunks.
 */
export async function checkFile (path: string, chunkSize: number, streamBytes: number | undefined,
  expect?: Expectation, twin?: string): Promise<{ code: string | undefined, problems: string[] }> {
  let a: FileResult
  let t: FileResult | undefined
  try {
    a = await analyzeFile(path, ANALYZE_OPTIONS)
    if (twin !== undefined) t = await analyzeFile(twin, ANALYZE_OPTIONS)
  } catch (err) {
    return { code: undefined, problems: [`analyzeFile rejected: ${describeError(err)}`] }
  }
  const problems = invariants(a, streamBytes)
  if (expect !== undefined) problems.push(...expectations(a, expect, t))
  let b: FileResult
  try {
    const analyzer = new Analyzer(ANALYZE_OPTIONS)
    const read = await readCapture(path, analyzer, { chunkSize })
    const table = analyzer.finish()
    const problem = (e: typeof read.error): FileResult['error'] => e === undefined ? undefined : { code: e.code, offset: e.offset, message: e.message }
    b = { file: path, info: read.info, stats: analyzer.stats, table, error: problem(read.error), warning: problem(read.warning), content: read.content }
  } catch (err) {
    problems.push(`readCapture with chunkSize ${chunkSize} threw: ${describeError(err)}`)
    return { code: a.error?.code, problems }
  }
  // Only deflate data that zlib refuses gives a result that depends on chunking: what came out
  // before zlib noticed. Every other gzip damage is read up to the damage, whatever the chunks.
  const refused = [a.error, b.error].some(e => e?.code === 'CORRUPT_GZIP' && / within compressed bytes /.test(e.message))
  if (!refused && !isDeepStrictEqual(outcome(a), outcome(b))) {
    const oa = outcome(a) as Record<string, unknown>
    const ob = outcome(b) as Record<string, unknown>
    const differs = Object.keys(oa).filter(k => !isDeepStrictEqual(oa[k], ob[k]))
    problems.push(`reading in ${chunkSize}-byte chunks differs in ${differs.join(', ')}: ` +
      differs.map(k => `${k}: ${JSON.stringify(oa[k])} vs ${JSON.stringify(ob[k])}`).join('; ').slice(0, 2000))
  }
  try {
    await readCapture(path, new DecoderCheck(problems))
  } catch (err) {
    problems.push(`decoder check threw: ${describeError(err)}`)
  }
  return { code: a.error?.code, problems }
}

const FACT_FIELDS = [
  'ipVersion', 'outerVersion', 'length', 'protocol', 'ttl', 'tos', 'src', 'dst', 'src6', 'dst6', 'tcpSport', 'tcpDport',
  'tcpSeq', 'tcpAck', 'udpSport', 'udpDport', 'icmpType', 'icmpCode', 'inner', 'malformed', 'unsupportedLink'
] as const satisfies ReadonlyArray<keyof PacketFacts>
const GUARD = 64
/** Problems reported per file at most: one bad decoder usually breaks many packets alike. */
const MAX_DECODER_PROBLEMS = 3

/**
 * Decodes every packet twice, in place and as a copy between 64 guard bytes of 0xee, in both
 * modes: a decoder that reads outside [off, off + caplen) sees different bytes and gives other
 * facts. Also checks the ranges of the facts.
 */
class DecoderCheck implements PacketSink {
  readonly #problems: string[]
  readonly #inPlace = [new PacketFacts(false), new PacketFacts(true)]
  readonly #copied = [new PacketFacts(false), new PacketFacts(true)]
  #guarded = Buffer.alloc(0)
  #packet = 0
  #reported = 0

  constructor (problems: string[]) {
    this.#problems = problems
  }

  packet (buf: Buffer, off: number, caplen: number, _origlen: number, linktype: number): void {
    const n = this.#packet++
    if (this.#reported >= MAX_DECODER_PROBLEMS) return
    if (this.#guarded.length < caplen + 2 * GUARD) this.#guarded = Buffer.alloc(caplen + 2 * GUARD)
    const g = this.#guarded
    g.fill(0xee)
    buf.copy(g, GUARD, off, off + caplen)
    for (let mode = 0; mode < 2; mode++) {
      const a = this.#inPlace[mode]!
      const b = this.#copied[mode]!
      a.reset()
      b.reset()
      decodeFrame(buf, off, off + caplen, linktype, a)
      decodeFrame(g, GUARD, GUARD + caplen, linktype, b)
      const bad: string[] = []
      for (const k of FACT_FIELDS) {
        let x = a[k]
        let y = b[k]
        if ((k === 'src6' || k === 'dst6') && a.ipVersion === 6) { x = (x as number) - off; y = (y as number) - GUARD }
        if (!Object.is(x, y)) bad.push(`${k} ${String(x)} vs ${String(y)} in a guarded copy`)
      }
      bad.push(...factRanges(a, off, off + caplen))
      if (bad.length > 0) {
        this.#reported++
        this.#problems.push(`packet ${n} (link type ${linktype}, ${mode === 1 ? 'firstIpv4' : 'default'} mode): ${bad.join(', ')}; ` +
          `bytes ${buf.toString('hex', off, off + Math.min(caplen, 96))}`)
        return
      }
    }
  }
}

function factRanges (f: PacketFacts, off: number, end: number): string[] {
  const bad: string[] = []
  const within = (k: typeof FACT_FIELDS[number], lo: number, hi: number): void => {
    const v = f[k] as number
    if (!(Number.isInteger(v) && ((v >= lo && v <= hi) || v === -1))) bad.push(`${k} ${v} outside [${lo}, ${hi}]`)
  }
  for (const k of ['ttl', 'tos', 'protocol', 'icmpType', 'icmpCode'] as const) within(k, 0, 255)
  for (const k of ['tcpSport', 'tcpDport', 'udpSport', 'udpDport'] as const) within(k, 0, 65535)
  for (const k of ['tcpSeq', 'tcpAck', 'src', 'dst'] as const) within(k, 0, 0xffffffff)
  within('length', 0, 65535 + 40)
  if (f.ipVersion === 6) {
    if (!(f.src6 >= off && f.src6 + 16 <= end && f.dst6 >= off && f.dst6 + 16 <= end)) bad.push(`IPv6 addresses at ${f.src6}/${f.dst6} outside [${off}, ${end})`)
  }
  if (f.ipVersion !== 0 && (f.protocol < 0 || f.length < 0 || f.ttl < 0)) bad.push(`ipVersion ${f.ipVersion} without protocol/length/ttl`)
  if (f.ipVersion !== 0 && f.outerVersion === 0) bad.push('ipVersion without outerVersion')
  return bad
}

/** As [code, offset]. */
function said (p: FileResult['error']): Outcome {
  return p === undefined ? null : [p.code, p.offset]
}

/**
 * What a case built to a known outcome must give. With `twin` (a gzip case damaged after its
 * deflate data, and its capture stream read as a plain file): the same counts, and the stream's
 * own error (unless it is one the parser tells only at the end and the gzip is damaged), else
 * the gzip's error, else the gzip's warning or the stream's.
 */
function expectations (r: FileResult, expect: Expectation, twin: FileResult | undefined): string[] {
  const problems: string[] = []
  let { error, warning } = expect
  if (twin !== undefined) {
    // info.offset tells how far the parser got: where its last unit ended when the gzip failed.
    const { offset: _o1, gzip: _g1, ...info } = r.info
    const { offset: _o2, gzip: _g2, ...twinInfo } = twin.info
    const pairs: Array<[string, unknown, unknown]> = [['info', info, twinInfo], ['stats', r.stats, twin.stats], ['table', r.table, twin.table]]
    for (const [what, x, y] of pairs) {
      if (!isDeepStrictEqual(x, y)) problems.push(`${what} differs from the plain capture's: ${JSON.stringify(x)} vs ${JSON.stringify(y)}`.slice(0, 2000))
    }
    const damaged = error !== null && error !== undefined
    // The parser says EMPTY, or too short to tell the format, only when its input ends.
    const atEnd = twin.error !== undefined && (twin.error.code === 'EMPTY' || (twin.error.code === 'BAD_MAGIC' && twin.error.message.includes('too short')))
    if (twin.error !== undefined && !(damaged && atEnd)) {
      error = said(twin.error)
      warning = null
    } else if (damaged) {
      warning = null
    } else {
      warning = warning ?? said(twin.warning)
    }
  }
  const differs = (what: string, got: FileResult['error'], want: Outcome | undefined): void => {
    if (want !== undefined && !isDeepStrictEqual(said(got), want)) {
      problems.push(`${what} ${JSON.stringify(said(got))}, expected ${JSON.stringify(want)}${got === undefined ? '' : `: ${got.message}`}`)
    }
  }
  differs('error', r.error, error)
  differs('warning', r.warning, warning)
  return problems
}

/** The consistency rules of one result. */
export function invariants (r: FileResult, streamBytes: number | undefined): string[] {
  const problems: string[] = []
  const check = (ok: boolean, what: string): void => { if (!ok) problems.push(what) }
  const { info, stats, table, error, warning } = r
  if (error !== undefined) {
    check(KNOWN_CODES.has(error.code), `unknown error code ${error.code}: ${error.message}`)
    check(!IMPOSSIBLE_CODES.has(error.code), `error ${error.code} on a readable file: ${error.message}`)
    check(error.code !== 'TRUNCATED', `TRUNCATED is a warning, not an error: ${error.message}`)
    check(Number.isSafeInteger(error.offset) && error.offset >= 0, `error offset ${error.offset}`)
  }
  if (warning !== undefined) {
    check(warning.code === 'TRUNCATED' || (warning.code === 'TRAILING_GARBAGE' && info.gzip), `warning ${warning.code}: ${warning.message}`)
    check(error === undefined, 'both an error and a warning')
    check(Number.isSafeInteger(warning.offset) && warning.offset >= 0, `warning offset ${warning.offset}`)
  }
  check(stats.packets === info.packets, `stats.packets ${stats.packets} !== info.packets ${info.packets}`)
  check(stats.counted <= stats.packets, `stats.counted ${stats.counted} > stats.packets ${stats.packets}`)
  check(stats.counted + stats.undated <= stats.packets, `counted ${stats.counted} + undated ${stats.undated} > packets ${stats.packets}`)
  const kinds = stats.ipv4 + stats.ipv6 + stats.nonIp + stats.unsupportedLink
  check(kinds === stats.packets, `ipv4 + ipv6 + nonIp + unsupportedLink = ${kinds}, packets ${stats.packets}`)
  check(stats.malformed <= stats.packets, `malformed ${stats.malformed} > packets ${stats.packets}`)
  const badDay = Object.keys(stats.perDay).find(day => !/^\d{8}$/.test(day))
  check(badDay === undefined, `day key '${badDay}' is not YYYYMMDD (potiron's keys have 8-digit days)`)
  const perDay = Object.values(stats.perDay).reduce((s, n) => s + n, 0)
  check(perDay + stats.noTimestamp + stats.outOfRange === stats.packets,
    `perDay ${perDay} + noTimestamp ${stats.noTimestamp} + outOfRange ${stats.outOfRange} !== packets ${stats.packets}`)
  const protocols = Object.values(stats.protocols).reduce((s, n) => s + n, 0)
  check(protocols <= stats.packets, `protocols sum ${protocols} > packets ${stats.packets}`)
  check(info.capturedBytes >= 0 && info.snapTruncated <= info.packets, `capturedBytes ${info.capturedBytes}, snapTruncated ${info.snapTruncated}`)
  if (streamBytes !== undefined) {
    check(info.offset <= streamBytes, `info.offset ${info.offset} > ${streamBytes} stream bytes`)
    check(info.capturedBytes <= streamBytes, `capturedBytes ${info.capturedBytes} > ${streamBytes} stream bytes`)
    // Offsets of damage to the gzip container are in the compressed file.
    if (error !== undefined && error.code !== 'CORRUPT_GZIP') check(error.offset <= streamBytes, `error offset ${error.offset} > ${streamBytes} stream bytes`)
    if (warning?.code === 'TRUNCATED') check(warning.offset < streamBytes, `warning offset ${warning.offset} >= ${streamBytes} stream bytes`)
    if (error === undefined) check(info.offset === streamBytes, `read to the end but info.offset ${info.offset} !== ${streamBytes}`)
  }
  check(table.ipv6.length % 16 === 0, `ipv6 table of ${table.ipv6.length} bytes`)
  // Every counted packet adds 1 to each field on its day, every undated one 1 to each field under UNDATED.
  const dated = new Array<number>(FIELDS.length).fill(0)
  const undated = new Array<number>(FIELDS.length).fill(0)
  for (const group of table.groups) {
    check(group.values.length === group.counts.length, 'count group columns of different lengths')
    if (group.field >= FIELDS.length) problems.push(`table group of field ${group.field}`)
    for (let i = 0; i < group.counts.length; i++) {
      const count = group.counts[i]!
      if (!(Number.isSafeInteger(count) && count > 0)) problems.push(`table row ${i}: count ${count}`)
      else if (group.day === UNDATED) undated[group.field]! += count
      else dated[group.field]! += count
    }
  }
  FIELDS.forEach((name, field) => {
    check(dated[field] === stats.counted, `field ${name}: dated counts sum to ${dated[field]}, counted ${stats.counted}`)
    check(undated[field] === stats.undated, `field ${name}: undated counts sum to ${undated[field]}, undated ${stats.undated}`)
  })
  return problems
}

// ---------------------------------------------------------------------------------------------
// The driver (main thread) and the worker.

const WORKER_ROLE = 'potiron-fuzz-worker'
const MIB = 1024 * 1024
/**
 * The V8 heap of the case worker: a reader keeps little there, so a case that needs more has
 * kept what a file claims (50M pcapng interfaces did). Past it the worker dies, not the run.
 */
const WORKER_HEAP_MIB = 256
/** Default growth of the process's resident memory (typed arrays included) a case may cause. */
const DEFAULT_MEMORY_MIB = 512
const MEMORY_SAMPLE_MS = 10
/** Problems after which the worker is replaced. */
const FATAL = /^(hang|worker died|memory):/

/**
 * Runs cases in one worker thread, replaced when a case hangs, kills it, or makes the process's
 * resident memory grow past the budget (sampled from this thread, so also while the worker
 * spins synchronously).
 */
class CaseRunner {
  #worker: Worker | undefined
  #pending: { resolve: (v: Verdict) => void, reject: (e: Error) => void } | undefined

  async run (job: Job, timeoutMs: number, memoryMiB: number): Promise<Verdict> {
    const worker = this.#spawn()
    let timer: NodeJS.Timeout | undefined
    let sampler: NodeJS.Timeout | undefined
    const answer = new Promise<Verdict>((resolve, reject) => { this.#pending = { resolve, reject } })
    const timeout = new Promise<Verdict>(resolve => {
      timer = setTimeout(() => resolve({ id: job.id, code: undefined, problems: [`hang: no answer within ${timeoutMs} ms`] }), timeoutMs)
    })
    const base = process.memoryUsage.rss()
    let peak = base
    const memory = new Promise<Verdict>(resolve => {
      sampler = setInterval(() => {
        peak = Math.max(peak, process.memoryUsage.rss())
        if (peak - base > memoryMiB * MIB) {
          resolve({ id: job.id, code: undefined, problems: [`memory: resident memory grew by ${Math.round((peak - base) / MIB)} MiB, more than the ${memoryMiB} MiB a case may take`] })
        }
      }, MEMORY_SAMPLE_MS)
    })
    worker.postMessage(job)
    try {
      const verdict = await Promise.race([answer, timeout, memory])
      if (verdict.problems.some(p => FATAL.test(p))) await this.close()
      return { ...verdict, peakBytes: peak - base }
    } catch (err) {
      await this.close()
      return { id: job.id, code: undefined, problems: [`worker died: ${describeError(err)}`], peakBytes: peak - base }
    } finally {
      clearTimeout(timer)
      clearInterval(sampler)
      this.#pending = undefined
    }
  }

  async close (): Promise<void> {
    const worker = this.#worker
    this.#worker = undefined
    if (worker !== undefined) await worker.terminate()
  }

  #spawn (): Worker {
    if (this.#worker !== undefined) return this.#worker
    const worker = new Worker(new URL(import.meta.url), { workerData: { role: WORKER_ROLE }, resourceLimits: { maxOldGenerationSizeMb: WORKER_HEAP_MIB } })
    worker.on('message', (v: Verdict) => this.#pending?.resolve(v))
    worker.on('error', (err) => this.#pending?.reject(err))
    worker.on('exit', (code) => {
      if (this.#worker === worker) this.#worker = undefined
      this.#pending?.reject(new Error(`worker exited with code ${code}`))
    })
    this.#worker = worker
    return worker
  }
}

/** Runs `cases` seeded cases; throws FuzzFailure (after running them all) when any broke an invariant. */
export async function fuzz (options: FuzzOptions): Promise<FuzzResult> {
  const log = options.log ?? (() => {})
  const timeoutMs = options.timeoutMs ?? DEFAULT_TIMEOUT_MS
  const memoryMiB = options.memoryMiB ?? DEFAULT_MEMORY_MIB
  const first = options.first ?? 0
  const corpus = loadCorpus(options.corpus)
  if (corpus.length === 0) throw new Error(`fuzz: no seed capture under ${options.corpus ?? PUBLIC}`)
  mkdirSync(options.dir, { recursive: true })
  const result: FuzzResult = { cases: 0, parsed: 0, failedTyped: {}, hostile: 0, peakMemoryMiB: 0 }
  const failures: Failure[] = []
  const runner = new CaseRunner()
  const started = Date.now()
  const every = Math.max(1, Math.round(options.cases / 10))
  try {
    for (let n = first; n < first + options.cases; n++) {
      const c = makeCase(corpus, options.seed, n, options.hostile)
      const ext = c.gzip ? 'pcap.gz' : 'pcap'
      const path = join(options.dir, `fuzz-s${options.seed}-c${n}.${ext}`)
      writeFileSync(path, c.bytes)
      const twin = c.twin === undefined ? undefined : `${path}.twin.pcap`
      if (twin !== undefined) writeFileSync(twin, c.twin!)
      const verdict = await runner.run({ id: n, path, chunkSize: c.chunkSize, streamBytes: c.streamBytes, expect: c.expect, twin }, timeoutMs, memoryMiB)
      result.cases++
      if (c.mutations[0]?.startsWith('hostile ') === true) result.hostile++
      result.peakMemoryMiB = Math.max(result.peakMemoryMiB, Math.round((verdict.peakBytes ?? 0) / MIB))
      const unanswered = verdict.problems.some(p => FATAL.test(p))
      // A case that hung, killed its worker or took too much memory counts as neither.
      if (!unanswered && verdict.code === undefined) result.parsed++
      else if (!unanswered && verdict.code !== undefined) result.failedTyped[verdict.code] = (result.failedTyped[verdict.code] ?? 0) + 1
      if (verdict.problems.length > 0) {
        failures.push({ seed: options.seed, case: n, path, mutations: [...c.mutations, `chunk ${c.chunkSize}`], problems: verdict.problems })
        log(`FAIL seed ${options.seed} case ${n}: ${path}: ${verdict.problems[0]!.split('\n')[0]}`)
      } else {
        unlinkSync(path)
        if (twin !== undefined) unlinkSync(twin)
      }
      if (result.cases % every === 0) {
        log(`${result.cases}/${options.cases} cases, ${result.parsed} parsed, ${failures.length} failed, ${((Date.now() - started) / 1000).toFixed(1)} s`)
      }
    }
  } finally {
    await runner.close()
  }
  if (failures.length > 0) throw new FuzzFailure(failures, result)
  return result
}

function serve (): void {
  const port = parentPort!
  port.on('message', (job: Job) => {
    checkFile(job.path, job.chunkSize, job.streamBytes, job.expect, job.twin).then(
      ({ code, problems }) => port.postMessage({ id: job.id, code, problems } satisfies Verdict),
      (err: unknown) => port.postMessage({ id: job.id, code: undefined, problems: [`check threw: ${describeError(err)}`] } satisfies Verdict))
  })
}

if (!isMainThread && (workerData as { role?: string } | null)?.role === WORKER_ROLE) serve()
