/**
 * Per-file aggregation: (day, protocol, field, value) → packet count, in typed arrays and
 * numeric hash tables. Strings are made only when results leave (see table.ts).
 */
import type { PacketFacts } from '../decode/facts.js'
import { Ipv6Table, NumberCounter } from './counter.js'
import { FIELDS, IPV6_BASE, type FieldName } from './fields.js'
import { ALL_PROTOCOLS, type CountTable } from './table.js'

/** Fields whose values fit in a byte (or are absent) are counted in plain arrays, index value + 1. */
const SMALL_DOMAIN = 257

export interface AggregateOptions {
  /** Which fields to count, in potiron's order. */
  fields: readonly FieldName[]
  /** Also split every count by IP protocol (the original's "combined keys"). */
  splitProtocols: boolean
}

/** The counters of one (day, protocol) pair; a field that is not counted has a null counter. */
class Slot {
  readonly length: NumberCounter | null
  readonly protocol: Float64Array | null
  readonly ipsrc: NumberCounter | null
  readonly ipdst: NumberCounter | null
  readonly ipttl: Float64Array | null
  readonly iptos: Float64Array | null
  readonly sport: NumberCounter | null
  readonly dport: NumberCounter | null
  readonly tcpseq: NumberCounter | null
  readonly tcpack: NumberCounter | null
  readonly icmpcode: Float64Array | null
  readonly icmptype: Float64Array | null

  constructor (readonly day: number, readonly proto: number, on: ReadonlySet<FieldName>) {
    const big = (f: FieldName): NumberCounter | null => on.has(f) ? new NumberCounter() : null
    const small = (f: FieldName): Float64Array | null => on.has(f) ? new Float64Array(SMALL_DOMAIN) : null
    this.length = big('length')
    this.protocol = small('protocol')
    this.ipsrc = big('ipsrc')
    this.ipdst = big('ipdst')
    this.ipttl = small('ipttl')
    this.iptos = small('iptos')
    this.sport = big('sport')
    this.dport = big('dport')
    this.tcpseq = big('tcpseq')
    this.tcpack = big('tcpack')
    this.icmpcode = small('icmpcode')
    this.icmptype = small('icmptype')
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
    slot.length?.add(f.length, 1)
    if (slot.protocol !== null) slot.protocol[f.protocol + 1]! += 1
    if (slot.ipsrc !== null) slot.ipsrc.add(f.ipVersion === 6 ? IPV6_BASE + this.#ipv6.intern(buf, f.src6) : f.ipVersion === 4 ? f.src : -1, 1)
    if (slot.ipdst !== null) slot.ipdst.add(f.ipVersion === 6 ? IPV6_BASE + this.#ipv6.intern(buf, f.dst6) : f.ipVersion === 4 ? f.dst : -1, 1)
    if (slot.ipttl !== null) slot.ipttl[f.ttl + 1]! += 1
    if (slot.iptos !== null) slot.iptos[f.tos + 1]! += 1
    slot.sport?.add(f.tcpSport >= 0 ? f.tcpSport : f.udpSport, 1)
    slot.dport?.add(f.tcpDport >= 0 ? f.tcpDport : f.udpDport, 1)
    slot.tcpseq?.add(f.tcpSeq, 1)
    slot.tcpack?.add(f.tcpAck, 1)
    if (slot.icmpcode !== null) slot.icmpcode[f.icmpCode + 1]! += 1
    if (slot.icmptype !== null) slot.icmptype[f.icmpType + 1]! += 1
  }

  /** The counts gathered so far, as a compact table whose arrays own their buffers. */
  table (): CountTable {
    const rows: Array<[number, number, number, number, number]> = []
    const slots = [...this.#slots.values()].sort((a, b) => a.day - b.day || a.proto - b.proto)
    for (const slot of slots) {
      FIELDS.forEach((name, field) => {
        const counter = slot[name]
        if (counter === null) return
        const push = (value: number, count: number): void => { rows.push([slot.day, slot.proto, field, value, count]) }
        if (counter instanceof NumberCounter) {
          counter.forEach(push)
        } else {
          counter.forEach((count, i) => { if (count !== 0) push(i - 1, count) })
        }
      })
    }
    const n = rows.length
    const table: CountTable = {
      day: new Int32Array(n), proto: new Int16Array(n), field: new Uint8Array(n),
      value: new Float64Array(n), count: new Float64Array(n), ipv6: this.#ipv6.toBytes()
    }
    rows.forEach(([day, proto, field, value, count], i) => {
      table.day[i] = day
      table.proto[i] = proto
      table.field[i] = field
      table.value[i] = value
      table.count[i] = count
    })
    return table
  }
}
