/** Small capture files built in tests: classic pcap, and pcapng whose interface has a time offset. */
import { ADDRS4, ADDRS6, ETH_IPV4, ETH_IPV6, hex } from './frames.js'

/** One packet: its frame and its time (whole seconds since the epoch, microseconds). */
export interface TimedFrame {
  frame: Buffer
  sec: number
  usec?: number
}

/** A little-endian classic pcap (µs) of link type `linktype`; caplen = origlen = the frame's length. */
export function pcapOf (linktype: number, packets: readonly TimedFrame[]): Buffer {
  const header = Buffer.alloc(24)
  header.writeUInt32LE(0xa1b2c3d4, 0)
  header.writeUInt16LE(2, 4)
  header.writeUInt16LE(4, 6)
  header.writeUInt32LE(262144, 16)
  header.writeUInt32LE(linktype, 20)
  return Buffer.concat([header, ...packets.flatMap(({ frame, sec, usec = 0 }) => {
    const record = Buffer.alloc(16)
    record.writeUInt32LE(sec, 0)
    record.writeUInt32LE(usec, 4)
    record.writeUInt32LE(frame.length, 8)
    record.writeUInt32LE(frame.length, 12)
    return [record, frame]
  })])
}

/** A little-endian pcapng block of `type` around `body` (padded to 32 bits). */
export function block (type: number, body: Buffer): Buffer {
  const padded = Buffer.concat([body, Buffer.alloc((4 - body.length % 4) % 4)])
  const head = Buffer.alloc(8)
  head.writeUInt32LE(type, 0)
  head.writeUInt32LE(padded.length + 12, 4)
  const tail = Buffer.alloc(4)
  tail.writeUInt32LE(padded.length + 12, 0)
  return Buffer.concat([head, padded, tail])
}

/**
 * A little-endian pcapng: one interface of link type `linktype` with `if_tsoffset` = `offset`
 * seconds (which may be negative: years before 1970), then one Enhanced Packet Block per frame;
 * `sec` is the packet's time since the epoch, written as µs ticks after the offset.
 */
export function pcapngWithOffset (linktype: number, offset: number, packets: readonly TimedFrame[]): Buffer {
  const shb = Buffer.alloc(16)
  shb.writeUInt32LE(0x1a2b3c4d, 0)
  shb.writeUInt16LE(1, 4)
  shb.writeBigInt64LE(-1n, 8)
  const idb = Buffer.alloc(8 + 12 + 4)
  idb.writeUInt16LE(linktype, 0)
  idb.writeUInt32LE(262144, 4)
  idb.writeUInt16LE(14, 8) // if_tsoffset
  idb.writeUInt16LE(8, 10)
  idb.writeBigInt64LE(BigInt(offset), 12)
  // opt_endofopt: 4 zero bytes, already there.
  return Buffer.concat([block(0x0a0d0d0a, shb), block(1, idb), ...packets.map(({ frame, sec, usec = 0 }) => {
    const ticks = BigInt(sec - offset) * 1000000n + BigInt(usec)
    const fixed = Buffer.alloc(20)
    fixed.writeUInt32LE(0, 0)
    fixed.writeUInt32LE(Number(ticks >> 32n), 4)
    fixed.writeUInt32LE(Number(ticks & 0xffffffffn), 8)
    fixed.writeUInt32LE(frame.length, 12)
    fixed.writeUInt32LE(frame.length, 16)
    return block(6, Buffer.concat([fixed, frame]))
  })])
}

/** IPv6 + UDP 49152 → 53, hop limit 64, announcing `payload` bytes (only 12 captured: the snap length cut it). */
function ipv6Udp (payload: string): Buffer {
  return hex(ETH_IPV6, `6000 0000  ${payload} 1140  ${ADDRS6}`, 'c000 0035  000c 0000  abcd abcd')
}

/** The largest value of every field: what dense counters indexed by value must still hold. */
export const EDGES: ReadonlyArray<readonly [Buffer, number]> = [
  // IPv6 payload length 0xffff: length 65,575, past 16 bits.
  [ipv6Udp('ffff'), 2],
  // IPv6 payload length 0xffd7: length 65,535, the last 16-bit value.
  [ipv6Udp('ffd7'), 1],
  // TSO: IPv4 total length 0, so length is the captured IP packet, 69,986 bytes.
  [Buffer.concat([hex(ETH_IPV4, `4500 0000  0000 4000  4011 0000  ${ADDRS4}`, 'd431 0035  0000 0000'), Buffer.alloc(69986 - 28)]), 1],
  // UDP 65535 → 65535, tos 0xff, TTL 255.
  [hex(ETH_IPV4, `45ff 0020  0000 4000  ff11 0000  ${ADDRS4}`, 'ffff ffff  000c 0000  abcd abcd'), 3],
  // TCP 65535 → 65535, sequence and acknowledgment 0xffffffff.
  [hex(ETH_IPV4, `4500 0028  0000 4000  4006 0000  ${ADDRS4}`, 'ffff ffff  ffff ffff  ffff ffff  5010 ffff  0000 0000'), 1],
  // IP protocol 255, no transport.
  [hex(ETH_IPV4, `4500 0014  0000 4000  40ff 0000  ${ADDRS4}`), 1],
  // ICMP type 255, code 255.
  [hex(ETH_IPV4, `4500 001c  0000 4000  4001 0000  ${ADDRS4}`, 'ffff 0000  0000 0000'), 1]
]
