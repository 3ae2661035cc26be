/**
 * What a file of an ISN or layer-2 database writes (aggregate/modes.ts): its records and pairs
 * as a Contribution, so that they are written, batched and taken back out exactly once by the
 * same code as counts (write.ts, batch.ts). Scores are then not only counts: an ISN record's is
 * its time or its source port, added once to a member no other file has (its text names the
 * file and the packet), which sets it.
 */
import type { ArpCounts } from '../aggregate/arp.js'
import { ymdString } from '../aggregate/days.js'
import { TCP_ACK, type IsnRecords } from '../aggregate/isn.js'
import type { ModeResult } from '../aggregate/modes.js'
import type { Contribution } from './merge.js'
import { arpCountKey, arpKey, isnKey } from './keys.js'

/** One ISN record as stored (isnMember) and read back. */
export interface IsnRecord {
  /** `1488326401.123456`: epoch seconds with µs, as written. */
  time: string
  sport: number
  dport: number
  seq: number
  ack: number
  /** A SYN-ACK (else a SYN). */
  synAck: boolean
  /** The packet's index in its file, from 0. */
  packet: number
  file: string
}

/**
 * A record's member: `<time> <sport> <dport> <seq> <ack> <S|SA> <packet> <file>`, the original's
 * values first, then what makes it unique (the file name last: it may hold spaces).
 */
export function isnMember (r: IsnRecord): string {
  return `${r.time} ${r.sport} ${r.dport} ${r.seq} ${r.ack} ${r.synAck ? 'SA' : 'S'} ${r.packet} ${r.file}`
}

/** Reads a member back (isnMember); undefined when it is not one. */
export function parseIsnMember (member: string): IsnRecord | undefined {
  const m = /^(\d+\.\d{6}) (\d+) (\d+) (\d+) (\d+) (SA?) (\d+) (.+)$/s.exec(member)
  if (m === null) return undefined
  return { time: m[1]!, sport: Number(m[2]), dport: Number(m[3]), seq: Number(m[4]), ack: Number(m[5]), synAck: m[6] === 'SA', packet: Number(m[7]), file: m[8]! }
}

/** Adds what file `name` kept in its format to `into` (sensor `into.sensor`). */
export function addMode (into: Contribution, mode: ModeResult | undefined, name: string): Contribution {
  if (mode?.kind === 'isn') addIsn(into, mode, name)
  else if (mode?.kind === 'layer2') addArp(into, mode)
  return into
}

/** Members `mode` adds (each ISN record is in two keys): how much of a batch it takes. */
export function modeRows (mode: ModeResult | undefined): number {
  if (mode?.kind === 'isn') return mode.count * 2
  if (mode?.kind === 'layer2') return mode.days.reduce((n, d) => n + 2 + d.whoHas.size + d.isAt.size + 48, 0)
  return 0
}

/** The days (YYYYMMDD) `mode` has data for. */
export function modeDays (mode: ModeResult | undefined): Set<string> {
  const days = new Set<string>()
  if (mode?.kind === 'isn') for (let i = 0; i < mode.count; i++) days.add(ymdString(mode.days[i]!))
  else if (mode?.kind === 'layer2') for (const d of mode.days) days.add(ymdString(d.day))
  return days
}

function zset (into: Contribution, key: string): Map<string, number> {
  const members = into.zsets.get(key) ?? new Map<string, number>()
  if (!(members instanceof Map)) throw new RangeError(`contribution: ${key} holds the fields' members`)
  into.zsets.set(key, members)
  return members as Map<string, number>
}

function addIsn (into: Contribution, r: IsnRecords, name: string): void {
  let day = Number.NaN
  let byTime = new Map<string, number>()
  let byPort = byTime
  for (let i = 0; i < r.count; i++) {
    if (r.days[i] !== day) {
      day = r.days[i]!
      const ymd = ymdString(day)
      into.days.add(ymd)
      byTime = zset(into, isnKey(into.sensor, ymd, 'time'))
      byPort = zset(into, isnKey(into.sensor, ymd, 'sport'))
    }
    const micros = r.micros[i]!
    const sec = Math.floor(micros / 1e6)
    const time = `${sec}.${String(micros - sec * 1e6).padStart(6, '0')}`
    const member = isnMember({ time, sport: r.sport[i]!, dport: r.dport[i]!, seq: r.seq[i]!, ack: r.ack[i]!, synAck: (r.flags[i]! & TCP_ACK) !== 0, packet: r.ordinal[i]!, file: name })
    byTime.set(member, Number(time))
    byPort.set(member, r.sport[i]!)
  }
}

function addArp (into: Contribution, a: ArpCounts): void {
  // Members with a count only, and keys with a member only (a day without replies has no is-at key).
  const add = (key: string, pairs: Iterable<[string, number]>): void => {
    for (const [member, n] of pairs) {
      if (n === 0) continue
      const members = zset(into, key)
      members.set(member, (members.get(member) ?? 0) + n)
    }
  }
  for (const d of a.days) {
    const ymd = ymdString(d.day)
    into.days.add(ymd)
    add(arpCountKey(into.sensor, ymd), [['request', d.request], ['reply', d.reply]])
    add(arpKey(into.sensor, ymd, 'who-has'), d.whoHas)
    add(arpKey(into.sensor, ymd, 'is-at'), d.isAt)
    const hours: Array<[string, number]> = []
    for (let h = 0; h < 24; h++) {
      const hh = String(h).padStart(2, '0')
      hours.push([`${hh} request`, d.hours[h * 2]!], [`${hh} reply`, d.hours[h * 2 + 1]!])
    }
    add(arpKey(into.sensor, ymd, 'hours'), hours)
  }
}
