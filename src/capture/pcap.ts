/**
 * Classic pcap records.
 * Layout: https://www.ietf.org/archive/id/draft-ietf-opsawg-pcap (file header: section 4,
 * packet record: section 5). The 'modified' (Kuznetzov) variant appends ifindex (4 bytes),
 * protocol (2), pkt_type (1) and padding (1) to every record header.
 */

import { CaptureError } from '../errors.js'
import {
  MAGIC_PCAP_MODIFIED, MAGIC_PCAP_MODIFIED_SWAPPED, MAGIC_PCAP_NSEC, MAGIC_PCAP_NSEC_SWAPPED,
  MAGIC_PCAP_USEC_SWAPPED, NSEC_PER_SEC, NSEC_PER_USEC, PCAP_FILE_HEADER_BYTES,
  PCAP_LINKTYPE_MASK, PCAP_LINKTYPE_RESERVED_MASK, PCAP_MODIFIED_RECORD_HEADER_BYTES,
  PCAP_OFF_CAPLEN, PCAP_OFF_LINKTYPE, PCAP_OFF_ORIGLEN, PCAP_OFF_TS_FRAC, PCAP_OFF_TS_SEC,
  PCAP_OFF_VERSION_MAJOR, PCAP_RECORD_HEADER_BYTES, PCAP_VERSION_MAJOR
} from './constants.js'
import { MAX_RECORD_BYTES } from './types.js'
import type { CaptureInfo, PacketSink, RecordReader } from './types.js'

/** Reads a classic pcap stream: the 24-byte file header, then records until the input ends. */
export class PcapReader implements RecordReader {
  need = PCAP_FILE_HEADER_BYTES
  unit = 'file header'
  #headerDone = false
  #le = true
  #nsecPerTick = NSEC_PER_USEC
  #recordHeaderBytes = PCAP_RECORD_HEADER_BYTES
  #linktype = 0
  readonly #file: string
  readonly #info: CaptureInfo
  readonly #sink: PacketSink

  /** `magic` is the first four bytes read big-endian, already known to be a pcap magic. */
  constructor (file: string, info: CaptureInfo, sink: PacketSink, magic: number) {
    this.#file = file
    this.#info = info
    this.#sink = sink
    this.#le = magic === MAGIC_PCAP_USEC_SWAPPED || magic === MAGIC_PCAP_NSEC_SWAPPED ||
      magic === MAGIC_PCAP_MODIFIED_SWAPPED
    const nsec = magic === MAGIC_PCAP_NSEC || magic === MAGIC_PCAP_NSEC_SWAPPED
    const modified = magic === MAGIC_PCAP_MODIFIED || magic === MAGIC_PCAP_MODIFIED_SWAPPED
    if (nsec) this.#nsecPerTick = 1
    if (modified) this.#recordHeaderBytes = PCAP_MODIFIED_RECORD_HEADER_BYTES
    info.format = 'pcap'
    info.precision = nsec ? 'nsec' : modified ? 'usec-modified' : 'usec'
  }

  parse (buf: Buffer, pos: number, end: number, base: number): number {
    // DataView reads are several times faster than Buffer#readUInt32LE on Node 20.
    const dv = new DataView(buf.buffer, buf.byteOffset, buf.byteLength)
    if (!this.#headerDone) {
      if (end - pos < PCAP_FILE_HEADER_BYTES) return pos
      this.#readFileHeader(dv, pos, base)
      pos += PCAP_FILE_HEADER_BYTES
      this.#info.offset = base + pos
      this.unit = 'record'
    }
    return this.#readRecords(buf, dv, pos, end, base)
  }

  #readFileHeader (dv: DataView, pos: number, base: number): void {
    const major = dv.getUint16(pos + PCAP_OFF_VERSION_MAJOR, this.#le)
    if (major !== PCAP_VERSION_MAJOR) {
      throw new CaptureError('BAD_HEADER', this.#file, base + pos, `pcap major version ${major} unsupported (expected ${PCAP_VERSION_MAJOR})`)
    }
    const field = dv.getUint32(pos + PCAP_OFF_LINKTYPE, this.#le)
    // libpcap and tshark refuse these files: the reserved bits are not ours to ignore.
    if ((field & PCAP_LINKTYPE_RESERVED_MASK) !== 0) {
      throw new CaptureError('BAD_HEADER', this.#file, base + pos, `pcap link-type reserved field not zero (0x${field.toString(16).padStart(8, '0')})`)
    }
    this.#linktype = field & PCAP_LINKTYPE_MASK
    this.#info.linktypes.push(this.#linktype)
    this.#headerDone = true
    this.need = this.#recordHeaderBytes
  }

  #readRecords (buf: Buffer, dv: DataView, pos: number, end: number, base: number): number {
    const info = this.#info
    const headerBytes = this.#recordHeaderBytes
    const le = this.#le
    for (;;) {
      const avail = end - pos
      if (avail < headerBytes) {
        this.need = headerBytes
        return pos
      }
      const caplen = dv.getUint32(pos + PCAP_OFF_CAPLEN, le)
      if (caplen > MAX_RECORD_BYTES) {
        throw new CaptureError('RECORD_TOO_BIG', this.#file, base + pos, `pcap record of ${caplen} bytes exceeds the ${MAX_RECORD_BYTES}-byte limit`)
      }
      const size = headerBytes + caplen
      if (avail < size) {
        this.need = size
        return pos
      }
      const origlen = dv.getUint32(pos + PCAP_OFF_ORIGLEN, le)
      let sec = dv.getUint32(pos + PCAP_OFF_TS_SEC, le)
      let nsec = dv.getUint32(pos + PCAP_OFF_TS_FRAC, le) * this.#nsecPerTick
      // A fraction of a second >= 1 s is malformed; carrying it into `sec` keeps the sink's
      // 0..999999999 promise while preserving the instant the writer meant.
      if (nsec >= NSEC_PER_SEC) {
        sec += Math.floor(nsec / NSEC_PER_SEC)
        nsec %= NSEC_PER_SEC
      }
      info.packets++
      info.capturedBytes += caplen
      if (caplen < origlen) info.snapTruncated++
      this.#sink.packet(buf, pos + headerBytes, caplen, origlen, this.#linktype, sec, nsec)
      pos += size
      info.offset = base + pos
    }
  }
}
