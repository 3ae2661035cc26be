/**
 * Per-file aggregation: (day, protocol, field, value) → packet count, in typed arrays and
 * numeric hash tables. Strings are made only when results leave (see table.ts).
 */
import type { PacketFacts } from '../decode/facts.js'
import { Ipv6Table, Uint32Counter, type Rows } from './counter.js'
import { DirectCounter } from './direct-counter.js'
import { LogCounter } from './log-counter.js'
import { IPV6_BASE, PACKET_FIELDS, type FieldName, type PacketField } from './fields.js'
import { ALL_PROTOCOLS, type CountGroup, type CountTable } from './table.js'

/**
 * The most the counters' typed arrays hold (Aggregator.bytes), checked by bench:parse on
 * captures spanning 10,000 days or 3,000 (day, protocol) pairs: FILE_BYTES for the file (its
 * IPv6 address table), PAIR_BYTES for each (day, protocol) pair counted (what its first packets
 * make: 2,432 bytes, 16 entries or slots in each of the 11 counters and a 256-value tcpseq log,
 * and 512 more for the first IPv6 addresses of ipsrc and ipdst), and
 * VALUE_BYTES for each distinct (day, protocol, field, value) held. Per value: a DirectCounter's
 * array at most DENSE_BYTES_PER_VALUE (64), its table and the hashed counters at most 43 (8-byte
 * slots, at least 3/16 full), IPv6 values 64 in their table plus 48 in the address table, the
 * tcpseq log and its runs at most 60 (runs at most three times the values, 12 bytes each at
 * most, the log at most twice the runs). Every pair holds at least one value of each counted
 * field, so the whole grows with the distinct values held, not with the days or protocols a
 * capture spans.
 */
export const FILE_BYTES = 2048
export const PAIR_BYTES = 3072
export const VALUE_BYTES = 128

export interface AggregateOptions {
  /** Which fields to count, in potiron's order. */
  fields: readonly FieldName[]
  /** Also split every count by IP protocol (the original's "combined keys"). */
  combinedKeys: boolean
}

type DirectField = 'length' | 'protocol' | 'ipttl' | 'iptos' | 'sport' | 'dport' | 'icmpcode' | 'icmptype'
type HashedField = Exclude<PacketField, DirectField>
/** The fields read from 8 or 16 bits, and their largest value. */
const DIRECT: ReadonlyArray<readonly [DirectField, number]> = [
  ['length', 0xffff], ['protocol', 0xff], ['ipttl', 0xff], ['iptos', 0xff], ['sport', 0xffff], ['dport', 0xffff], ['icmpcode', 0xff], ['icmptype', 0xff]
]

/**
 * The counters of one (day, protocol) pair. Fields read from 8 or 16 bits are counted by value
 * (DirectCounter; `length` alone can pass 16 bits: an IPv6 payload length plus its 40-byte
 * header, a TSO frame's captured length), addresses and TCP numbers in hash tables and a log.
 * Every counter starts small and grows with the distinct values it holds (PAIR_BYTES,
 * VALUE_BYTES). A field that is not counted has null.
 */
class Slot {
  /** Each DirectCounter's array, read here by the hot loop: one object less per field and packet. */
  length: Uint32Array | null = null
  protocol: Uint32Array | null = null
  ipttl: Uint32Array | null = null
  iptos: Uint32Array | null = null
  sport: Uint32Array | null = null
  dport: Uint32Array | null = null
  icmpcode: Uint32Array | null = null
  icmptype: Uint32Array | null = null
  ipsrc: Uint32Counter | null
  ipdst: Uint32Counter | null
  tcpseq: LogCounter | null
  tcpack: Uint32Counter | null
  readonly direct = new Map<DirectField, DirectCounter>()

