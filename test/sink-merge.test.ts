/** The pure fold from count tables to Redis members, and the key and protocol names. */
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { daysFromCivil } from '../src/aggregate/days.js'
import { PACKET_FIELDS as FIELDS } from '../src/aggregate/fields.js'
import { ALL_PROTOCOLS, UNDATED, type CountGroup, type CountTable } from '../src/aggregate/table.js'
import { combinedKey, daysKey, fieldKey } from '../src/store/keys.js'
import { addTable, emptyContribution, entries, memberCount } from '../src/store/merge.js'
import type { Members } from '../src/store/members.js'
import { protocolName } from '../src/store/protocols.js'
import { tsharkFields } from '../src/store/parameters.js'

const DAY = daysFromCivil(2014, 8, 26)

function group (day: number, proto: number, field: typeof FIELDS[number], values: number[], counts: number[]): CountGroup {
  return { day, proto, field: FIELDS.indexOf(field), values: Float64Array.from(values), counts: Float64Array.from(counts) }
}

function table (...groups: CountGroup[]): CountTable {
  return { groups, ipv6: new Uint8Array(0) }
}

function asObject (zsets: Map<string, Members>): Record<string, Record<string, number>> {
  return Object.fromEntries([...zsets].map(([k, m]) => [k, Object.fromEntries(m)]))
}

test('key names follow the original layout', () => {
  assert.equal(fieldKey('test-honeypot-1', '20140826', 'dport'), 'test-honeypot-1:20140826:dport')
  assert.equal(combinedKey('test-honeypot-1', 'tcp', '20140826', 'dport'), 'test-honeypot-1:tcp:20140826:dport')
  assert.equal(daysKey('test-honeypot-1'), 'test-honeypot-1_DAYS')
})

test('protocol names: the original table, decimal for missing numbers, -1 for none', () => {
  assert.deepEqual([1, 6, 17, 41, 47, 58, 99].map(protocolName), ['icmp', 'tcp', 'udp', 'ipv6', 'gre', 'ipv6-icmp', '#'])
  assert.deepEqual([7, 253, 254, 255, -1].map(protocolName), ['7', '253', '254', '255', '-1'])
})

test('FIELDS lists the tshark columns behind the indexed fields', () => {
  assert.deepEqual(tsharkFields(FIELDS), ['timestamp', 'length', 'protocol', 'ipsrc', 'ipdst', 'ipttl', 'iptos', 'tsport', 'usport', 'tdport', 'udport', 'tcpseq', 'tcpack', 'icmpcode', 'icmptype'])
  assert.deepEqual(tsharkFields(['ipsrc', 'dport']), ['timestamp', 'ipsrc', 'tdport', 'udport'])
})

test('groups sharing a key and values printing alike are added up; undated rows are left out', () => {
  const t = table(
    group(DAY, ALL_PROTOCOLS, 'dport', [22, -1], [5, 2]),
    group(DAY, ALL_PROTOCOLS, 'dport', [22, 80], [1, 3]),
    group(DAY, ALL_PROTOCOLS, 'icmptype', [-1, 255, 8], [4, 1, 2]),
    group(DAY, ALL_PROTOCOLS, 'iptos', [-1, 0x28], [1, 6]),
    group(DAY + 1, ALL_PROTOCOLS, 'ipsrc', [0x0a000001], [7]),
    group(UNDATED, ALL_PROTOCOLS, 'dport', [443], [9])
  )
  const c = addTable(emptyContribution('s-h-1'), t, { sensor: 's-h-1', combinedKeys: false })
  assert.deepEqual(asObject(c.zsets), {
    's-h-1:20140826:dport': { 22: 6, '-1': 2, 80: 3 },
    's-h-1:20140826:icmptype': { 255: 5, 8: 2 },
    's-h-1:20140826:iptos': { 0: 1, '0x28': 6 },
    's-h-1:20140827:ipsrc': { '10.0.0.1': 7 }
  })
  assert.deepEqual([...c.days], ['20140826', '20140827'])
  assert.deepEqual([...c.protocols], [])
  assert.equal(memberCount(c), 8)
  // Each key's members in ascending order of value (store/members.ts), the absent value's code first.
  assert.deepEqual([...entries(c)].slice(0, 3), [['s-h-1:20140826:dport', '-1', 2], ['s-h-1:20140826:dport', '22', 6], ['s-h-1:20140826:dport', '80', 3]])
})

test('combined keys name the protocol and collect PROTOCOLS', () => {
  const t = table(
    group(DAY, 6, 'dport', [22], [3]),
    group(DAY, 17, 'dport', [53], [2]),
    group(DAY, 253, 'protocol', [253], [1])
  )
  const c = addTable(emptyContribution('s-h-1'), t, { sensor: 's-h-1', combinedKeys: true })
  assert.deepEqual(asObject(c.zsets), {
    's-h-1:tcp:20140826:dport': { 22: 3 },
    's-h-1:udp:20140826:dport': { 53: 2 },
    's-h-1:253:20140826:protocol': { 253: 1 }
  })
  assert.deepEqual([...c.protocols], ['tcp', 'udp', '253'])
})

test('folding two tables adds their counts', () => {
  const c = emptyContribution('s-h-1')
  addTable(c, table(group(DAY, ALL_PROTOCOLS, 'ipttl', [64], [2])), { sensor: 's-h-1', combinedKeys: false })
  addTable(c, table(group(DAY, ALL_PROTOCOLS, 'ipttl', [64, 128], [3, 1])), { sensor: 's-h-1', combinedKeys: false })
  assert.deepEqual(asObject(c.zsets), { 's-h-1:20140826:ipttl': { 64: 5, 128: 1 } })
})

test('combined keys refuse a table that is not split by protocol', () => {
  assert.throws(() => addTable(emptyContribution('s'), table(group(DAY, ALL_PROTOCOLS, 'dport', [1], [1])), { sensor: 's', combinedKeys: true }), RangeError)
})
