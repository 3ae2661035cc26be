/**
 * The aggregator's counters: every value of every field is counted, whatever its range, with
 * exact counts; and what they hold grows with the distinct values, not with days × protocols.
 */
import assert from 'node:assert/strict'
import { execFile } from 'node:child_process'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { after, test } from 'node:test'
import { generateCapture, generateSpanCapture } from '../bench/gen-capture.js'
import { FILE_BYTES, PAIR_BYTES, VALUE_BYTES } from '../src/aggregate/aggregator.js'
import { Analyzer } from '../src/aggregate/analyzer.js'
import { Uint32Counter, type Rows } from '../src/aggregate/counter.js'
import { DirectCounter } from '../src/aggregate/direct-counter.js'
import { PACKET_FIELDS as FIELDS, type FieldName } from '../src/aggregate/fields.js'
import { LogCounter } from '../src/aggregate/log-counter.js'
import { memberRows, type CountTable } from '../src/aggregate/table.js'
import { readCapture } from '../src/capture/read.js'
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
  const analyzer = new Analyzer({ fields: FIELDS, combinedKeys: false, selection: 'default', zone: undefined })
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

const dir = mkdtempSync(join(tmpdir(), 'potiron-aggregate-'))
after(() => { rmSync(dir, { recursive: true, force: true }) })

/**
 * The typed arrays of a (day, protocol) slot after its first packet: the 8 fields counted by
 * value (length, protocol, ipttl, iptos, sport, dport, icmpcode, icmptype) have a 16-entry array
 * and an 8-slot table (64 + 64 bytes), the 3 hashed ones (ipsrc, ipdst, tcpack) a 16-slot table
 * of 8 bytes a slot, tcpseq a 256-value log. Plus, once per file, the IPv6 address table (256
 * slots of 4 bytes, room for 64 addresses).
 */
const FIRST_PACKET_BYTES = 8 * 128 + 3 * 128 + 256 * 4
const IPV6_TABLE_BYTES = 256 * 4 + 64 * 16

async function spanAnalysis (days: number, protocols: number): Promise<{ bytes: number, analyzer: Analyzer, rows: ReturnType<typeof memberRows> }> {
  const path = join(dir, `span-${days}x${protocols}.pcap`)
  await generateSpanCapture(path, { days, protocols })
  const analyzer = new Analyzer({ fields: FIELDS, combinedKeys: protocols > 1, selection: 'default', zone: undefined })
  const read = await readCapture(path, analyzer)
  assert.equal(read.error, undefined)
  const bytes = analyzer.countBytes
  return { bytes, analyzer, rows: memberRows(analyzer.finish()) }
}

test('a capture spanning 3,000 days, a packet a day: its counters hold 2,432 bytes a day, not a megabyte', async () => {
  const { bytes, analyzer, rows } = await spanAnalysis(3000, 1)
  assert.equal(analyzer.stats.counted, 3000)
  assert.equal(bytes, 3000 * FIRST_PACKET_BYTES + IPV6_TABLE_BYTES)
  assert.equal(rows.length, 3000 * 12)
  assert.deepEqual(new Set(rows.map(r => r.count)), new Set([1]))
})

test('combined keys, 30 days × 100 protocols: 3,000 slots of 2,432 bytes', async () => {
  const { bytes, analyzer, rows } = await spanAnalysis(30, 100)
  assert.equal(analyzer.stats.counted, 3000)
  assert.equal(bytes, 3000 * FIRST_PACKET_BYTES + IPV6_TABLE_BYTES)
  assert.equal(rows.length, 3000 * 12)
  assert.deepEqual(rows.filter(r => r.field === 'protocol' && r.day === '20240101').map(r => [r.proto, r.member, r.count]),
    Array.from({ length: 100 }, (_, p) => [p, String(p), 1]))
})

test('the 10,000-day capture is parsed by a process held to 256 MiB of heap and 512 MiB of data, peaking under 320 MiB', async () => {
  const path = join(dir, 'span-10000.pcap')
  await generateSpanCapture(path, { days: 10000 })
  const analyzeFile = new URL('../src/aggregate/analyze-file.js', import.meta.url).href
  const script = `
    import { readFileSync } from 'node:fs'
    import { analyzeFile } from ${JSON.stringify(analyzeFile)}
    const r = await analyzeFile(${JSON.stringify(path)}, { fields: ${JSON.stringify(FIELDS)}, combinedKeys: false, selection: 'default', zone: undefined })
    const peak = Number(/^VmHWM:\\s+(\\d+) kB$/m.exec(readFileSync('/proc/self/status', 'utf8'))[1]) * 1024
    console.log(JSON.stringify({ packets: r.stats.packets, counted: r.stats.counted, days: Object.keys(r.stats.perDay).length, groups: r.table.groups.length, peak }))`
  // ulimit -d: a process that needs more fails (V8 aborts) instead of taking the machine's memory.
  const out = await new Promise<string>((resolve, reject) => {
    execFile('sh', ['-c', `ulimit -d ${512 * 1024} && exec "$0" --max-old-space-size=256 --input-type=module -e "$1"`, process.execPath, script],
      (err, stdout, stderr) => err === null ? resolve(stdout) : reject(new Error(`${err.message}\n${stderr.slice(-2000)}`)))
  })
  const got = JSON.parse(out) as { packets: number, counted: number, days: number, groups: number, peak: number }
  assert.deepEqual({ ...got, peak: undefined }, { packets: 10000, counted: 10000, days: 10000, groups: 120000, peak: undefined })
  // ~210 MiB here, of which ~100 MiB is the count table's 120,000 groups (3f807e2 needed ~10 GB).
  assert.ok(got.peak < 320 * 2 ** 20, `peak RSS ${(got.peak / 2 ** 20).toFixed(1)} MiB`)
})

