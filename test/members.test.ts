/**
 * MemberCounts (store/members.ts) against the member strings it stands for: the same members
 * and counts as adding memberString's strings in a Map, in ascending order of value, and
 * zaddMembers's bytes the same as zaddCommand's for the same pairs.
 */
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { FIELDS, IPV6_BASE, memberString, type FieldName } from '../src/aggregate/fields.js'
import type { CountGroup } from '../src/aggregate/table.js'
import { packMembers, zaddCommand, zaddMembers, zmscoreMembers } from '../src/store/framed.js'
import { MemberCounts } from '../src/store/members.js'

/** A deterministic generator (xorshift32), so a failure is reproduced by its seed. */
function rng (seed: number): () => number {
  let x = seed
  return () => {
    x ^= x << 13
    x ^= x >>> 17
    x ^= x << 5
    return (x >>> 0) / 4294967296
  }
}

/** A group of `rows` random values of `field` (absent codes, words, IPv6 ids of a 4-address table included) and counts. */
function randomGroup (field: FieldName, rows: number, random: () => number): CountGroup {
  const values = new Float64Array(rows)
  const counts = new Float64Array(rows)
  for (let i = 0; i < rows; i++) {
    const r = random()
    if (r < 0.05) values[i] = -1 - Math.floor(random() * 9)
    else if (r < 0.1 && (field === 'ipsrc' || field === 'ipdst')) values[i] = IPV6_BASE + Math.floor(random() * 4)
    else if (field === 'scc' || field === 'dcc') values[i] = (65 + Math.floor(random() * 3)) << 8 | (65 + Math.floor(random() * 3))
    else if (field === 'iptos' || field === 'icmptype' || field === 'icmpcode') values[i] = Math.floor(random() * 256)
    else values[i] = Math.floor(random() * (random() < 0.5 ? 300 : 4294967296))
    // Mostly small counts; now and then one that does not pack with its value (MemberCounts's loose rows).
    counts[i] = random() < 0.02 ? 2 ** 20 + Math.floor(random() * 10) : 1 + Math.floor(random() * 5)
  }
  return { day: 0, proto: -2, field: FIELDS.indexOf(field), values, counts }
}

function ipv6Table (first: number): Uint8Array {
  const bytes = new Uint8Array(64)
  for (let id = 0; id < 4; id++) bytes.set([0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, first + id], id * 16)
  return bytes
}

test('merged tables: the members and counts of memberString strings added up, in ascending order of value', () => {
  for (const field of FIELDS) {
    const random = rng(7 + FIELDS.indexOf(field))
    const m = new MemberCounts(field)
    const expected = new Map<string, number>()
    // Three tables, their IPv6 ids naming other addresses (ids 0-3 of each are 2001:db8::t..t+3).
    for (let t = 0; t < 3; t++) {
      const ipv6 = ipv6Table(t * 2)
      for (let g = 0; g < 2; g++) {
        const group = randomGroup(field, 400, random)
        m.addGroup(group, ipv6)
        for (let i = 0; i < group.values.length; i++) {
          const member = memberString(field, group.values[i]!, ipv6)
          expected.set(member, (expected.get(member) ?? 0) + group.counts[i]!)
        }
      }
      // Put in order between tables: later rows are merged into the ordered members.
      if (t === 1) m.inOrder()
    }
    assert.deepEqual(new Map(m.entries()), expected, field)
    assert.equal(m.size, expected.size, field)
    const { values } = m.inOrder()
    for (let i = 1; i < values.length; i++) assert.ok(values[i - 1]! < values[i]!, `${field}: ${values[i - 1]!} before ${values[i]!}`)
  }
})

test('groups given in ascending order (a dense counter, the tcpseq log\'s chunks), few or many of them: the same members and counts as any order', async () => {
  for (const [groups, rows] of [[1, 500], [2, 500], [31, 200], [32, 200], [33, 200], [100, 50], [3, 200_000]] as const) {
    const random = rng(groups * 1000 + rows)
    const m = new MemberCounts('tcpseq')
    const expected = new Map<string, number>()
    for (let g = 0; g < groups; g++) {
      const group = randomGroup('tcpseq', rows, random)
      // Distinct values in ascending order, as a table's group has them; values repeat across groups.
      const values = [...new Set(group.values)].sort((a, b) => a - b)
      const sorted = { ...group, values: Float64Array.from(values), counts: group.counts.subarray(0, values.length) }
      m.addGroup(sorted, new Uint8Array(0))
      for (let i = 0; i < values.length; i++) {
        const member = memberString('tcpseq', values[i]!, new Uint8Array(0))
        expected.set(member, (expected.get(member) ?? 0) + sorted.counts[i]!)
      }
    }
    const { values } = await m.order()
    for (let i = 1; i < values.length; i++) assert.ok(values[i - 1]! < values[i]!, `${groups} groups: ${values[i - 1]!} before ${values[i]!}`)
    assert.deepEqual(new Map(m.entries()), expected, `${groups} groups of ${rows}`)
  }
})

