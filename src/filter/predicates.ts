/**
 * The tests a compiled filter is made of, each a closure over constants fixed at compile time
 * and reading only the decoded packet: the reused PacketFacts, the packet's bytes (IPv6 and ARP
 * addresses, at the offsets the decoders recorded) and its wire length. No allocation per packet.
 *
 * What each test looks at, and how that compares with tcpdump's (docs/compatibility.md, "Filters"):
 * - the IP tests read the IP header potiron counts: the outermost one (with --ipv4-only, the
 *   first IPv4 header), found through VLAN tags, MPLS, PPPoE and every link type potiron
 *   decodes, where tcpdump needs `vlan and ...`, `mpls and ...`, `pppoes and ...`;
 * - the protocol is the one after the IPv6 extension headers, the counted `protocol` field
 *   (tcpdump reads the fixed header's next header, or the one after a fragment header);
 * - ports and TCP flags are those of the transport header right after that IP header: facts
 *   hold the first TCP and first UDP header, which is that one whenever the IP protocol says
 *   TCP or UDP, so a port inside a tunnel or an ICMP error never matches, as in tcpdump.
 */
import { u32 } from '../decode/bytes.js'
import type { PacketFacts } from '../decode/facts.js'

/** A compiled filter: whether the decoded packet matches. `len` is its length on the wire (pcap's orig_len). */
export type Predicate = (f: PacketFacts, buf: Uint8Array, len: number) => boolean

/** A number read from the packet for a relation (`len`, `tcp[tcpflags]`); `available` says whether the packet has it. */
export interface Operand {
  value: (f: PacketFacts, buf: Uint8Array, len: number) => number
  /** undefined: always there (a constant, `len`). */
  available: Predicate | undefined
}

export const IPPROTO = { icmp: 1, igmp: 2, tcp: 6, udp: 17, gre: 47, esp: 50, ah: 51, icmp6: 58, pim: 103, vrrp: 112, sctp: 132 } as const

/** Which IP versions a primitive applies to: `ip host`, `ip6 net`, or either. */
export type Family = 4 | 6 | 0

// ARP for IPv4 over Ethernet (RFC 826): sender protocol address at 14, target's at 24.
const ARP_SPA = 14
const ARP_TPA = 24

export const TRUE: Predicate = () => true

export function and (a: Predicate, b: Predicate): Predicate {
  return (f, buf, len) => a(f, buf, len) && b(f, buf, len)
}

export function or (a: Predicate, b: Predicate): Predicate {
  return (f, buf, len) => a(f, buf, len) || b(f, buf, len)
}

export function not (a: Predicate): Predicate {
  return (f, buf, len) => !a(f, buf, len)
}

/** `ip`, `ip6`: the frame's outermost network header is of that version (tcpdump: its EtherType). */
export function outerVersion (version: 4 | 6): Predicate {
  return f => f.outerVersion === version
}

/** `tcp`, `ip proto 47`, `ip6 proto 58`, `proto 17`: the counted IP header's protocol. */
export function protocol (family: Family, proto: number): Predicate {
  if (family === 0) return f => f.ipVersion !== 0 && f.protocol === proto
  return f => f.ipVersion === family && f.protocol === proto
}

/** An ARP frame: the decoders record ARP inside tunnels too (VXLAN), which tcpdump's EtherType test does not see. */
export const arp: Predicate = f => f.arpAt >= 0 && f.outerVersion === 0
export const vlan: Predicate = f => f.vlan

/** Source and/or destination: `src`, `dst`, `src or dst` (the default), `src and dst`. */
export type Direction = 'src' | 'dst' | 'src or dst' | 'src and dst'

function both (direction: Direction, src: Predicate, dst: Predicate): Predicate {
  switch (direction) {
    case 'src': return src
    case 'dst': return dst
    case 'src or dst': return or(src, dst)
    case 'src and dst': return and(src, dst)
  }
}

/** `host`/`net` for IPv4: the IP header's addresses, and (unless `ip` was said) an ARP message's, as tcpdump does. */
export function ipv4Net (direction: Direction, address: number, mask: number, withIp: boolean, withArp: boolean): Predicate {
  const ipSrc: Predicate = f => f.ipVersion === 4 && ((f.src & mask) >>> 0) === address
  const ipDst: Predicate = f => f.ipVersion === 4 && ((f.dst & mask) >>> 0) === address
  const arpSrc: Predicate = (f, buf) => arp(f, buf, 0) && ((u32(buf, f.arpAt + ARP_SPA) & mask) >>> 0) === address
  const arpDst: Predicate = (f, buf) => arp(f, buf, 0) && ((u32(buf, f.arpAt + ARP_TPA) & mask) >>> 0) === address
  const ip = both(direction, ipSrc, ipDst)
  const arpMatch = both(direction, arpSrc, arpDst)
  if (withIp && withArp) return or(ip, arpMatch)
  return withIp ? ip : arpMatch
}

