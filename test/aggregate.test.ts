/**
 * The aggregator's counters: every value of every field is counted, whatever its range, with
 * exact counts.
 */
import assert from 'node:assert/strict'
import { test } from 'node:test'
import { Analyzer } from '../src/aggregate/analyzer.js'
import { FIELDS, type FieldName } from '../src/aggregate/fields.js'
import type { CountTable } from '../src/aggregate/table.js'
import { EDGES } from './helpers/captures.js'
import { LT_ETHERNET } from './helpers/frames.js'

/** 2024-03-01T00:00:00Z */
const T0 = 1709251200

/** Field → numeric value → count, summed over the table's groups (values, not member strings: absent and 255 stay apart). */
function counts (table: CountTable): Record<FieldName, Record<number, number>> {
  const out = Object.fromEntries(FIELDS.map(f => [f, {}])) as Record<FieldName, Record<number, number>>
  for (const g of table.groups) {
    const field = out[FIELDS[g.field]!]
    for (let i = 0; i < g.values.length; i++) field[g.values[i]!] = (field[g.values[i]!] ?? 0) + g.counts[i]!
  }
  return out
}

function analyze (frames: ReadonlyArray<readonly [Buffer, number]>): { table: CountTable, analyzer: Analyzer } {
  const analyzer = new Analyzer({ fields: FIELDS, splitProtocols: false, selection: 'default', zone: undefined })
  let sec = T0
  for (const [frame, copies] of frames) {
    for (let i = 0; i < copies; i++) analyzer.packet(frame, 0, frame.length, frame.length, LT_ETHERNET, sec++, 0)
  }
  return { table: analyzer.finish(), analyzer }
}

test('the largest value of every field is counted: lengths past 65,535 (IPv6, TSO), ports, TTL, TOS, protocol and ICMP 255', () => {
  const { table, analyzer } = analyze(EDGES)
  const c = counts(table)
  assert.deepEqual(c.length, { 65575: 2, 65535: 1, 69986: 1, 32: 3, 40: 1, 20: 1, 28: 1 })
  assert.deepEqual(c.protocol, { 17: 7, 6: 1, 255: 1, 1: 1 })
  assert.deepEqual(c.ipttl, { 64: 7, 255: 3 })
  assert.deepEqual(c.iptos, { 0: 7, 255: 3 })
  assert.deepEqual(c.sport, { 49152: 3, 54321: 1, 65535: 4, [-1]: 2 })
  assert.deepEqual(c.dport, { 53: 4, 65535: 4, [-1]: 2 })
  assert.deepEqual(c.tcpseq, { 4294967295: 1, [-1]: 9 })
  assert.deepEqual(c.tcpack, { 4294967295: 1, [-1]: 9 })
  assert.deepEqual(c.icmptype, { 255: 1, [-1]: 9 })
  assert.deepEqual(c.icmpcode, { 255: 1, [-1]: 9 })
  assert.equal(Object.values(c.ipsrc).reduce((a, b) => a + b, 0), 10)
  assert.deepEqual(analyzer.stats.protocols, { 1: 1, 6: 1, 17: 7, 255: 1 })
  assert.equal(analyzer.stats.counted, 10)
})
