/**
 * The addresses a filter names, parsed once when it is compiled: IPv4 as one unsigned 32-bit
 * number, IPv6 as four (the words the predicate compares with the packet's bytes, no string and
 * no allocation per packet). `undefined` means "not an address of that family".
 */
import { isIPv4, isIPv6 } from 'node:net'

/** An IPv4 address (dotted quad) as an unsigned 32-bit number. */
export function ipv4Of (text: string): number | undefined {
  if (!isIPv4(text)) return undefined
  return text.split('.').reduce((n, octet) => n * 256 + Number(octet), 0)
}

/**
 * pcap-filter's shortened network numbers: `10` is 10.0.0.0/8, `192.168` 192.168.0.0/16,
 * `172.16.1` 172.16.1.0/24, a dotted quad /32. Undefined when it is not 1 to 4 decimal octets.
 */
export function ipv4NetOf (text: string): { address: number, bits: number } | undefined {
  const octets = text.split('.')
  if (octets.length > 4 || !octets.every(o => /^\d{1,3}$/.test(o) && Number(o) <= 255)) return undefined
  let address = 0
  for (let i = 0; i < 4; i++) address = address * 256 + Number(octets[i] ?? 0)
  return { address, bits: octets.length * 8 }
}

/** The mask of a prefix length (0..32) as an unsigned 32-bit number. */
export function maskOf (bits: number): number {
  return bits === 0 ? 0 : (0xffffffff << (32 - bits)) >>> 0
}

/** A dotted-quad mask (`255.255.0.0`) as its prefix length; undefined when its ones are not contiguous. */
export function prefixOfMask (mask: number): number | undefined {
  for (let bits = 0; bits <= 32; bits++) if (maskOf(bits) === mask) return bits
  return undefined
}

/** An IPv6 address (RFC 4291 text, `::` and an IPv4 tail allowed) as four unsigned 32-bit words. */
export function ipv6Of (text: string): [number, number, number, number] | undefined {
  if (!isIPv6(text) || text.includes('%')) return undefined
  // isIPv6 has checked the syntax: split into 16-bit groups, the IPv4 tail as two of them.
  const v4 = /(\d+\.\d+\.\d+\.\d+)$/.exec(text)?.[1]
  const tail = v4 === undefined ? [] : [ipv4Of(v4)! >>> 16, ipv4Of(v4)! & 0xffff]
  const head = v4 === undefined ? text : text.slice(0, -v4.length).replace(/([^:]):$/, '$1')
  const groups = (part: string | undefined): number[] => part === undefined || part === '' ? [] : part.split(':').map(h => parseInt(h, 16))
  const [left, right] = head.split('::')
  if (right === undefined) return wordsOf([...groups(left), ...tail])
  const l = groups(left)
  const r = [...groups(right), ...tail]
  return wordsOf([...l, ...new Array<number>(8 - l.length - r.length).fill(0), ...r])
}

function wordsOf (groups: number[]): [number, number, number, number] {
  const w = (i: number): number => ((groups[i]! << 16) | groups[i + 1]!) >>> 0
  return [w(0), w(2), w(4), w(6)]
}

/** The four word masks of an IPv6 prefix length (0..128). */
export function masks6Of (bits: number): [number, number, number, number] {
  const word = (i: number): number => maskOf(Math.max(0, Math.min(32, bits - 32 * i)))
  return [word(0), word(1), word(2), word(3)]
}
