/**
 * pcapng blocks.
 * Layout: https://www.ietf.org/archive/id/draft-ietf-opsawg-pcapng (general block structure:
 * section 3.1, options: 3.5, SHB: 4.1, IDB: 4.2, EPB: 4.3, SPB: 4.4, obsolete PB: appendix A).
 */

import { CaptureError } from '../errors.js'
import {
  BLOCK_ALIGN, BLOCK_HEADER_BYTES, BLOCK_OFF_LENGTH, BLOCK_TRAILER_BYTES, BT_EPB, BT_IDB, BT_PB,
  BT_SHB, BT_SPB, BYTE_ORDER_MAGIC, DEFAULT_TSRESOL_EXPONENT, EPB_DATA, EPB_OFF_CAPLEN,
  EPB_OFF_INTERFACE, EPB_OFF_ORIGLEN, EPB_OFF_TS_HIGH, EPB_OFF_TS_LOW, IDB_OFF_LINKTYPE,
  IDB_OFF_SNAPLEN, IDB_OPTIONS, MAX_INTERFACES_PER_SECTION, MAX_OTHER_BLOCK_BYTES,
  MAX_PACKET_BLOCK_BYTES, MIN_BLOCK_BYTES, NSEC_PER_SEC, OPTION_HEADER_BYTES, OPTION_OFF_LENGTH,
  OPT_ENDOFOPT, OPT_IF_TSOFFSET, OPT_IF_TSRESOL, PCAPNG_VERSION_MAJOR, SHB_OFF_BOM,
  SHB_OFF_VERSION_MAJOR, SHB_OFF_VERSION_MINOR, SHB_OPTIONS, SHB_PREFIX_BYTES, SPB_DATA,
  SPB_OFF_ORIGLEN, TSOFFSET_BYTES, TSRESOL_BINARY_FLAG, TSRESOL_BYTES, TSRESOL_EXPONENT_MASK,
  TWO_POW_32
} from './constants.js'
import { MAX_RECORD_BYTES, NO_TIMESTAMP } from './types.js'
import type { CaptureInfo, PacketSink, RecordReader } from './types.js'
import { plural } from '../plural.js'

/** What a section says about one of its interfaces. */
interface Interface {
  linktype: number
  snaplen: number
  time: Timebase
}

/** Reads a pcapng stream block by block; each section brings its byte order and interfaces. */
export class PcapngReader implements RecordReader {
  need = SHB_PREFIX_BYTES
  readonly unit = 'block'
  #le = true
  /** At most MAX_INTERFACES_PER_SECTION. */
  #interfaces: Interface[] = []
  /** The link types in info.linktypes, for a lookup that does not grow with them. */
  readonly #linktypes = new Set<number>()
  /** if_tsresol and if_tsoffset of the IDB being read: options may come in any order. */
  #tsresol = DEFAULT_TSRESOL_EXPONENT
  #tsoffset = 0n
  /** The last IDB's Timebase and the options it was made from: interfaces alike share one. */
  #time: Timebase | undefined
  #timeResol = 0
  #timeOffset = 0n
  readonly #file: string
  readonly #info: CaptureInfo
  readonly #sink: PacketSink

  constructor (file: string, info: CaptureInfo, sink: PacketSink) {
    this.#file = file
    this.#info = info
    this.#sink = sink
    info.format = 'pcapng'
  }

  parse (buf: Buffer, pos: number, end: number, base: number): number {
    // DataView reads are several times faster than Buffer#readUInt32LE on Node 20.
    const dv = new DataView(buf.buffer, buf.byteOffset, buf.byteLength)
    for (;;) {
      const avail = end - pos
      if (avail < BLOCK_HEADER_BYTES) {
        this.need = BLOCK_HEADER_BYTES
        return pos
      }
      // The SHB type reads the same in both orders; its length needs the byte-order magic after it.
      const type = this.#u32(dv, pos)
      let le = this.#le
      if (type === BT_SHB) {
        if (avail < SHB_PREFIX_BYTES) {
          this.need = SHB_PREFIX_BYTES
          return pos
        }
        le = this.#sectionOrder(buf, dv, pos, base)
      }
      const length = dv.getUint32(pos + BLOCK_OFF_LENGTH, le)
      this.#checkLength(type, length, base + pos)
      if (avail < length) {
        this.need = length
        return pos
      }
      // SHB and IDB contents are judged before their trailer, as Wireshark does, so a broken
      // option is reported as such; packets are only emitted from blocks that end right.
      if (type === BT_SHB) this.#sectionHeader(dv, pos, length, base, le)
      else if (type === BT_IDB) this.#interfaceBlock(dv, pos, length, base)
      else {
        this.#checkTrailer(dv, pos, length, base, type)
        if (type === BT_EPB) this.#packet(buf, dv, pos, length, base, this.#u32(dv, pos + EPB_OFF_INTERFACE))
        else if (type === BT_PB) this.#packet(buf, dv, pos, length, base, this.#u16(dv, pos + EPB_OFF_INTERFACE))
        else if (type === BT_SPB) this.#simplePacket(buf, dv, pos, length, base)
        else this.#info.skippedBlocks++
      }
      pos += length
      this.#info.offset = base + pos
      this.need = BLOCK_HEADER_BYTES
    }
  }

