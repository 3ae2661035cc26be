import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import { NumberCounter, Ipv6Table, Uint32Counter } from '../src/aggregate/counter.js'
import { LogCounter, sortU32 } from '../src/aggregate/log-counter.js'
import { DayClock, MAX_SECONDS, MIN_SECONDS, dayToYmd, daysFromCivil } from '../src/aggregate/days.js'
import { IPV6_BASE, ipv4ToString, ipv6ToString, memberString } from '../src/aggregate/fields.js'
import { parseCaptureName, stem } from '../src/capture/filename.js'
import { PacketFacts } from '../src/decode/facts.js'
import { decodeFrame, isSupportedLinktype } from '../src/decode/link.js'
import {
  ADDRS4, ADDRS6, DST4, ETH_IPV4, ETH_IPV6, IPV4_TCP, IPV4_TCP_FACTS, IPV4_UDP, IPV4_UDP_FACTS, IPV6_UDP,
  LT_ETHERNET, LT_FDDI, LT_IPOIB, LT_IPV4, LT_IPV6, LT_LINUX_SLL, LT_LINUX_SLL2, LT_LOOP, LT_NULL, LT_RAW,
  LT_USER0, SRC4, decode, eth, facts, hex, ipv6UdpFacts, view
} from './helpers/frames.js'

/** 10.0.0.1 → 10.0.0.2: the addresses of tunnelled packets, to tell them from the outer ones. */
const INNER_ADDRS4 = '0a00 0001  0a00 0002'
/** A TCP header that is not IPV4_TCP's: 443 → 40000, seq 7, ack 9, SYN+ACK. */
const TCP_443 = '01bb 9c40  0000 0007  0000 0009  5012 7210  0000 0000'
/** 2001:db8::1 → 2001:db8::2 IPv6 + TCP_443 (60 bytes). */
const IPV6_TCP = `60a1 2345  0014 0640  ${ADDRS6}` + TCP_443 // IPv6: tclass 0x0a, flow 0x12345, payload 20, TCP, hop limit 64
const TCP_443_FACTS = { tcpSport: 443, tcpDport: 40000, tcpSeq: 7, tcpAck: 9 }

describe('decodeFrame: Ethernet and IPv4', () => {
  it('Ethernet IPv4 TCP', () => {
    assert.deepEqual(decode(hex(ETH_IPV4, IPV4_TCP), LT_ETHERNET), facts(IPV4_TCP_FACTS))
  })

  it('IPv4 with options (IHL 6): the transport header follows the options', () => {
    const buf = hex(ETH_IPV4,
      `4628 002c  0001 0000  8006 0000  ${ADDRS4}`, // IHL 6, tos 0x28, total 44, TTL 128, TCP
      '9404 0000', // router alert option
      '0016 c351  0000 0001  0000 0000  5002 2000  0000 0000') // TCP: 22 → 50001, seq 1, ack 0, SYN
    assert.deepEqual(decode(buf, LT_ETHERNET), facts({
      ipVersion: 4, outerVersion: 4, length: 44, protocol: 6, ttl: 128, tos: 0x28, src: SRC4, dst: DST4,
      tcpSport: 22, tcpDport: 50001, tcpSeq: 1, tcpAck: 0
    }))
  })

  it('IPv4 first fragment (MF, offset 0) carries the ports', () => {
    const buf = hex(ETH_IPV4,
      `4500 0024  abcd 2000  4011 0000  ${ADDRS4}`, // total 36, MF, offset 0, UDP
      '0035 d431  0410 0000', // UDP: 53 → 54321, length 1040 (the whole datagram)
      '0102 0304 0506 0708')
    assert.deepEqual(decode(buf, LT_ETHERNET), facts({
      ipVersion: 4, outerVersion: 4, length: 36, protocol: 17, ttl: 64, tos: 0, src: SRC4, dst: DST4,
      udpSport: 53, udpDport: 54321
    }))
  })

  it('IPv4 non-first fragment has no ports', () => {
    const buf = hex(ETH_IPV4,
      `4500 0024  abcd 0081  4011 0000  ${ADDRS4}`, // total 36, offset 129 * 8, last fragment, UDP
      '0035 d431  0410 0000  0102 0304 0506 0708') // data that looks like a UDP header
    assert.deepEqual(decode(buf, LT_ETHERNET), facts({
      ipVersion: 4, outerVersion: 4, length: 36, protocol: 17, ttl: 64, tos: 0, src: SRC4, dst: DST4
    }))
  })

  it('IPv4 UDP', () => {
    assert.deepEqual(decode(hex(ETH_IPV4, IPV4_UDP), LT_ETHERNET), facts(IPV4_UDP_FACTS))
  })

  // A UDP datagram of 24 bytes in two fragments: 16 bytes (UDP header + 8) at 0, then 8 bytes at 16.
  const FRAGMENT_1 = hex(ETH_IPV4, `4500 0024  abcd 2000  4011 0000  ${ADDRS4}`, // total 36, MF, offset 0
    '0035 d431  0018 0000', '0102 0304 0506 0708') // UDP: 53 → 54321, length 24
  const FRAGMENT_2 = hex(ETH_IPV4, `4500 001c  abcd 0002  4011 0000  ${ADDRS4}`, // total 28, offset 2 * 8, last
    '1112 1314 1516 1718')
  const FRAGMENT_IP = { ipVersion: 4, outerVersion: 4, protocol: 17, ttl: 64, tos: 0, src: SRC4, dst: DST4 }

  it('firstIpv4 mode reassembles: the ports come with the fragment that completes the datagram', () => {
    const f = new PacketFacts(true)
    f.reset()
    decodeFrame(FRAGMENT_1, 0, FRAGMENT_1.length, LT_ETHERNET, f)
    assert.deepEqual(view(f), facts(FRAGMENT_IP, { length: 36 }))
    f.reset()
    decodeFrame(FRAGMENT_2, 0, FRAGMENT_2.length, LT_ETHERNET, f)
    assert.deepEqual(view(f), facts(FRAGMENT_IP, { length: 28, udpSport: 53, udpDport: 54321 }))
  })

  it('firstIpv4 reassembly keeps its own copy of the first fragment: readers reuse their buffers', () => {
    // PacketSink's contract: the bytes are only valid during the call, the reader then reuses them.
    const buf = Buffer.alloc(64)
    const f = new PacketFacts(true)
    f.reset()
    FRAGMENT_1.copy(buf)
    decodeFrame(buf, 0, FRAGMENT_1.length, LT_ETHERNET, f)
    buf.fill(0xee)
    FRAGMENT_2.copy(buf)
    f.reset()
    decodeFrame(buf, 0, FRAGMENT_2.length, LT_ETHERNET, f)
    assert.deepEqual(view(f), facts(FRAGMENT_IP, { length: 28, udpSport: 53, udpDport: 54321 }))
  })

  it('ICMP echo request', () => {
    const buf = hex(ETH_IPV4,
      `4500 0020  0000 0000  4001 0000  ${ADDRS4}`, // total 32, ICMP
      '0800 f7fe  0001 0001', // echo request, id 1, seq 1
      'dead beef')
    assert.deepEqual(decode(buf, LT_ETHERNET), facts({
      ipVersion: 4, outerVersion: 4, length: 32, protocol: 1, ttl: 64, tos: 0, src: SRC4, dst: DST4,
      icmpType: 8, icmpCode: 0
    }))
  })

  // The router 198.51.100.254 tells 192.0.2.1 that its packet's TTL ran out.
  const ROUTER_ICMP = '45c0 0038  0000 0000  fe01 0000  c633 64fe  c000 0201' // tos 0xc0, total 56, TTL 254, ICMP
  const ROUTER_FACTS = { ipVersion: 4, outerVersion: 4, length: 56, protocol: 1, ttl: 254, tos: 0xc0, src: 0xc63364fe, dst: SRC4 }

  it('ICMP time exceeded quoting IPv4 + UDP: type 11 kept, ports from the quote', () => {
    const buf = hex(ETH_IPV4, ROUTER_ICMP,
      '0b00 f4ff  0000 0000', // ICMP time exceeded in transit, unused
      `4500 003c  1234 0000  0111 0000  ${ADDRS4}`, // quoted IPv4: total 60 (only 28 quoted), TTL 1, UDP
      '8235 829b  0028 0000') // quoted UDP: 33333 → 33435
    assert.deepEqual(decode(buf, LT_ETHERNET), facts(ROUTER_FACTS, {
      icmpType: 11, icmpCode: 0, udpSport: 33333, udpDport: 33435, inner: true
    }))
  })

  it('ICMP time exceeded quoting IPv4 + 8 bytes of TCP: ports and seq, no ack, not malformed', () => {
    const buf = hex(ETH_IPV4, ROUTER_ICMP,
      '0b00 f4ff  0000 0000',
      `4500 0028  1234 4000  0106 0000  ${ADDRS4}`, // quoted IPv4: total 40, TTL 1, TCP
      'c350 0050  dead beef') // quoted TCP: 50000 → 80, seq, then the quote ends
    assert.deepEqual(decode(buf, LT_ETHERNET), facts(ROUTER_FACTS, {
      icmpType: 11, icmpCode: 0, tcpSport: 50000, tcpDport: 80, tcpSeq: 0xdeadbeef, inner: true
    }))
  })

  it('IPv4 IHL < 5 is malformed and yields no field', () => {
    const buf = hex(ETH_IPV4, `4400 0028  1c46 4000  4006 0000  ${ADDRS4}`, 'c350 0050  dead beef  8000 0001  5010 ffff  0000 0000')
    assert.deepEqual(decode(buf, LT_ETHERNET), facts({ outerVersion: 4, malformed: true }))
  })

  it('IP-in-IP nested deeper than the encapsulation limit is malformed, outer fields kept', () => {
    // 12 IPv4 headers, each of protocol 4 (IP-in-IP) and total length 20 * (headers left) + 40, then IPv4 + TCP.
    const ipip = (total: number): string => `4500 ${total.toString(16).padStart(4, '0')}  0000 0000  4004 0000  ${ADDRS4}`
    const buf = hex(...Array.from({ length: 12 }, (_, i) => ipip(20 * (12 - i) + 40)), IPV4_TCP)
    assert.deepEqual(decode(buf, LT_RAW), facts({
      ipVersion: 4, outerVersion: 4, length: 280, protocol: 4, ttl: 64, tos: 0, src: SRC4, dst: DST4, malformed: true
    }))
  })
})

