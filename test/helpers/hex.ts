/** Test helpers for the capture readers: hex-built inputs and sinks that record what they get. */

import assert from 'node:assert/strict'
import { crc32, gzipSync } from 'node:zlib'
import { CaptureParser } from '../../src/capture/parser.js'
import type { CaptureInfo, PacketSink } from '../../src/capture/types.js'
import { CaptureError } from '../../src/errors.js'
import { hex } from './frames.js'

/** The public test captures (read-only), with tshark's ground truth in expected/ (POTIRON_SHARED moves them). */
export { PUBLIC as CAPTURES } from './shared.js'
/** `hex('d4c3 b2a1', '0200 0400')` → the bytes; whitespace is ignored so fields can be spaced out. */
export { hex }

/** One sink call, with the bytes copied out (as hex, for readable diffs). */
export interface Packet {
  data: string
  caplen: number
  origlen: number
  linktype: number
  sec: number
  nsec: number
}

/** Keeps every call; `buffers` remembers which buffer each call pointed into. */
export class RecordingSink implements PacketSink {
  readonly packets: Packet[] = []
  readonly buffers: Buffer[] = []
  packet (buf: Buffer, off: number, caplen: number, origlen: number, linktype: number, sec: number, nsec: number): void {
    this.packets.push({ data: buf.toString('hex', off, off + caplen), caplen, origlen, linktype, sec, nsec })
    this.buffers.push(buf)
  }
}

/** A sink that sums up what it saw as a string; `feed` tells it where each piece starts. */
export interface DigestingSink extends PacketSink {
  digest: () => string
  piece?: (buf: Buffer, from: number) => void
}

