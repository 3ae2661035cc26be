/**
 * Folds a file's count table into what one file writes to Redis: per key, member string →
 * packet count, plus the days and protocol names it adds to the sets. Pure: no I/O, so it is
 * tested without Redis or workers. Member strings are made here, on the coordinator, because
 * workers hand over numeric tables (strings would be cloned, not transferred).
 */
import { ymdString } from '../aggregate/days.js'
import { ALL_PROTOCOLS, UNDATED, forEachGroup, type CountTable } from '../aggregate/table.js'
import { combinedKey, fieldKey } from './keys.js'
import { protocolName } from './protocols.js'

/** One file's contribution, ready to write. */
export interface Contribution {
  sensor: string
  /** Zset key → member → count. */
  zsets: Map<string, Map<string, number>>
  /** Days (YYYYMMDD) for `<sensor>_DAYS`. */
  days: Set<string>
  /** Protocol names for PROTOCOLS (combined keys only). */
  protocols: Set<string>
}

export interface MergeOptions {
  sensor: string
  /** Write `<sensor>:<proto>:<day>:<field>` keys instead of `<sensor>:<day>:<field>`. */
  combinedKeys: boolean
}

export function emptyContribution (sensor: string): Contribution {
  return { sensor, zsets: new Map(), days: new Set(), protocols: new Set() }
}

/**
 * Adds a table's counts into `into`. Rows of several groups that share a key, and values that
 * print the same (an absent ICMP type and type 255 are both `255`), are added up. Undated rows
 * have no key in the original's layout and are left out (the file's stats still count them).
 */
export function addTable (into: Contribution, table: CountTable, options: MergeOptions): Contribution {
  forEachGroup(table, (g, field) => {
    if (g.day === UNDATED) return undefined
    const ymd = ymdString(g.day)
    let key: string
    if (options.combinedKeys) {
      if (g.proto === ALL_PROTOCOLS) throw new RangeError('count table: combined keys need counts split by protocol')
      const proto = protocolName(g.proto)
      into.protocols.add(proto)
      key = combinedKey(options.sensor, proto, ymd, field)
    } else {
      key = fieldKey(options.sensor, ymd, field)
    }
    into.days.add(ymd)
    const members = into.zsets.get(key) ?? new Map<string, number>()
    into.zsets.set(key, members)
    return (member, count) => { members.set(member, (members.get(member) ?? 0) + count) }
  })
  return into
}

/** Number of (key, member) pairs: the ZINCRBY commands a contribution needs. */
export function memberCount (c: Contribution): number {
  let n = 0
  for (const members of c.zsets.values()) n += members.size
  return n
}

/** Yields every (key, member, count), keys and members in insertion order. */
export function * entries (c: Contribution): Generator<[string, string, number]> {
  for (const [key, members] of c.zsets) {
    for (const [member, count] of members) yield [key, member, count]
  }
}
