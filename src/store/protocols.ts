/**
 * IP protocol number → name, as the original potiron named them in its combined keys
 * (`<sensor>:<proto>:<YYYYMMDD>:<field>`) and in PROTOCOLS: its doc/protocols table
 * (/etc/protocols style), first column lower-cased. Copied as data (55 entries, numbers
 * 0–142, some absent); `#` for 99 is the original's own entry, kept so keys stay identical.
 */

const TABLE: ReadonlyMap<number, string> = new Map<number, string>([
  [0, 'hopopt'],
  [1, 'icmp'],
  [2, 'igmp'],
  [3, 'ggp'],
  [4, 'ipencap'],
  [5, 'st'],
  [6, 'tcp'],
  [8, 'egp'],
  [9, 'igp'],
  [12, 'pup'],
  [17, 'udp'],
  [20, 'hmp'],
  [22, 'xns-idp'],
  [27, 'rdp'],
  [29, 'iso-tp4'],
  [33, 'dccp'],
  [36, 'xtp'],
  [37, 'ddp'],
  [38, 'idpr-cmtp'],
  [41, 'ipv6'],
  [43, 'ipv6-route'],
  [44, 'ipv6-frag'],
  [45, 'idrp'],
  [46, 'rsvp'],
  [47, 'gre'],
  [50, 'esp'],
  [51, 'ah'],
  [57, 'skip'],
  [58, 'ipv6-icmp'],
  [59, 'ipv6-nonxt'],
  [60, 'ipv6-opts'],
  [73, 'rspf'],
  [81, 'vmtp'],
  [88, 'eigrp'],
  [89, 'ospf'],
  [93, 'ax.25'],
  [94, 'ipip'],
  [97, 'etherip'],
  [98, 'encap'],
  [99, '#'],
  [103, 'pim'],
  [108, 'ipcomp'],
  [112, 'vrrp'],
  [115, 'l2tp'],
  [124, 'isis'],
  [132, 'sctp'],
  [133, 'fc'],
  [135, 'mobility-header'],
  [136, 'udplite'],
  [137, 'mpls-in-ip'],
  [138, 'manet'],
  [139, 'hip'],
  [140, 'shim6'],
  [141, 'wesp'],
  [142, 'rohc']
])

/**
 * The name of an IP protocol number in keys. Numbers missing from the original's table made it
 * crash (KeyError, the file aborted); we use the decimal number instead so no packet is lost,
 * and -1 (a packet without a protocol, only possible outside --ipv4-only) becomes `-1`.
 */
export function protocolName (proto: number): string {
  return TABLE.get(proto) ?? String(proto)
}
