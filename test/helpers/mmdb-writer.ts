/**
 * A tiny MaxMind DB writer for the tests' own databases (a user's `--geoip-db` / `--asn-db`),
 * after the format's spec, https://maxmind.github.io/MaxMind-DB/ (version 2.0): an IPv6 search
 * tree (IPv4 networks under ::/96) with 24, 28 or 32-bit records, a data section of maps, UTF-8
 * strings and unsigned integers, and the metadata. Networks must not overlap.
 */

/** A data value: a string, a uint32 (plain numbers), a map, an array, or an unsigned integer of a stated width. */
export type MmdbValue = string | number | Sized | readonly MmdbValue[] | { readonly [key: string]: MmdbValue }
interface Sized { readonly uint: 16 | 64, readonly value: number }

export interface MmdbOptions {
  databaseType: string
  /** Seconds since the Unix epoch. */
  buildEpoch: number
  networks: ReadonlyArray<{ network: string, data: MmdbValue }>
  recordSize?: 24 | 28 | 32
}

/** The 16 bytes of an address: IPv6 text (`::ffff:1.2.3.4` too), or dotted IPv4 as ::a.b.c.d (its place in an IPv6 tree). */
export function addressBytes (text: string): Uint8Array {
  const bytes = new Uint8Array(16)
  if (!text.includes(':')) {
    text.split('.').forEach((octet, i) => { bytes[12 + i] = Number(octet) })
    return bytes
  }
  const dotted = /^(.*:)(\d+)\.(\d+)\.(\d+)\.(\d+)$/.exec(text)
  if (dotted !== null) {
    const [a, b, c, d] = dotted.slice(2).map(Number) as [number, number, number, number]
    text = `${dotted[1]}${((a << 8) | b).toString(16)}:${((c << 8) | d).toString(16)}`
  }
  let groups: string[]
  if (text.includes('::')) {
    const [head, tail] = text.split('::') as [string, string]
    const h = head === '' ? [] : head.split(':')
    const t = tail === '' ? [] : tail.split(':')
    groups = [...h, ...Array<string>(8 - h.length - t.length).fill('0'), ...t]
  } else {
    groups = text.split(':')
  }
  if (groups.length !== 8) throw new Error(`not an IPv6 address: ${text}`)
  groups.forEach((g, i) => { bytes[2 * i] = parseInt(g, 16) >> 8; bytes[2 * i + 1] = parseInt(g, 16) & 255 })
  return bytes
}

function control (type: number, size: number): number[] {
  const bytes = type <= 7 ? [type << 5] : [0, type - 7]
  if (size < 29) bytes[0]! |= size
  else if (size < 285) { bytes[0]! |= 29; bytes.push(size - 29) } else if (size < 65821) { bytes[0]! |= 30; bytes.push((size - 285) >> 8, (size - 285) & 255) } else {
    bytes[0]! |= 31
    const n = size - 65821
    bytes.push(n >> 16, (n >> 8) & 255, n & 255)
  }
  return bytes
}

/** Big-endian, in as few bytes as the value needs (none for 0). */
function unsigned (type: number, value: number): number[] {
  const bytes: number[] = []
  for (let v = value; v > 0; v = Math.floor(v / 256)) bytes.unshift(v % 256)
  return [...control(type, bytes.length), ...bytes]
}

function encode (value: MmdbValue): number[] {
  if (typeof value === 'string') {
    const utf8 = [...Buffer.from(value, 'utf8')]
    return [...control(2, utf8.length), ...utf8]
  }
  if (typeof value === 'number') return unsigned(6, value)
  if (Array.isArray(value)) return [...control(11, value.length), ...value.flatMap(encode)]
  if ('uint' in value && typeof value.uint === 'number') return unsigned(value.uint === 16 ? 5 : 9, (value as Sized).value)
  const entries = Object.entries(value as Record<string, MmdbValue>)
  return [...control(7, entries.length), ...entries.flatMap(([k, v]) => [...encode(k), ...encode(v)])]
}

/** A search-tree node's two records: another node's number, a data section offset, or nothing. */
type Slot = { node: number } | { data: number } | undefined

/** The bytes of a .mmdb file holding `networks`. */
export function writeMmdb (options: MmdbOptions): Buffer {
  const recordSize = options.recordSize ?? 24
  const nodes: Array<[Slot, Slot]> = [[undefined, undefined]]
  const data: number[] = []
  const offsets = new Map<string, number>()
  for (const { network, data: value } of options.networks) {
    const [text, length] = network.split('/') as [string, string]
    const bits = Number(length) + (text.includes(':') ? 0 : 96)
    const key = JSON.stringify(value)
    let offset = offsets.get(key)
    if (offset === undefined) {
      offsets.set(key, offset = data.length)
      data.push(...encode(value))
    }
    const address = addressBytes(text)
    let node = 0
    for (let i = 0; i < bits; i++) {
      const bit = (address[i >> 3]! >> (7 - (i & 7))) & 1
      if (i === bits - 1) { nodes[node]![bit] = { data: offset }; break }
      let next = nodes[node]![bit]
      if (next === undefined) {
        next = { node: nodes.length }
        nodes[node]![bit] = next
        nodes.push([undefined, undefined])
      }
      if (!('node' in next)) throw new Error(`${network} overlaps another network`)
      node = next.node
    }
  }
  const nodeCount = nodes.length
  const record = (slot: Slot): number => slot === undefined ? nodeCount : 'node' in slot ? slot.node : nodeCount + 16 + slot.data
  const tree = Buffer.alloc(nodeCount * recordSize / 4)
  nodes.forEach(([left, right], i) => {
    const l = record(left)
    const r = record(right)
    const o = i * recordSize / 4
    if (recordSize === 24) { tree.writeUIntBE(l, o, 3); tree.writeUIntBE(r, o + 3, 3) } else if (recordSize === 28) {
      tree.writeUIntBE(l & 0xffffff, o, 3)
      tree[o + 3] = ((l >>> 24) << 4) | (r >>> 24)
      tree.writeUIntBE(r & 0xffffff, o + 4, 3)
    } else { tree.writeUInt32BE(l, o); tree.writeUInt32BE(r, o + 4) }
  })
  const metadata = encode({
    node_count: nodeCount,
    record_size: { uint: 16, value: recordSize },
    ip_version: { uint: 16, value: 6 },
    database_type: options.databaseType,
    languages: ['en'],
    binary_format_major_version: { uint: 16, value: 2 },
    binary_format_minor_version: { uint: 16, value: 0 },
    build_epoch: { uint: 64, value: options.buildEpoch },
    description: { en: `potiron test database (${options.databaseType})` }
  })
  return Buffer.concat([tree, Buffer.alloc(16), Buffer.from(data), Buffer.from('\xab\xcd\xefMaxMind.com', 'latin1'), Buffer.from(metadata)])
}
