/** Enrichment fields from a table's address groups (aggregate/enrich-table.ts), with a database of fixed answers. */
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { daysFromCivil } from '../src/aggregate/days.js'
import { countedFields, enrichTable } from '../src/aggregate/enrich-table.js'
import { FIELDS, IPV6_BASE, memberString, type FieldName } from '../src/aggregate/fields.js'
import { ALL_PROTOCOLS, memberRows, type CountGroup } from '../src/aggregate/table.js'
import type { Enricher } from '../src/enrich/databases.js'

const DAY = daysFromCivil(2024, 1, 5)
const FR = (70 << 8) | 82
const US = (85 << 8) | 83

/** 1.x.x.x is AS 13335 in FR, 8.x.x.x AS 15169 in US, 10.x.x.x private; IPv6: 2001:db8:: documentation, else AS 6939 in DE. */
const FIXED: Enricher = {
  asn4: a => (a >>> 24) === 1 ? 13335 : (a >>> 24) === 8 ? 15169 : (a >>> 24) === 10 ? -2 : -1,
  country4: a => (a >>> 24) === 1 ? FR : (a >>> 24) === 8 ? US : (a >>> 24) === 10 ? -2 : -1,
  asn6: (b, o) => b[o] === 0x20 && b[o + 1] === 0x01 && b[o + 2] === 0x0d && b[o + 3] === 0xb8 ? -5 : 6939,
  country6: (b, o) => b[o] === 0x20 && b[o + 1] === 0x01 && b[o + 2] === 0x0d && b[o + 3] === 0xb8 ? -5 : (68 << 8) | 69,
  asnName: asn => ({ 13335: 'Cloudflare, Inc.', 15169: 'Google LLC' } as Record<number, string>)[asn],
  bytes: 0
}

function group (field: FieldName, values: number[], counts: number[], proto = ALL_PROTOCOLS): CountGroup {
  return { day: DAY, proto, field: FIELDS.indexOf(field), values: Float64Array.from(values), counts: Float64Array.from(counts) }
}

const ipv6 = Uint8Array.from([
  0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1, // 2001:db8::1
  0x20, 0x01, 0x04, 0x70, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1 // 2001:470::1
])

test('the address fields the enrichment fields need are counted, in potiron\'s order', () => {
  assert.deepEqual(countedFields(['dport', 'sasn']), ['ipsrc', 'dport', 'sasn'])
  assert.deepEqual(countedFields(['dcc', 'scc']), ['ipsrc', 'ipdst', 'scc', 'dcc'])
  assert.deepEqual(countedFields(['ipdst', 'dasn']), ['ipdst', 'dasn'])
  assert.deepEqual(countedFields(['length']), ['length'])
})

test('each distinct address is looked up and its packets added to its AS and country; address groups not asked for are dropped', () => {
  const table = {
    groups: [
      group('ipsrc', [0x01020304, 0x01090909, 0x08080808, 0x0a000001, 0xc0000201, IPV6_BASE, IPV6_BASE + 1], [5, 2, 7, 1, 3, 4, 6]),
      group('ipdst', [0x08080404], [28]),
      group('dport', [22, 80], [20, 8])
    ],
    ipv6
  }
  const names = enrichTable(table, ['dport', 'sasn', 'scc', 'dcc'], FIXED)
  assert.deepEqual(names, [[13335, 'Cloudflare, Inc.'], [15169, 'Google LLC']])
  const rows = memberRows(table).map(r => `${r.field} ${r.member} ${r.count}`)
  assert.deepEqual(rows, [
    'dport 22 20', 'dport 80 8',
    'sasn 13335 7', 'sasn 15169 7', 'sasn 6939 6', 'sasn documentation 4', 'sasn private 1', 'sasn unknown 3',
    'scc DE 6', 'scc FR 7', 'scc US 7', 'scc documentation 4', 'scc private 1', 'scc unknown 3',
    'dcc US 28'
  ])
})

test('per (day, protocol): combined keys keep each protocol\'s counts apart', () => {
  const table = { groups: [group('ipsrc', [0x01020304, 0x08080808], [3, 1], 6), group('ipsrc', [0x01020304], [2], 17)], ipv6: new Uint8Array(0) }
  enrichTable(table, ['ipsrc', 'sasn'], FIXED)
  assert.deepEqual(memberRows(table).map(r => `${r.proto} ${r.field} ${r.member} ${r.count}`),
    ['6 ipsrc 1.2.3.4 3', '6 ipsrc 8.8.8.8 1', '6 sasn 13335 3', '6 sasn 15169 1', '17 ipsrc 1.2.3.4 2', '17 sasn 13335 2'])
})

test('member strings of the enrichment codes: AS numbers, two letters, the words', () => {
  const none = new Uint8Array(0)
  assert.deepEqual([4294967295, 0, -1, -2, -3, -4, -5, -6, -7].map(v => memberString('dasn', v, none)),
    ['4294967295', '0', 'unknown', 'private', 'loopback', 'link-local', 'documentation', 'multicast', 'reserved'])
  assert.deepEqual([FR, US, -1, -7].map(v => memberString('dcc', v, none)), ['FR', 'US', 'unknown', 'reserved'])
})
