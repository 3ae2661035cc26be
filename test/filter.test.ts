/**
 * The filter compiler (src/filter/): which of a few decoded frames each expression matches, and
 * the errors of what it refuses, with their positions. filter-tcpdump.test.ts compares it with
 * tcpdump on the shared corpus.
 */
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { PacketFacts } from '../src/decode/facts.js'
import { decodeFrame } from '../src/decode/link.js'
import { compileFilter, filterOf, FilterError } from '../src/filter/filter.js'
import { ipv4NetOf, ipv6Of, masks6Of } from '../src/filter/address.js'
import { ADDRS4, ETH_IPV4, ETH_IPV6, IPV4_TCP, IPV4_UDP, IPV6_UDP, LT_ETHERNET, eth, hex } from './helpers/frames.js'

/** Named Ethernet frames; 192.0.2.1 → 198.51.100.2 (2001:db8::1 → ::2 for IPv6) unless said. */
const FRAMES: Record<string, Buffer> = {
  /** TCP 50000 → 80, ACK; 54 bytes. */
  ack: hex(ETH_IPV4, IPV4_TCP),
  /** The same with SYN only. */
  syn: hex(ETH_IPV4, IPV4_TCP.replace('5010ffff', '5002ffff')),
  /** UDP 54321 → 53; 47 bytes. */
  udp: hex(ETH_IPV4, IPV4_UDP),
  /** IPv6 UDP 49152 → 53; 66 bytes. */
  udp6: hex(ETH_IPV6, IPV6_UDP),
  /** ARP: who has 198.51.100.2, tell 192.0.2.1; 42 bytes. */
  arp: hex(eth('0806'), '0001 0800 06 04 0001  6677 8899 aabb  c000 0201  0000 0000 0000  c633 6402'),
  /** `ack` behind an 802.1Q tag (VLAN 100); 58 bytes. */
  tagged: hex(eth('8100'), '0064 0800', IPV4_TCP),
  /** ICMP echo request; 42 bytes. */
  ping: hex(ETH_IPV4, `4500 001c  0000 0000  4001 0000  ${ADDRS4}`, '0800 0000 0001 0001'),
  /** 10.0.0.1 → 10.0.0.2, GRE carrying `ack`; 78 bytes. */
  gre: hex(ETH_IPV4, '4500 0040  0000 0000  402f 0000  0a00 0001 0a00 0002', '0000 0800', IPV4_TCP),
  /** 198.51.100.2 → 192.0.2.1, ICMP port unreachable quoting `udp`'s first 28 bytes; 70 bytes. */
  unreachable: hex(ETH_IPV4, '4500 0038  0000 0000  4001 0000  c633 6402 c000 0201', '0303 0000 0000 0000', IPV4_UDP.slice(0, 56))
}

/** The frames `expression` matches, in FRAMES' order. */
function matching (expression: string): string[] {
  const p = compileFilter(expression)
  const f = new PacketFacts()
  return Object.entries(FRAMES).filter(([, buf]) => {
    f.reset()
    decodeFrame(buf, 0, buf.length, LT_ETHERNET, f)
    return p(f, buf, buf.length)
  }).map(([name]) => name)
}

test('protocols: outermost IP version, counted IP protocol, ARP, a VLAN tag', () => {
  assert.deepEqual(matching('ip'), ['ack', 'syn', 'udp', 'tagged', 'ping', 'gre', 'unreachable'])
  assert.deepEqual(matching('ip6'), ['udp6'])
  assert.deepEqual(matching('tcp'), ['ack', 'syn', 'tagged'])
  assert.deepEqual(matching('udp'), ['udp', 'udp6'])
  assert.deepEqual(matching('icmp'), ['ping', 'unreachable'])
  assert.deepEqual(matching('icmp6'), [])
  assert.deepEqual(matching('arp'), ['arp'])
  assert.deepEqual(matching('vlan'), ['tagged'])
  assert.deepEqual(matching('ip proto 47'), ['gre'])
  assert.deepEqual(matching('proto \\udp'), ['udp', 'udp6'])
  assert.deepEqual(matching('ip6 proto 17'), ['udp6'])
  assert.deepEqual(matching('ip proto tcp or icmp'), ['ack', 'syn', 'tagged', 'ping', 'unreachable'])
})