test('an absent ICMP type is type 255, every absent code of a field its one sentinel, the words their own members', () => {
  const icmp = new MemberCounts('icmptype')
  icmp.addGroup({ day: 0, proto: -2, field: FIELDS.indexOf('icmptype'), values: Float64Array.of(-1, 255, 8, -3), counts: Float64Array.of(4, 1, 2, 1) }, new Uint8Array(0))
  assert.deepEqual([...icmp], [['8', 2], ['255', 6]])
  const asn = new MemberCounts('sasn')
  asn.addGroup({ day: 0, proto: -2, field: FIELDS.indexOf('sasn'), values: Float64Array.of(-2, 13335, -1, -9, -7), counts: Float64Array.of(1, 2, 3, 4, 5) }, new Uint8Array(0))
  assert.deepEqual([...asn], [['reserved', 5], ['private', 1], ['unknown', 7], ['13335', 2]])
})

test('zaddMembers frames the same bytes as zaddCommand, for every field and across a cut', () => {
  for (const field of FIELDS) {
    const m = new MemberCounts(field)
    m.addGroup(randomGroup(field, 300, rng(99 + FIELDS.indexOf(field))), ipv6Table(0))
    const pairs = [...m.entries()]
    const middle = Math.floor(pairs.length / 3)
    for (const [from, n] of [[0, pairs.length], [0, 1], [middle, middle], [pairs.length - 5, 5]] as const) {
      const bytes = zaddMembers(`s:20240101:${field}`, m, from, n).toWritable(undefined as never)
      const text = zaddCommand(`s:20240101:${field}`, pairs.slice(from, from + n)).toWritable(undefined as never)
      assert.equal(Buffer.from(bytes).toString('latin1'), text, `${field} ${from}+${n}`)
    }
  }
})

test('zaddMembers writes a number as its decimal text at every length up to 2^53, at and around each power of ten and 2^32', () => {
  const edges = [0, 1, 2 ** 32 - 1, 2 ** 32, 2 ** 32 + 1, 2 ** 53 - 1]
  for (let p = 10; p <= 1e15; p *= 10) edges.push(p - 1, p, p + 1)
  // The members: the edges below 2^32 (IPV6_BASE: above are IPv6 ids); the scores: every edge, as sums (`plus`).
  const members = edges.filter(v => v < IPV6_BASE)
  const m = new MemberCounts('tcpseq')
  m.addGroup({ day: 0, proto: -2, field: FIELDS.indexOf('tcpseq'), values: Float64Array.from(members), counts: new Float64Array(members.length).fill(1) }, new Uint8Array(0))
  const pairs = [...m.entries()]
  for (const score of edges) {
    const bytes = zaddMembers('s:20240101:tcpseq', m, 0, pairs.length, pairs.map(() => score - 1)).toWritable(undefined as never)
    const text = zaddCommand('s:20240101:tcpseq', pairs.map(([member]) => [member, score])).toWritable(undefined as never)
    assert.equal(Buffer.from(bytes).toString('latin1'), text, String(score))
  }
  assert.deepEqual(pairs.map(([member]) => member), members.map(String).sort((a, b) => Number(a) - Number(b)))
})

test('a framed ZADD, ZMSCORE or packed chunk holds its own bytes, at their size: not the most its members could take, nor bytes a later command writes', () => {
  const m = new MemberCounts('tcpseq')
  m.addGroup(randomGroup('tcpseq', 2000, rng(7)), ipv6Table(0))
  const frames = (): Buffer[] => [
    zaddMembers('s:20240101:tcpseq', m, 0, 2000).toWritable(undefined as never) as Buffer,
    zmscoreMembers('s:20240101:tcpseq', m, 0, 2000).toWritable(undefined as never) as Buffer,
    packMembers(m, 0, 2000)
  ]
  const first = frames()
  const copies = first.map(b => Buffer.from(b))
  frames()
  for (const [i, b] of first.entries()) {
    assert.ok(b.length > 8192, `${i}: ${b.length} bytes, past Buffer's pool`)
    assert.equal(b.buffer.byteLength, b.length, `${i}: its memory`)
    assert.deepEqual(b, copies[i], `${i}: unchanged by the next`)
  }
})

test('order() gives what inOrder() gives, letting the event loop turn while it sorts a large key', async () => {
  const random = rng(2024)
  const groups = [randomGroup('tcpseq', 300_000, random), randomGroup('tcpseq', 300_000, random)]
  // Counts that pack, as nearly all do (each loose one is inserted alone).
  for (const g of groups) g.counts.forEach((c, i) => { g.counts[i] = c % 7 })
  const eager = new MemberCounts('tcpseq')
  const stepped = new MemberCounts('tcpseq')
  for (const m of [eager, stepped]) m.addGroup(groups[0]!, new Uint8Array(0))
  let turned = false
  setImmediate(() => { turned = true })
  await stepped.order()
  assert.equal(turned, true, 'the event loop turned during the sort')
  // Rows added after an ordering are merged into the ordered members, in steps too.
  for (const m of [eager, stepped]) m.addGroup(groups[1]!, new Uint8Array(0))
  const expected = eager.inOrder()
  const got = await stepped.order()
  assert.equal(got.values.length, expected.values.length)
  assert.ok(Buffer.from(got.values.buffer, got.values.byteOffset, got.values.byteLength).equals(Buffer.from(expected.values.buffer, expected.values.byteOffset, expected.values.byteLength)), 'values')
  assert.ok(Buffer.from(got.counts.buffer, got.counts.byteOffset, got.counts.byteLength).equals(Buffer.from(expected.counts.buffer, expected.counts.byteOffset, expected.counts.byteLength)), 'counts')
})
