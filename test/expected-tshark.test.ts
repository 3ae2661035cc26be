/**
 * Every capture of the shared corpus agrees with tshark's ground truth (expected/*.json):
 * packet totals, outermost IPv4 / IPv6 counts, per-protocol counts, per-day counts, IPv4 and
 * IPv6 source address counts, and TCP / UDP destination port counts. tshark's port counts take
 * only a transport header right after the outermost IP header; potiron takes the first TCP/UDP
 * header found, as the original did, inside a tunnel or an ICMP error's quote too: those ports are
 * counted under the outer protocol (4, 41, 47...), so the TCP and UDP ports still agree, and the
 * ports potiron has that tshark lacks are exactly INNER_PORTS (docs/compatibility.md names them).
 */
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { existsSync } from 'node:fs'
import { join } from 'node:path'
import { analyzeFile } from '../src/aggregate/analyze-file.js'
import { memberRows } from '../src/aggregate/table.js'
import { PUBLIC, describeShared, manifest, readJson } from './helpers/shared.js'

interface Expected {
  total_packets: number
  tshark_exit_code: number
  ipv4_packets: number
  ipv6_packets: number
  ip_proto_counts: Record<string, number>
  per_day_utc: Record<string, number>
  extra: {
    ip_src_counts: Record<string, number>
    ipv6_src_counts: Record<string, number>
    tcp_dstport_counts: Record<string, number>
    udp_dstport_counts: Record<string, number>
  }
}

const TCP = 6
const UDP = 17

/**
 * Per capture, the destination ports potiron takes from a transport header inside a tunnel (by
 * outer protocol): tshark's counts have none of them. Every other capture has no such port.
 */
const INNER_PORTS: Record<string, Record<number, Record<string, number>>> = {
  'zeek_4in6.pcap': { 4: { 80: 1 } },
  'zeek_6in4.pcap': { 41: { 13000: 1 } },
  'zeek_gre-within-gre.pcap': { 47: { 520: 4 } }
}

describeShared("agreement with tshark's ground truth (../shared expected/)", () => {
  for (const { file } of manifest()) {
    const expectedPath = join(PUBLIC, 'expected', `${file}.json`)
    if (!existsSync(expectedPath)) continue
    test(`${file} agrees with tshark`, async () => {
      const want = readJson<Expected>(expectedPath)
      const r = await analyzeFile(join(PUBLIC, file), { fields: ['ipsrc', 'dport'], combinedKeys: true, selection: 'every-ip', zone: undefined })
      const s = r.stats
      assert.equal(s.packets, want.total_packets, 'total packets')
      assert.equal(s.ipv4, want.ipv4_packets, 'IPv4 packets')
      assert.equal(s.ipv6, want.ipv6_packets, 'IPv6 packets')
      assert.deepEqual(s.protocols, want.ip_proto_counts, 'per-protocol counts')

      const days: Record<string, number> = {}
      for (const [day, count] of Object.entries(s.perDay)) days[`${day.slice(0, 4)}-${day.slice(4, 6)}-${day.slice(6)}`] = count
      if (s.noTimestamp > 0) days.no_timestamp = s.noTimestamp
      if (s.outOfRange > 0) days.out_of_range = s.outOfRange
      assert.deepEqual(days, want.per_day_utc, 'per-day counts')

      const v4: Record<string, number> = {}
      const v6: Record<string, number> = {}
      const ports: Record<number, Record<string, number>> = { [TCP]: {}, [UDP]: {} }
      const inner: Record<number, Record<string, number>> = {}
      for (const row of memberRows(r.table, true)) {
        if (row.field === 'ipsrc' && row.member !== '-1') {
          const into = row.member.includes(':') ? v6 : v4
          into[row.member] = (into[row.member] ?? 0) + row.count
        } else if (row.field === 'dport' && row.member !== '-1') {
          const into = row.proto === TCP || row.proto === UDP ? ports[row.proto]! : (inner[row.proto] ??= {})
          into[row.member] = (into[row.member] ?? 0) + row.count
        }
      }
      assert.deepEqual(v4, want.extra.ip_src_counts, 'IPv4 source counts')
      assert.deepEqual(v6, want.extra.ipv6_src_counts, 'IPv6 source counts')
      assert.deepEqual(ports[TCP], want.extra.tcp_dstport_counts, 'TCP destination ports')
      assert.deepEqual(ports[UDP], want.extra.udp_dstport_counts, 'UDP destination ports')
      // The difference: ports from inside a tunnel, which tshark's counts leave out.
      assert.deepEqual(inner, INNER_PORTS[file] ?? {}, 'destination ports inside a tunnel (not in tshark\'s counts)')
      assert.equal(s.innerTransport > 0, file in INNER_PORTS, 'packets with a transport header inside a tunnel or quote')
    })
  }
})
