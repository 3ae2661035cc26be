/**
 * The enrichment fields of a file's count table, worked out from its address groups after
 * aggregation: one database lookup per distinct address of a (day, protocol), never per packet.
 * Runs in the worker, on the numeric values (no address text is made).
 */
import type { Enricher } from '../enrich/databases.js'
import { FIELDS, IPV6_BASE, type EnrichField, type FieldName } from './fields.js'
import type { CountGroup, CountTable } from './table.js'

/** Which address field each enrichment field is worked out from, and how. */
const SOURCES: Readonly<Record<EnrichField, { address: 'ipsrc' | 'ipdst', by: 'asn' | 'country' }>> = {
  sasn: { address: 'ipsrc', by: 'asn' },
  dasn: { address: 'ipdst', by: 'asn' },
  scc: { address: 'ipsrc', by: 'country' },
  dcc: { address: 'ipdst', by: 'country' }
}

/** The fields to count per packet for `fields`: the address fields the enrichment ones need added. */
export function countedFields (fields: readonly FieldName[]): FieldName[] {
  const on = new Set<FieldName>(fields)
  for (const f of fields) if (f in SOURCES) on.add(SOURCES[f as EnrichField].address)
  return FIELDS.filter(f => on.has(f))
}

/**
 * Adds the groups of the enrichment fields among `fields` to `table` and drops the address
 * groups counted only for them. Returns the AS numbers counted with their names (for the labels).
 */
export function enrichTable (table: CountTable, fields: readonly FieldName[], enricher: Enricher): Array<[number, string]> {
  const wanted = fields.filter((f): f is EnrichField => f in SOURCES)
  const asns = new Set<number>()
  const added: CountGroup[] = []
  for (const g of table.groups) {
    const address = FIELDS[g.field]
    for (const field of wanted) {
      const { address: from, by } = SOURCES[field]
      if (address !== from) continue
      const group = lookupGroup(g, table.ipv6, enricher, by)
      added.push({ ...group, field: FIELDS.indexOf(field) })
      if (by === 'asn') for (const v of group.values) if (v >= 0) asns.add(v)
    }
  }
  const kept = new Set<number>(fields.map(f => FIELDS.indexOf(f)))
  table.groups = table.groups.filter(g => kept.has(g.field)).concat(added)
  const names: Array<[number, string]> = []
  for (const asn of [...asns].sort((a, b) => a - b)) {
    const name = enricher.asnName(asn)
    if (name !== undefined) names.push([asn, name])
  }
  return names
}

/** A group of the database's answers for the addresses of `g`, their counts added up. */
function lookupGroup (g: CountGroup, ipv6: Uint8Array, e: Enricher, by: 'asn' | 'country'): Omit<CountGroup, 'field'> {
  const sums = new Map<number, number>()
  const { values, counts } = g
  for (let i = 0; i < values.length; i++) {
    const v = values[i]!
    const code = v < 0 ? -1 : v < IPV6_BASE ? (by === 'asn' ? e.asn4(v) : e.country4(v)) : (by === 'asn' ? e.asn6(ipv6, (v - IPV6_BASE) * 16) : e.country6(ipv6, (v - IPV6_BASE) * 16))
    sums.set(code, (sums.get(code) ?? 0) + counts[i]!)
  }
  return { day: g.day, proto: g.proto, values: Float64Array.from(sums.keys()), counts: Float64Array.from(sums.values()) }
}