describe('decodeFrame: VLAN tags', () => {
  it('802.1Q single tag', () => {
    const buf = hex(eth('8100'), '2064 0800', IPV4_UDP) // PCP 1, VLAN 100, then IPv4
    assert.deepEqual(decode(buf, LT_ETHERNET), facts(IPV4_UDP_FACTS))
  })

  it('QinQ: 802.1ad 0x88a8 then 802.1Q 0x8100', () => {
    const buf = hex(eth('88a8'), '00c8 8100', '0064 0800', IPV4_UDP) // S-tag VLAN 200, C-tag VLAN 100
    assert.deepEqual(decode(buf, LT_ETHERNET), facts(IPV4_UDP_FACTS))
  })

  it('pre-standard QinQ 0x9100', () => {
    const buf = hex(eth('9100'), '00c8 8100', '0064 0800', IPV4_UDP)
    assert.deepEqual(decode(buf, LT_ETHERNET), facts(IPV4_UDP_FACTS))
  })
})

describe('decodeFrame: IPv6', () => {
  it('IPv6 TCP: traffic class as tos, addresses as offsets', () => {
    assert.deepEqual(decode(hex(ETH_IPV6, IPV6_TCP), LT_ETHERNET), facts({
      ipVersion: 6, outerVersion: 6, length: 60, protocol: 6, ttl: 64, tos: 0x0a, src6: 22, dst6: 38
    }, TCP_443_FACTS))
  })

  const EXTENSIONS = [
    '2b00 0104 0000 0000', // hop-by-hop: next routing (43), 8 bytes, PadN
    '3c02 0001 0000 0000  2001 0db8 0000 0000 0000 0000 0000 0003', // routing: next dest. options (60), 24 bytes, type 0, 1 segment left
    '2c00 0104 0000 0000' // destination options: next fragment (44), 8 bytes, PadN
  ]

  it('IPv6 hop-by-hop + routing + destination options + first fragment + AH: protocol is the final next header', () => {
    const buf = hex(`6000 0000  005c 0040  ${ADDRS6}`, // payload 92, next hop-by-hop (0), hop limit 64
      ...EXTENSIONS,
      '3300 0001 8765 4321', // fragment: next AH (51), offset 0, M=1
      '0604 0000  0000 0100  0000 0001  aaaa aaaa aaaa aaaa aaaa aaaa', // AH: next TCP, 24 bytes, SPI, seq, ICV
      TCP_443)
    assert.deepEqual(decode(buf, LT_IPV6), facts({
      ipVersion: 6, outerVersion: 6, length: 132, protocol: 6, ttl: 64, tos: 0, src6: 8, dst6: 24
    }, TCP_443_FACTS))
  })

  it('IPv6 extension headers + non-first fragment: no transport, protocol from the fragment header', () => {
    // After a non-first fragment header come fragment data, not an AH header: a walk that reads
    // them as AH finds next header 17 and a 28-byte length running past the packet.
    const buf = hex(`6000 0000  0040 0040  ${ADDRS6}`, // payload 64, next hop-by-hop
      ...EXTENSIONS,
      '3300 00b8 8765 4321', // fragment: next AH (51), offset 23 * 8, M=0
      '1105 0000 c350 0050  0000 0000 0000 0000') // 16 bytes of fragment data
    assert.deepEqual(decode(buf, LT_IPV6), facts({
      ipVersion: 6, outerVersion: 6, length: 104, protocol: 51, ttl: 64, tos: 0, src6: 8, dst6: 24
    }))
  })

  const ICMPV6_ECHO = hex(`6000 0000  0010 3a40  ${ADDRS6}`, // payload 16, ICMPv6
    '8000 0000  1234 0001', // echo request, id 0x1234, seq 1
    'a1a2 a3a4 a5a6 a7a8')

  it('ICMPv6 echo sets the ICMP fields by default', () => {
    assert.deepEqual(decode(ICMPV6_ECHO, LT_IPV6), facts({
      ipVersion: 6, outerVersion: 6, length: 56, protocol: 58, ttl: 64, tos: 0, src6: 8, dst6: 24, icmpType: 128, icmpCode: 0
    }))
  })

  it('ICMPv6 echo in firstIpv4 mode: no IP and no ICMP field', () => {
    assert.deepEqual(decode(ICMPV6_ECHO, LT_IPV6, true), facts({ outerVersion: 6 }))
  })

  it('ICMPv6 port unreachable quoting IPv6 + UDP: ports from the quote', () => {
    const buf = hex(ETH_IPV6,
      '6000 0000  0038 3a40  2001 0db8 0000 0000 0000 0000 0000 00ff  2001 0db8 0000 0000 0000 0000 0000 0001', // payload 56, ICMPv6, 2001:db8::ff → 2001:db8::1
      '0104 0000  0000 0000', // destination unreachable, port unreachable, unused
      `6000 0000  0010 1140  ${ADDRS6}`, // quoted IPv6: payload 16 (8 quoted), UDP
      'e110 0202  0010 0000') // quoted UDP: 57616 → 514
    assert.deepEqual(decode(buf, LT_ETHERNET), facts({
      ipVersion: 6, outerVersion: 6, length: 96, protocol: 58, ttl: 64, tos: 0, src6: 22, dst6: 38,
      icmpType: 1, icmpCode: 4, udpSport: 57616, udpDport: 514, inner: true
    }))
  })
})

