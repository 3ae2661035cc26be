/**
 * Per-file aggregation: (day, protocol, field, value) → packet count, in typed arrays and
 * numeric hash tables. Strings are made only when results leave (see table.ts).
 */
import type { PacketFacts } from '../decode/facts.js'
import { Ipv6Table, Uint32Counter } from './counter.js'
import { LogCounter } from './log-counter.js'
import { FIELDS, IPV6_BASE, type FieldName } from './fields.js'
import { ALL_PROTOCOLS, type CountGroup, type CountTable } from './table.js'
import type { Rows } from './counter.js'

/**
 * Fields whose values fit in 8 or 16 bits (or are absent) are counted in plain arrays indexed
 * by value + 1; only addresses and TCP numbers need hash tables (direct indexing instead of
 * hashing: see bench/RESULTS.md). The 16-bit ones use 32-bit counts to stay small in the cache;
 * a count that wraps spills 2^32 into the slot's overflow map. `length` alone can pass 16 bits
 * (an IPv6 payload length plus its 40-byte header, a TSO frame's captured length): such values
 * are counted in the overflow map too. Every other field is read from 8 or 16 bits.
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
  length: Uint32Array | null
  protocol: Float64Array | null
  ipsrc: Uint32Counter | null
  ipdst: Uint32Counter | null
  ipttl: Float64Array | null
  iptos: Float64Array | null
  sport: Uint32Array | null
  dport: Uint32Array | null
  tcpseq: LogCounter | null
  tcpack: Uint32Counter | null
  icmpcode: Float64Array | null
  icmptype: Float64Array | null
  /** field name → index → counts that do not fit the array: multiples of 2^32 that wrapped out of a Uint32Array count, indexes past its end. */
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

  /** The field's (value, count) rows; drops the counter. */
  take (name: FieldName): Rows[] {
    const counter = this[name]
    if (counter === null) return []
    this[name] = null
    if (counter instanceof LogCounter) return counter.take()
    let rows: Rows
    if (counter instanceof Float64Array || counter instanceof Uint32Array) {
      const wrapped = this.overflow.get(name)
      let n = 0
      for (let v = 0; v < counter.length; v++) if (counter[v] !== 0 || wrapped?.has(v) === true) n++
      const beyond = [...wrapped ?? []].filter(([v]) => v >= counter.length).sort((a, b) => a[0] - b[0])
      n += beyond.length
      rows = { values: new Float64Array(n), counts: new Float64Array(n) }
      let at = 0
      for (let v = 0; v < counter.length; v++) {
        const count = counter[v]! + (wrapped?.get(v) ?? 0)
        if (count === 0) continue
        rows.values[at] = v - 1
        rows.counts[at++] = count
      }
      for (const [v, count] of beyond) {
        rows.values[at] = v - 1
        rows.counts[at++] = count
      }
    } else {
      rows = counter.take()
    }
    return rows.counts.length === 0 ? [] : [rows]
  }

  spill (field: FieldName, index: number, n: number): void {
    let values = this.overflow.get(field)
    if (values === undefined) this.overflow.set(field, values = new Map())
    values.set(index, (values.get(index) ?? 0) + n)
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

  /**
   * Counts one decoded IP packet (ipVersion 4 or 6: the only ones Analyzer selects) on day number
   * `day`. `buf` is the packet's buffer (for IPv6 addresses).
   */
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
    if (slot.length !== null) {
      const i = f.length + 1
      if (i >= WORD_DOMAIN) slot.spill('length', i, 1)
      else if (++slot.length[i]! === WRAP) slot.spill('length', i, WRAP)
    }
    if (slot.protocol !== null) slot.protocol[f.protocol + 1]! += 1
    if (slot.ipsrc !== null) slot.ipsrc.add(f.ipVersion === 4 ? f.src : IPV6_BASE + this.#ipv6.intern(buf, f.src6), 1)
    if (slot.ipdst !== null) slot.ipdst.add(f.ipVersion === 4 ? f.dst : IPV6_BASE + this.#ipv6.intern(buf, f.dst6), 1)
    if (slot.ipttl !== null) slot.ipttl[f.ttl + 1]! += 1
    if (slot.iptos !== null) slot.iptos[f.tos + 1]! += 1
    if (slot.sport !== null) {
      const i = f.sport + 1
      if (++slot.sport[i]! === WRAP) slot.spill('sport', i, WRAP)
    }
    if (slot.dport !== null) {
      const i = f.dport + 1
      if (++slot.dport[i]! === WRAP) slot.spill('dport', i, WRAP)
    }
    slot.tcpseq?.add(f.tcpSeq)
    slot.tcpack?.add(f.tcpAck, 1)
    if (slot.icmpcode !== null) slot.icmpcode[f.icmpCode + 1]! += 1
    if (slot.icmptype !== null) slot.icmptype[f.icmpType + 1]! += 1
  }

  /**
   * The counts as a table of groups whose arrays own their buffers. This consumes the
   * aggregator: each counter is turned into its group and dropped, the biggest (the tcpseq log)
   * by handing over its arrays, so the peak stays near what the distinct values need
   * (bench:parse memory check).
   */
  table (): CountTable {
    const slots = [...this.#slots.values()].sort((a, b) => a.day - b.day || a.proto - b.proto)
    this.#slots.clear()
    this.#last = undefined
    const groups: CountGroup[] = []
    for (const slot of slots) {
      FIELDS.forEach((name, field) => {
        for (const rows of slot.take(name)) groups.push({ day: slot.day, proto: slot.proto, field, values: rows.values, counts: rows.counts })
      })
    }
    return { groups, ipv6: this.#ipv6.toBytes() }
  }
}
