/**
 * `--filter` against tcpdump itself: on every capture of the shared corpus and EXPRESSIONS (every
 * primitive potiron knows), the packets potiron's filter matches (a file's packets less
 * `stats.filtered`) are the lines of `tcpdump -nn -q -r FILE EXPR`. Where potiron decodes
 * otherwise on purpose, DIFFERENCES gives both counts and the reason; captures tcpdump cannot
 * read or filter are TCPDUMP_CANNOT, with what tcpdump says (checked too). docs/compatibility.md,
 * "Filters", explains each reason.
 */
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { execFile, spawnSync } from 'node:child_process'
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { gunzipSync } from 'node:zlib'
import { analyzeFile } from '../src/aggregate/analyze-file.js'
import { PUBLIC, REQUIRE_SHARED, describeShared, manifest } from './helpers/shared.js'

/** One or more expressions per primitive (host, net and port values that the corpus holds). */
const EXPRESSIONS = [
  'tcp', 'udp', 'icmp', 'icmp6', 'ip', 'ip6', 'arp', 'vlan',
  'port 53', 'tcp dst port 80 or 443', 'udp and src portrange 1024-65535',
  'host 10.0.0.1 or 192.168.1.32', 'src net 192.168.0.0/16 or dst net 10.0.0.0 mask 255.0.0.0', 'src and dst net 192.168.0.0/16',
  'ip6 net 2001:618::/32', 'host ::1 or fe80::21f:f3ff:fecd:f617', 'ip proto 47 || proto \\udp',
  'len <= 100', 'less 64 or greater 1000',
  'tcp[tcpflags] & (tcp-syn|tcp-ack) == tcp-syn', 'tcp[tcpflags] & (tcp-fin|tcp-rst|tcp-push|tcp-urg) != 0', 'icmp[icmptype] == icmp-echo',
  'not tcp and not udp', '!(ip or ip6) || arp', 'vlan and tcp'
]

const VLAN = 'VLAN tags: potiron reads the IP header behind 802.1Q/802.1ad tags; tcpdump tests the EtherType right after the MAC addresses, so it needs `vlan and ...` (one `vlan` per tag)'
const MPLS = 'MPLS: potiron reads the IP packet under the label stack; tcpdump needs `mpls and ...`'
const EXTENSIONS = 'IPv6 extension headers: potiron\'s protocol (and ports) are those after the extension headers, the counted `protocol`; tcpdump reads the fixed header\'s next header (or the one after a fragment header)'
const TCP6_FLAGS = 'tcp[tcpflags] on IPv6: potiron reads the flags of TCP over IPv6 too; libpcap 1.10 applies tcp[] to IPv4 only (pcap-filter(7): "only apply to IPv4, not IPv6")'

