/**
 * Link layers and EtherType dispatch: from the first byte of a captured frame to its network
 * header. Every function takes (buf, off, end, facts[, depth]) and writes what it finds into
 * `facts`; `end` is the end of the captured bytes, never beyond buf.length.
 */
import { u16, u32 } from './bytes.js'
import {
  AF_INET, AF_INET6_BSD, AF_INET6_DARWIN, AF_INET6_FREEBSD, ARP_IPV4_LENGTH, ETHERTYPE_ARP, ETHERTYPE_MAX_LENGTH,
  ETHERTYPE_CMD, ETHERTYPE_ERSPAN2, ETHERTYPE_ERSPAN3, ETHERTYPE_IPV4, ETHERTYPE_IPV6, ETHERTYPE_MIN, ETHERTYPE_MPLS,
  ETHERTYPE_MPLS_MC, ETHERTYPE_PPP, ETHERTYPE_PPPOE, ETHERTYPE_QINQ, ETHERTYPE_QINQ_OLD, ETHERTYPE_TEB,
  ETHERTYPE_VLAN, LINKTYPE_ETHERNET, LINKTYPE_FDDI, LINKTYPE_IPOIB, LINKTYPE_IPV4, LINKTYPE_IPV6,
  LINKTYPE_LINUX_SLL, LINKTYPE_LINUX_SLL2, LINKTYPE_LOOP, LINKTYPE_NULL, LINKTYPE_RAW, LINKTYPE_RAW_12,
  LINKTYPE_NAMES, LINKTYPE_RAW_14, LLC_SNAP_SAP, MAX_ENCAPSULATION_DEPTH, MPLS_LABEL_GAL, MPLS_LABEL_OAM_ALERT, PPP_IPV4, PPP_IPV6
} from './constants.js'
import type { PacketFacts } from './facts.js'
import { decodeIpv4, decodeIpv6 } from './ip.js'

/** LINKTYPE_IPOIB: 40 bytes of addressing, then RFC 4391's EtherType and 2 reserved bytes. */
const IPOIB_HEADER = 44

/** True when potiron can decode frames of this link type. */
export function isSupportedLinktype (linktype: number): boolean {
  return Object.hasOwn(LINKTYPE_NAMES, linktype)
}

/** Decodes one captured frame of the given link type into `facts` (which the caller has reset). */
export function decodeFrame (buf: Uint8Array, off: number, end: number, linktype: number, facts: PacketFacts): void {
  // Ethernet first and the rest out of line: this stays small enough to be inlined per packet.
  if (linktype === LINKTYPE_ETHERNET) decodeEthernet(buf, off, end, facts, 0)
  else decodeOtherFrame(buf, off, end, linktype, facts)
}

function decodeOtherFrame (buf: Uint8Array, off: number, end: number, linktype: number, facts: PacketFacts): void {
  switch (linktype) {
    case LINKTYPE_RAW: case LINKTYPE_RAW_12: case LINKTYPE_RAW_14: return decodeRawIp(buf, off, end, facts, 0)
    case LINKTYPE_IPV4: return decodeIpv4(buf, off, end, facts, 0, false)
    case LINKTYPE_IPV6: return decodeIpv6(buf, off, end, facts, 0)
    case LINKTYPE_NULL: return decodeLoopback(buf, off, end, facts, false)
    case LINKTYPE_LOOP: return decodeLoopback(buf, off, end, facts, true)
    case LINKTYPE_LINUX_SLL: return decodeSll(buf, off, end, facts)
    case LINKTYPE_LINUX_SLL2: return decodeSll2(buf, off, end, facts)
    case LINKTYPE_FDDI: return decodeLlc(buf, off + 13, end, facts, 0)  // frame control + 2 MACs
    case LINKTYPE_IPOIB: return off + IPOIB_HEADER > end ? markMalformed(facts) : decodeEthertype(buf, off + IPOIB_HEADER, end, u16(buf, off + IPOIB_HEADER - 4), facts, 0)
    default: facts.unsupportedLink = true
  }
}

function markMalformed (facts: PacketFacts): void {
  facts.malformed = true
}

/** IEEE 802.3, its 802.1Q / 802.1ad tags decoded as EtherTypes (see decodeTags). */
export function decodeEthernet (buf: Uint8Array, off: number, end: number, facts: PacketFacts, depth: number): void {
  if (off + 14 > end) return markMalformed(facts)
  const type = u16(buf, off + 12)
  if (type < ETHERTYPE_MIN) return decodeLlc(buf, off + 14, end, facts, depth)
  decodeEthertype(buf, off + 14, end, type, facts, depth)
}