  constructor (readonly day: number, readonly proto: number, on: ReadonlySet<FieldName>) {
    for (const [name, max] of DIRECT) {
      if (!on.has(name)) continue
      const counter = new DirectCounter(max)
      this.direct.set(name, counter)
      this[name] = counter.dense
    }
    const hashed = (f: FieldName): Uint32Counter | null => on.has(f) ? new Uint32Counter() : null
    this.ipsrc = hashed('ipsrc')
    this.ipdst = hashed('ipdst')
    this.tcpseq = on.has('tcpseq') ? new LogCounter() : null
    this.tcpack = hashed('tcpack')
  }

  /** A value past the field's array (see DirectCounter.add), which may grow the array. */
  outside (name: DirectField, i: number): void {
    const counter = this.direct.get(name)!
    counter.addOutside(i)
    this[name] = counter.dense
  }

  carry (name: DirectField, i: number): void {
    this.direct.get(name)!.carry(i)
  }

  get bytes (): number {
    let bytes = (this.ipsrc?.bytes ?? 0) + (this.ipdst?.bytes ?? 0) + (this.tcpseq?.bytes ?? 0) + (this.tcpack?.bytes ?? 0)
    for (const counter of this.direct.values()) bytes += counter.bytes
    return bytes
  }

  /** The field's (value, count) rows; drops the counter. */
  take (name: PacketField): Rows[] {
    let counter: DirectCounter | Uint32Counter | LogCounter | null | undefined = this.direct.get(name as DirectField)
    if (counter !== undefined) {
      this.direct.delete(name as DirectField)
      this[name as DirectField] = null
    } else {
      counter = this[name as HashedField]
      this[name as HashedField] = null
    }
    if (counter === null) return []
    if (counter instanceof LogCounter) return counter.take()
    const rows = counter.take()
    return rows.counts.length === 0 ? [] : [rows]
  }
}

/** DirectCounter's WRAP, as a constant of this module: the hot loop compares each count to it. */
const WRAP = 0x100000000

/** DirectCounter.add with the array the slot holds: small enough to inline at each call site. */
function count (slot: Slot, name: DirectField, dense: Uint32Array | null, value: number): void {
  if (dense === null) return
  const i = value + 1
  if (i < dense.length) {
    if (++dense[i]! === WRAP) slot.carry(name, i)
  } else {
    slot.outside(name, i)
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
    this.#split = options.combinedKeys
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
    count(slot, 'length', slot.length, f.length)
    count(slot, 'protocol', slot.protocol, f.protocol)
    if (slot.ipsrc !== null) slot.ipsrc.add(f.ipVersion === 4 ? f.src : IPV6_BASE + this.#ipv6.intern(buf, f.src6), 1)
    if (slot.ipdst !== null) slot.ipdst.add(f.ipVersion === 4 ? f.dst : IPV6_BASE + this.#ipv6.intern(buf, f.dst6), 1)
    count(slot, 'ipttl', slot.ipttl, f.ttl)
    count(slot, 'iptos', slot.iptos, f.tos)
    count(slot, 'sport', slot.sport, f.sport)
    count(slot, 'dport', slot.dport, f.dport)
    slot.tcpseq?.add(f.tcpSeq)
    slot.tcpack?.add(f.tcpAck, 1)
    count(slot, 'icmpcode', slot.icmpcode, f.icmpCode)
    count(slot, 'icmptype', slot.icmptype, f.icmpType)
  }

  /**
   * Bytes of the counters' typed arrays: what the counts take (objects and Map entries aside).
   * It grows with the distinct values held, never with the span of days or protocols alone.
   */
  get bytes (): number {
    let bytes = this.#ipv6.bytes
    for (const slot of this.#slots.values()) bytes += slot.bytes
    return bytes
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
      PACKET_FIELDS.forEach((name, field) => {
        for (const rows of slot.take(name)) groups.push({ day: slot.day, proto: slot.proto, field, values: rows.values, counts: rows.counts })
      })
    }
    return { groups, ipv6: this.#ipv6.toBytes() }
  }
}