describe('decodeFrame: link types', () => {
  it('Linux SLL (113)', () => {
    const buf = hex('0000 0001 0006 0011 2233 4455 0000 0800', IPV4_UDP) // to us, ARPHRD_ETHER, 6-byte address, IPv4
    assert.deepEqual(decode(buf, LT_LINUX_SLL), facts(IPV4_UDP_FACTS))
  })

  it('Linux SLL (113) with 802.1Q tags, as many as a 256 KiB record holds, walked without recursion', () => {
    const tagged = (n: number): Buffer => hex('0000 0001 0006 0011 2233 4455 0000 8100', '0001 8100'.repeat(n - 1), '0001 0800', IPV4_UDP)
    assert.deepEqual(decode(tagged(3), LT_LINUX_SLL), facts(IPV4_UDP_FACTS))
    assert.deepEqual(decode(tagged(65_000), LT_LINUX_SLL), facts(IPV4_UDP_FACTS))
  })

  it('Linux SLL (113) with an 802.1Q tag, then an 802.3 length: LLC/SNAP, as after an Ethernet tag', () => {
    const buf = hex('0000 0001 0006 0011 2233 4455 0000 8100', '0001 0029', 'aa aa 03  00 00 00  0800', IPV4_UDP) // tag, length 41, LLC/SNAP
    assert.deepEqual(decode(buf, LT_LINUX_SLL), facts(IPV4_UDP_FACTS))
  })

  it('Linux SLL2 (276)', () => {
    const buf = hex('86dd 0000  0000 0002  0001 00 06  0011 2233 4455 0000', IPV6_UDP) // IPv6, ifindex 2, ARPHRD_ETHER, to us
    assert.deepEqual(decode(buf, LT_LINUX_SLL2), facts(ipv6UdpFacts(20)))
  })

  it('raw IP (101) carrying IPv4', () => {
    assert.deepEqual(decode(hex(IPV4_TCP), LT_RAW), facts(IPV4_TCP_FACTS))
  })

  it('raw IP (101) carrying IPv6', () => {
    assert.deepEqual(decode(hex(IPV6_UDP), LT_RAW), facts(ipv6UdpFacts(0)))
  })

  it('raw IP under its other numbers (12, 14)', () => {
    assert.deepEqual(decode(hex(IPV4_TCP), 12), facts(IPV4_TCP_FACTS))
    assert.deepEqual(decode(hex(IPV6_UDP), 14), facts(ipv6UdpFacts(0)))
  })

  it('LINKTYPE_IPV4 (228)', () => {
    assert.deepEqual(decode(hex(IPV4_UDP), LT_IPV4), facts(IPV4_UDP_FACTS))
  })

  it('LINKTYPE_IPV6 (229)', () => {
    assert.deepEqual(decode(hex(IPV6_UDP), LT_IPV6), facts(ipv6UdpFacts(0)))
  })

  it('LINKTYPE_NULL, AF_INET (2) little-endian', () => {
    assert.deepEqual(decode(hex('0200 0000', IPV4_TCP), LT_NULL), facts(IPV4_TCP_FACTS))
  })

  it('LINKTYPE_NULL, AF_INET (2) big-endian', () => {
    assert.deepEqual(decode(hex('0000 0002', IPV4_TCP), LT_NULL), facts(IPV4_TCP_FACTS))
  })

  it('LINKTYPE_NULL, AF_INET6 (30, Darwin)', () => {
    assert.deepEqual(decode(hex('1e00 0000', IPV6_UDP), LT_NULL), facts(ipv6UdpFacts(4)))
  })

  it('LINKTYPE_NULL, AF_INET6 of the other BSDs (24, 28), either byte order', () => {
    for (const header of ['1800 0000', '1c00 0000', '0000 0018', '0000 001c']) {
      assert.deepEqual(decode(hex(header, IPV6_UDP), LT_NULL), facts(ipv6UdpFacts(4)), header)
    }
  })

  it('LINKTYPE_NULL holding an EtherType (0f 00 08 00 → IPv4, as tshark guesses)', () => {
    assert.deepEqual(decode(hex('0f00 0800', IPV4_TCP), LT_NULL), facts(IPV4_TCP_FACTS))
  })

  it('LINKTYPE_NULL with an unknown family: no IP, not malformed', () => {
    assert.deepEqual(decode(hex('0700 0000', IPV4_TCP), LT_NULL), facts())
  })

  it('LINKTYPE_LOOP (108): the family in network byte order', () => {
    assert.deepEqual(decode(hex('0000 0002', IPV4_TCP), LT_LOOP), facts(IPV4_TCP_FACTS))
    assert.deepEqual(decode(hex('0000 0018', IPV6_UDP), LT_LOOP), facts(ipv6UdpFacts(4)))
    assert.deepEqual(decode(hex('0200 0000', IPV4_TCP), LT_LOOP), facts(), 'little-endian AF_INET is not AF_INET here')
  })

  it('IP over InfiniBand (242): 44-byte header', () => {
    const buf = hex(
      '0000 0048  fe80 0000 0000 0000 0002 c903 0001 2345', // destination: QPN + GID (20 bytes)
      '0000 0049  fe80 0000 0000 0000 0002 c903 0001 6789', // source (20 bytes)
      '0800 0000', // EtherType IPv4, reserved
      IPV4_UDP)
    assert.deepEqual(decode(buf, LT_IPOIB), facts(IPV4_UDP_FACTS))
  })

  it('FDDI (10) with LLC/SNAP', () => {
    const buf = hex('50  0011 2233 4455  6677 8899 aabb', // frame control (LLC, async), dst, src
      'aa aa 03  00 00 00  0800', // LLC: SNAP SAPs, UI; SNAP: OUI 0, EtherType IPv4
      IPV4_UDP)
    assert.deepEqual(decode(buf, LT_FDDI), facts(IPV4_UDP_FACTS))
  })

  it('an unsupported link type sets unsupportedLink only', () => {
    assert.equal(isSupportedLinktype(LT_USER0), false)
    assert.deepEqual(decode(hex(ETH_IPV4, IPV4_TCP), LT_USER0), facts({ unsupportedLink: true }))
  })
})