/** IEEE 802.2 LLC: only SNAP (AA AA 03 + OUI + EtherType) carries IP. */
function decodeLlc (buf: Uint8Array, off: number, end: number, facts: PacketFacts, depth: number): void {
  if (off + 8 > end) return
  if (buf[off] !== LLC_SNAP_SAP || buf[off + 1] !== LLC_SNAP_SAP) return
  decodeEthertype(buf, off + 8, end, u16(buf, off + 6), facts, depth)
}

/** Dispatch on an EtherType; shared by Ethernet, SLL, GRE and friends. */
export function decodeEthertype (buf: Uint8Array, off: number, end: number, type: number, facts: PacketFacts, depth: number): void {
  // IP first and the rest out of line, to keep this small enough to be inlined per packet. The
  // IP decoders check the encapsulation depth themselves, the others in decodeOtherEthertype.
  if (type === ETHERTYPE_IPV4) decodeIpv4(buf, off, end, facts, depth, false)
  else if (type === ETHERTYPE_IPV6) decodeIpv6(buf, off, end, facts, depth)
  else decodeOtherEthertype(buf, off, end, type, facts, depth)
}

/**
 * 802.1Q / 802.1ad / QinQ tags, any number, in a loop rather than by recursion (a 256 KiB record
 * holds 65,000 of them); then, as tshark's VLAN dissector does, a length below 0x0600 means LLC.
 */
function decodeTags (buf: Uint8Array, off: number, end: number, type: number, facts: PacketFacts, depth: number): void {
  facts.vlan = true
  while (type === ETHERTYPE_VLAN || type === ETHERTYPE_QINQ || type === ETHERTYPE_QINQ_OLD) {
    if (off + 4 > end) return markMalformed(facts)
    type = u16(buf, off + 2)
    off += 4
  }
  if (type < ETHERTYPE_MIN) decodeLlc(buf, off, end, facts, depth)
  else decodeEthertype(buf, off, end, type, facts, depth)
}

function decodeOtherEthertype (buf: Uint8Array, off: number, end: number, type: number, facts: PacketFacts, depth: number): void {
  if (depth > MAX_ENCAPSULATION_DEPTH) return markMalformed(facts)
  switch (type) {
    case ETHERTYPE_VLAN: case ETHERTYPE_QINQ: case ETHERTYPE_QINQ_OLD: return decodeTags(buf, off, end, type, facts, depth)
    case ETHERTYPE_MPLS: case ETHERTYPE_MPLS_MC: return decodeMpls(buf, off, end, facts, depth)
    case ETHERTYPE_PPPOE: return off + 6 > end ? markMalformed(facts) : decodePpp(buf, off + 6, end, facts, depth)
    case ETHERTYPE_PPP: return decodePpp(buf, off, end, facts, depth)
    case ETHERTYPE_ARP: return decodeArp(buf, off, end, facts)
    case ETHERTYPE_TEB: return decodeEthernet(buf, off, end, facts, depth + 1)
    case ETHERTYPE_ERSPAN2: return decodeEthernet(buf, off + 8, end, facts, depth + 1)
    // Cisco MetaData after an Ethernet header: version, length, options, SGT, then the EtherType.
    case ETHERTYPE_CMD: return off + 8 > end ? markMalformed(facts) : decodeEthertype(buf, off + 8, end, u16(buf, off + 6), facts, depth + 1)
    case ETHERTYPE_ERSPAN3: {
      // 12-byte header, plus an 8-byte platform-specific subheader when the O bit is set
      if (off + 12 > end) return markMalformed(facts)
      const optional = (buf[off + 11]! & 1) === 1 ? 8 : 0
      return decodeEthernet(buf, off + 12 + optional, end, facts, depth + 1)
    }
    default:
  }
}

/** ARP (RFC 826) for IPv4 over Ethernet: hardware type 1, protocol 0x0800, address lengths 6 and 4. Others are not potiron's. */
function decodeArp (buf: Uint8Array, off: number, end: number, facts: PacketFacts): void {
  if (off + ARP_IPV4_LENGTH > end) return markMalformed(facts)
  if (u16(buf, off) === 1 && u16(buf, off + 2) === ETHERTYPE_IPV4 && buf[off + 4] === 6 && buf[off + 5] === 4 && facts.arpAt < 0) facts.arpAt = off
}

