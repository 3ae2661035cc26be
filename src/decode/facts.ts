/**
 * What the decoders learn about one packet. One instance per reader, reset before each packet:
 * every field is a number from the start and never changes type, so the hot loop sees one stable
 * object shape. -1 means "absent" everywhere.
 *
 * Field semantics follow the original potiron, which asked tshark for the first occurrence of
 * each field in a frame (`-E occurrence=f`):
 * - the IP fields come from one IP header: the outermost one, or with `firstIpv4` (the
 *   original's IPv4-only view) the first IPv4 header wherever it sits, e.g. inside IPv6;
 * - TCP, UDP and ICMP fields each come from the first header of that protocol, which may be a
 *   tunnelled one or the header quoted inside an ICMP error;
 * - `sport`/`dport` are then the TCP ports when there is a TCP header, else the UDP ports.
 */
import { Ipv4Reassembly } from './reassembly.js'

export class PacketFacts {
  /**
   * The original's view: IP fields from the first IPv4 header, IPv6 and ICMPv6 not counted,
   * IPv4 fragments reassembled as tshark does (transport fields on the completing fragment).
   */
  readonly firstIpv4: boolean
  /** Fragment state across the packets of one capture (firstIpv4 only). */
  readonly reassembly: Ipv4Reassembly | null

  /** 4 or 6: the version of the header that gave the IP fields; 0 when there is none. */
  ipVersion = 0
  /** Version of the outermost IP header (0 when the frame has none). */
  outerVersion = 0
  /** IPv4 total length, or IPv6 payload length + 40. */
  length = -1
  /** IPv4 protocol, or the IPv6 next header after the extension headers. */
  protocol = -1
  ttl = -1
  tos = -1
  /** IPv4 addresses as unsigned 32-bit numbers (when ipVersion is 4). */
  src = 0
  dst = 0
  /** Offsets of the 16-byte IPv6 addresses in the packet buffer (when ipVersion is 6). */
  src6 = 0
  dst6 = 0

  tcpSport = -1
  tcpDport = -1
  tcpSeq = -1
  tcpAck = -1
  udpSport = -1
  udpDport = -1
  icmpType = -1
  icmpCode = -1
  /** The first TCP header's flags byte (CWR ECE URG ACK PSH RST SYN FIN), -1 without one (or only quoted in an ICMP error). */
  tcpFlags = -1
  /** An 802.1Q / 802.1ad tag was met. */
  vlan = false
  /** Offset in the packet buffer of an Ethernet/IPv4 ARP message (28 bytes, RFC 826), -1 when the frame has none. */
  arpAt = -1

  /** IP headers entered so far in this frame (1 = the outermost). */
  ipCount = 0
  /** A transport header was found inside a tunnel or an ICMP error, not right after the outer IP. */
  inner = false
  /** Some header was cut short or inconsistent; what was readable before it is kept. */
  malformed = false
  /** The link type has no decoder. */
  unsupportedLink = false

  constructor (firstIpv4 = false) {
    this.firstIpv4 = firstIpv4
    this.reassembly = firstIpv4 ? new Ipv4Reassembly() : null
  }

  reset (): void {
    this.ipVersion = 0
    this.outerVersion = 0
    this.length = -1
    this.protocol = -1
    this.ttl = -1
    this.tos = -1
    this.src = 0
    this.dst = 0
    this.src6 = 0
    this.dst6 = 0
    this.tcpSport = -1
    this.tcpDport = -1
    this.tcpSeq = -1
    this.tcpAck = -1
    this.udpSport = -1
    this.udpDport = -1
    this.icmpType = -1
    this.icmpCode = -1
    this.tcpFlags = -1
    this.vlan = false
    this.arpAt = -1
    this.ipCount = 0
    this.inner = false
    this.malformed = false
    this.unsupportedLink = false
  }

  get sport (): number {
    return this.tcpSport >= 0 ? this.tcpSport : this.udpSport
  }

  get dport (): number {
    return this.tcpDport >= 0 ? this.tcpDport : this.udpDport
  }
}
