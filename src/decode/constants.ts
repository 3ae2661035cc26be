/**
 * Protocol numbers the decoders dispatch on, named once, each with its registry or RFC.
 * Link types: https://www.tcpdump.org/linktypes.html
 * EtherTypes: https://www.iana.org/assignments/ieee-802-numbers
 * IP protocols: https://www.iana.org/assignments/protocol-numbers
 */

// Link types (the LINKTYPE_* values written in pcap / pcapng headers)
export const LINKTYPE_NULL = 0          // BSD loopback, 4-byte address family in host byte order
export const LINKTYPE_ETHERNET = 1
export const LINKTYPE_FDDI = 10         // FDDI: 1-byte frame control, two MACs, then 802.2 LLC
export const LINKTYPE_RAW_12 = 12       // DLT_RAW as some systems number it (raw IPv4/IPv6)
export const LINKTYPE_RAW_14 = 14       // DLT_RAW on OpenBSD
export const LINKTYPE_RAW = 101
export const LINKTYPE_LOOP = 108        // OpenBSD loopback, address family in network byte order
export const LINKTYPE_LINUX_SLL = 113   // https://www.tcpdump.org/linktypes/LINKTYPE_LINUX_SLL.html
export const LINKTYPE_IPV4 = 228
export const LINKTYPE_IPV6 = 229
export const LINKTYPE_IPOIB = 242       // IP over InfiniBand, RFC 4391
export const LINKTYPE_LINUX_SLL2 = 276  // https://www.tcpdump.org/linktypes/LINKTYPE_LINUX_SLL2.html

// BSD loopback address families (AF_INET6 differs per operating system)
export const AF_INET = 2
export const AF_INET6_BSD = 24
export const AF_INET6_FREEBSD = 28
export const AF_INET6_DARWIN = 30

// EtherTypes
export const ETHERTYPE_MIN = 0x0600       // below this the field is an IEEE 802.3 length
export const ETHERTYPE_MAX_LENGTH = 1500  // largest IEEE 802.3 length
export const ETHERTYPE_IPV4 = 0x0800
export const ETHERTYPE_VLAN = 0x8100      // IEEE 802.1Q
export const ETHERTYPE_ARP = 0x0806       // RFC 826
/** An ARP message for IPv4 over Ethernet: 8 bytes of header, two 6-byte MACs and two 4-byte addresses. */
export const ARP_IPV4_LENGTH = 28
export const ETHERTYPE_QINQ = 0x88a8      // IEEE 802.1ad service tag
export const ETHERTYPE_QINQ_OLD = 0x9100  // pre-standard QinQ
export const ETHERTYPE_IPV6 = 0x86dd
export const ETHERTYPE_MPLS = 0x8847
export const ETHERTYPE_MPLS_MC = 0x8848
export const ETHERTYPE_PPPOE = 0x8864     // PPPoE session stage, RFC 2516
export const ETHERTYPE_TEB = 0x6558       // transparent Ethernet bridging (GRE payload)
export const ETHERTYPE_PPP = 0x880b       // PPP (enhanced GRE, RFC 2637)
export const ETHERTYPE_ERSPAN2 = 0x88be   // ERSPAN type II
export const ETHERTYPE_ERSPAN3 = 0x22eb   // ERSPAN type III
export const ETHERTYPE_CMD = 0x8909       // Cisco MetaData (draft-smith-kandula-sxp): 8 bytes incl. the next EtherType

// MPLS special-purpose labels, https://www.iana.org/assignments/mpls-label-values
export const MPLS_LABEL_GAL = 13
export const MPLS_LABEL_OAM_ALERT = 14

// 802.2 LLC / SNAP
export const LLC_SNAP_SAP = 0xaa

// PPP protocol numbers, RFC 1661 / https://www.iana.org/assignments/ppp-numbers
export const PPP_IPV4 = 0x0021
export const PPP_IPV6 = 0x0057

// IP protocol numbers
export const IPPROTO_HOPOPTS = 0
export const IPPROTO_ICMP = 1
export const IPPROTO_IPIP = 4
export const IPPROTO_TCP = 6
export const IPPROTO_UDP = 17
export const IPPROTO_IPV6 = 41
export const IPPROTO_ROUTING = 43
export const IPPROTO_FRAGMENT = 44
export const IPPROTO_GRE = 47
export const IPPROTO_AH = 51
export const IPPROTO_ICMPV6 = 58
export const IPPROTO_DSTOPTS = 60

// IPv4 options (RFC 791)
export const IPOPT_EOL = 0
export const IPOPT_NOP = 1
export const IPOPT_LSRR = 131
export const IPOPT_SSRR = 137

// UDP ports on which tshark decodes an encapsulated packet by default
export const UDP_PORT_VXLAN = 4789   // RFC 7348
export const UDP_PORT_TEREDO = 3544  // RFC 4380

// ICMP message types that quote the offending IP packet (RFC 792, RFC 1812)
export const ICMP_UNREACH = 3
export const ICMP_SOURCE_QUENCH = 4
export const ICMP_REDIRECT = 5
export const ICMP_TIME_EXCEEDED = 11
export const ICMP_PARAM_PROBLEM = 12
// ICMPv6 error messages are types 1..4 (RFC 4443)
export const ICMPV6_ERROR_MAX = 4

/** The limited broadcast address, 255.255.255.255, as an unsigned 32-bit number. */
export const IPV4_BROADCAST = 0xffffffff

/** How deep tunnels may nest before a frame is treated as malformed (bounds hostile input). */
export const MAX_ENCAPSULATION_DEPTH = 8

/**
 * Display names of the link types potiron decodes (others print as their number): also the list
 * of those it decodes (isSupportedLinktype), so it must name exactly the cases of decodeFrame.
 */
export const LINKTYPE_NAMES: Readonly<Record<number, string>> = {
  [LINKTYPE_NULL]: 'NULL', [LINKTYPE_ETHERNET]: 'ETHERNET', [LINKTYPE_FDDI]: 'FDDI', [LINKTYPE_RAW_12]: 'RAW',
  [LINKTYPE_RAW_14]: 'RAW', [LINKTYPE_RAW]: 'RAW', [LINKTYPE_LOOP]: 'LOOP', [LINKTYPE_LINUX_SLL]: 'LINUX_SLL',
  [LINKTYPE_IPV4]: 'IPV4', [LINKTYPE_IPV6]: 'IPV6', [LINKTYPE_IPOIB]: 'IPOIB', [LINKTYPE_LINUX_SLL2]: 'LINUX_SLL2'
}
