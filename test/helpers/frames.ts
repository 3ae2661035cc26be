/**
 * Decoder test frames built from hex, one string per layer: whitespace separates fields and `#`
 * starts a comment that runs to the end of its line, so a frame reads like a protocol diagram:
 *
 *   hex(ETH_IPV4, `
 *     4500 0028  1c46 4000  4006 0000  c000 0201  c633 6402  # IPv4: total 40, TTL 64, TCP
 *     c350 0050  dead beef  8000 0001  5010 ffff  0000 0000  # TCP: 50000 → 80, seq, ack, ACK
 *   `)
 */
import assert from 'node:assert/strict'
import { PacketFacts } from '../../src/decode/facts.js'
import { decodeFrame } from '../../src/decode/link.js'

/** Concatenates hex layers; whitespace and `# comments` are ignored, anything else must be hex digit pairs. */
export function hex (...layers: string[]): Buffer {
  const digits = layers.map(l => l.replace(/#[^\n]*/g, '')).join('').replace(/\s+/g, '')
  if (!/^([0-9a-fA-F]{2})*$/.test(digits)) throw new Error(`bad hex: ${digits}`)
  return Buffer.from(digits, 'hex')
}

// Link types used by the tests (the numbers of https://www.tcpdump.org/linktypes.html).
export const LT_NULL = 0
export const LT_ETHERNET = 1
export const LT_FDDI = 10
export const LT_RAW = 101
export const LT_LOOP = 108
export const LT_LINUX_SLL = 113
export const LT_USER0 = 147
export const LT_IPV4 = 228
export const LT_IPV6 = 229
export const LT_IPOIB = 242
export const LT_LINUX_SLL2 = 276

/** Ethernet II header: dst 00:11:22:33:44:55, src 66:77:88:99:aa:bb, then the EtherType. */
export function eth (type: string): string {
  return `0011 2233 4455  6677 8899 aabb  ${type}`
}
export const ETH_IPV4 = eth('0800')
export const ETH_IPV6 = eth('86dd')

/** 192.0.2.1 and 198.51.100.2 (the test addresses of RFC 5737) as the decoder reports them. */
export const SRC4 = 0xc0000201
export const DST4 = 0xc6336402
export const ADDRS4 = 'c000 0201  c633 6402'
/** 2001:db8::1 then 2001:db8::2. */
export const ADDRS6 = '2001 0db8 0000 0000 0000 0000 0000 0001  2001 0db8 0000 0000 0000 0000 0000 0002'

/** IPv4 + TCP, 40 bytes: tos 0, TTL 64, 192.0.2.1:50000 → 198.51.100.2:80, seq 0xdeadbeef, ack 0x80000001. */
export const IPV4_TCP = hex(`
  4500 0028  1c46 4000  4006 0000  ${ADDRS4}            # IPv4: IHL 5, total 40, DF, TTL 64, proto 6
  c350 0050  dead beef  8000 0001  5010 ffff  0000 0000  # TCP: 50000 → 80, seq, ack, offset 5, ACK
`).toString('hex')
/** What IPV4_TCP decodes to (at depth 0). */
export const IPV4_TCP_FACTS: Partial<FactsView> = {
  ipVersion: 4, outerVersion: 4, length: 40, protocol: 6, ttl: 64, tos: 0, src: SRC4, dst: DST4,
  tcpSport: 50000, tcpDport: 80, tcpSeq: 0xdeadbeef, tcpAck: 0x80000001
}

/** IPv4 + UDP + 5 bytes, 33 bytes: tos 0xb8, TTL 64, 192.0.2.1:54321 → 198.51.100.2:53. */
export const IPV4_UDP = hex(
  `45b8 0021  0000 4000  4011 0000  ${ADDRS4}`, // IPv4: total 33, DF, TTL 64, proto 17
  'd431 0035  000d 0000', // UDP: 54321 → 53, length 13
  '68 656c 6c6f' // "hello"
).toString('hex')
export const IPV4_UDP_FACTS: Partial<FactsView> = {
  ipVersion: 4, outerVersion: 4, length: 33, protocol: 17, ttl: 64, tos: 0xb8, src: SRC4, dst: DST4,
  udpSport: 54321, udpDport: 53
}

/** IPv6 + UDP + 4 bytes, 52 bytes: 2001:db8::1:49152 → 2001:db8::2:53, hop limit 64. */
export const IPV6_UDP = hex(
  `6000 0000  000c 1140  ${ADDRS6}`, // IPv6: payload 12, next 17, hop limit 64
  'c000 0035  000c 0000', // UDP: 49152 → 53, length 12
  'abcd abcd'
).toString('hex')
/** IPV6_UDP's facts when its header starts at byte `at` of the frame. */
export function ipv6UdpFacts (at: number): Partial<FactsView> {
  return {
    ipVersion: 6, outerVersion: 6, length: 52, protocol: 17, ttl: 64, tos: 0, src6: at + 8, dst6: at + 24,
    udpSport: 49152, udpDport: 53
  }
}

/** Every PacketFacts field, as plain data for deepEqual. */
export interface FactsView {
  ipVersion: number
  outerVersion: number
  length: number
  protocol: number
  ttl: number
  tos: number
  src: number
  dst: number
  src6: number
  dst6: number
  tcpSport: number
  tcpDport: number
  tcpSeq: number
  tcpAck: number
  udpSport: number
  udpDport: number
  icmpType: number
  icmpCode: number
  inner: boolean
  malformed: boolean
  unsupportedLink: boolean
}

/** The facts of a frame in which nothing was found. */
export const NOTHING: Readonly<FactsView> = Object.freeze({
  ipVersion: 0,
  outerVersion: 0,
  length: -1,
  protocol: -1,
  ttl: -1,
  tos: -1,
  src: 0,
  dst: 0,
  src6: 0,
  dst6: 0,
  tcpSport: -1,
  tcpDport: -1,
  tcpSeq: -1,
  tcpAck: -1,
  udpSport: -1,
  udpDport: -1,
  icmpType: -1,
  icmpCode: -1,
  inner: false,
  malformed: false,
  unsupportedLink: false
})

/** The expected facts: NOTHING with these fields changed. */
export function facts (...parts: Array<Partial<FactsView>>): FactsView {
  return Object.assign({}, NOTHING, ...parts) as FactsView
}

/** Copies every field of `f`. */
export function view (f: PacketFacts): FactsView {
  const out = {} as Record<string, unknown>
  for (const key of Object.keys(NOTHING)) out[key] = (f as unknown as Record<string, unknown>)[key]
  return out as unknown as FactsView
}

/** Decodes buf[off, end) with fresh facts (`firstIpv4` selects the original's view). */
function decodeAt (buf: Uint8Array, off: number, end: number, linktype: number, firstIpv4: boolean): FactsView {
  const f = new PacketFacts(firstIpv4)
  f.reset()
  decodeFrame(buf, off, end, linktype, f)
  return view(f)
}

/** Bytes placed around the embedded copy: a decoder that reads them has ignored `off` or `end`. */
const GUARD_BEFORE = 5
const GUARD_AFTER = 64

/**
 * Decodes `buf` whole and returns its facts. Also decodes a copy of it embedded at offset 5 of a
 * larger buffer full of 0xee bytes, and asserts the same facts (IPv6 offsets shifted by 5): the
 * decoders must stay within [off, end).
 */
export function decode (buf: Uint8Array, linktype: number, firstIpv4 = false): FactsView {
  const got = decodeAt(buf, 0, buf.length, linktype, firstIpv4)
  const big = new Uint8Array(GUARD_BEFORE + buf.length + GUARD_AFTER).fill(0xee)
  big.set(buf, GUARD_BEFORE)
  const embedded = decodeAt(big, GUARD_BEFORE, GUARD_BEFORE + buf.length, linktype, firstIpv4)
  if (embedded.src6 !== 0) embedded.src6 -= GUARD_BEFORE
  if (embedded.dst6 !== 0) embedded.dst6 -= GUARD_BEFORE
  assert.deepEqual(embedded, got, 'decoding the frame inside a larger buffer changed the facts')
  return got
}