/**
 * MPLS label stack (RFC 3032). The payload is guessed from its first nibble, as tshark does,
 * except below the special labels GAL (13, RFC 5586) and OAM Alert (14, RFC 3429).
 */
function decodeMpls (buf: Uint8Array, off: number, end: number, facts: PacketFacts, depth: number): void {
  let label: number
  for (;;) {
    if (off + 4 > end) return markMalformed(facts)
    label = (u32(buf, off) >>> 12)
    const bottom = (buf[off + 2]! & 1) === 1
    off += 4
    if (bottom) break
  }
  if (label === MPLS_LABEL_GAL || label === MPLS_LABEL_OAM_ALERT) return
  decodeRawIp(buf, off, end, facts, depth + 1)
}

/** PPP (RFC 1661), with or without the FF 03 address/control prefix, 1- or 2-byte protocol. */
export function decodePpp (buf: Uint8Array, off: number, end: number, facts: PacketFacts, depth: number): void {
  if (off + 2 > end) return markMalformed(facts)
  if (buf[off] === 0xff && buf[off + 1] === 0x03) off += 2
  if (off + 1 > end) return markMalformed(facts)
  let proto: number
  if ((buf[off]! & 1) === 1) {
    proto = buf[off]!
    off += 1
  } else {
    if (off + 2 > end) return markMalformed(facts)
    proto = u16(buf, off)
    off += 2
  }
  if (proto === PPP_IPV4) return decodeIpv4(buf, off, end, facts, depth + 1, false)
  if (proto === PPP_IPV6) return decodeIpv6(buf, off, end, facts, depth + 1)
}

/** A bare IP packet: the version nibble says which. */
function decodeRawIp (buf: Uint8Array, off: number, end: number, facts: PacketFacts, depth: number): void {
  if (off + 1 > end) return markMalformed(facts)
  const version = buf[off]! >> 4
  if (version === 4) return decodeIpv4(buf, off, end, facts, depth, false)
  if (version === 6) return decodeIpv6(buf, off, end, facts, depth)
}

/**
 * BSD loopback: a 4-byte header. LINKTYPE_LOOP holds an address family in network byte order.
 * LINKTYPE_NULL holds it in the writer's byte order, or on some systems an EtherType: this
 * follows tshark's packet-null.c guess exactly (AF_INET6 differs between BSDs).
 */
function decodeLoopback (buf: Uint8Array, off: number, end: number, facts: PacketFacts, networkOrder: boolean): void {
  if (off + 4 > end) return markMalformed(facts)
  let family: number
  if (networkOrder) {
    family = u32(buf, off)
  } else {
    family = ((buf[off + 3]! << 24) | (buf[off + 2]! << 16) | (buf[off + 1]! << 8) | buf[off]!) >>> 0
    if ((family & 0xffff0000) !== 0) {
      family = (family & 0xff000000) === 0 && (family & 0x00ff0000) < 0x00060000 ? family >>> 16 : u32(buf, off)
    } else if ((family & 0xff) === 0 && (family & 0xff00) < 0x0600) {
      family = family >>> 8  // IRIX-style header in the other byte order
    }
    if (family > ETHERTYPE_MAX_LENGTH) return decodeEthertype(buf, off + 4, end, family & 0xffff, facts, 0)
  }
  switch (family) {
    case AF_INET: return decodeIpv4(buf, off + 4, end, facts, 0, false)
    case AF_INET6_BSD: case AF_INET6_FREEBSD: case AF_INET6_DARWIN: return decodeIpv6(buf, off + 4, end, facts, 0)
    default:
  }
}

/** Linux cooked capture v1: 16-byte header, protocol (an EtherType for IP) in the last 2 bytes. */
function decodeSll (buf: Uint8Array, off: number, end: number, facts: PacketFacts): void {
  if (off + 16 > end) return markMalformed(facts)
  decodeEthertype(buf, off + 16, end, u16(buf, off + 14), facts, 0)
}

/** Linux cooked capture v2: 20-byte header, protocol first. */
function decodeSll2 (buf: Uint8Array, off: number, end: number, facts: PacketFacts): void {
  if (off + 20 > end) return markMalformed(facts)
  decodeEthertype(buf, off + 20, end, u16(buf, off), facts, 0)
}
