/**
 * The address ranges an enrichment field names by what they are instead of looking them up
 * (issue 17's list): a private or documentation address is no network of the Internet, and a
 * database's answer for it (some have one) would mislead. Codes are the fields' negative word
 * codes, ENRICH_WORDS' index + 1, negated.
 */
import { ENRICH_WORDS } from '../aggregate/fields.js'

type EnrichWord = typeof ENRICH_WORDS[number]

/** The count-table code of an enrichment word: -1 `unknown`, -2 `private`... -7 `reserved`. */
export function wordCode (word: EnrichWord): number {
  return -(ENRICH_WORDS.indexOf(word) + 1)
}

export const UNKNOWN = wordCode('unknown')
const PRIVATE = wordCode('private')
const LOOPBACK = wordCode('loopback')
const LINK_LOCAL = wordCode('link-local')
const DOCUMENTATION = wordCode('documentation')
const MULTICAST = wordCode('multicast')
const RESERVED = wordCode('reserved')

/** What the first octet of an IPv4 address says: a word code, PUBLIC, or SECOND_LOOK (the rest decides). */
const PUBLIC = 0
const SECOND_LOOK = 1
const FIRST_OCTET = new Int8Array(256)
FIRST_OCTET[0] = RESERVED
FIRST_OCTET[10] = PRIVATE
FIRST_OCTET[127] = LOOPBACK
for (const octet of [100, 169, 172, 192, 198, 203]) FIRST_OCTET[octet] = SECOND_LOOK
FIRST_OCTET.fill(MULTICAST, 224, 240)
FIRST_OCTET.fill(RESERVED, 240, 256)

/**
 * The word code of a special IPv4 address (a uint32), or 0 for an address to look up. One table
 * read decides for all but six first octets.
 */
export function special4 (addr: number): number {
  const first = FIRST_OCTET[addr >>> 24]!
  if (first !== SECOND_LOOK) return first
  const top16 = addr >>> 16
  const top24 = addr >>> 8
  if ((addr >>> 22) === ((100 << 2) | 1)) return PRIVATE // 100.64.0.0/10, shared address space (RFC 6598)
  if (top16 === ((169 << 8) | 254)) return LINK_LOCAL // 169.254.0.0/16
  if ((addr >>> 20) === ((172 << 4) | 1)) return PRIVATE // 172.16.0.0/12
  if (top16 === ((192 << 8) | 168)) return PRIVATE // 192.168.0.0/16
  if (top24 === ((192 << 16) | 2) || top24 === ((198 << 16) | (51 << 8) | 100) || top24 === ((203 << 16) | 113)) return DOCUMENTATION
  return PUBLIC
}

/** special6's answer for an IPv4-mapped address (::ffff:a.b.c.d): look up bytes 12..15 as IPv4. */
export const MAPPED = 1

/**
 * The word code of a special IPv6 address (16 bytes at `off`), MAPPED for an IPv4-mapped one, or
 * 0 for an address to look up.
 */
export function special6 (bytes: Uint8Array, off: number): number {
  const b0 = bytes[off]!
  if (b0 === 0xff) return MULTICAST // ff00::/8
  if ((b0 & 0xfe) === 0xfc) return PRIVATE // fc00::/7, unique local
  const b1 = bytes[off + 1]!
  if (b0 === 0xfe && (b1 & 0xc0) === 0x80) return LINK_LOCAL // fe80::/10
  if (b0 === 0x20 && b1 === 0x01 && bytes[off + 2] === 0x0d && bytes[off + 3] === 0xb8) return DOCUMENTATION // 2001:db8::/32
  if (b0 === 0x3f && b1 === 0xff && (bytes[off + 2]! & 0xf0) === 0) return DOCUMENTATION // 3fff::/20
  if (b0 !== 0) return 0
  for (let i = 1; i < 10; i++) if (bytes[off + i] !== 0) return 0
  const b10 = bytes[off + 10]!
  const b11 = bytes[off + 11]!
  if (b10 === 0xff && b11 === 0xff) return MAPPED
  if (b10 !== 0 || b11 !== 0 || bytes[off + 12] !== 0 || bytes[off + 13] !== 0 || bytes[off + 14] !== 0) return 0
  const last = bytes[off + 15]!
  return last === 1 ? LOOPBACK : last === 0 ? RESERVED : 0 // ::1, :: (unspecified)
}

/** The IPv4 address (uint32) in the last 4 of the 16 bytes at `off`. */
export function mappedIpv4 (bytes: Uint8Array, off: number): number {
  return ((bytes[off + 12]! << 24) | (bytes[off + 13]! << 16) | (bytes[off + 14]! << 8) | bytes[off + 15]!) >>> 0
}
