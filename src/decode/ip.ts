/**
 * IPv4 (RFC 791) and IPv6 (RFC 8200) headers, and dispatch on the IP protocol number.
 *
 * IPv4 header:                          IPv6 header:
 *   0  version/IHL  1 DSCP/ECN            0  version / traffic class / flow label (4 bytes)
 *   2  total length                       4  payload length    6 next header   7 hop limit
 *   6  flags/fragment offset              8  source address (16)
 *   8  TTL   9 protocol                   24 destination address (16)
 *   12 source   16 destination            40 extension headers, then the payload
 */
import { u16, u32 } from './bytes.js'
import {
  IPPROTO_AH, IPPROTO_DSTOPTS, IPPROTO_FRAGMENT, IPPROTO_GRE, IPPROTO_HOPOPTS, IPPROTO_ICMP, IPPROTO_ICMPV6,
  IPPROTO_IPIP, IPPROTO_IPV6, IPPROTO_ROUTING, IPPROTO_TCP, IPPROTO_UDP, IPOPT_EOL, IPOPT_LSRR, IPOPT_NOP, IPOPT_SSRR,
  MAX_ENCAPSULATION_DEPTH
} from './constants.js'
import type { PacketFacts } from './facts.js'
import { decodeGre, decodeIcmp, decodeIcmpv6, decodeTcp, decodeUdp } from './transport.js'

const IPV4_MIN_HEADER = 20
const IPV6_HEADER = 40

/**
 * `inError` marks the packet quoted inside an ICMP error: tshark then shows the TCP sequence
 * number even when the quote stops after 8 bytes of TCP header.
 */
export function decodeIpv4 (buf: Uint8Array, off: number, end: number, facts: PacketFacts, depth: number, inError: boolean): void {
  if (depth > MAX_ENCAPSULATION_DEPTH || off + 1 > end) return void (facts.malformed = true)
  facts.ipCount++
  // The layer below said IPv4: tshark counts the frame as IPv4 even with a bogus version.
  if (facts.outerVersion === 0) facts.outerVersion = 4
  const first = buf[off]!
  const ihl = (first & 0x0f) * 4
  // Without the addresses tshark has no ip.dst: the original's filter drops such a frame.
  if (first >> 4 !== 4 || off + IPV4_MIN_HEADER > end || ihl < IPV4_MIN_HEADER) return void (facts.malformed = true)
  const total = u16(buf, off + 2)
  // A total length below the header length is bogus (tshark stops there); 0 means TSO offload.
  if (total !== 0 && total < ihl) return void (facts.malformed = true)
  if (facts.ipVersion === 0 && !takeIpv4Fields(buf, off, end, ihl, total, facts)) return void (facts.malformed = true)
  if (off + ihl > end) return void (facts.malformed = true)
  const payloadEnd = total === 0 ? end : Math.min(end, off + total)
  // Not a fragment (offset 0, no more fragments): the common case, kept small enough to inline.
  if ((u16(buf, off + 6) & 0x3fff) === 0) decodeIpPayload(buf, off + ihl, payloadEnd, buf[off + 9]!, facts, depth, inError)
  else decodeIpv4Fragment(buf, off, ihl, total, payloadEnd, facts, depth, inError)
}

/** The IP fields from this header; false when the original would have seen no ip.dst. */
function takeIpv4Fields (buf: Uint8Array, off: number, end: number, ihl: number, total: number, facts: PacketFacts): boolean {
  const dst = facts.firstIpv4 && ihl > IPV4_MIN_HEADER ? originalDestination(buf, off, off + ihl, end) : u32(buf, off + 16)
  if (dst < 0) return false
  facts.ipVersion = 4
  facts.tos = buf[off + 1]!
  facts.length = total === 0 ? end - off : total  // TSO: tshark shows the frame's length
  facts.ttl = buf[off + 8]!
  facts.protocol = buf[off + 9]!
  facts.src = u32(buf, off + 12)
  facts.dst = dst
  return true
}

function decodeIpv4Fragment (buf: Uint8Array, off: number, ihl: number, total: number, payloadEnd: number, facts: PacketFacts, depth: number, inError: boolean): void {
  const flags = u16(buf, off + 6)
  const fragmentOffset = (flags & 0x1fff) * 8
  const moreFragments = (flags & 0x2000) !== 0
  if (facts.reassembly !== null && !inError) {
    const key = `${u32(buf, off + 12)},${u32(buf, off + 16)},${u16(buf, off + 4)},${buf[off + 9]!}`
    const head = facts.reassembly.add(key, fragmentOffset, moreFragments, buf, off + ihl, payloadEnd - off - ihl, (total === 0 ? payloadEnd - off : total) - ihl)
    if (head !== undefined) decodeIpPayload(head, 0, head.length, buf[off + 9]!, facts, depth, false)
  } else if (fragmentOffset === 0) {
    // Statelessly, only a first fragment carries the transport header.
    decodeIpPayload(buf, off + ihl, payloadEnd, buf[off + 9]!, facts, depth, inError)
  }
}