describe('decodeFrame: tunnels', () => {
  /** An inner IPv4 + UDP (10.0.0.1:54321 → 10.0.0.2:53), 33 bytes. */
  const INNER_IPV4_UDP = `45b8 0021  0000 4000  4011 0000  ${INNER_ADDRS4}  d431 0035  000d 0000  68 656c 6c6f`
  /** An inner IPv4 + TCP_443 (10.0.0.1 → 10.0.0.2), 40 bytes. */
  const INNER_IPV4_TCP = `4500 0028  0000 4000  4006 0000  ${INNER_ADDRS4}` + TCP_443
  /** Outer IPv4 fields of a tunnel with this total length and protocol. */
  const outer = (length: number, protocol: number): Parameters<typeof facts>[0] =>
    ({ ipVersion: 4, outerVersion: 4, length, protocol, ttl: 64, tos: 0, src: SRC4, dst: DST4 })

  it('GRE v0 with key and sequence number carrying IPv4', () => {
    const buf = hex(ETH_IPV4,
      `4500 0041  0000 4000  402f 0000  ${ADDRS4}`, // total 65 = 20 + 12 + 33, GRE
      '3000 0800  0000 0001  0000 0005', // GRE: K and S set, version 0, IPv4; key 1, seq 5
      INNER_IPV4_UDP)
    assert.deepEqual(decode(buf, LT_ETHERNET), facts(outer(65, 47), { udpSport: 54321, udpDport: 53, inner: true }))
  })

  it('PPTP enhanced GRE (v1) carrying PPP / IPv4', () => {
    const buf = hex(ETH_IPV4,
      `4500 0050  0000 4000  402f 0000  ${ADDRS4}`, // total 80 = 20 + 16 + 4 + 40, GRE
      '3081 880b  002c 0006  0000 0001  0000 0000', // GRE: K, S, A set, version 1, PPP; length 44, call 6, seq 1, ack 0
      'ff03 0021', // PPP: address, control, IPv4
      INNER_IPV4_TCP)
    assert.deepEqual(decode(buf, LT_ETHERNET), facts(outer(80, 47), TCP_443_FACTS, { inner: true }))
  })

  it('GRE carrying transparent Ethernet (0x6558)', () => {
    const buf = hex(ETH_IPV4,
      `4500 0047  0000 4000  402f 0000  ${ADDRS4}`, // total 71 = 20 + 4 + 14 + 33, GRE
      '0000 6558', // GRE: no options, transparent Ethernet bridging
      eth('0800'), INNER_IPV4_UDP)
    assert.deepEqual(decode(buf, LT_ETHERNET), facts(outer(71, 47), { udpSport: 54321, udpDport: 53, inner: true }))
  })

  it('GRE carrying Cisco MetaData (0x8909): the next EtherType comes first inside GRE', () => {
    const buf = hex(ETH_IPV4,
      `4500 0045  0000 4000  402f 0000  ${ADDRS4}`, // total 69 = 20 + 8 + 8 + 33, GRE
      '2000 8909  0000 0028', // GRE: K set, Cisco MetaData; key 40
      '0800  01 01  0001  0000', // CMD in GRE: EtherType IPv4, version 1, length 1, options, SGT 0
      INNER_IPV4_UDP)
    assert.deepEqual(decode(buf, LT_ETHERNET), facts(outer(69, 47), { udpSport: 54321, udpDport: 53, inner: true }))
  })

  it('Ethernet carrying Cisco MetaData (0x8909): the EtherType comes last', () => {
    const buf = hex(eth('8909'),
      '01 01  0001  0000  0800', // CMD: version 1, length 1, options, SGT 0, EtherType IPv4
      IPV4_UDP)
    assert.deepEqual(decode(buf, LT_ETHERNET), facts(IPV4_UDP_FACTS))
  })

  it('VXLAN (UDP 4789) carrying Ethernet / IPv4 / TCP: TCP ports win, UDP ports are the outer ones', () => {
    const buf = hex(ETH_IPV4,
      `4500 005a  0000 4000  4011 0000  ${ADDRS4}`, // total 90 = 20 + 8 + 8 + 14 + 40, UDP
      'c000 12b5  0046 0000', // UDP: 49152 → 4789, length 70
      '0800 0000  0000 6400', // VXLAN: I flag, VNI 100
      eth('0800'), INNER_IPV4_TCP)
    const f = new PacketFacts()
    decodeFrame(buf, 0, buf.length, LT_ETHERNET, f)
    assert.deepEqual(decode(buf, LT_ETHERNET), facts(outer(90, 17), TCP_443_FACTS, { udpSport: 49152, udpDport: 4789, inner: true }))
    assert.deepEqual([f.sport, f.dport], [443, 40000])
  })

  it('MPLS label stack carrying IPv4: the IPv4 header is the outer one, its TCP not inner', () => {
    const buf = hex(eth('8847'),
      '0001 40ff', // label 20, TC 0, not bottom, TTL 255
      '0001 01ff', // label 16, bottom of stack, TTL 255
      IPV4_TCP)
    assert.deepEqual(decode(buf, LT_ETHERNET), facts(IPV4_TCP_FACTS))
  })

  it('PPPoE session carrying IPv4: the IPv4 header is the outer one, its UDP not inner', () => {
    const buf = hex(eth('8864'),
      '1100 0001 0023', // PPPoE: version 1 type 1, session data, session 1, length 35
      '0021', // PPP: IPv4 (no address/control)
      IPV4_UDP)
    assert.deepEqual(decode(buf, LT_ETHERNET), facts(IPV4_UDP_FACTS))
  })

  const FOUR_IN_SIX = hex(ETH_IPV6, `6000 0000  0028 0440  ${ADDRS6}`, IPV4_TCP) // IPv6: payload 40, next IPv4 (4)

  it('IPv4 in IPv6 (4in6), default mode: IP fields from the IPv6 header', () => {
    const { ipVersion, outerVersion, length, protocol, ttl, tos, src, dst, ...transport } = IPV4_TCP_FACTS
    assert.deepEqual(decode(FOUR_IN_SIX, LT_ETHERNET), facts(transport, {
      ipVersion: 6, outerVersion: 6, length: 80, protocol: 4, ttl: 64, tos: 0, src6: 22, dst6: 38, inner: true
    }))
  })

  it('IPv4 in IPv6 (4in6), firstIpv4 mode: IP fields from the inner IPv4 header', () => {
    assert.deepEqual(decode(FOUR_IN_SIX, LT_ETHERNET, true), facts(IPV4_TCP_FACTS, { outerVersion: 6, inner: true }))
  })

  it('IPv6 in IPv4 (6in4), both modes: IP fields from the IPv4 header', () => {
    const buf = hex(`4500 0048  0000 0000  4029 0000  ${ADDRS4}`, IPV6_UDP) // total 72 = 20 + 52, IPv6 (41)
    const want = facts(outer(72, 41), { udpSport: 49152, udpDport: 53, inner: true })
    assert.deepEqual(decode(buf, LT_RAW), want)
    assert.deepEqual(decode(buf, LT_RAW, true), want)
  })
})

