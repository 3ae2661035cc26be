/**
 * Seeded fuzzing of the capture readers and the decoders: real captures from the shared corpus,
 * mutated where it hurts (record and block headers, length fields, block order, truncation,
 * gzip), each written to a file and run through analyzeFile.
 *
 * Every case is a pure function of (seed, case number), so `node dist/test/fuzz-run.js --seed S
 * --case N` rebuilds it, and a failing input is kept on disk. Cases run in a worker thread
 * watched from the main thread: a case that does not answer within the timeout is a hang even
 * when it spins synchronously, and the worker is replaced.
 *
 * What must hold for every input:
 * - analyzeFile resolves (a rejection is a bug: capture problems come back in `error`);
 * - `error` and `warning` carry known CaptureError codes (the warning is only ever TRUNCATED);
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
import { FIELDS } from '../src/aggregate/fields.js'
import { UNDATED } from '../src/aggregate/table.js'
import { readCapture } from '../src/capture/read.js'
import { MAX_RECORD_BYTES, type PacketSink } from '../src/capture/types.js'
import { PacketFacts } from '../src/decode/facts.js'
import { decodeFrame } from '../src/decode/link.js'
import type { CaptureErrorCode } from '../src/errors.js'
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
}

export interface FuzzResult {
  cases: number
  /** Cases read to their end without a fatal error (a TRUNCATED warning allowed). */
  parsed: number
  /** Cases stopped by a CaptureError, per code. */
  failedTyped: Record<string, number>
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
export const ANALYZE_OPTIONS: AnalyzeOptions = { fields: FIELDS, splitProtocols: true, selection: 'default', zone: undefined }

/** Every CaptureErrorCode: the Record type makes the compiler flag a code added to or removed from errors.ts. */
const CODES: Record<CaptureErrorCode, true> = {
  EMPTY: true, BAD_MAGIC: true, BAD_HEADER: true, BAD_RECORD: true, RECORD_TOO_BIG: true, TOO_MANY_INTERFACES: true, BAD_TRAILER: true, TRAILING_GARBAGE: true,
  CORRUPT_GZIP: true, NOT_A_FILE: true, UNREADABLE: true, TRUNCATED: true
}
export const KNOWN_CODES: ReadonlySet<string> = new Set(Object.keys(CODES))
/** Codes that a readable regular file must never produce. */
const IMPOSSIBLE_CODES = new Set(['NOT_A_FILE', 'UNREADABLE'])

const DEFAULT_TIMEOUT_MS = 5000
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

/** One fuzz case: the bytes of its file and how they were made. */
export interface FuzzCase {
  bytes: Buffer
  gzip: boolean
  /** Length of the capture stream (after decompression), when known. */
  streamBytes: number | undefined
  /** Chunk size of the second, differential read. */
  chunkSize: number
  mutations: string[]
}

/** Builds case `n` of run `seed`: a pure function of its arguments. */
export function makeCase (corpus: readonly SeedCapture[], seed: number, n: number): FuzzCase {
  const rng = new Rng(caseSeed(seed, n))
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
  let streamBytes = stream?.length
  if (gzipped !== undefined && (stream === undefined || rng.chance(0.35))) {
    gzipped = Buffer.from(gzipped)
    streamBytes = undefined
    const how = rng.pick(['gzip-flip', 'gzip-flip', 'gzip-truncate', 'gzip-garbage', 'gzip-trailer'])
    mutations.push(how)
    if (how === 'gzip-flip') {
      // Mostly past the 10-byte header: corrupt deflate data, not just a bad magic.
      const from = rng.chance(0.85) ? Math.min(10, gzipped.length) : 0
      overwriteBytes(rng, gzipped, from, gzipped.length, 1 + rng.int(4))
    } else if (how === 'gzip-truncate') {
      gzipped = gzipped.subarray(0, rng.int(gzipped.length))
    } else if (how === 'gzip-garbage') {
      gzipped = Buffer.concat([gzipped, Buffer.from(Array.from({ length: 1 + rng.int(40) }, () => rng.int(256)))])
    } else {
      overwriteBytes(rng, gzipped, Math.max(0, gzipped.length - 8), gzipped.length, 1) // CRC-32 or ISIZE
    }
  }
  const bytes = gzipped ?? stream!
  const plain = gzipped === undefined
  // Small chunks for the second read, but at most about 100 reads per file: a case stays fast.
  const minChunk = Math.ceil(bytes.length / 100)
  const chunkSize = Math.max(minChunk, rng.pick([1, 2, 3, 5, 16, 24, 64, 100, 1000, 4096, 65536]))
  return { bytes, gzip: !plain, streamBytes, chunkSize, mutations }
}

// ---------------------------------------------------------------------------------------------
// The checks, run in the worker.

interface Job {
  id: number
  path: string
  chunkSize: number
  streamBytes: number | undefined
}

