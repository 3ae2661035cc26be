/**
 * A synchronous push parser for pcap and pcapng streams: it is fed chunks of any size and hands
 * every packet record to a PacketSink, in place when the record lies inside one chunk.
 */

import { CaptureError } from '../errors.js'
import {
  GZIP_ID1, GZIP_ID2, MAGIC_PCAP_MODIFIED, MAGIC_PCAP_MODIFIED_SWAPPED, MAGIC_PCAP_NSEC,
  MAGIC_PCAP_NSEC_SWAPPED, MAGIC_PCAP_USEC, MAGIC_PCAP_USEC_SWAPPED, MAGIC_PCAPNG, SNIFF_BYTES
} from './constants.js'
import { PcapReader } from './pcap.js'
import { PcapngReader } from './pcapng.js'
import type { CaptureInfo, PacketSink, RecordReader } from './types.js'
import { plural } from '../plural.js'

const PCAP_MAGICS = new Set([
  MAGIC_PCAP_USEC, MAGIC_PCAP_USEC_SWAPPED, MAGIC_PCAP_NSEC, MAGIC_PCAP_NSEC_SWAPPED,
  MAGIC_PCAP_MODIFIED, MAGIC_PCAP_MODIFIED_SWAPPED
])
/** First carry allocation: most records that straddle chunks are smaller. */
const MIN_CARRY_BYTES = 64 * 1024

/**
 * Parses a capture pushed in chunks. The format is sniffed from the first bytes. A record that
 * straddles chunks is completed in an internal carry buffer (only its bytes are copied); no
 * reference to a pushed chunk survives `push`, so callers may reuse their buffers.
 */
export class CaptureParser {
  readonly info: CaptureInfo = {
    format: undefined,
    gzip: false,
    precision: undefined,
    linktypes: [],
    packets: 0,
    capturedBytes: 0,
    snapTruncated: 0,
    skippedBlocks: 0,
    offset: 0
  }

  readonly #file: string
  readonly #sink: PacketSink
  #reader: RecordReader | undefined
  #carry = Buffer.alloc(0)
  #carryLen = 0
  /** Stream offset of carry[0], the start of the incomplete unit. */
  #carryBase = 0
  /** Bytes pushed so far. */
  #fed = 0
  #failure: unknown
  #failed = false
  #ended = false

  constructor (file: string, sink: PacketSink) {
    this.#file = file
    this.#sink = sink
  }

  /** Parses `chunk`; throws CaptureError when the capture cannot be read further (then and after). */
  push (chunk: Buffer): void {
    if (this.#failed) throw this.#failure
    if (this.#ended) throw new Error('CaptureParser: push after end')
    const base = this.#fed
    this.#fed += chunk.length
    try {
      let pos = 0
      if (this.#carryLen > 0) {
        pos = this.#fillCarry(chunk)
        if (this.#carryLen > 0) return
      }
      const stop = this.#step(chunk, pos, chunk.length, base)
      if (stop < chunk.length) this.#keep(chunk, stop, base + stop)
    } catch (err) {
      this.#failed = true
      this.#failure = err
      throw err
    }
  }

  /**
   * Ends the input. Throws CaptureError EMPTY (no byte at all) or BAD_MAGIC (too short to
   * tell); returns a TRUNCATED warning when the input stops inside a record, else undefined.
   */
  end (): CaptureError | undefined {
    if (this.#failed) throw this.#failure
    this.#ended = true
    if (this.#fed === 0) throw new CaptureError('EMPTY', this.#file, 0, 'file is empty')
    if (this.#reader === undefined) {
      throw new CaptureError('BAD_MAGIC', this.#file, 0, `file too short to be a capture (${plural(this.#fed, 'byte')})`)
    }
    this.info.offset = this.#fed
    if (this.#carryLen === 0) return undefined
    const need = this.#reader.need
    return new CaptureError('TRUNCATED', this.#file, this.#carryBase,
      `capture cut short inside a ${this.#reader.unit} (${this.#carryLen} of ${need} bytes)`)
  }

  get #need (): number {
    return this.#reader?.need ?? SNIFF_BYTES
  }

  #step (buf: Buffer, pos: number, end: number, base: number): number {
    if (this.#reader === undefined) {
      if (end - pos < SNIFF_BYTES) return pos
      this.#reader = this.#sniff(buf, pos)
    }
    return this.#reader.parse(buf, pos, end, base)
  }

  #sniff (buf: Buffer, pos: number): RecordReader {
    const magic = buf.readUInt32BE(pos)
    if (PCAP_MAGICS.has(magic)) return new PcapReader(this.#file, this.info, this.#sink, magic)
    if (magic === MAGIC_PCAPNG) return new PcapngReader(this.#file, this.info, this.#sink)
    const hex = buf.toString('hex', pos, pos + SNIFF_BYTES)
    const hint = buf[pos] === GZIP_ID1 && buf[pos + 1] === GZIP_ID2 ? ' (gzip data: decompress first)' : ''
    throw new CaptureError('BAD_MAGIC', this.#file, 0, `not a pcap or pcapng file: magic 0x${hex}${hint}`)
  }

  /**
   * Completes the pending unit from the head of `chunk`, growing it as its header reveals its
   * size; returns the chunk position after the bytes taken. Leaves carryLen > 0 if the chunk ran out.
   */
  #fillCarry (chunk: Buffer): number {
    let pos = 0
    for (;;) {
      const need = this.#need
      const take = Math.min(need - this.#carryLen, chunk.length - pos)
      this.#reserve(need)
      chunk.copy(this.#carry, this.#carryLen, pos, pos + take)
      this.#carryLen += take
      pos += take
      if (this.#carryLen < need) return pos
      const used = this.#step(this.#carry, 0, this.#carryLen, this.#carryBase)
      if (used === this.#carryLen) {
        this.#carryLen = 0
        return pos
      }
      // The carry held exactly one unit's known size: either it was consumed or it must have grown.
      if (used !== 0 || this.#need <= this.#carryLen) throw new Error('capture parser: carry out of step')
    }
  }

  /** Copies the incomplete tail of a chunk into the carry. */
  #keep (chunk: Buffer, from: number, at: number): void {
    const tail = chunk.length - from
    this.#reserve(Math.max(this.#need, tail))
    chunk.copy(this.#carry, 0, from)
    this.#carryLen = tail
    this.#carryBase = at
  }

  /** Grows the carry to hold `bytes`; `need` is bounded by the readers' record limits. */
  #reserve (bytes: number): void {
    if (this.#carry.length >= bytes) return
    const grown = Buffer.allocUnsafe(Math.max(bytes, MIN_CARRY_BYTES, this.#carry.length * 2))
    this.#carry.copy(grown, 0, 0, this.#carryLen)
    this.#carry = grown
  }
}