describe('decodeFrame: truncated frames', () => {
  it('Ethernet cut at 10 bytes', () => {
    assert.deepEqual(decode(hex('0011 2233 4455  6677 8899'), LT_ETHERNET), facts({ malformed: true }))
  })

  it('IPv4 header cut at 16 bytes: outerVersion 4, no IP field', () => {
    const buf = hex(ETH_IPV4, '4500 0028  1c46 4000  4006 0000  c000 0201')
    assert.deepEqual(decode(buf, LT_ETHERNET), facts({ outerVersion: 4, malformed: true }))
  })

  it('TCP cut at 10 bytes: ports only', () => {
    const buf = hex(ETH_IPV4, `4500 0028  1c46 4000  4006 0000  ${ADDRS4}`, 'c350 0050  dead beef  8000')
    assert.deepEqual(decode(buf, LT_ETHERNET), facts({
      ipVersion: 4, outerVersion: 4, length: 40, protocol: 6, ttl: 64, tos: 0, src: SRC4, dst: DST4,
      tcpSport: 50000, tcpDport: 80, malformed: true
    }))
  })
})

describe('memberString and address text', () => {
  const v6 = (...addrs: string[]): Uint8Array => hex(...addrs)

  it('absent values take the original sentinels', () => {
    assert.equal(memberString('iptos', -1, v6()), '0')
    assert.equal(memberString('icmpcode', -1, v6()), '255')
    assert.equal(memberString('icmptype', -1, v6()), '255')
    for (const field of ['length', 'protocol', 'ipsrc', 'ipdst', 'ipttl', 'sport', 'dport', 'tcpseq', 'tcpack'] as const) {
      assert.equal(memberString(field, -1, v6()), '-1', field)
    }
  })

  it('present values: hex tos, dotted IPv4, RFC 5952 IPv6, decimal rest', () => {
    const table = v6('2001 0db8 0000 0000 0000 0000 0000 0001', 'fe80 0000 0000 0000 0000 0000 0000 00aa')
    assert.equal(memberString('iptos', 0, table), '0x00')
    assert.equal(memberString('iptos', 0x28, table), '0x28')
    assert.equal(memberString('iptos', 0xb8, table), '0xb8')
    assert.equal(memberString('ipsrc', 0xc0000201, table), '192.0.2.1')
    assert.equal(memberString('ipdst', 0, table), '0.0.0.0')
    assert.equal(memberString('ipsrc', IPV6_BASE, table), '2001:db8::1')
    assert.equal(memberString('ipdst', IPV6_BASE + 1, table), 'fe80::aa')
    assert.equal(memberString('tcpseq', 0xffffffff, table), '4294967295')
    assert.equal(memberString('icmptype', 0, table), '0')
    assert.equal(memberString('protocol', 6, table), '6')
  })

  it('ipv4ToString', () => {
    assert.equal(ipv4ToString(0), '0.0.0.0')
    assert.equal(ipv4ToString(0xffffffff), '255.255.255.255')
    assert.equal(ipv4ToString(0x0a000102), '10.0.1.2')
    assert.equal(ipv4ToString(0x80000001), '128.0.0.1')
  })

  const cases: Array<[string, string]> = [
    ['0000 0000 0000 0000 0000 0000 0000 0000', '::'],
    ['0000 0000 0000 0000 0000 0000 0000 0001', '::1'],
    ['2001 0db8 0000 0000 0000 0000 0000 0001', '2001:db8::1'],
    ['2001 0db8 0000 0000 0000 0000 0000 0000', '2001:db8::'],
    ['2001 0DB8 00AB 0000 0000 0000 0C00 0001', '2001:db8:ab::c00:1'], // leading zeros dropped, lower case
    ['2001 0000 0000 0001 0000 0000 0000 0001', '2001:0:0:1::1'], // the longest run
    ['2001 0db8 0000 0000 0001 0000 0000 0001', '2001:db8::1:0:0:1'], // the first of equal runs
    ['2001 0db8 0000 0001 0001 0001 0001 0001', '2001:db8:0:1:1:1:1:1'], // a single zero group stays
    ['0000 0001 0002 0003 0004 0005 0006 0007', '0:1:2:3:4:5:6:7'],
    ['0000 0000 0000 0000 0000 ffff 0102 0304', '::ffff:1.2.3.4'], // IPv4-mapped
    ['fe80 0000 0000 0000 0202 b3ff fe1e 8329', 'fe80::202:b3ff:fe1e:8329']
  ]
  for (const [bytes, text] of cases) {
    it(`ipv6ToString ${text}`, () => {
      assert.equal(ipv6ToString(hex('ffff', bytes), 2), text)
    })
  }
})

