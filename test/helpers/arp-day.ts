/**
 * A layer-2 capture of known contents for the ARP pages' tests: on 2017-03-01 (UTC), 3 requests
 * and 3 replies over hours 00-02, 192.0.2.1 answered by two MACs and the second MAC claiming
 * 192.0.2.30 too (3 pairs flagged of 4), a probe (claims nothing) and a TCP packet (not ARP); on
 * 2017-03-02, one request.
 */
import { writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { pcapOf, type TimedFrame } from './captures.js'
import { LT_ETHERNET } from './frames.js'
import { arp, tcp4 } from './modes.js'

/** 2017-03-01 00:00:05 UTC. */
const T0 = 1488326405
const ASKER = '02000000000a'
const OWNER = '020000000001'
const SPOOF = '020000000066'
const ZERO = '000000000000'

/** The pairs table's rows of 2017-03-01: IP, MAC, replies, requests, flag. */
export const ARP_PAIRS = [
  ['192.0.2.1', '02:00:00:00:00:01', '1', '0', 'ip-several-macs'],
  ['192.0.2.1', '02:00:00:00:00:66', '1', '0', 'ip-several-macs;mac-several-ips'],
  ['192.0.2.10', '02:00:00:00:00:0a', '0', '2', ''],
  ['192.0.2.30', '02:00:00:00:00:66', '1', '0', 'mac-several-ips']
]

/** The warnings of 2017-03-01's flagged pairs. */
export const ARP_WARNINGS = [
  '192.0.2.1 is claimed by 2 MACs: 02:00:00:00:00:01, 02:00:00:00:00:66',
  '02:00:00:00:00:66 claims 2 IPs: 192.0.2.1, 192.0.2.30'
]

/** The capture's packets, in order. */
export const ARP_PACKETS: readonly TimedFrame[] = [
  // who has 192.0.2.1? tell 192.0.2.10; 192.0.2.1 is at 02:00:00:00:00:01
  { frame: arp(1, ASKER, '192.0.2.10', ZERO, '192.0.2.1'), sec: T0 },
  { frame: arp(2, OWNER, '192.0.2.1', ASKER, '192.0.2.10'), sec: T0 + 1 },
  { frame: arp(1, ASKER, '192.0.2.10', ZERO, '192.0.2.1'), sec: T0 + 3600 },
  // A second answer for 192.0.2.1, from another MAC that also claims 192.0.2.30.
  { frame: arp(2, SPOOF, '192.0.2.1', ASKER, '192.0.2.10'), sec: T0 + 3601 },
  { frame: arp(2, SPOOF, '192.0.2.30', ASKER, '192.0.2.10'), sec: T0 + 3602 },
  // A probe (RFC 5227): sender 0.0.0.0 claims nothing.
  { frame: arp(1, '020000000020', '0.0.0.0', ZERO, '192.0.2.20'), sec: T0 + 7200 },
  { frame: tcp4(51234, 22, 1, 0, '02'), sec: T0 + 7201 },
  { frame: arp(1, ASKER, '192.0.2.10', ZERO, '192.0.2.1'), sec: T0 + 86400 }
]

/** Writes the capture as `<sensor>-20170301000000.pcap` in `dir`; returns its path. */
export function writeArpCapture (dir: string, sensor: string): string {
  const file = join(dir, `${sensor}-20170301000000.pcap`)
  writeFileSync(file, pcapOf(LT_ETHERNET, ARP_PACKETS))
  return file
}