/** `host`/`net` for IPv6: the 16 address bytes at the offsets the decoder recorded, word by word under the prefix's masks. */
export function ipv6Net (direction: Direction, words: readonly number[], masks: readonly number[]): Predicate {
  const [w0, w1, w2, w3] = words.map((w, i) => (w & masks[i]!) >>> 0) as [number, number, number, number]
  const [m0, m1, m2, m3] = masks as [number, number, number, number]
  const at = (buf: Uint8Array, off: number): boolean =>
    ((u32(buf, off) & m0) >>> 0) === w0 && ((u32(buf, off + 4) & m1) >>> 0) === w1 &&
    ((u32(buf, off + 8) & m2) >>> 0) === w2 && ((u32(buf, off + 12) & m3) >>> 0) === w3
  return both(direction, (f, buf) => f.ipVersion === 6 && at(buf, f.src6), (f, buf) => f.ipVersion === 6 && at(buf, f.dst6))
}

/**
 * `port`/`portrange` (`tcp port`, `udp dst portrange 1-1024`): the TCP or UDP ports of the
 * transport header after the counted IP header, when its protocol is that one.
 */
export function portRange (direction: Direction, family: Family, transport: 'tcp' | 'udp' | 'both', low: number, high: number): Predicate {
  const within = (port: number): boolean => port >= low && port <= high
  const ip: Predicate = family === 0 ? f => f.ipVersion !== 0 : f => f.ipVersion === family
  const tcp = both(direction, f => f.protocol === IPPROTO.tcp && within(f.tcpSport), f => f.protocol === IPPROTO.tcp && within(f.tcpDport))
  const udp = both(direction, f => f.protocol === IPPROTO.udp && within(f.udpSport), f => f.protocol === IPPROTO.udp && within(f.udpDport))
  const ports = transport === 'tcp' ? tcp : transport === 'udp' ? udp : or(tcp, udp)
  return and(ip, ports)
}

/** A relation between two numbers (`len >= 100`, `tcp[tcpflags] & tcp-syn != 0`): false when a packet lacks an operand, as in tcpdump. */
export function relation (left: Operand, op: string, right: Operand): Predicate {
  const a = left.value
  const b = right.value
  let compare: Predicate
  switch (op) {
    case '>': compare = (f, buf, len) => a(f, buf, len) > b(f, buf, len); break
    case '<': compare = (f, buf, len) => a(f, buf, len) < b(f, buf, len); break
    case '>=': compare = (f, buf, len) => a(f, buf, len) >= b(f, buf, len); break
    case '<=': compare = (f, buf, len) => a(f, buf, len) <= b(f, buf, len); break
    case '!=': compare = (f, buf, len) => a(f, buf, len) !== b(f, buf, len); break
    default: compare = (f, buf, len) => a(f, buf, len) === b(f, buf, len)
  }
  const guards = [left.available, right.available].filter(g => g !== undefined)
  return guards.reduce((p, guard) => and(guard, p), compare)
}

/** A binary arithmetic operation on unsigned 32-bit values, as BPF computes it. */
export function arithmetic (left: Operand, op: string, right: Operand): Operand {
  const a = left.value
  const b = right.value
  let value: Operand['value']
  switch (op) {
    case '&': value = (f, buf, len) => (a(f, buf, len) & b(f, buf, len)) >>> 0; break
    case '|': value = (f, buf, len) => (a(f, buf, len) | b(f, buf, len)) >>> 0; break
    case '+': value = (f, buf, len) => (a(f, buf, len) + b(f, buf, len)) >>> 0; break
    case '-': value = (f, buf, len) => (a(f, buf, len) - b(f, buf, len)) >>> 0; break
    case '<<': value = (f, buf, len) => (a(f, buf, len) << b(f, buf, len)) >>> 0; break
    default: value = (f, buf, len) => a(f, buf, len) >>> b(f, buf, len)
  }
  const available = left.available === undefined ? right.available : right.available === undefined ? left.available : and(left.available, right.available)
  return { value, available }
}

export function constant (n: number): Operand {
  return { value: () => n, available: undefined }
}

/** `len`: the packet's length on the wire. */
export const wireLength: Operand = { value: (_f, _buf, len) => len, available: undefined }

/** `tcp[tcpflags]` (`tcp[13]`): the flags byte of the TCP header after the counted IP header, IPv4 or IPv6. */
export const tcpFlags: Operand = {
  value: f => f.tcpFlags,
  available: f => f.ipVersion !== 0 && f.protocol === IPPROTO.tcp && f.tcpFlags >= 0
}

/** `icmp[icmptype]` (`icmp[0]`) and `icmp[icmpcode]` (`icmp[1]`): those of the ICMP header after the counted IPv4 header. */
export const icmpType: Operand = {
  value: f => f.icmpType,
  available: f => f.ipVersion === 4 && f.protocol === IPPROTO.icmp && f.icmpType >= 0
}

export const icmpCode: Operand = {
  value: f => f.icmpCode,
  available: f => f.ipVersion === 4 && f.protocol === IPPROTO.icmp && f.icmpCode >= 0
}