describe('days', () => {
  const utc = (y: number, mo: number, d: number, h = 0, mi = 0, s = 0): number => Date.UTC(y, mo - 1, d, h, mi, s) / 1000

  it('daysFromCivil and dayToYmd', () => {
    assert.equal(daysFromCivil(1970, 1, 1), 0)
    assert.equal(daysFromCivil(1969, 12, 31), -1)
    assert.equal(daysFromCivil(2000, 3, 1), 11017)
    assert.equal(daysFromCivil(2024, 2, 29), 19782)
    assert.equal(daysFromCivil(1, 1, 1), -719162)
    assert.equal(daysFromCivil(9999, 12, 31), 2932896)
    assert.equal(dayToYmd(0), 19700101)
    assert.equal(dayToYmd(-1), 19691231)
    assert.equal(dayToYmd(19782), 20240229)
    assert.equal(dayToYmd(-719162), 10101)
    assert.equal(dayToYmd(2932896), 99991231)
  })

  it('daysFromCivil and dayToYmd agree with Date for every 7th day of years 1..9999', () => {
    const date = new Date(0)
    for (let day = -719162; day <= 2932896; day += 7) {
      date.setTime(day * 86400000)
      const y = date.getUTCFullYear()
      const m = date.getUTCMonth() + 1
      const d = date.getUTCDate()
      if (dayToYmd(day) !== y * 10000 + m * 100 + d || daysFromCivil(y, m, d) !== day) {
        assert.fail(`day ${day}: dayToYmd ${dayToYmd(day)}, daysFromCivil ${daysFromCivil(y, m, d)}, Date ${y}-${m}-${d}`)
      }
    }
  })

  it('UTC days', () => {
    const clock = new DayClock()
    assert.equal(clock.zone, 'UTC')
    assert.equal(clock.day(0), 0)
    assert.equal(clock.day(86399), 0)
    assert.equal(clock.day(86400), 1)
    assert.equal(clock.day(-1), -1)
    assert.equal(dayToYmd(clock.day(utc(2014, 8, 26, 23, 59, 59))), 20140826)
    assert.equal(clock.offsetAt(utc(2024, 7, 1)), 0)
    assert.equal(new DayClock('UTC').day(utc(2024, 3, 31, 0, 30)), daysFromCivil(2024, 3, 31))
  })

  it('year 9999-12-31T23:59:59 has a day, 10000-01-01 does not; year 1 is the first', () => {
    const clock = new DayClock()
    assert.equal(MAX_SECONDS, 253402300800)
    assert.equal(dayToYmd(clock.day(253402300799)), 99991231)
    assert.ok(Number.isNaN(clock.day(253402300800)))
    assert.equal(dayToYmd(clock.day(MIN_SECONDS)), 10101)
    assert.ok(Number.isNaN(clock.day(MIN_SECONDS - 1)))
    assert.ok(Number.isNaN(clock.day(Number.NaN)))
    assert.ok(Number.isNaN(clock.day(Infinity)))
  })

  it('Europe/Luxembourg across the spring and autumn DST changes of 2024', () => {
    const clock = new DayClock('Europe/Luxembourg')
    const ymd = (sec: number): number => dayToYmd(clock.day(sec))
    // Spring: 2024-03-31 01:00Z, CET (+1) → CEST (+2).
    assert.equal(ymd(utc(2024, 3, 30, 22, 59, 59)), 20240330) // 23:59:59 CET
    assert.equal(ymd(utc(2024, 3, 30, 23, 0, 0)), 20240331) // 00:00 CET
    assert.equal(clock.offsetAt(utc(2024, 3, 31, 0, 59, 59)), 3600)
    assert.equal(clock.offsetAt(utc(2024, 3, 31, 1, 0, 0)), 7200)
    assert.equal(ymd(utc(2024, 3, 31, 21, 59, 59)), 20240331) // 23:59:59 CEST
    assert.equal(ymd(utc(2024, 3, 31, 22, 0, 0)), 20240401) // 00:00 CEST
    // Autumn: 2024-10-27 01:00Z, CEST → CET.
    assert.equal(ymd(utc(2024, 10, 26, 21, 59, 59)), 20241026)
    assert.equal(ymd(utc(2024, 10, 26, 22, 0, 0)), 20241027)
    assert.equal(ymd(utc(2024, 10, 27, 22, 59, 59)), 20241027) // 23:59:59 CET
    assert.equal(ymd(utc(2024, 10, 27, 23, 0, 0)), 20241028)
    // The same instants in another order, on a fresh clock (the offset cache must not leak).
    const again = new DayClock('Europe/Luxembourg')
    assert.equal(dayToYmd(again.day(utc(2024, 10, 27, 23, 0, 0))), 20241028)
    assert.equal(dayToYmd(again.day(utc(2024, 3, 30, 23, 0, 0))), 20240331)
    assert.equal(dayToYmd(again.day(utc(2024, 3, 30, 22, 59, 59))), 20240330)
  })

  it('Europe/Luxembourg in common years, after February (2023, 2025, 2100)', () => {
    const clock = new DayClock('Europe/Luxembourg')
    assert.equal(clock.offsetAt(utc(2023, 2, 28, 12)), 3600)
    assert.equal(clock.offsetAt(utc(2023, 3, 1, 12)), 3600)
    assert.equal(clock.offsetAt(utc(2025, 6, 15, 12)), 7200)
    assert.equal(dayToYmd(clock.day(utc(2023, 3, 1, 12))), 20230301)
    assert.equal(dayToYmd(clock.day(utc(2023, 7, 1, 12))), 20230701)
    assert.equal(dayToYmd(clock.day(utc(2025, 6, 15, 21, 59, 59))), 20250615)
    assert.equal(dayToYmd(clock.day(utc(2025, 6, 15, 22, 0, 0))), 20250616)
    assert.equal(dayToYmd(clock.day(utc(2100, 3, 1, 12))), 21000301)
  })

  it('America/St_Johns: half-hour offsets', () => {
    const clock = new DayClock('America/St_Johns')
    assert.equal(clock.offsetAt(utc(2024, 1, 15, 12)), -12600) // NST, -3:30
    assert.equal(clock.offsetAt(utc(2024, 7, 15, 12)), -9000) // NDT, -2:30
    assert.equal(dayToYmd(clock.day(utc(2024, 1, 15, 3, 29, 59))), 20240114)
    assert.equal(dayToYmd(clock.day(utc(2024, 1, 15, 3, 30, 0))), 20240115)
    assert.equal(dayToYmd(clock.day(utc(2024, 7, 15, 2, 29, 59))), 20240714)
    assert.equal(dayToYmd(clock.day(utc(2024, 7, 15, 2, 30, 0))), 20240715)
  })

  it('a zone shifts the end of the range: 10000-01-01 local has no day', () => {
    const clock = new DayClock('Europe/Luxembourg')
    assert.equal(dayToYmd(clock.day(utc(9999, 12, 31, 22, 59, 59))), 99991231)
    assert.ok(Number.isNaN(clock.day(utc(9999, 12, 31, 23, 0, 0))))
  })

  it('an unknown zone throws RangeError', () => {
    assert.throws(() => new DayClock('Mars/Olympus_Mons'), RangeError)
  })
})

