/**
 * A classic pcap record whose fraction of a second is a second or more (docs/compatibility.md,
 * "Capture reading"): the excess is carried into the seconds, and the packet counted on the day
 * of that instant. Differential check on tcpdump's tcp-handshake-nano.pcap (3 packets of
 * 2014-12-09, nanosecond magic) with its first record's time fields replaced. What tshark 4.0.17
 * printed as frame.time_epoch for each of these files, and the day the original potiron took
 * from it (the whole seconds before the '.', in UTC), are in CASES.
 */
import assert from 'node:assert/strict'
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { after, it } from 'node:test'
import { analyzeFile } from '../src/aggregate/analyze-file.js'
import { CAPTURES, hex, parse } from './helpers/hex.js'
import { describeShared } from './helpers/shared.js'

interface Case {
  name: string
  /** pcap magic as stored (little-endian): nanosecond or microsecond file. */
  magic: 'ns' | 'us'
  sec: number
  frac: number
  /** tshark's frame.time_epoch for the record. */
  tshark: string
  /** The original's day (UTC): from the whole seconds of tshark's string. */
  original: string
  /** What potiron reads: [sec, nsec], and the day it counts the packet on. */
  want: [number, number]
  day: string
}

// 1418169599 is 2014-12-09 23:59:59 UTC, 1418169600 is 2014-12-10 00:00:00.
const CASES: Case[] = [
  { name: 'ns = 10^9', magic: 'ns', sec: 1418169599, frac: 1_000_000_000, tshark: '1418169599.1000000000', original: '20141209', want: [1418169600, 0], day: '20141210' },
  { name: 'ns = 1.5 × 10^9', magic: 'ns', sec: 1418169599, frac: 1_500_000_000, tshark: '1418169599.1500000000', original: '20141209', want: [1418169600, 500_000_000], day: '20141210' },
  // From 2^31 on, tshark's signed 32-bit fraction turns negative: a negative time.
  { name: 'ns = 2^31', magic: 'ns', sec: 1418169600, frac: 2 ** 31, tshark: '-1418169600.2147483648', original: '19250123', want: [1418169602, 147_483_648], day: '20141210' },
  { name: 'ns = 0xffffffff', magic: 'ns', sec: 1418169600, frac: 0xffffffff, tshark: '-1418169600.000000001', original: '19250123', want: [1418169604, 294_967_295], day: '20141210' },
  { name: 'µs = 10^6', magic: 'us', sec: 1418169599, frac: 1_000_000, tshark: '1418169599.1000000000', original: '20141209', want: [1418169600, 0], day: '20141210' },
  { name: 'µs = 2.5 × 10^6', magic: 'us', sec: 1418169599, frac: 2_500_000, tshark: '-1418169599.1794967296', original: '19250123', want: [1418169601, 500_000_000], day: '20141210' }
]

/** A day as the original computed it: the whole seconds before the '.' of tshark's string, in UTC. */
function originalDay (epoch: string): string {
  return new Date(Number(epoch.split('.')[0]) * 1000).toISOString().slice(0, 10).replaceAll('-', '')
}

it('the original\'s days in CASES follow from tshark\'s strings', () => {
  for (const c of CASES) assert.equal(originalDay(c.tshark), c.original, c.name)
})

it('the parser carries a fraction of a second or more into the seconds (hex-built records)', () => {
  for (const c of CASES) {
    const magic = c.magic === 'ns' ? '4d3cb2a1' : 'd4c3b2a1'
    const record = Buffer.alloc(16)
    record.writeUInt32LE(c.sec, 0)
    record.writeUInt32LE(c.frac, 4)
    record.writeUInt32LE(1, 8)
    record.writeUInt32LE(1, 12)
    const { packets } = parse(Buffer.concat([hex(magic, '0200 0400 00000000 00000000 ffff0000 01000000'), record, hex('00')]))
    assert.deepEqual(packets.map(p => [p.sec, p.nsec]), [c.want], c.name)
  }
})

describeShared('tcpdump\'s tcp-handshake-nano.pcap with an out-of-range fraction', () => {
  const original = readFileSync(join(CAPTURES, 'tcpdump_tcp-handshake-nano.pcap'))
  const dir = mkdtempSync(join(tmpdir(), 'potiron-fraction-'))
  after(() => { rmSync(dir, { recursive: true, force: true }) })

  it('is read as tshark reads the other two packets, on the day of sec + fraction', async () => {
    for (const c of CASES) {
      const data = Buffer.from(original)
      if (c.magic === 'us') data.write('d4c3b2a1', 0, 'hex')
      data.writeUInt32LE(c.sec, 24)
      data.writeUInt32LE(c.frac, 28)
      const path = join(dir, `${c.magic}-${c.frac}.pcap`)
      writeFileSync(path, data)
      const r = await analyzeFile(path, { fields: ['dport'], combinedKeys: false, selection: 'every-ip', zone: undefined })
      assert.deepEqual(r.stats.first, c.want, c.name)
      assert.deepEqual([r.stats.packets, r.stats.noTimestamp, r.stats.outOfRange], [3, 0, 0], c.name)
      // The other two packets keep their day, 2014-12-09 (as in tshark's expected/ ground truth).
      assert.deepEqual(r.stats.perDay, { 20141209: 2, [c.day]: 1 }, c.name)
    }
  })
})