/** Expression → [potiron's count, tcpdump's count], per capture where they differ, and why. */
const DIFFERENCES: Record<string, { reason: string, counts: Record<string, [number, number]> }> = {
  'gopacket_test_loopback.pcap': { reason: TCP6_FLAGS, counts: { 'tcp[tcpflags] & (tcp-syn|tcp-ack) == tcp-syn': [1, 0], 'tcp[tcpflags] & (tcp-fin|tcp-rst|tcp-push|tcp-urg) != 0': [8, 0] } },
  'libpcap_ipv6_ext_headers.pcap': { reason: EXTENSIONS, counts: { udp: [1, 0], 'udp and src portrange 1024-65535': [1, 0], 'ip proto 47 || proto \\udp': [1, 0], 'not tcp and not udp': [0, 1] } },
  'ppp_QinQ_802.1_AD.pcapng': { reason: VLAN, counts: { ip: [1, 0], '!(ip or ip6) || arp': [0, 1] } },
  'ppp_VlanPackets.pcap': {
    reason: VLAN,
    counts: { icmp: [20, 0], ip: [20, 0], 'src net 192.168.0.0/16 or dst net 10.0.0.0 mask 255.0.0.0': [20, 0], 'icmp[icmptype] == icmp-echo': [10, 0], '!(ip or ip6) || arp': [6, 26] }
  },
  'ppp_four_ipv6_http_streams.pcap': { reason: TCP6_FLAGS, counts: { 'tcp[tcpflags] & (tcp-syn|tcp-ack) == tcp-syn': [4, 0], 'tcp[tcpflags] & (tcp-fin|tcp-rst|tcp-push|tcp-urg) != 0': [24, 0] } },
  'ppp_ip4_bad_fragment.pcap': { reason: MPLS, counts: { ip: [1, 0], '!(ip or ip6) || arp': [0, 1] } },
  'ppp_ip6_fragments.pcap': { reason: `${EXTENSIONS}: tcpdump's port for IPv6 takes no fragment header`, counts: { 'udp and src portrange 1024-65535': [4, 0] } },
  'ppp_ipv6_options.pcap': {
    reason: EXTENSIONS,
    counts: { udp: [2, 0], icmp6: [2, 0], 'udp and src portrange 1024-65535': [2, 0], 'ip proto 47 || proto \\udp': [2, 0], 'not tcp and not udp': [4, 6] }
  },
  'ppp_many-protocols.pcap': {
    reason: VLAN,
    counts: { icmp: [109, 89], ip: [4683, 4663], 'src net 192.168.0.0/16 or dst net 10.0.0.0 mask 255.0.0.0': [2850, 2830], 'icmp[icmptype] == icmp-echo': [59, 49], '!(ip or ip6) || arp': [10, 30] }
  },
  'ppp_null_loopback.pcap': {
    reason: 'BSD loopback (LINKTYPE_NULL) whose header holds no address family potiron or tcpdump knows: potiron guesses an EtherType as tshark does (decode/link.ts), tcpdump sees no IP',
    counts: {
      udp: [2, 1], ip: [2, 1], 'port 53': [1, 0], 'host 10.0.0.1 or 192.168.1.32': [1, 0], 'src net 192.168.0.0/16 or dst net 10.0.0.0 mask 255.0.0.0': [1, 0],
      'ip proto 47 || proto \\udp': [2, 1], 'tcp[tcpflags] & (tcp-fin|tcp-rst|tcp-push|tcp-urg) != 0': [1, 0], 'not tcp and not udp': [0, 1], '!(ip or ip6) || arp': [0, 1]
    }
  },
  'ppp_linktype_ipv6.pcap': { reason: TCP6_FLAGS, counts: { 'tcp[tcpflags] & (tcp-syn|tcp-ack) == tcp-syn': [1, 0] } },
  'ppp_raw_ip.pcap': { reason: TCP6_FLAGS, counts: { 'tcp[tcpflags] & (tcp-syn|tcp-ack) == tcp-syn': [4, 2], 'tcp[tcpflags] & (tcp-fin|tcp-rst|tcp-push|tcp-urg) != 0': [31, 13] } },
  'rustpcap_packet_snaplen_20.pcap': {
    reason: 'an IPv4 header cut by the snap length: potiron decodes no protocol, so `not tcp` holds; tcpdump\'s load of the protocol byte fails, which rejects the packet',
    counts: { 'not tcp and not udp': [1, 0] }
  },
  'tcpdump_ipv6-routing-header.pcap': {
    reason: EXTENSIONS,
    counts: { udp: [2, 0], icmp6: [2, 0], 'udp and src portrange 1024-65535': [2, 0], 'ip proto 47 || proto \\udp': [2, 0], 'not tcp and not udp': [2, 4] }
  },
  'tcpdump_ipv6_jumbogram_1.pcap': { reason: `${EXTENSIONS} (a jumbogram's hop-by-hop option)`, counts: { icmp6: [1, 0] } },
  'tcpdump_various_gre.pcap': {
    reason: VLAN,
    counts: { ip: [30, 0], 'src net 192.168.0.0/16 or dst net 10.0.0.0 mask 255.0.0.0': [30, 0], 'ip proto 47 || proto \\udp': [30, 0], '!(ip or ip6) || arp': [70, 100] }
  },
  'zeek_icmp6-nd-options.pcap': { reason: EXTENSIONS, counts: { icmp6: [20, 12] } },
  'zeek_ipv6-hbh-routing0.pcap': { reason: EXTENSIONS, counts: { udp: [1, 0], 'port 53': [1, 0], 'ip proto 47 || proto \\udp': [1, 0], 'not tcp and not udp': [0, 1] } },
  'zeek_ipv6_zero_len_ah.pcap': { reason: `${EXTENSIONS} (an authentication header)`, counts: { icmp6: [10, 9] } },
  'zeek_mixed-vlan-mpls.pcap': {
    reason: `${VLAN}; ${MPLS}`,
    counts: {
      tcp: [47, 22], ip: [47, 22], 'tcp dst port 80 or 443': [19, 12], 'src net 192.168.0.0/16 or dst net 10.0.0.0 mask 255.0.0.0': [25, 0],
      'tcp[tcpflags] & (tcp-syn|tcp-ack) == tcp-syn': [3, 1], 'tcp[tcpflags] & (tcp-fin|tcp-rst|tcp-push|tcp-urg) != 0': [14, 4], 'not tcp and not udp': [0, 25], '!(ip or ip6) || arp': [0, 25]
    }
  },
  'zeek_mpls-6in6-broken.pcap.gz': { reason: MPLS, counts: { ip: [36, 22], ip6: [1774, 0], '!(ip or ip6) || arp': [1, 1789] } },
  'zeek_q-in-q.pcap': {
    reason: VLAN,
    counts: { udp: [4, 0], ip: [4, 0], arp: [1, 0], 'udp and src portrange 1024-65535': [4, 0], 'ip proto 47 || proto \\udp': [4, 0], 'not tcp and not udp': [1, 5], '!(ip or ip6) || arp': [1, 5] }
  },
  'zeek_vlan-pcp-dei.pcapng': {
    reason: VLAN,
    counts: {
      tcp: [9, 3], ip: [9, 3], 'tcp dst port 80 or 443': [6, 2], 'src net 192.168.0.0/16 or dst net 10.0.0.0 mask 255.0.0.0': [9, 3], 'tcp[tcpflags] & (tcp-syn|tcp-ack) == tcp-syn': [3, 1],
      'not tcp and not udp': [0, 6], '!(ip or ip6) || arp': [0, 6], 'vlan and tcp': [6, 3], 'src and dst net 192.168.0.0/16': [9, 3]
    }
  }
}