describe('counters', () => {
  /** Deterministic pseudo-random integers (LCG), so that failures replay. */
  function lcg (seed: number): () => number {
    let s = seed >>> 0
    return () => {
      s = (Math.imul(s, 1664525) + 1013904223) >>> 0
      return s
    }
  }

  it('Uint32Counter matches a Map: zero, absent, wide (IPv6 id) values and many rehashes', () => {
    const counter = new Uint32Counter()
    const want = new Map<number, number>()
    let x = 7
    for (let i = 0; i < 200_000; i++) {
      x = (Math.imul(x, 1103515245) + 12345) >>> 0
      const value = i % 97 === 0 ? 0 : i % 89 === 0 ? -1 : i % 83 === 0 ? 2 ** 32 + (x & 7) : x % 50_000 === 0 ? 0xffffffff : x & 0xfffff
      counter.add(value, 1)
      want.set(value, (want.get(value) ?? 0) + 1)
    }
    assert.equal(counter.size, want.size)
    const rows = counter.take()
    const got = new Map<number, number>()
    rows.values.forEach((v, i) => got.set(v, rows.counts[i]!))
    assert.deepEqual(new Map([...got].sort((a, b) => a[0] - b[0])), new Map([...want].sort((a, b) => a[0] - b[0])))
  })

  it('Uint32Counter carries counts past 2^32 into its overflow', () => {
    const counter = new Uint32Counter()
    counter.add(5, 0xffffffff)
    counter.add(5, 3)
    counter.add(6, 1)
    const rows = counter.take()
    assert.deepEqual([...rows.values].sort((a, b) => a - b), [5, 6])
    assert.equal(rows.counts[rows.values.indexOf(5)], 0xffffffff + 3)
    assert.equal(rows.counts[rows.values.indexOf(6)], 1)
  })

  it('LogCounter: absent first, then ascending chunks that add up exactly', () => {
    const counter = new LogCounter()
    const want = new Map<number, number>()
    let x = 3
    for (let i = 0; i < 9_000_000; i++) {
      x = (Math.imul(x, 1103515245) + 12345) >>> 0
      const value = i % 1000 === 0 ? -1 : (x >>> 8) % 3_000_000
      counter.add(value)
      want.set(value, (want.get(value) ?? 0) + 1)
    }
    const chunks = counter.take()
    assert.ok(chunks.length >= 3, `${chunks.length} chunks`)
    assert.deepEqual([...chunks[0]!.values, ...chunks[0]!.counts], [-1, 9000])
    const got = new Map<number, number>()
    for (const { values, counts } of chunks) {
      for (let i = 1; i < values.length; i++) assert.ok(values[i]! > values[i - 1]!, 'ascending within a chunk')
      values.forEach((v, i) => got.set(v, (got.get(v) ?? 0) + counts[i]!))
    }
    assert.deepEqual(new Map([...got].sort((a, b) => a[0] - b[0])), new Map([...want].sort((a, b) => a[0] - b[0])))
  })

  it('sortU32 sorts like TypedArray#sort, on either side of each way it sorts, with or without room given', () => {
    // The built-in sort below 2^11, three 11-bit passes below 2^18, two 16-bit ones from there.
    for (const n of [0, 1, 100, 2047, 2048, 20_000, 2 ** 18 - 1, 2 ** 18, 300_000]) {
      const a = new Uint32Array(n)
      let x = n + 1
      for (let i = 0; i < n; i++) a[i] = x = (Math.imul(x, 1103515245) + 12345) >>> 0
      const want = a.slice().sort()
      assert.deepEqual(sortU32(a.slice()), want)
      // Room longer than the values, as LogCounter lends its next log.
      const scratch = new Uint32Array(2 * n + 1)
      assert.deepEqual(sortU32(a, scratch), want)
    }
  })

  it('NumberCounter matches a Map through many rehashes', () => {
    const counter = new NumberCounter()
    const want = new Map<number, number>()
    const next = lcg(7)
    const add = (value: number, n: number): void => {
      counter.add(value, n)
      want.set(value, (want.get(value) ?? 0) + n)
    }
    for (const v of [-1, 0, 1, 65535, 4294967295, IPV6_BASE, IPV6_BASE + 12345, 2 ** 52]) add(v, 1)
    for (let i = 0; i < 20000; i++) {
      const r = next()
      // Mostly new values of every size, and repeats of small ones.
      const value = i % 3 === 0 ? r % 100 : i % 3 === 1 ? r : IPV6_BASE + (r % 5000)
      add(value, 1 + (r % 3))
    }
    const got = new Map<number, number>()
    counter.forEach((value, count) => {
      assert.equal(got.has(value), false, `value ${value} listed twice`)
      got.set(value, count)
    })
    assert.equal(counter.size, want.size)
    assert.deepEqual(got, want)
  })

  it('NumberCounter keeps the largest values of its range [-1, 2^53 - 2] apart', () => {
    const counter = new NumberCounter()
    counter.add(2 ** 53 - 2, 1)
    counter.add(2 ** 53 - 3, 10)
    counter.add(2 ** 53 - 4, 100)
    counter.add(-1, 1000)
    const got = new Map<number, number>()
    counter.forEach((value, count) => got.set(value, count))
    assert.deepEqual(got, new Map([[2 ** 53 - 2, 1], [2 ** 53 - 3, 10], [2 ** 53 - 4, 100], [-1, 1000]]))
  })

  it('NumberCounter with a large initial capacity', () => {
    const counter = new NumberCounter(1000)
    for (let i = 0; i < 3000; i++) counter.add(i % 1500, 1)
    const got: Array<[number, number]> = []
    counter.forEach((value, count) => got.push([value, count]))
    got.sort((a, b) => a[0] - b[0])
    assert.deepEqual(got, Array.from({ length: 1500 }, (_, i) => [i, 2]))
  })

  it('Ipv6Table interns addresses into ids 0, 1, 2... through many rehashes', () => {
    const table = new Ipv6Table()
    const next = lcg(11)
    const n = 5000
    const addrs = Buffer.alloc(n * 16)
    for (let i = 0; i < n; i++) {
      // Addresses that differ in one word only, in each of the four words, and random ones.
      const at = i * 16
      if (i % 5 === 4) {
        for (let w = 0; w < 4; w++) addrs.writeUInt32BE(next(), at + 4 * w)
      } else {
        addrs.writeUInt32BE(0x20010db8, at)
        addrs.writeUInt32BE(i, at + 4 * (i % 4))
      }
    }
    // Some addresses collide by construction (i = 0 in word 0..3): count the distinct ones.
    const ids = new Map<string, number>()
    const expected: number[] = []
    for (let i = 0; i < n; i++) {
      const key = addrs.toString('hex', i * 16, i * 16 + 16)
      if (!ids.has(key)) ids.set(key, ids.size)
      expected.push(ids.get(key)!)
    }
    const got: number[] = []
    for (let i = 0; i < n; i++) got.push(table.intern(addrs, i * 16))
    assert.deepEqual(got, expected)
    // Interning again, in reverse, from another buffer, finds the same ids.
    const copy = Buffer.from(addrs)
    for (let i = n - 1; i >= 0; i--) assert.equal(table.intern(copy, i * 16), expected[i])
    assert.equal(table.count, ids.size)
    const bytes = Buffer.from(table.toBytes())
    assert.equal(bytes.length, ids.size * 16)
    for (const [key, id] of ids) assert.equal(bytes.toString('hex', id * 16, id * 16 + 16), key)
  })
})

