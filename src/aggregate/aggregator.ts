/**
 * Per-file aggregation: (day, protocol, field, value) → packet count, in typed arrays and
 * numeric hash tables. Strings are made only when results leave (see table.ts).
 */
import type { PacketFacts } from '../decode/facts.js'
import { Ipv6Table, Uint32Counter } from './counter.js'
import { LogCounter } from './log-counter.js'
import { FIELDS, IPV6_BASE, type FieldName } from './fields.js'
import { ALL_PROTOCOLS, type CountTable } from './table.js'

/**
 * Fields whose values fit in 8 or 16 bits (or are absent) are counted in plain arrays indexed
 * by value + 1; only addresses and TCP numbers need hash tables (direct indexing instead of
 * hashing: see bench/RESULTS.md). The 16-bit ones use 32-bit counts to stay small in the cache;
 * a count that wraps spills 2^32 into the slot's overflow map.
 */
const BYTE_DOMAIN = 257
const WORD_DOMAIN = 65537
const WRAP = 0x100000000

export interface AggregateOptions {
  /** Which fields to count, in potiron's order. */
  fields: readonly FieldName[]
  /** Also split every count by IP protocol (the original's "combined keys"). */
  splitProtocols: boolean
}

/** The counters of one (day, protocol) pair; a field that is not counted has a null counter. */
class Slot {
  readonly length: Uint32Array | null
  readonly protocol: Float64Array | null
  readonly ipsrc: Uint32Counter | null
  readonly ipdst: Uint32Counter | null
  readonly ipttl: Float64Array | null
  readonly iptos: Float64Array | null
  readonly sport: Uint32Array | null
  readonly dport: Uint32Array | null
  readonly tcpseq: LogCounter | null
  readonly tcpack: Uint32Counter | null
  readonly icmpcode: Float64Array | null
  readonly icmptype: Float64Array | null
  /** field name → value → multiples of 2^32 that wrapped out of a Uint32Array count. */
  readonly overflow = new Map<string, Map<number, number>>()

  constructor (readonly day: number, readonly proto: number, on: ReadonlySet<FieldName>) {
    const word = (f: FieldName): Uint32Array | null => on.has(f) ? new Uint32Array(WORD_DOMAIN) : null
    const byte = (f: FieldName): Float64Array | null => on.has(f) ? new Float64Array(BYTE_DOMAIN) : null
    const hashed = (f: FieldName): Uint32Counter | null => on.has(f) ? new Uint32Counter() : null
    this.length = word('length')
    this.protocol = byte('protocol')
    this.ipsrc = hashed('ipsrc')
    this.ipdst = hashed('ipdst')
    this.ipttl = byte('ipttl')
    this.iptos = byte('iptos')
    this.sport = word('sport')
    this.dport = word('dport')
    this.tcpseq = on.has('tcpseq') ? new LogCounter() : null
    this.tcpack = hashed('tcpack')
    this.icmpcode = byte('icmpcode')
    this.icmptype = byte('icmptype')
  }

  spill (field: FieldName, index: number): void {
    let values = this.overflow.get(field)
    if (values === undefined) this.overflow.set(field, values = new Map())
    values.set(index, (values.get(index) ?? 0) + WRAP)
  }
}

export class Aggregator {
  readonly fields: readonly FieldName[]
  readonly #on: ReadonlySet<FieldName>
  readonly #split: boolean
  readonly #slots = new Map<number, Slot>()
  readonly #ipv6 = new Ipv6Table()
  #lastKey = Number.NaN
  #last: Slot | undefined

  constructor (options: AggregateOptions) {
    this.fields = options.fields
    this.#on = new Set(options.fields)
    this.#split = options.splitProtocols
  }

  /** Counts one decoded packet on day number `day`. `buf` is the packet's buffer (for IPv6 addresses). */
  add (f: PacketFacts, buf: Uint8Array, day: number): void {
    const proto = this.#split ? f.protocol : ALL_PROTOCOLS
    const key = day * 512 + proto + 2
    let slot = this.#last
    if (key !== this.#lastKey || slot === undefined) {
      slot = this.#slots.get(key)
      if (slot === undefined) {
        slot = new Slot(day, proto, this.#on)
        this.#slots.set(key, slot)
      }
      this.#lastKey = key
      this.#last = slot
    }
    if (slot.length !== null && ++slot.length[f.length + 1]! === WRAP) slot.spill('length', f.length + 1)
    if (slot.protocol !== null) slot.protocol[f.protocol + 1]! += 1
    if (slot.ipsrc !== null) slot.ipsrc.add(f.ipVersion === 6 ? IPV6_BASE + this.#ipv6.intern(buf, f.src6) : f.ipVersion === 4 ? f.src : -1, 1)
    if (slot.ipdst !== null) slot.ipdst.add(f.ipVersion === 6 ? IPV6_BASE + this.#ipv6.intern(buf, f.dst6) : f.ipVersion === 4 ? f.dst : -1, 1)
    if (slot.ipttl !== null) slot.ipttl[f.ttl + 1]! += 1
    if (slot.iptos !== null) slot.iptos[f.tos + 1]! += 1
    if (slot.sport !== null) {
      const i = (f.tcpSport >= 0 ? f.tcpSport : f.udpSport) + 1
      if (++slot.sport[i]! === WRAP) slot.spill('sport', i)
    }
    if (slot.dport !== null) {
      const i = (f.tcpDport >= 0 ? f.tcpDport : f.udpDport) + 1
      if (++slot.dport[i]! === WRAP) slot.spill('dport', i)
    }
    slot.tcpseq?.add(f.tcpSeq)
    slot.tcpack?.add(f.tcpAck, 1)
    if (slot.icmpcode !== null) slot.icmpcode[f.icmpCode + 1]! += 1
    if (slot.icmptype !== null) slot.icmptype[f.icmpType + 1]! += 1
  }

  /** The counts gathered so far, as a compact table whose arrays own their buffers. */
  table (): CountTable {
    const slots = [...this.#slots.values()].sort((a, b) => a.day - b.day || a.proto - b.proto)
    // Size the arrays first, then fill them: no object per row.
    let n = 0
    for (const slot of slots) {
      for (const name of FIELDS) {
        const counter = slot[name]
        if (counter === null) continue
        if (counter instanceof Float64Array || counter instanceof Uint32Array) {
          for (let v = 0; v < counter.length; v++) n += counter[v] !== 0 || slot.overflow.get(name)?.has(v) === true ? 1 : 0
        } else {
          n += counter.size
        }
      }
    }
    const table: CountTable = {
      day: new Int32Array(n), proto: new Int16Array(n), field: new Uint8Array(n),
      value: new Float64Array(n), count: new Float64Array(n), ipv6: this.#ipv6.toBytes()
    }
    let at = 0
    for (const slot of slots) {
      FIELDS.forEach((name, field) => {
        const counter = slot[name]
        if (counter === null) return
        const from = at
        if (counter instanceof Float64Array || counter instanceof Uint32Array) {
          const wrapped = slot.overflow.get(name)
          for (let v = 0; v < counter.length; v++) {
            const count = counter[v]! + (wrapped?.get(v) ?? 0)
            if (count === 0) continue
            table.value[at] = v - 1
            table.count[at++] = count
          }
        } else {
          at = counter.writeRows(table.value, table.count, at)
        }
        table.day.fill(slot.day, from, at)
        table.proto.fill(slot.proto, from, at)
        table.field.fill(field, from, at)
      })
    }
    return table
  }
}