test('hosts and networks: IPv4 (and ARP\'s addresses), IPv6, directions', () => {
  assert.deepEqual(matching('host 192.0.2.1'), ['ack', 'syn', 'udp', 'arp', 'tagged', 'ping', 'unreachable'])
  assert.deepEqual(matching('ip host 192.0.2.1'), ['ack', 'syn', 'udp', 'tagged', 'ping', 'unreachable'])
  assert.deepEqual(matching('arp dst host 198.51.100.2'), ['arp'])
  assert.deepEqual(matching('src host 198.51.100.2'), ['unreachable'])
  assert.deepEqual(matching('src 192.0.2.1 and dst 198.51.100.2'), ['ack', 'syn', 'udp', 'arp', 'tagged', 'ping'])
  assert.deepEqual(matching('src and dst net 10.0.0.0/8'), ['gre'])
  assert.deepEqual(matching('net 10.0.0.0 mask 255.255.255.252'), ['gre'])
  assert.deepEqual(matching('net 10'), ['gre'])
  assert.deepEqual(matching('dst net 198.51.100.0/24 and not arp'), ['ack', 'syn', 'udp', 'tagged', 'ping'])
  assert.deepEqual(matching('host 2001:db8::2'), ['udp6'])
  assert.deepEqual(matching('src host 2001:db8::2'), [])
  assert.deepEqual(matching('ip6 net 2001:db8::/32'), ['udp6'])
  assert.deepEqual(matching('net 2001:db9::/32'), [])
  // The implicit qualifier: `or 10.0.0.2` is `or host 10.0.0.2`.
  assert.deepEqual(matching('host 198.51.100.9 or 10.0.0.2'), ['gre'])
})

test('ports: of the transport header after the counted IP header, not inside a tunnel or an ICMP error', () => {
  assert.deepEqual(matching('port 53'), ['udp', 'udp6'])
  assert.deepEqual(matching('port 80'), ['ack', 'syn', 'tagged'])
  assert.deepEqual(matching('tcp port 53 or 80'), ['ack', 'syn', 'tagged'])
  assert.deepEqual(matching('udp src port 54321'), ['udp'])
  assert.deepEqual(matching('src or dst port 49152'), ['udp6'])
  assert.deepEqual(matching('src and dst port 80'), [])
  assert.deepEqual(matching('dst portrange 50-100'), ['udp', 'udp6', 'ack', 'syn', 'tagged'].sort((a, b) => Object.keys(FRAMES).indexOf(a) - Object.keys(FRAMES).indexOf(b)))
  assert.deepEqual(matching('ip6 portrange 40000-50000'), ['udp6'])
  assert.deepEqual(matching('port 22 or 80 and not vlan'), ['ack', 'syn'])
})

test('relations: len, less, greater, tcp[tcpflags] and icmp[icmptype] with named constants', () => {
  assert.deepEqual(matching('len = 54'), ['ack', 'syn'])
  assert.deepEqual(matching('len <= 47'), ['udp', 'arp', 'ping'])
  assert.deepEqual(matching('less 42'), ['arp', 'ping'])
  assert.deepEqual(matching('greater 70'), ['gre', 'unreachable'])
  assert.deepEqual(matching('len > 66 && len != 78'), ['unreachable'])
  assert.deepEqual(matching('100 - len < 40'), ['udp6', 'gre', 'unreachable'])
  assert.deepEqual(matching('tcp[tcpflags] & (tcp-syn|tcp-ack) == tcp-syn'), ['syn'])
  assert.deepEqual(matching('tcp[tcpflags] & tcp-ack != 0'), ['ack', 'tagged'])
  assert.deepEqual(matching('tcp[13] & 0x12 = 2'), ['syn'])
  assert.deepEqual(matching('tcp[tcpflags] & (tcp-fin|tcp-rst|tcp-push|tcp-urg) != 0'), [])
  // A packet without the field fails the relation, whichever way it is put.
  assert.deepEqual(matching('not tcp[tcpflags] & tcp-syn != 0'), ['ack', 'udp', 'udp6', 'arp', 'tagged', 'ping', 'gre', 'unreachable'])
  assert.deepEqual(matching('icmp[icmptype] == icmp-echo'), ['ping'])
  assert.deepEqual(matching('icmp[icmptype] = icmp-unreach and icmp[icmpcode] = 3'), ['unreachable'])
})

test('and and or have one precedence, left to right; not binds tighter; parentheses', () => {
  // pcap-filter(7): "alternation and concatenation have equal precedence and associate left to right".
  assert.deepEqual(matching('udp or tcp and vlan'), ['tagged'])
  assert.deepEqual(matching('udp or (tcp and vlan)'), ['udp', 'udp6', 'tagged'])
  assert.deepEqual(matching('! ip && ! ip6'), ['arp'])
  assert.deepEqual(matching('not (tcp or udp) and ip'), ['ping', 'gre', 'unreachable'])
  assert.deepEqual(matching('((tcp) || (arp))'), ['ack', 'syn', 'arp', 'tagged'])
})

