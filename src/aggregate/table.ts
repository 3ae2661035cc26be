/**
 * The per-file result of aggregation: one row per (day, protocol, field, value) in parallel
 * typed arrays, each owning its buffer, so a worker can transfer them without a copy.
 */
import { FIELDS, memberString, type FieldName } from './fields.js'
import { dayToYmd } from './days.js'

/** `proto` of rows that are not split by protocol. */
export const ALL_PROTOCOLS = -2

/** `day` of rows counting selected packets that have no valid day (no or absurd timestamp). */
export const UNDATED = -2147483648

export interface CountTable {
  /** Day number (days since 1970-01-01 in the chosen zone), or UNDATED. */
  day: Int32Array
  /** IP protocol number, -1 when absent, ALL_PROTOCOLS when counts are not split. */
  proto: Int16Array
  /** Index into FIELDS. */
  field: Uint8Array
  /** Numeric value; see fields.ts for the coding (-1 = absent, IPv6 ids from IPV6_BASE). */
  value: Float64Array
  count: Float64Array
  /** 16 bytes per interned IPv6 address. */
  ipv6: Uint8Array
}

/** The buffers to list in a postMessage / Piscina.move transfer. */
export function tableBuffers (t: CountTable): ArrayBuffer[] {
  return [t.day, t.proto, t.field, t.value, t.count, t.ipv6].map(a => a.buffer as ArrayBuffer)
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
  for (let i = 0; i < t.count.length; i++) {
    const field = FIELDS[t.field[i]!]!
    const day = t.day[i] === UNDATED ? '' : String(dayToYmd(t.day[i]!))
    const proto = protocolsSplit ? t.proto[i]! : ALL_PROTOCOLS
    const member = memberString(field, t.value[i]!, t.ipv6)
    const key = `${day}\0${proto}\0${field}\0${member}`
    const row = sums.get(key)
    if (row === undefined) sums.set(key, { day, proto, field, member, count: t.count[i]! })
    else row.count += t.count[i]!
  }
  return [...sums.values()].sort((a, b) =>
    a.day.localeCompare(b.day) || a.proto - b.proto || FIELDS.indexOf(a.field) - FIELDS.indexOf(b.field) || (a.member < b.member ? -1 : a.member > b.member ? 1 : 0))
}
