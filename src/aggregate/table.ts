/**
 * The per-file result of aggregation: one row per (day, protocol, field, value) in parallel
 * typed arrays, each owning its buffer, so a worker can transfer them without a copy.
 */
import { FIELDS, memberString, type FieldName } from './fields.js'
import { ymdString } from './days.js'

/** `proto` of rows that are not split by protocol. */
export const ALL_PROTOCOLS = -2

/** `day` of rows counting selected packets that have no valid day (no or absurd timestamp). */
export const UNDATED = -2147483648

/** The counts of one (day, protocol, field): parallel arrays of values and counts. */
export interface CountGroup {
  /** Day number (days since 1970-01-01 in the chosen zone), or UNDATED. */
  day: number
  /** IP protocol number, -1 when absent, ALL_PROTOCOLS when counts are not split. */
  proto: number
  /** Index into FIELDS. */
  field: number
  /** Numeric values; see fields.ts for the coding (-1 = absent, IPv6 ids from IPV6_BASE). */
  values: Float64Array | Uint32Array
  counts: Float64Array | Uint32Array
}

/**
 * The result of one file: its groups, and the IPv6 addresses their ids refer to (16 bytes per
 * id). A group's arrays are the aggregator's own storage handed over (the tcpseq chunks), or
 * exact copies: nothing is held twice. Several groups may share a (day, protocol, field), and
 * a value may appear in more than one of them: readers add the counts up.
 */
export interface CountTable {
  groups: CountGroup[]
  ipv6: Uint8Array
}

/** The buffers to list in a postMessage / Piscina.move transfer. */
export function tableBuffers (t: CountTable): ArrayBuffer[] {
  const buffers = new Set<ArrayBuffer>([t.ipv6.buffer as ArrayBuffer])
  for (const g of t.groups) {
    buffers.add(g.values.buffer as ArrayBuffer)
    buffers.add(g.counts.buffer as ArrayBuffer)
  }
  return [...buffers]
}

/** Rows of the table: what it holds, whatever the strings they make. */
export function tableRows (t: CountTable): number {
  let rows = 0
  for (const g of t.groups) rows += g.values.length
  return rows
}

/** Distinct sorted sets the table's dated rows go to: (day, field), or (day, protocol, field) with protocols kept apart. */
export function tableKeys (t: CountTable, byProtocol: boolean): number {
  const keys = new Set<string>()
  for (const g of t.groups) if (g.day !== UNDATED) keys.add(`${g.day} ${byProtocol ? g.proto : ''} ${g.field}`)
  return keys.size
}

/** The days (YYYYMMDD) the table has counts for (undated rows aside). */
export function tableDays (t: CountTable): Set<string> {
  const days = new Set<string>()
  for (const g of t.groups) if (g.day !== UNDATED) days.add(ymdString(g.day))
  return days
}

export interface MemberRow {
  /** YYYYMMDD, or '' for UNDATED rows */
  day: string
  proto: number
  field: FieldName
  member: string
  count: number
}

/**
 * The table as member strings, summing rows whose values print the same (an absent ICMP type
 * and type 255 are both "255" to the original). Sorted by day, protocol, field, member.
 */
export function memberRows (t: CountTable, protocolsSplit = true): MemberRow[] {
  const sums = new Map<string, MemberRow>()
  forEachGroup(t, (g, field) => {
    const day = g.day === UNDATED ? '' : ymdString(g.day)
    const proto = protocolsSplit ? g.proto : ALL_PROTOCOLS
    const prefix = `${day}\0${proto}\0${field}\0`
    return (member, count) => {
      const key = prefix + member
      const row = sums.get(key)
      if (row === undefined) sums.set(key, { day, proto, field, member, count })
      else row.count += count
    }
  })
  return [...sums.values()].sort((a, b) =>
    a.day.localeCompare(b.day) || a.proto - b.proto || FIELDS.indexOf(a.field) - FIELDS.indexOf(b.field) || (a.member < b.member ? -1 : a.member > b.member ? 1 : 0))
}

/**
 * Calls `group` once per group of the table; the function it returns, if any, is then called for
 * each of the group's rows with the value as the original's member string. What depends on the
 * group only (its day, its key) is worked out once, not per row.
 */
export function forEachGroup (t: CountTable, group: (g: CountGroup, field: FieldName) => ((member: string, count: number) => void) | undefined): void {
  for (const g of t.groups) {
    const field = FIELDS[g.field]
    if (field === undefined) throw new RangeError(`count table: unknown field index ${g.field}`)
    const row = group(g, field)
    if (row === undefined) continue
    for (let i = 0; i < g.counts.length; i++) row(memberString(field, g.values[i]!, t.ipv6), g.counts[i]!)
  }
}