export function decodeIpv6 (buf: Uint8Array, off: number, end: number, facts: PacketFacts, depth: number): void {
  if (depth > MAX_ENCAPSULATION_DEPTH || off + 1 > end) return void (facts.malformed = true)
  facts.ipCount++
  if (facts.outerVersion === 0) facts.outerVersion = 6
  if (buf[off]! >> 4 !== 6) return void (facts.malformed = true)
  if (off + IPV6_HEADER > end) return void (facts.malformed = true)
  const payloadLength = u16(buf, off + 4)
  // A zero payload length announces a jumbogram (RFC 2675): the captured length rules.
  const payloadEnd = payloadLength === 0 ? end : Math.min(end, off + IPV6_HEADER + payloadLength)
  let next = buf[off + 6]!
  let p = off + IPV6_HEADER
  let laterFragment = false
  let complete = true
  for (;;) {
    if (next === IPPROTO_HOPOPTS || next === IPPROTO_ROUTING || next === IPPROTO_DSTOPTS) {
      if (p + 2 > payloadEnd) { complete = false; break }
      const len = (buf[p + 1]! + 1) * 8
      next = buf[p]!
      p += len
    } else if (next === IPPROTO_FRAGMENT) {
      if (p + 8 > payloadEnd) { complete = false; break }
      next = buf[p]!
      p += 8
      // Behind a later fragment come data bytes, not headers.
      if ((u16(buf, p - 6) & 0xfff8) !== 0) { laterFragment = true; break }
    } else if (next === IPPROTO_AH) {
      if (p + 2 > payloadEnd) { complete = false; break }
      const len = (buf[p + 1]! + 2) * 4
      next = buf[p]!
      p += len
    } else {
      break
    }
  }
  if (facts.ipVersion === 0 && !facts.firstIpv4) {
    facts.ipVersion = 6
    facts.tos = (u16(buf, off) >> 4) & 0xff
    facts.length = payloadLength + IPV6_HEADER
    facts.ttl = buf[off + 7]!
    facts.protocol = next
    facts.src6 = off + 8
    facts.dst6 = off + 24
  }
  if (!complete || p > payloadEnd) return void (facts.malformed = true)
  if (laterFragment) return
  decodeIpPayload(buf, p, payloadEnd, next, facts, depth, false)
}

/**
 * The destination the original saw. tshark walks the IPv4 options before it shows `ip.dst`:
 * the last address of a loose or strict source route (RFC 791) becomes the first `ip.dst` of
 * the frame, and an option cut by the snap length ends the header before any `ip.dst` (the
 * original's filter then drops the frame: -1 here).
 */
function originalDestination (buf: Uint8Array, off: number, headerEnd: number, end: number): number {
  let dst = u32(buf, off + 16)
  for (let p = off + IPV4_MIN_HEADER; p < headerEnd;) {
    if (p >= end) return -1
    const type = buf[p]!
    if (type === IPOPT_EOL) break
    if (type === IPOPT_NOP) { p++; continue }
    if (p + 2 > end) return -1
    const len = buf[p + 1]!
    if (len < 2 || p + len > headerEnd) break
    if (p + len > end) return -1
    if ((type === IPOPT_LSRR || type === IPOPT_SSRR) && len >= 7) dst = u32(buf, p + 3 + 4 * (Math.floor((len - 3) / 4) - 1))
    p += len
  }
  return dst
}

/** The transport or tunnelled layer after an IP header (or its extension headers). */
export function decodeIpPayload (buf: Uint8Array, off: number, end: number, protocol: number, facts: PacketFacts, depth: number, inError: boolean): void {
  switch (protocol) {
    case IPPROTO_TCP: return decodeTcp(buf, off, end, facts, inError)
    case IPPROTO_UDP: return decodeUdp(buf, off, end, facts, depth)
    case IPPROTO_ICMP: return decodeIcmp(buf, off, end, facts, depth)
    case IPPROTO_ICMPV6: return decodeIcmpv6(buf, off, end, facts, depth)
    case IPPROTO_IPIP: return decodeIpv4(buf, off, end, facts, depth + 1, false)
    case IPPROTO_IPV6: return decodeIpv6(buf, off, end, facts, depth + 1)
    case IPPROTO_GRE: return decodeGre(buf, off, end, facts, depth)
    default:
  }
}
