/**
 * potiron's indexed fields and how a counted value becomes the member string written to Redis:
 * the original's twelve, read from each packet (its JSON_FIELDS, in its order), then the four
 * enrichment fields, worked out from the day's address counts (src/enrich/).
 */
export const PACKET_FIELDS = ['length', 'protocol', 'ipsrc', 'ipdst', 'ipttl', 'iptos', 'sport', 'dport', 'tcpseq', 'tcpack', 'icmpcode', 'icmptype'] as const
/** Source and destination AS number, source and destination country (ISO 3166 alpha-2). */
export const ENRICH_FIELDS = ['sasn', 'dasn', 'scc', 'dcc'] as const
export const FIELDS = [...PACKET_FIELDS, ...ENRICH_FIELDS] as const
export type FieldName = typeof FIELDS[number]
export type PacketField = typeof PACKET_FIELDS[number]
export type EnrichField = typeof ENRICH_FIELDS[number]

/**
 * What an enrichment field counts an address as when it is not a network of the database: the
 * words are members of all four fields, coded in count tables as these negative values.
 * `unknown` (-1) is also the fields' ABSENT sentinel.
 */
export const ENRICH_WORDS = ['unknown', 'private', 'loopback', 'link-local', 'documentation', 'multicast', 'reserved'] as const

/** Values of ipsrc/ipdst at or above this are IPv6 address ids (value - IPV6_BASE). */
export const IPV6_BASE = 4294967296

/**
 * What the original writes for a value the packet does not have (no TCP header for tcpseq, no
 * IP header for ipsrc...): `-1`, but `0` for iptos and `255` for the ICMP fields. The one home
 * of these sentinels: Redis members, JSON documents (as numbers) and the "not set" label.
 */
export const ABSENT: Readonly<Record<FieldName, string>> = {
  length: '-1',
  protocol: '-1',
  ipsrc: '-1',
  ipdst: '-1',
  ipttl: '-1',
  iptos: '0',
  sport: '-1',
  dport: '-1',
  tcpseq: '-1',
  tcpack: '-1',
  icmpcode: '255',
  icmptype: '255',
  sasn: 'unknown',
  dasn: 'unknown',
  scc: 'unknown',
  dcc: 'unknown'
}

export function isEnrichField (field: string): field is EnrichField {
  return (ENRICH_FIELDS as readonly string[]).includes(field)
}

/** ABSENT of a field named in stored data; `-1` for a name potiron does not know. */
export function sentinelOf (field: string): string {
  return (FIELDS as readonly string[]).includes(field) ? ABSENT[field as FieldName] : '-1'
}

/** Fields whose members are decimal numbers (all but the addresses, `0x28`-style iptos and countries). */
export const NUMERIC_FIELDS: ReadonlySet<string> = new Set(FIELDS.filter(f => f !== 'ipsrc' && f !== 'ipdst' && f !== 'iptos' && f !== 'scc' && f !== 'dcc'))
const DECIMAL = /^-?\d{1,15}$/

/** Byte order, as Redis keeps members of equal score. */
export function byBytes (a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0
}

/** Decimal numbers by value (port 22 before 1000), before anything else (data from elsewhere), which goes by bytes. */
function byNumber (a: string, b: string): number {
  const x = DECIMAL.test(a)
  const y = DECIMAL.test(b)
  if (x && y) return Number(a) - Number(b) || byBytes(a, b)
  return x === y ? byBytes(a, b) : x ? -1 : 1
}

/**
 * How values of equal count are ordered in a top-N, the same in `inspect`, CSV tables, charts
 * and the dashboard: by number for numeric fields (ports, TTL, lengths...), else (addresses,
 * iptos, names unknown to potiron) in byte order.
 */
export function valueOrder (field: string): (a: string, b: string) => number {
  return NUMERIC_FIELDS.has(field) ? byNumber : byBytes
}

/**
 * The member string of a value, as the original writes it: decimal numbers, dotted IPv4,
 * `0x28` for the type of service; for an absent value its sentinel (ABSENT). IPv6 addresses in
 * RFC 5952 text. AS numbers in decimal, countries as their two letters (coded `(c1 << 8) | c2`),
 * the enrichment words from their negative codes (ENRICH_WORDS).
 */
export function memberString (field: FieldName, value: number, ipv6: Uint8Array): string {
  if (value < 0) return value < -1 && isEnrichField(field) ? (ENRICH_WORDS[-value - 1] ?? ABSENT[field]) : ABSENT[field]
  switch (field) {
    case 'scc': case 'dcc': return String.fromCharCode(value >> 8, value & 255)
    case 'iptos': return '0x' + value.toString(16).padStart(2, '0')
    case 'ipsrc': case 'ipdst':
      return value >= IPV6_BASE ? ipv6ToString(ipv6, (value - IPV6_BASE) * 16) : ipv4ToString(value)
    default: return String(value)
  }
}

export function ipv4ToString (addr: number): string {
  return `${addr >>> 24}.${(addr >>> 16) & 255}.${(addr >>> 8) & 255}.${addr & 255}`
}

/** RFC 5952 text: lower-case hex, leading zeros dropped, the longest run (>= 2) of zero groups as `::`, IPv4-mapped as dotted. */
export function ipv6ToString (bytes: Uint8Array, off: number): string {
  const groups: number[] = []
  for (let i = 0; i < 16; i += 2) groups.push((bytes[off + i]! << 8) | bytes[off + i + 1]!)
  if (groups[0] === 0 && groups[1] === 0 && groups[2] === 0 && groups[3] === 0 && groups[4] === 0 && groups[5] === 0xffff) {
    return '::ffff:' + ipv4ToString(((groups[6]! << 16) | groups[7]!) >>> 0)
  }
  let bestStart = -1
  let bestLen = 1
  for (let i = 0; i < 8;) {
    if (groups[i] !== 0) { i++; continue }
    let j = i
    while (j < 8 && groups[j] === 0) j++
    if (j - i > bestLen) { bestStart = i; bestLen = j - i }
    i = j
  }
  const hex = groups.map(g => g.toString(16))
  if (bestStart < 0) return hex.join(':')
  return hex.slice(0, bestStart).join(':') + '::' + hex.slice(bestStart + bestLen).join(':')
}
