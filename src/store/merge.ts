/**
 * Folds files' count tables into what they write to Redis: per key, its members and their
 * packet counts (numbers until written: store/members.ts), plus the days and protocol names
 * they add to the sets. Pure: no I/O, so it is tested without Redis or workers.
 */
import { ymdString } from '../aggregate/days.js'
import { FIELDS } from '../aggregate/fields.js'
import { ALL_PROTOCOLS, UNDATED, type CountTable } from '../aggregate/table.js'
import { combinedKey, fieldKey } from './keys.js'
import { MemberCounts, type Members } from './members.js'
import { protocolName } from './protocols.js'

/** One file's contribution (or several files' merged), ready to write. */
export interface Contribution {
  sensor: string
  /** Zset key → member → count: MemberCounts for the fields' keys, Maps for the other formats' (store/modes.ts). */
  zsets: Map<string, Members>
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
  for (const g of table.groups) {
    const field = FIELDS[g.field]
    if (field === undefined) throw new RangeError(`count table: unknown field index ${g.field}`)
    if (g.day === UNDATED) continue
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
    let members = into.zsets.get(key)
    if (members === undefined) into.zsets.set(key, members = new MemberCounts(field))
    if (!(members instanceof MemberCounts)) throw new RangeError(`contribution: ${key} holds another format's members`)
    members.addGroup(g, table.ipv6)
  }
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