test('a filter is compiled once per thread (memoized by its text)', () => {
  assert.equal(filterOf('tcp and dst port 22'), filterOf('tcp and dst port 22'))
  assert.notEqual(filterOf('tcp and dst port 22'), filterOf('tcp and dst port 23'))
})

test('addresses: shortened IPv4 networks, IPv6 forms, prefix masks', () => {
  assert.deepEqual(ipv4NetOf('192.168'), { address: 0xc0a80000, bits: 16 })
  assert.equal(ipv4NetOf('1.2.3.4.5'), undefined)
  assert.deepEqual(ipv6Of('::'), [0, 0, 0, 0])
  assert.deepEqual(ipv6Of('2001:db8::1'), [0x20010db8, 0, 0, 1])
  assert.deepEqual(ipv6Of('::ffff:192.0.2.1'), [0, 0, 0xffff, 0xc0000201])
  assert.deepEqual(ipv6Of('1:2:3:4:5:6:7:8'), [0x10002, 0x30004, 0x50006, 0x70008])
  assert.equal(ipv6Of('fe80::1%eth0'), undefined)
  assert.deepEqual(masks6Of(40), [0xffffffff, 0xff000000, 0, 0])
})

/** The FilterError of `expression`: its message, which ends with the 1-based character. */
function error (expression: string): string {
  try {
    compileFilter(expression)
  } catch (err) {
    assert.ok(err instanceof FilterError)
    assert.match(err.message, new RegExp(`\\(at character ${err.position + 1}\\)$`))
    return err.message
  }
  assert.fail(`'${expression}' compiled`)
}

test('what potiron does not do is an error naming it and where it is', () => {
  assert.equal(error('ether host 00:11:22:33:44:55'), "'ether' is not supported: potiron does not decode Ethernet addresses (at character 1)")
  assert.equal(error('tcp and gateway 10.0.0.1'), "'gateway' is not supported: potiron does not decode Ethernet addresses (at character 9)")
  assert.equal(error('ip and tcp[2:2] = 80'), 'tcp[2:2] is not supported: potiron reads tcp[tcpflags], icmp[icmptype], icmp[icmpcode] (and their offsets), not other packet bytes (at character 8)')
  assert.equal(error('vlan 100'), "'vlan ID' is not supported: potiron notes that a frame is tagged, not its VLAN ID (at character 1)")
  assert.equal(error('host example.org'), "'example.org' is not an address: potiron does not resolve host names (at character 6)")
  assert.equal(error('port ssh'), "port names are not resolved: give 'ssh' as a number (at character 6)")
  assert.equal(error('ip6 protochain 6'), "'protochain' is not supported: potiron counts the protocol after the IPv6 extension headers: use `proto` (at character 5)")
})

test('syntax errors say where', () => {
  assert.equal(error(''), 'the filter is empty (at character 1)')
  assert.equal(error('tcp and'), 'the filter ends where a primitive was expected (at character 8)')
  assert.equal(error('(tcp or udp'), "expected ')' but found the end of the filter (at character 12)")
  assert.equal(error('tcp)'), "unexpected ')' (no matching '(') (at character 4)")
  assert.equal(error('port 70000'), '70000 is above 65535 (at character 6)')
  assert.equal(error('portrange 10'), "expected a port range such as 1-1024 but found '10' (at character 11)")
  assert.equal(error('net 10.0.0.1/8'), '10.0.0.1/8 has bits set beyond its prefix (at character 5)')
  assert.equal(error('host 10.0.0.0/8'), "'host' takes an address, not a network: use 'net 10.0.0.0/8' (at character 6)")
  assert.equal(error('len'), 'expected a comparison (> < >= <= = == !=) but found the end of the filter (at character 4)')
  assert.equal(error('tcp or 80'), "'80' needs a qualifier (host, net, port...): the primitive before it has none to lend (at character 8)")
  assert.equal(error('tcp # x'), "unexpected '#' (at character 5)")
  assert.equal(error('ip6 host 10.0.0.1'), "'ip6' with an IPv4 address (at character 10)")
  assert.equal(error('tcp host 10.0.0.1'), "'tcp' cannot qualify a host: use ip, ip6 or arp (at character 10)")
})