describe('parseCaptureName', () => {
  it('splits prefix-sensor-instance-YYYYMMDDhhmmss.ext', () => {
    assert.deepEqual(parseCaptureName('test-honeypot-1-20140826000000.cap.gz'),
      { sensor: 'test-honeypot-1', day: '20140826', stem: 'test-honeypot-1-20140826000000' })
    assert.deepEqual(parseCaptureName('/data/in/a-b-c-20240229235959.pcapng'),
      { sensor: 'a-b-c', day: '20240229', stem: 'a-b-c-20240229235959' })
    assert.deepEqual(parseCaptureName('a-b-c-20240101000000'), { sensor: 'a-b-c', day: '20240101', stem: 'a-b-c-20240101000000' })
  })

  it('rejects names that do not follow the convention', () => {
    for (const name of [
      'honeypot-1-20140826000000.pcap', // three parts
      'x-test-honeypot-1-20140826000000.pcap', // five parts
      '-honeypot-1-20140826000000.pcap', // empty part
      'test--1-20140826000000.pcap',
      'test-honeypot-1-20140826.pcap', // no time
      'test-honeypot-1-2014082600000.pcap', // 13 digits
      'test-honeypot-1-20140230000000.pcap', // 30 February
      'test-honeypot-1-20230229000000.pcap', // not a leap year
      'test-honeypot-1-20141301000000.pcap', // month 13
      'test-honeypot-1-20140826240000.pcap', // hour 24
      'test-honeypot-1-20140826236000.pcap', // minute 60
      'test-honeypot-1-20140826235960.pcap', // second 60
      'test-honeypot-1-x20140826000000.pcap'
    ]) {
      assert.equal(parseCaptureName(name), undefined, name)
    }
  })

  it('stem drops capture extensions only', () => {
    assert.equal(stem('/a/b/x.pcap'), 'x')
    assert.equal(stem('x.PCAPNG.GZ'), 'x')
    assert.equal(stem('x.dump'), 'x')
    assert.equal(stem('x.gz'), 'x')
    assert.equal(stem('x.txt'), 'x.txt')
  })
})

describe('what filters and the ISN and ARP modes read: TCP flags, VLAN tags, ARP messages', () => {
  const decodeRaw = (buf: Uint8Array, linktype = LT_ETHERNET): PacketFacts => {
    const f = new PacketFacts()
    f.reset()
    decodeFrame(buf, 0, buf.length, linktype, f)
    return f
  }
  // who-has 192.0.2.1 tell 192.0.2.9 (from 02:00:00:00:00:09), padded to 60 bytes as on the wire
  const ARP = hex('ffff ffff ffff 0200 0000 0009 0806', '0001 0800 0604 0001 0200 0000 0009 c000 0209 0000 0000 0000 c000 0201', '00'.repeat(18))

  it('the flags byte of the first TCP header; none for UDP, nor for a TCP header quoted in an ICMP error', () => {
    assert.equal(decodeRaw(hex(ETH_IPV4, IPV4_TCP)).tcpFlags, 0x10)
    assert.equal(decodeRaw(hex(ETH_IPV4, IPV4_UDP)).tcpFlags, -1)
    const quoted = hex(`4500 0038 0000 0000 4001 0000 ${ADDRS4}`, '0303 0000 0000 0000', hex(IPV4_TCP).subarray(0, 28).toString('hex'))
    assert.deepEqual([decodeRaw(quoted, LT_RAW).tcpSeq, decodeRaw(quoted, LT_RAW).tcpFlags], [0xdeadbeef, -1])
  })

  it('a VLAN tag, or two, is said; an untagged frame is not', () => {
    assert.equal(decodeRaw(hex(eth('8100'), '0064 0800', IPV4_TCP)).vlan, true)
    assert.equal(decodeRaw(hex(eth('88a8'), '0064 8100 0065 0800', IPV4_TCP)).vlan, true)
    assert.equal(decodeRaw(hex(ETH_IPV4, IPV4_TCP)).vlan, false)
  })

  it('an Ethernet/IPv4 ARP message is found where it starts, tagged or not; a cut or non-IPv4 one is not', () => {
    const f = decodeRaw(ARP)
    assert.deepEqual([f.arpAt, f.ipVersion, f.malformed], [14, 0, false])
    const tagged = Buffer.concat([ARP.subarray(0, 12), hex('8100 0064'), ARP.subarray(12)])
    assert.equal(decodeRaw(tagged).arpAt, 18)
    assert.deepEqual([decodeRaw(ARP.subarray(0, 40)).arpAt, decodeRaw(ARP.subarray(0, 40)).malformed], [-1, true])
    const other = Buffer.from(ARP)
    other[17] = 0xdd // protocol type 0x86dd
    assert.equal(decodeRaw(other).arpAt, -1)
  })
})