/** Value → count of rows, several rows of one value added up. */
function summed (...rows: Rows[]): Map<number, number> {
  const out = new Map<number, number>()
  for (const r of rows) r.values.forEach((v, i) => out.set(v, (out.get(v) ?? 0) + r.counts[i]!))
  return new Map([...out].sort((a, b) => a[0] - b[0]))
}

/** Deterministic pseudo-random integers (LCG), so that failures replay. */
function lcg (seed: number): () => number {
  let s = seed >>> 0
  return () => (s = (Math.imul(s, 1664525) + 1013904223) >>> 0)
}

test('DirectCounter: exact counts from -1 to past its largest value, its bytes within PAIR and VALUE bounds at every step', () => {
  for (const max of [0xff, 0xffff]) {
    const counter = new DirectCounter(max)
    const want = new Map<number, number>()
    const next = lcg(max)
    for (let k = 0; k < 100_000; k++) {
      const r = next()
      // Mostly small values (as lengths and protocols are), some anywhere in range, a few past it.
      const value = k % 7 === 0 ? -1 : k % 5 === 0 ? r % (max + 1) : k % 997 === 0 ? max + 1 + (r % 100_000) : r % 64
      counter.add(value)
      want.set(value, (want.get(value) ?? 0) + 1)
      if (k % 1000 === 0) assert.ok(counter.bytes <= 128 + VALUE_BYTES * want.size, `${counter.bytes} bytes for ${want.size} values`)
    }
    assert.equal(counter.dense.length, max + 2, 'the whole array, once enough values pay for it')
    const rows = counter.take()
    assert.equal(new Set(rows.values).size, rows.values.length, 'each value once')
    assert.deepEqual(summed(rows), new Map([...want].sort((a, b) => a[0] - b[0])))
  }
})

test('DirectCounter: one value a million times holds 16 array entries and an 8-slot table', () => {
  const counter = new DirectCounter(0xffff)
  for (let k = 0; k < 1_000_000; k++) counter.add(1514)
  assert.equal(counter.bytes, 64 + 64)
  assert.deepEqual(summed(counter.take()), new Map([[1514, 1_000_000]]))
})

test('DirectCounter: a count that wraps past 2^32 carries into its row, in the array, in the table, or wrapped to 0', () => {
  const counter = new DirectCounter(0xff)
  for (const value of [5, 5, 5, 300, 300]) counter.add(value)
  // What the aggregator does when a 32-bit count wraps (index = value + 1).
  counter.carry(6)
  counter.carry(301)
  counter.carry(10)
  assert.deepEqual(summed(counter.take()), new Map([[5, 3 + 2 ** 32], [9, 2 ** 32], [300, 2 + 2 ** 32]]))
})

test('LogCounter: values repeated millions of times stay a few runs, and the log stays small', () => {
  const counter = new LogCounter()
  const want = new Map<number, number>()
  const next = lcg(5)
  for (let k = 0; k < 3_000_000; k++) {
    // 1,000 values, each seen 3,000 times, and the absent one.
    const value = k % 11 === 0 ? -1 : next() % 1000
    counter.add(value)
    want.set(value, (want.get(value) ?? 0) + 1)
    if (k % 10_000 === 0) assert.ok(counter.bytes <= 1024 + 60 * want.size, `${counter.bytes} bytes for ${want.size} values`)
  }
  const chunks = counter.take()
  // Three times the values while counting, plus the last log's chunk.
  assert.ok(chunks.reduce((n, c) => n + c.values.length, 0) <= 4 * 1001, 'runs at most four times the values')
  for (const { values } of chunks) for (let i = 1; i < values.length; i++) assert.ok(values[i]! > values[i - 1]!, 'ascending within a chunk')
  assert.deepEqual(summed(...chunks), new Map([...want].sort((a, b) => a[0] - b[0])))
})

test('Uint32Counter: bytes within the bounds at every step, 0, absent and IPv6 ids included', () => {
  const counter = new Uint32Counter()
  const values = new Set<number>()
  const next = lcg(9)
  for (let k = 0; k < 200_000; k++) {
    const r = next()
    const value = k % 13 === 0 ? -1 : k % 17 === 0 ? 0 : k % 19 === 0 ? 2 ** 32 + (r % 3000) : r % 50_000
    counter.add(value, 1)
    values.add(value)
    if (k % 1000 === 0) assert.ok(counter.bytes <= 128 + 256 + VALUE_BYTES * values.size, `${counter.bytes} bytes for ${values.size} values`)
  }
  assert.equal(counter.size, values.size)
})

test('a capture of random ports over a few days: the counters within FILE_BYTES + PAIR_BYTES a pair + VALUE_BYTES a value', async () => {
  const path = join(dir, 'random.pcap')
  await generateCapture(path, { packets: 50_000, seed: 3, days: 3 })
  const analyzer = new Analyzer({ fields: FIELDS, combinedKeys: true, selection: 'default', zone: undefined })
  await readCapture(path, analyzer)
  const bytes = analyzer.countBytes
  const table = analyzer.finish()
  const pairs = new Set(table.groups.map(g => `${g.day},${g.proto}`)).size
  const values = new Set(table.groups.flatMap(g => [...g.values].map(v => `${g.day},${g.proto},${g.field},${v}`))).size
  assert.ok(bytes <= FILE_BYTES + PAIR_BYTES * pairs + VALUE_BYTES * values, `${bytes} bytes for ${pairs} pairs and ${values} values`)
})
