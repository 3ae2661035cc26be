/**
 * Transport headers (TCP RFC 9293, UDP RFC 768, ICMP RFC 792, ICMPv6 RFC 4443) and the
 * tunnels tshark opens by default (GRE RFC 2784/2890 and RFC 2637's enhanced GRE, VXLAN
 * RFC 7348, Teredo RFC 4380). Each protocol's fields are taken from its first header only.
 */
import { u16, u32 } from './bytes.js'
import {
  ETHERTYPE_CMD, ICMP_PARAM_PROBLEM, ICMP_REDIRECT, ICMP_SOURCE_QUENCH, ICMP_TIME_EXCEEDED, ICMP_UNREACH, ICMPV6_ERROR_MAX,
  MAX_ENCAPSULATION_DEPTH, UDP_PORT_TEREDO, UDP_PORT_VXLAN
} from './constants.js'
import type { PacketFacts } from './facts.js'
import { decodeIpv4, decodeIpv6 } from './ip.js'
import { decodeEthernet, decodeEthertype } from './link.js'

const TCP_MIN_HEADER = 20
/** tshark reads the whole fixed TCP header up to the window (16 bytes) before showing seq/ack. */
const TCP_FIXED_READ = 16

export function decodeTcp (buf: Uint8Array, off: number, end: number, facts: PacketFacts, inError: boolean): void {
  if (facts.tcpSport >= 0) return
  if (off + 4 > end) return void (facts.malformed = true)
  facts.tcpSport = u16(buf, off)
  facts.tcpDport = u16(buf, off + 2)
  if (facts.ipCount > 1 || inError) facts.inner = true
  // Quoted in an ICMP error, the sequence number is shown as soon as its 4 bytes are there.
  if (inError && off + 8 <= end) facts.tcpSeq = u32(buf, off + 4)
  if (off + TCP_FIXED_READ > end) {
    if (!inError) facts.malformed = true
    return
  }
  if ((buf[off + 12]! >> 4) * 4 < TCP_MIN_HEADER) return void (facts.malformed = true)
  facts.tcpSeq = u32(buf, off + 4)
  facts.tcpAck = u32(buf, off + 8)
  if (!inError) facts.tcpFlags = buf[off + 13]!
}

export function decodeUdp (buf: Uint8Array, off: number, end: number, facts: PacketFacts, depth: number): void {
  if (off + 4 > end) return void (facts.malformed = true)
  const sport = u16(buf, off)
  const dport = u16(buf, off + 2)
  if (facts.udpSport < 0) {
    facts.udpSport = sport
    facts.udpDport = dport
    if (facts.ipCount > 1) facts.inner = true
  }
  if (off + 8 > end || depth >= MAX_ENCAPSULATION_DEPTH) return
  if (sport === UDP_PORT_VXLAN || dport === UDP_PORT_VXLAN) {
    decodeEthernet(buf, off + 16, end, facts, depth + 1)  // 8-byte UDP + 8-byte VXLAN header
  } else if (sport === UDP_PORT_TEREDO || dport === UDP_PORT_TEREDO) {
    decodeTeredo(buf, off + 8, end, facts, depth + 1)
  }
}

/** Teredo: optional authentication and origin indication headers, then IPv6. */
function decodeTeredo (buf: Uint8Array, off: number, end: number, facts: PacketFacts, depth: number): void {
  if (off + 2 <= end && u16(buf, off) === 0x0001) {
    if (off + 4 > end) return
    off += 4 + buf[off + 2]! + buf[off + 3]! + 9  // id and auth values, nonce (8), confirmation (1)
  }
  if (off + 2 <= end && u16(buf, off) === 0x0000) off += 8
  if (off + 1 <= end && buf[off]! >> 4 === 6) decodeIpv6(buf, off, end, facts, depth)
}

function isIcmpError (type: number): boolean {
  return type === ICMP_UNREACH || type === ICMP_SOURCE_QUENCH || type === ICMP_REDIRECT ||
    type === ICMP_TIME_EXCEEDED || type === ICMP_PARAM_PROBLEM
}

export function decodeIcmp (buf: Uint8Array, off: number, end: number, facts: PacketFacts, depth: number): void {
  if (off + 2 > end) return void (facts.malformed = true)
  const type = buf[off]!
  if (facts.icmpType < 0) {
    facts.icmpType = type
    facts.icmpCode = buf[off + 1]!
  }
  // An error quotes the offending IP header and the first bytes of its payload after 8 bytes.
  if (isIcmpError(type) && off + 8 < end) decodeIpv4(buf, off + 8, end, facts, depth + 1, true)
}

export function decodeIcmpv6 (buf: Uint8Array, off: number, end: number, facts: PacketFacts, depth: number): void {
  if (off + 2 > end) return void (facts.malformed = true)
  const type = buf[off]!
  // ICMPv6 is not ICMP to tshark (icmpv6.* fields), so the original never counted it.
  if (facts.icmpType < 0 && !facts.firstIpv4) {
    facts.icmpType = type
    facts.icmpCode = buf[off + 1]!
  }
  if (type >= 1 && type <= ICMPV6_ERROR_MAX && off + 8 < end) decodeIpv6(buf, off + 8, end, facts, depth + 1)
}

/** GRE version 0 (RFC 2784/2890) and version 1, PPTP's enhanced GRE (RFC 2637). */
export function decodeGre (buf: Uint8Array, off: number, end: number, facts: PacketFacts, depth: number): void {
  if (off + 4 > end) return void (facts.malformed = true)
  const flags = u16(buf, off)
  const protocol = u16(buf, off + 2)
  let p = off + 4
  const version = flags & 0x0007
  if (version === 0) {
    if ((flags & 0x4000) !== 0) return  // source routing (RFC 1701): not decoded
    if ((flags & 0x8000) !== 0) p += 4  // checksum + reserved
    if ((flags & 0x2000) !== 0) p += 4  // key
    if ((flags & 0x1000) !== 0) p += 4  // sequence number
  } else if (version === 1) {
    p += 4                              // payload length + call id (the key field)
    if ((flags & 0x1000) !== 0) p += 4  // sequence number
    if ((flags & 0x0080) !== 0) p += 4  // acknowledgment number
  } else {
    return
  }
  if (p > end) return void (facts.malformed = true)
  // Inside GRE, Cisco MetaData puts the next EtherType first (tshark's dissect_cmd_gre).
  if (protocol === ETHERTYPE_CMD) {
    return p + 8 > end ? void (facts.malformed = true) : decodeEthertype(buf, p + 8, end, u16(buf, p), facts, depth + 1)
  }
  decodeEthertype(buf, p, end, protocol, facts, depth + 1)
}