/** Captures tcpdump cannot read whole, or filter but on `len`: what it says. Where it says so, counts are not compared. */
const TCPDUMP_CANNOT: Record<string, RegExp> = {
  'libpcap_linktype-reserved-field-not-zero.pcap': /unknown data link type 3145728/,
  'libpcap_pcap-invalid-version-1.pcap': /archaic pcap savefile format/,
  'libpcap_pcapng-invalid-vers-1.pcapng': /unsupported pcapng savefile version 0\.1/,
  'libpcap_shb-option-too-long.pcapng': /block total length in header and trailer don't match/,
  'pngtg_le_test017.pcapng': /no Interface Description Blocks/,
  // pcapng files with interfaces of several link types: tcpdump stops at the first other one.
  'pngtg_le_test100.pcapng': /an interface has a type 0 different from the type of the first interface/,
  'pngtg_le_test202.pcapng': /an interface has a type 0 different from the type of the first interface/,
  'ppp_many_interfaces-1.pcapng': /an interface has a type 0 different from the type of the first interface/,
  'ppp_pcapng-example.pcapng': /an interface has a type 113 different from the type of the first interface/,
  'ppp_microsecs_big_endian.pcap': /Linux netlink link-layer type filtering not implemented|no VLAN support for Linux netlink/,
  'tcpdump_ipoib.pcap': /IP-over-Infiniband link-layer type filtering not implemented|no VLAN support for RFC 4391/
}