  #sectionOrder (buf: Buffer, dv: DataView, pos: number, base: number): boolean {
    if (dv.getUint32(pos + SHB_OFF_BOM, true) === BYTE_ORDER_MAGIC) return true
    if (dv.getUint32(pos + SHB_OFF_BOM, false) === BYTE_ORDER_MAGIC) return false
    throw new CaptureError('BAD_HEADER', this.#file, base + pos, `pcapng section header has no byte-order magic (0x${buf.toString('hex', pos + SHB_OFF_BOM, pos + SHB_PREFIX_BYTES)})`)
  }

  /** Uses the current section's byte order: call after an SHB has set it. */
  #checkTrailer (dv: DataView, pos: number, length: number, base: number, type: number): void {
    const trailer = this.#u32(dv, pos + length - BLOCK_TRAILER_BYTES)
    if (trailer !== length) {
      throw new CaptureError('BAD_TRAILER', this.#file, base + pos, `pcapng block type 0x${type.toString(16)}: trailing length ${trailer} differs from leading length ${length}`)
    }
  }

  #checkLength (type: number, length: number, at: number): void {
    if (length < MIN_BLOCK_BYTES || length % BLOCK_ALIGN !== 0) {
      throw new CaptureError('BAD_RECORD', this.#file, at, `pcapng block type 0x${type.toString(16)} has an invalid total length ${length}`)
    }
    const packet = type === BT_EPB || type === BT_SPB || type === BT_PB
    const limit = packet ? MAX_PACKET_BLOCK_BYTES : MAX_OTHER_BLOCK_BYTES
    if (length > limit) {
      throw new CaptureError('RECORD_TOO_BIG', this.#file, at, `pcapng block type 0x${type.toString(16)} of ${length} bytes exceeds the ${limit}-byte limit`)
    }
  }

  #sectionHeader (dv: DataView, pos: number, length: number, base: number, le: boolean): void {
    this.#le = le
    if (length < SHB_OPTIONS + BLOCK_TRAILER_BYTES) {
      throw new CaptureError('BAD_HEADER', this.#file, base + pos, `pcapng section header too short (${length} bytes)`)
    }
    const major = this.#u16(dv, pos + SHB_OFF_VERSION_MAJOR)
    if (major !== PCAPNG_VERSION_MAJOR) {
      const minor = this.#u16(dv, pos + SHB_OFF_VERSION_MINOR)
      throw new CaptureError('BAD_HEADER', this.#file, base + pos, `pcapng version ${major}.${minor} unsupported (expected ${PCAPNG_VERSION_MAJOR}.x)`)
    }
    this.#walkOptions(dv, pos, SHB_OPTIONS, length, base, false)
    this.#checkTrailer(dv, pos, length, base, BT_SHB)
    this.#interfaces = []
  }

  #interfaceBlock (dv: DataView, pos: number, length: number, base: number): void {
    if (length < IDB_OPTIONS + BLOCK_TRAILER_BYTES) this.#tooShort('interface description', length, base + pos)
    if (this.#interfaces.length === MAX_INTERFACES_PER_SECTION) {
      throw new CaptureError('TOO_MANY_INTERFACES', this.#file, base + pos, `pcapng section declares more than ${MAX_INTERFACES_PER_SECTION} interfaces, the most potiron keeps`)
    }
    const linktype = this.#u16(dv, pos + IDB_OFF_LINKTYPE)
    this.#tsresol = DEFAULT_TSRESOL_EXPONENT
    this.#tsoffset = 0n
    this.#walkOptions(dv, pos, IDB_OPTIONS, length, base, true)
    this.#checkTrailer(dv, pos, length, base, BT_IDB)
    let time = this.#time
    if (time === undefined || this.#timeResol !== this.#tsresol || this.#timeOffset !== this.#tsoffset) {
      time = this.#time = new Timebase((this.#tsresol & TSRESOL_BINARY_FLAG) !== 0, this.#tsresol & TSRESOL_EXPONENT_MASK, this.#tsoffset)
      this.#timeResol = this.#tsresol
      this.#timeOffset = this.#tsoffset
    }
    this.#interfaces.push({ linktype, snaplen: this.#u32(dv, pos + IDB_OFF_SNAPLEN), time })
    if (!this.#linktypes.has(linktype)) {
      this.#linktypes.add(linktype)
      this.#info.linktypes.push(linktype)
    }
  }

  /** Checks that every option fits its block and applies the IDB ones we use. */
  #walkOptions (dv: DataView, pos: number, start: number, length: number, base: number, idb: boolean): void {
    const stop = pos + length - BLOCK_TRAILER_BYTES
    let at = pos + start
    while (stop - at >= OPTION_HEADER_BYTES) {
      const code = this.#u16(dv, at)
      const size = this.#u16(dv, at + OPTION_OFF_LENGTH)
      if (code === OPT_ENDOFOPT) return
      const value = at + OPTION_HEADER_BYTES
      if (size > stop - value) {
        throw new CaptureError('BAD_RECORD', this.#file, base + pos, `pcapng option ${code} at byte ${base + at} has length ${size}, more than the ${plural(stop - value, 'byte')} left in its block`)
      }
      if (idb && code === OPT_IF_TSRESOL && size === TSRESOL_BYTES) {
        this.#tsresol = dv.getUint8(value)
      } else if (idb && code === OPT_IF_TSOFFSET && size === TSOFFSET_BYTES) {
        this.#tsoffset = dv.getBigInt64(value, this.#le)
      }
      at = value + Math.ceil(size / BLOCK_ALIGN) * BLOCK_ALIGN
    }
  }

  /** EPB and obsolete PB: same layout after the interface id. */
  #packet (buf: Buffer, dv: DataView, pos: number, length: number, base: number, ifIndex: number): void {
    if (length < EPB_DATA + BLOCK_TRAILER_BYTES) this.#tooShort('packet', length, base + pos)
    const iface = this.#iface(ifIndex, base + pos)
    const caplen = this.#u32(dv, pos + EPB_OFF_CAPLEN)
    if (caplen > length - EPB_DATA - BLOCK_TRAILER_BYTES) {
      throw new CaptureError('BAD_RECORD', this.#file, base + pos, `pcapng packet of ${caplen} captured bytes does not fit its ${length}-byte block`)
    }
    const origlen = this.#u32(dv, pos + EPB_OFF_ORIGLEN)
    const time = iface.time
    time.convert(this.#u32(dv, pos + EPB_OFF_TS_HIGH), this.#u32(dv, pos + EPB_OFF_TS_LOW))
    this.#emit(buf, pos + EPB_DATA, caplen, origlen, iface.linktype, time.sec, time.nsec, base + pos)
  }

  #simplePacket (buf: Buffer, dv: DataView, pos: number, length: number, base: number): void {
    if (length < SPB_DATA + BLOCK_TRAILER_BYTES) this.#tooShort('simple packet', length, base + pos)
    const iface = this.#iface(0, base + pos)
    const origlen = this.#u32(dv, pos + SPB_OFF_ORIGLEN)
    // SPB has no captured-length field: the packet is cut by the block and by the snap length.
    let caplen = Math.min(origlen, length - SPB_DATA - BLOCK_TRAILER_BYTES)
    if (iface.snaplen !== 0) caplen = Math.min(caplen, iface.snaplen)
    this.#emit(buf, pos + SPB_DATA, caplen, origlen, iface.linktype, NO_TIMESTAMP, 0, base + pos)
  }

  /** Hands one packet of the block at file offset `at` to the sink (every packet block kind: one size limit). */
  #emit (buf: Buffer, off: number, caplen: number, origlen: number, linktype: number, sec: number, nsec: number, at: number): void {
    if (caplen > MAX_RECORD_BYTES) {
      throw new CaptureError('RECORD_TOO_BIG', this.#file, at, `pcapng packet of ${caplen} bytes exceeds the ${MAX_RECORD_BYTES}-byte limit`)
    }
    const info = this.#info
    info.packets++
    info.capturedBytes += caplen
    if (caplen < origlen) info.snapTruncated++
    this.#sink.packet(buf, off, caplen, origlen, linktype, sec, nsec)
  }

  #iface (index: number, at: number): Interface {
    const iface = this.#interfaces[index]
    if (iface === undefined) {
      throw new CaptureError('BAD_RECORD', this.#file, at, `pcapng packet refers to interface ${index}, but its section defines ${this.#interfaces.length}`)
    }
    return iface
  }

  #tooShort (what: string, length: number, at: number): never {
    throw new CaptureError('BAD_RECORD', this.#file, at, `pcapng ${what} block too short (${length} bytes)`)
  }

  #u32 (dv: DataView, off: number): number {
    return dv.getUint32(off, this.#le)
  }

  #u16 (dv: DataView, off: number): number {
    return dv.getUint16(off, this.#le)
  }
}

const EXACT_LIMIT = 2 ** 53
const NSEC_PER_SEC_BIG = 1_000_000_000n
/** Long division in base 2^16 keeps every step below 2^53 when U * (2^16 + 1) <= 2^53 ... */
const DIGIT = 0x10000
const DIGIT_BITS = 16
const DIGIT_MASK = 0xffff
const MAX_LONG_DIVISOR = EXACT_LIMIT / (DIGIT + 1)
/** ... and its quotient (< 2^64 / U) too when U >= 2^11. */
const MIN_LONG_DIVISOR = 2 ** 11

/** floor(a / b) for non-negative integers with a + b <= 2^53, where doubles are exact. */
function floorDiv (a: number, b: number): number {
  const q = Math.floor(a / b)
  const r = a - q * b
  // The rounded quotient may land one off an integer boundary: step back into place.
  return r < 0 ? q - 1 : r >= b ? q + 1 : q
}

/**
 * Turns one interface's 64-bit tick counts into (sec, nsec), exactly: sec = floor(ticks / U) +
 * if_tsoffset, nsec = floor((ticks mod U) * 1e9 / U), with U = 10^n or 2^n ticks per second.
 * Doubles do it without allocating whenever ticks + U <= 2^53 (any resolution) and for U in
 * 10^4..10^11 or 2^11..2^36 at any tick count (ns since 1970 is ~2^61); BigInt does the rest.
 */
export class Timebase {
  sec = 0
  nsec = 0
  readonly #units: number
  readonly #unitsBig: bigint
  readonly #longDivision: boolean
  /** 1e9 / U when that is an integer (U = 10^0..10^9), else 0. */
  readonly #nsMul: number
  /** U / 1e9 when that is an integer (U = 10^10 and finer), else 0. */
  readonly #nsDiv: number
  readonly #offset: number
  readonly #offsetBig: bigint

  constructor (binary: boolean, exponent: number, offset: bigint) {
    const units = binary ? 1n << BigInt(exponent) : 10n ** BigInt(exponent)
    this.#unitsBig = units
    this.#units = Number(units)
    this.#longDivision = this.#units >= MIN_LONG_DIVISOR && this.#units <= MAX_LONG_DIVISOR
    const exact = this.#units <= EXACT_LIMIT
    this.#nsMul = exact && NSEC_PER_SEC_BIG % units === 0n ? Number(NSEC_PER_SEC_BIG / units) : 0
    this.#nsDiv = exact && units % NSEC_PER_SEC_BIG === 0n ? Number(units / NSEC_PER_SEC_BIG) : 0
    this.#offsetBig = offset
    this.#offset = Number(offset)
  }

  /** Sets `sec` and `nsec` from the two 32-bit halves of a tick count. */
  convert (high: number, low: number): void {
    const units = this.#units
    const ticks = high * TWO_POW_32 + low
    let sec: number, rem: number
    if (ticks + units <= EXACT_LIMIT) {
      sec = floorDiv(ticks, units)
      rem = ticks - sec * units
    } else if (this.#longDivision) {
      // Long division of the 64-bit count: its high word first, then its two low 16-bit digits.
      const top = floorDiv(high, units)
      const mid = (high - top * units) * DIGIT + (low >>> DIGIT_BITS)
      const midDigit = floorDiv(mid, units)
      const bottom = (mid - midDigit * units) * DIGIT + (low & DIGIT_MASK)
      const bottomDigit = floorDiv(bottom, units)
      rem = bottom - bottomDigit * units
      sec = (top * DIGIT + midDigit) * DIGIT + bottomDigit
    } else {
      const t = (BigInt(high) << 32n) | BigInt(low)
      this.sec = Number(t / this.#unitsBig + this.#offsetBig)
      this.nsec = Number((t % this.#unitsBig) * NSEC_PER_SEC_BIG / this.#unitsBig)
      return
    }
    this.sec = sec + this.#offset
    if (this.#nsMul !== 0) this.nsec = rem * this.#nsMul
    else if (this.#nsDiv !== 0) this.nsec = floorDiv(rem, this.#nsDiv)
    else {
      const scaled = rem * NSEC_PER_SEC
      this.nsec = scaled + units <= EXACT_LIMIT ? floorDiv(scaled, units) : Number(BigInt(rem) * NSEC_PER_SEC_BIG / this.#unitsBig)
    }
  }
}