interface Verdict {
  id: number
  /** The error code, or undefined when the file was read to its end. */
  code: string | undefined
  problems: string[]
}

function describeError (err: unknown): string {
  return err instanceof Error ? (err.stack ?? err.message) : String(err)
}

/** Everything two reads of one file must agree on. */
function outcome (r: FileResult): unknown {
  return { info: r.info, stats: r.stats, table: r.table, error: r.error, warning: r.warning }
}

/** Checks one file: analyzeFile's result, its invariants, and a second read in small chunks. */
export async function checkFile (path: string, chunkSize: number, streamBytes: number | undefined): Promise<{ code: string | undefined, problems: string[] }> {
  let a: FileResult
  try {
    a = await analyzeFile(path, ANALYZE_OPTIONS)
  } catch (err) {
    return { code: undefined, problems: [`analyzeFile rejected: ${describeError(err)}`] }
  }
  const problems = invariants(a, streamBytes)
  let b: FileResult
  try {
    const analyzer = new Analyzer(ANALYZE_OPTIONS)
    const read = await readCapture(path, analyzer, { chunkSize })
    const table = analyzer.finish()
    const problem = (e: typeof read.error): FileResult['error'] => e === undefined ? undefined : { code: e.code, offset: e.offset, message: e.message }
    b = { file: path, info: read.info, stats: analyzer.stats, table, error: problem(read.error), warning: problem(read.warning) }
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

class CaseRunner {
  #worker: Worker | undefined
  #pending: { resolve: (v: Verdict) => void, reject: (e: Error) => void } | undefined

  async run (job: Job, timeoutMs: number): Promise<Verdict> {
    const worker = this.#spawn()
    let timer: NodeJS.Timeout | undefined
    const answer = new Promise<Verdict>((resolve, reject) => { this.#pending = { resolve, reject } })
    const timeout = new Promise<Verdict>(resolve => {
      timer = setTimeout(() => resolve({ id: job.id, code: undefined, problems: [`hang: no answer within ${timeoutMs} ms`] }), timeoutMs)
    })
    worker.postMessage(job)
    try {
      const verdict = await Promise.race([answer, timeout])
      if (verdict.problems.some(p => p.startsWith('hang:')) || verdict.problems.some(p => p.startsWith('worker died:'))) await this.close()
      return verdict
    } catch (err) {
      await this.close()
      return { id: job.id, code: undefined, problems: [`worker died: ${describeError(err)}`] }
    } finally {
      clearTimeout(timer)
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
    const worker = new Worker(new URL(import.meta.url), { workerData: { role: WORKER_ROLE } })
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
  const first = options.first ?? 0
  const corpus = loadCorpus(options.corpus)
  if (corpus.length === 0) throw new Error(`fuzz: no seed capture under ${options.corpus ?? PUBLIC}`)
  mkdirSync(options.dir, { recursive: true })
  const result: FuzzResult = { cases: 0, parsed: 0, failedTyped: {} }
  const failures: Failure[] = []
  const runner = new CaseRunner()
  const started = Date.now()
  const every = Math.max(1, Math.round(options.cases / 10))
  try {
    for (let n = first; n < first + options.cases; n++) {
      const c = makeCase(corpus, options.seed, n)
      const ext = c.gzip ? 'pcap.gz' : 'pcap'
      const path = join(options.dir, `fuzz-s${options.seed}-c${n}.${ext}`)
      writeFileSync(path, c.bytes)
      const verdict = await runner.run({ id: n, path, chunkSize: c.chunkSize, streamBytes: c.streamBytes }, timeoutMs)
      result.cases++
      const unanswered = verdict.problems.some(p => p.startsWith('hang:') || p.startsWith('worker died:'))
      // A case that hung or killed its worker counts as neither.
      if (!unanswered && verdict.code === undefined) result.parsed++
      else if (!unanswered && verdict.code !== undefined) result.failedTyped[verdict.code] = (result.failedTyped[verdict.code] ?? 0) + 1
      if (verdict.problems.length > 0) {
        failures.push({ seed: options.seed, case: n, path, mutations: [...c.mutations, `chunk ${c.chunkSize}`], problems: verdict.problems })
        log(`FAIL seed ${options.seed} case ${n}: ${path}: ${verdict.problems[0]!.split('\n')[0]}`)
      } else {
        unlinkSync(path)
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

async function serve (): Promise<void> {
  const port = parentPort!
  port.on('message', (job: Job) => {
    checkFile(job.path, job.chunkSize, job.streamBytes).then(
      ({ code, problems }) => port.postMessage({ id: job.id, code, problems } satisfies Verdict),
      (err: unknown) => port.postMessage({ id: job.id, code: undefined, problems: [`check threw: ${describeError(err)}`] } satisfies Verdict))
  })
}

if (!isMainThread && (workerData as { role?: string } | null)?.role === WORKER_ROLE) void serve()
