/**
 * The per-packet pipeline of one capture file: decode each record, keep the file's statistics,
 * select the packets potiron counts and hand them to the aggregator. It is the PacketSink the
 * capture readers call; nothing here allocates per packet.
 */
/* eslint-disable no-self-compare -- `x !== x` is this file's NaN test (NO_DAY, no timestamp), no call in the per-packet path */
import type { PacketSink } from '../capture/types.js'
import { IPV4_BROADCAST } from '../decode/constants.js'
import { PacketFacts } from '../decode/facts.js'
import { decodeFrame } from '../decode/link.js'
import { Aggregator } from './aggregator.js'
import { DayClock, ymdString } from './days.js'
import type { FieldName } from './fields.js'
import { countedFields } from './enrich-table.js'
import type { EnrichSpec } from '../enrich/databases.js'
import { filterOf, type Predicate } from '../filter/filter.js'
import { emptyStats, type FileStats } from './stats.js'
import { UNDATED, type CountTable } from './table.js'
import { collectorFor, type Format, type ModeCollector, type ModeResult } from './modes.js'

/**
 * Which packets are counted:
 * - 'default': IPv4 packets not sent to 255.255.255.255, and IPv6 packets; IP fields from the
 *   outermost IP header.
 * - 'ipv4-only': exactly what the original selected with its tshark filter
 *   `ip.dst ne 255.255.255.255`: frames with an IPv4 header anywhere (IP fields from the first
 *   one) whose destination is not the limited broadcast.
 * - 'every-ip': every frame with an IP header (for comparisons with tshark's own counts).
 */
export type Selection = 'default' | 'ipv4-only' | 'every-ip'

export interface AnalyzeOptions {
  fields: readonly FieldName[]
  combinedKeys: boolean
  selection: Selection
  /** IANA time zone for days; undefined = UTC. */
  zone: string | undefined
  /** The databases of the enrichment fields among `fields` (src/enrich/), prepared by the coordinator. */
  enrich?: EnrichSpec | undefined
  /** 'isn' or 'layer2': the packets go to that format's collector (modes.ts), not to the field counters. */
  format?: Format | undefined
  /** A pcap-filter expression (`--filter`, src/filter/): packets it does not match are not counted. */
  filter?: string | undefined
}

export type PacketObserver = (facts: PacketFacts, buf: Buffer, sec: number, nsec: number) => void

const NO_DAY = Number.NaN

export class Analyzer implements PacketSink {
  readonly stats: FileStats = emptyStats()
  readonly #facts: PacketFacts
  readonly #aggregator: Aggregator
  readonly #clock: DayClock
  /** Every IPv4 packet counts, broadcast included ('every-ip'). */
  readonly #everyIp: boolean
  readonly #observer: PacketObserver | undefined
  readonly #collector: ModeCollector | undefined
  /** The compiled `filter`, null without one. */
  readonly #filter: Predicate | null
  readonly #protocols = new Float64Array(256)
  readonly #perDay = new Map<number, number>()
  #day = NO_DAY
  #dayCount = 0

  /** `observer` is called for every counted packet, after aggregation (to write JSON documents). */
  constructor (options: AnalyzeOptions, observer?: PacketObserver) {
    this.#everyIp = options.selection === 'every-ip'
    this.#observer = observer
    this.#filter = options.filter === undefined ? null : filterOf(options.filter)
    this.#facts = new PacketFacts(options.selection === 'ipv4-only')
    this.#clock = new DayClock(options.zone)
    this.#collector = collectorFor(options.format, this.#clock)
    this.#aggregator = new Aggregator({ fields: this.#collector === undefined ? countedFields(options.fields) : [], combinedKeys: options.combinedKeys })
  }

