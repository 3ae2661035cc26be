/** What the Analyzer hands a file's packets to in the ISN and layer-2 formats (modes.ts), and what they keep: isn.ts and arp.ts explain each. */
import type { PacketFacts } from '../decode/facts.js'

/** What a collector kept of one file. */
export type ModeResult = IsnRecords | ArpCounts

export interface ModeCollector {
  /** Whether the packet (the file's `index`th, from 0) is the format's (then counted in the file's stats); keeps it when `day` is a day. */
  take: (f: PacketFacts, buf: Buffer, sec: number, nsec: number, day: number, index: number) => boolean
  result: () => ModeResult
}

/** The records of one file, `count` of them, in packet order (`ordinal`: the packet's index in the file, from 0). */
export interface IsnRecords {
  kind: 'isn'
  count: number
  /** Day numbers (days.ts) of each record. */
  days: Int32Array
  /** Microseconds since the epoch (exact: below 2^53 until year 2255). */
  micros: Float64Array
  sport: Uint16Array
  dport: Uint16Array
  seq: Uint32Array
  ack: Uint32Array
  flags: Uint8Array
  ordinal: Float64Array
}

/** One day's ARP: counts per kind, per pair, and per hour of the day (in the run's zone). */
export interface ArpDay {
  day: number
  request: number
  reply: number
  /** `<target IP> <sender IP> <sender MAC>` → requests. */
  whoHas: Map<string, number>
  /** `<IP> <MAC>` → replies. */
  isAt: Map<string, number>
  /** [hour * 2]: requests in that hour, [hour * 2 + 1]: replies. */
  hours: number[]
}

export interface ArpCounts {
  kind: 'layer2'
  days: ArpDay[]
}