/** tcpdump refuses `vlan` on link types without 802.1Q (loopback, raw IP, Linux cooked...): potiron finds no tag there. */
const NO_VLAN_SUPPORT = /no VLAN support for /

const TCPDUMPS_AT_ONCE = 4

function haveTcpdump (): boolean {
  return spawnSync('tcpdump', ['--version']).status === 0
}

interface Tcpdump { count: number, status: number, stderr: string }

/** `tcpdump -nn -q -r FILE EXPR`: its packet lines (a line per packet; the hex of a packet it cannot print is indented). */
async function tcpdump (file: string, expression: string): Promise<Tcpdump> {
  return await new Promise(resolve => {
    execFile('tcpdump', ['-nn', '-q', '-r', file, expression], { maxBuffer: 1 << 28 }, (err, stdout, stderr) => {
      const status = err === null ? 0 : typeof err.code === 'number' ? err.code : -1
      resolve({ count: stdout.split('\n').filter(line => /^\S/.test(line)).length, status, stderr })
    })
  })
}

describeShared('--filter agrees with tcpdump on the shared corpus', () => {
  const tool = haveTcpdump()
  const files = manifest().map(row => row.file)
  const tmp = tool ? mkdtempSync(join(tmpdir(), 'potiron-filter-')) : ''
  test.after(() => { if (tmp !== '') rmSync(tmp, { recursive: true, force: true }) })

  test('every reason and capture of the tables is used', () => {
    for (const file of [...Object.keys(DIFFERENCES), ...Object.keys(TCPDUMP_CANNOT)]) assert.ok(files.includes(file), `${file} is not in the corpus`)
    for (const { counts } of Object.values(DIFFERENCES)) for (const e of Object.keys(counts)) assert.ok(EXPRESSIONS.includes(e), `'${e}' is not an expression of the test`)
  })

  for (const file of files) {
    test(file, { skip: !tool && !REQUIRE_SHARED ? 'tcpdump is not installed (apt-get install tcpdump)' : false }, async () => {
      assert.ok(tool, 'tcpdump is not installed')
      const path = join(PUBLIC, file)
      // tcpdump reads pcapng but not gzip.
      let plain = path
      if (file.endsWith('.gz')) {
        plain = join(tmp, file.slice(0, -'.gz'.length))
        writeFileSync(plain, gunzipSync(readFileSync(path)))
      }
      const got: Record<string, [number, number]> = {}
      const cannot = TCPDUMP_CANNOT[file]
      let refused = 0
      // tcpdump's start-up is most of the time: a few run at once.
      const dumps = new Map<string, Promise<Tcpdump>>()
      const started = (i: number): void => { const e = EXPRESSIONS[i]; if (e !== undefined) dumps.set(e, tcpdump(plain, e)) }
      for (let i = 0; i < TCPDUMPS_AT_ONCE; i++) started(i)
      for (const [i, expression] of EXPRESSIONS.entries()) {
        const result = await analyzeFile(path, { fields: [], combinedKeys: false, selection: 'default', zone: undefined, filter: expression })
        const dump = await dumps.get(expression)!
        started(i + TCPDUMPS_AT_ONCE)
        const potiron = result.stats.packets - result.stats.filtered
        if (cannot !== undefined && dump.status !== 0 && cannot.test(dump.stderr)) {
          refused++
          continue
        }
        if (NO_VLAN_SUPPORT.test(dump.stderr)) {
          assert.equal(potiron, 0, `${file}: ${expression}: tcpdump has no VLAN support here, and potiron finds no tag`)
          continue
        }
        if (potiron !== dump.count) got[expression] = [potiron, dump.count]
      }
      if (cannot !== undefined) assert.ok(refused > 0, `${file}: tcpdump never said ${String(cannot)}`)
      assert.deepEqual(got, DIFFERENCES[file]?.counts ?? {}, `${file}: [potiron, tcpdump] where they differ`)
    })
  }
})