  packet (buf: Buffer, off: number, caplen: number, origlen: number, linktype: number, sec: number, nsec: number): void {
    const stats = this.stats
    const f = this.#facts
    stats.packets++
    f.reset()
    decodeFrame(buf, off, off + caplen, linktype, f)
    if (f.unsupportedLink) stats.unsupportedLink++
    else if (f.outerVersion === 4) stats.ipv4++
    else if (f.outerVersion === 6) stats.ipv6++
    else stats.nonIp++
    if (f.malformed) stats.malformed++
    if (f.inner) stats.innerTransport++
    if (f.ipVersion !== 0) this.#protocols[f.protocol]! += 1

    let day = NO_DAY
    if (sec !== sec) { // NaN: no timestamp
      stats.noTimestamp++
    } else {
      this.#time(sec, nsec)
      day = this.#clock.day(sec)
      if (day !== day) stats.outOfRange++
      else if (day === this.#day) this.#dayCount++
      else this.#switchDay(day)
    }

    // The filter is asked about every packet, so that `packets - filtered` is what it matched.
    if (this.#filter !== null && !this.#filter(f, buf, origlen)) {
      stats.filtered++
      return
    }
    if (this.#collector !== undefined) {
      if (this.#collector.take(f, buf, sec, nsec, day, stats.packets - 1)) {
        if (day !== day) stats.undated++
        else stats.counted++
      }
      return
    }
    if (!this.#selected(f)) return
    if (day !== day) {
      stats.undated++
      this.#aggregator.add(f, buf, UNDATED)
      return
    }
    stats.counted++
    this.#aggregator.add(f, buf, day)
    if (this.#observer !== undefined) this.#observer(f, buf, sec, nsec)
  }

  /** The Selection above ('ipv4-only' decodes with firstIpv4, which never yields ipVersion 6). */
  #selected (f: PacketFacts): boolean {
    return f.ipVersion === 4 ? f.dst !== IPV4_BROADCAST || this.#everyIp : f.ipVersion === 6
  }

  // Times are kept as plain numbers and turned into [sec, nsec] pairs in finish().
  #minSec = Infinity
  #minNsec = 0
  #maxSec = -Infinity
  #maxNsec = 0
  #lastSec = 0
  #lastNsec = 0

  #time (sec: number, nsec: number): void {
    if (sec > this.#maxSec || (sec === this.#maxSec && nsec > this.#maxNsec)) {
      this.#maxSec = sec
      this.#maxNsec = nsec
    }
    // Time mostly moves forward: this branch is taken by the first packet and rarely after it.
    if (sec < this.#minSec || (sec === this.#minSec && nsec < this.#minNsec)) {
      if (this.stats.first === null) this.stats.first = [sec, nsec]
      this.#minSec = sec
      this.#minNsec = nsec
    }
    this.#lastSec = sec
    this.#lastNsec = nsec
  }

  #switchDay (day: number): void {
    if (this.#day === this.#day) this.#perDay.set(this.#day, (this.#perDay.get(this.#day) ?? 0) + this.#dayCount)
    this.#day = day
    this.#dayCount = 1
  }

  /** Bytes of the aggregator's counters so far (Aggregator.bytes). */
  get countBytes (): number {
    return this.#aggregator.bytes
  }

  /** What the format's collector kept (call after finish()); undefined for the standard counts. */
  mode (): ModeResult | undefined {
    return this.#collector?.result()
  }

  /** Closes the file: returns the count table and completes `stats`. */
  finish (): CountTable {
    this.#switchDay(NO_DAY)
    const stats = this.stats
    if (stats.first !== null) {
      stats.last = [this.#lastSec, this.#lastNsec]
      stats.min = [this.#minSec, this.#minNsec]
      stats.max = [this.#maxSec, this.#maxNsec]
    }
    for (const [day, count] of [...this.#perDay].sort((a, b) => a[0] - b[0])) stats.perDay[ymdString(day)] = count
    this.#protocols.forEach((count, proto) => { if (count !== 0) stats.protocols[String(proto)] = count })
    return this.#aggregator.table()
  }
}