/** Count plus a running CRC-32 of every argument and byte; stages small calls so CRC runs on blocks. */
export class DigestSink implements DigestingSink {
  count = 0
  #crc = 0
  readonly #stage = Buffer.allocUnsafe(16 * 1024)
  #used = 0
  packet (buf: Buffer, off: number, caplen: number, origlen: number, linktype: number, sec: number, nsec: number): void {
    const meta = 5 * 8
    if (this.#used + meta + caplen > this.#stage.length) this.#flush()
    const s = this.#stage
    let at = s.writeDoubleLE(caplen, this.#used)
    at = s.writeDoubleLE(origlen, at)
    at = s.writeDoubleLE(linktype, at)
    at = s.writeDoubleLE(sec, at)
    this.#used = s.writeDoubleLE(nsec, at)
    if (this.#used + caplen <= s.length) {
      this.#used += buf.copy(s, this.#used, off, off + caplen)
    } else {
      this.#flush()
      this.#crc = crc32(buf.subarray(off, off + caplen), this.#crc)
    }
    this.count++
  }

  /** `count:crc` of everything seen so far. */
  digest (): string {
    this.#flush()
    return `${this.count}:${this.#crc.toString(16)}`
  }

  #flush (): void {
    this.#crc = crc32(this.#stage.subarray(0, this.#used), this.#crc)
    this.#used = 0
  }
}

/** A sink call, with where its bytes lie in the input instead of the bytes. */
interface Placed { at: number, caplen: number, origlen: number, linktype: number, sec: number, nsec: number }

/** Records where each packet lies in `data`: feed `data` whole, then check other feeds with `matcher`. */
export class PlacingSink implements DigestingSink {
  readonly placed: Placed[] = []
  #current: Buffer | undefined
  #from = 0
  readonly #data: Buffer
  constructor (data: Buffer) { this.#data = data }
  piece (buf: Buffer, from: number): void {
    this.#current = buf
    this.#from = from
  }

  packet (buf: Buffer, off: number, caplen: number, origlen: number, linktype: number, sec: number, nsec: number): void {
    assert.equal(buf, this.#current, 'a whole-input parse hands every packet over in place')
    this.placed.push({ at: this.#from + off, caplen, origlen, linktype, sec, nsec })
  }

  digest (): string {
    return `${this.placed.length} packets`
  }

  /** A sink that checks each call against this one's (see MatchingSink). */
  matcher (): DigestingSink {
    return new MatchingSink(this.#data, this.placed)
  }
}

/**
 * Checks each call against a whole-input parse: same arguments, and the same bytes, proven by
 * position for packets handed over in place (O(1)) and by comparison for carried ones. As strict
 * as a digest of all bytes, it makes splitting at every offset affordable.
 */
class MatchingSink implements DigestingSink {
  #count = 0
  #mismatch = ''
  #current: Buffer | undefined
  #from = 0
  readonly #data: Buffer
  readonly #placed: Placed[]
  constructor (data: Buffer, placed: Placed[]) {
    this.#data = data
    this.#placed = placed
  }

  piece (buf: Buffer, from: number): void {
    this.#current = buf
    this.#from = from
  }

  packet (buf: Buffer, off: number, caplen: number, origlen: number, linktype: number, sec: number, nsec: number): void {
    const want = this.#placed[this.#count++]
    if (this.#mismatch !== '') return
    const data = this.#data
    const same = want !== undefined && caplen === want.caplen && origlen === want.origlen &&
      linktype === want.linktype && (sec === want.sec || (Number.isNaN(sec) && Number.isNaN(want.sec))) && nsec === want.nsec &&
      ((buf === this.#current && this.#from + off === want.at) ||
        buf.compare(data, want.at, want.at + caplen, off, off + caplen) === 0)
    if (!same) this.#mismatch = ` (call ${this.#count - 1} differs)`
  }

  digest (): string {
    return `${this.#count} packets${this.#mismatch}`
  }
}

/** Everything a parse produced, comparable with deepEqual. */
export interface Outcome {
  digest: string
  info: CaptureInfo
  warning: string | undefined
  error: string | undefined
}

function describe (err: CaptureError | undefined): string | undefined {
  return err === undefined ? undefined : `${err.code}@${err.offset}: ${err.message}`
}

/**
 * Feeds `data` to a fresh CaptureParser in pieces ending at `cuts` (increasing offsets; the
 * rest follows) and returns the outcome, digested by `sink`. `reuse` copies every piece into
 * one scratch buffer first, as a reader reusing its buffer would, and scribbles over it
 * afterwards to catch references kept past `push`.
 */
export function feed (data: Buffer, cuts: Iterable<number>, reuse = false, sink: DigestingSink = new DigestSink()): Outcome {
  const parser = new CaptureParser('t.pcap', sink)
  const scratch = reuse ? Buffer.alloc(data.length) : undefined
  let warning: CaptureError | undefined
  let error: CaptureError | undefined
  try {
    let from = 0
    const push = (to: number): void => {
      let piece = data.subarray(from, to)
      if (scratch !== undefined) piece = scratch.subarray(0, data.copy(scratch, 0, from, to))
      sink.piece?.(piece, from)
      parser.push(piece)
      scratch?.fill(0xee, 0, piece.length)
      from = to
    }
    for (const to of cuts) if (to > from && to < data.length) push(to)
    if (from < data.length) push(data.length)
    warning = parser.end()
  } catch (err) {
    error = err as CaptureError
  }
  return { digest: sink.digest(), info: { ...parser.info, linktypes: [...parser.info.linktypes] }, warning: describe(warning), error: describe(error) }
}

/** Cut offsets every `step` bytes: feed(data, every(data.length, 1)) pushes byte by byte. */
export function * every (length: number, step: number): Generator<number> {
  for (let at = step; at < length; at += step) yield at
}

/**
 * The three-way boundary check on a small input: whole, in 1-byte chunks through a reused
 * buffer, and split in two at every offset must give the same outcome; returns the whole one.
 */
export function assertSameWhateverTheChunking (data: Buffer, packets: number): Outcome {
  const whole = feed(data, [])
  assert.equal(whole.info.packets, packets)
  assert.deepEqual(feed(data, every(data.length, 1), true), whole)
  for (let cut = 1; cut < data.length; cut++) assert.deepEqual(feed(data, [cut], true), whole, `cut at ${cut}`)
  return whole
}

/** Parses `data` in one push; returns the sink calls, info and end() warning. */
export function parse (data: Buffer): { packets: Packet[], info: CaptureInfo, warning: CaptureError | undefined } {
  const sink = new RecordingSink()
  const parser = new CaptureParser('t', sink)
  parser.push(data)
  const warning = parser.end()
  return { packets: sink.packets, info: parser.info, warning }
}

/** Asserts that `fn` throws a CaptureError with this code and offset. */
export function throwsCapture (fn: () => unknown, code: string, offset: number): void {
  assert.throws(fn, (err: unknown) => {
    assert.ok(err instanceof CaptureError, String(err))
    assert.equal(err.code, code, err.message)
    assert.equal(err.offset, offset, err.message)
    return true
  })
}

/** A little-endian pcapng Section Header Block without options (version 1.0): 28 bytes. */
export const SHB_BARE = hex('0a0d0d0a 1c000000 4d3c2b1a 0100 0000 ffffffffffffffff 1c000000')
/** A little-endian Interface Description Block without options (Ethernet, no snap length): 20 bytes. */
export const IDB_BARE = hex('01000000 14000000 0100 0000 00000000 14000000')

/** An Enhanced Packet Block on interface 65535 (the last of the most a section may declare): 4 bytes of data. */
export const EPB_ON_IF_65535 = hex('06000000 24000000 ffff0000 fe9c9717 15cd853d', '04000000 04000000', 'deadbeef', '24000000')

/** `count` copies of IDB_BARE: a section that declares that many interfaces. */
export function idbFlood (count: number): Buffer {
  return Buffer.alloc(count * IDB_BARE.length).fill(IDB_BARE)
}

const floodMembers = new Map<number, Buffer>()

/**
 * A gzip file of SHB_BARE then `members` gzip members of `perMember` IDBs each. Deflate packs a
 * repeated block ~1000:1, so 50 members of 1,000,000 (50M interfaces, 1 GB of pcapng) take 2.4 MB.
 */
export function idbFloodGzip (members: number, perMember: number): Buffer {
  let member = floodMembers.get(perMember)
  if (member === undefined) floodMembers.set(perMember, member = gzipSync(idbFlood(perMember), { level: 9 }))
  return Buffer.concat([gzipSync(SHB_BARE), ...new Array<Buffer>(members).fill(member)])
}
