import assert from 'node:assert/strict'
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { after, describe, it } from 'node:test'
import { Timebase } from '../src/capture/pcapng.js'
import { potiron } from './helpers/cli.js'
import {
  CAPTURES, EPB_ON_IF_65535, IDB_BARE, SHB_BARE, assertSameWhateverTheChunking, hex, idbFlood, idbFloodGzip, parse, throwsCapture
} from './helpers/hex.js'
import { FIXTURES, needsShared } from './helpers/shared.js'

// Section 1, little-endian (offsets 0..311).
const SHB_LE = hex('0a0d0d0a 2c000000 4d3c2b1a 0100 0000 ffffffffffffffff', // type, length 44, BOM, v1.0, section length -1
  '0400 0500 68656c6c6f 000000', '0000 0000', '2c000000') // shb_userappl "hello" (padded), end of options, trailer
const IDB_NS_OFFSET = hex('01000000 2c000000 0100 0000 00000000', // IDB 0 at 44: Ethernet, snaplen 0 (unlimited)
  '0e00 0800 e803000000000000', // if_tsoffset +1000 s, before if_tsresol: order must not matter
  '0900 0100 09 000000', '0000 0000', '2c000000') // if_tsresol 10^-9, end of options
const IDB_BINARY = hex('01000000 1c000000 6500 0000 40000000', // IDB 1 at 88: raw IP (101), snaplen 64
  '0900 0100 8a 000000', '1c000000') // if_tsresol 2^-10, options end with the block
const EPB_IF0 = hex('06000000 24000000 00000000 fe9c9717 15cd853d', // EPB at 116: if 0, ticks 1700000000123456789 ns
  '04000000 04000000', 'deadbeef', '24000000') // caplen 4, len 4
const EPB_IF1 = hex('06000000 34000000 01000000 95010000 0102c44f', // EPB at 152: if 1, ticks 1700000000 * 1024 + 513
  '05000000 64000000', 'aabbccddee 000000', // caplen 5, len 100, data padded
  '0100 0200 6869 0000', '0000 0000', '34000000') // opt_comment "hi", end of options
const NRB = hex('04000000 1c000000 0100 0600 c0a80001 6100 0000', '0000 0000', '1c000000') // NRB at 204: 192.168.0.1 "a", end
const ISB = hex('05000000 18000000 00000000 fe9c9717 15cd853d', '18000000') // ISB at 232
const CUSTOM = hex('ad0b0000 14000000 d97e0000 01020304', '14000000') // custom block at 256, PEN 32473
const PB_IF1 = hex('02000000 24000000 0100 0000 95010000 0008c44f', // obsolete PB at 276: if 1, drops 0, 1700000002 * 1024
  '03000000 03000000', '010203 00', '24000000')
// Section 2, big-endian (offsets 312..479): the SHB length is only readable after its BOM.
const SHB_BE = hex('0a0d0d0a 0000001c 1a2b3c4d 0001 0000 ffffffffffffffff', '0000001c')
const IDB_BE = hex('00000001 00000014 0071 0000 00000004', '00000014') // IDB 0 at 340: Linux SLL, snaplen 4, µs
const SPB_BE = hex('00000003 00000018 00000006', '010203040506 0000', '00000018') // SPB at 360: len 6, cut to snaplen 4
const EPB_BE = hex('00000006 00000024 00000000 00060a24 184c07ba', // EPB at 384: ticks 1700000003000250 µs
  '00000002 00000002', 'abcd 0000', '00000024')
const UNKNOWN_BE = hex('00000099 00000010 01020304', '00000010') // unknown type at 420
const DSB_BE = hex('0000000a 00000018 544c534b 00000004 61626364', '00000018') // decryption secrets at 436
const CUSTOM_BE = hex('40000bad 00000014 00007ed9 01020304', '00000014') // do-not-copy custom block at 460

const TWO_SECTIONS = Buffer.concat([SHB_LE, IDB_NS_OFFSET, IDB_BINARY, EPB_IF0, EPB_IF1, NRB, ISB, CUSTOM, PB_IF1,
  SHB_BE, IDB_BE, SPB_BE, EPB_BE, UNKNOWN_BE, DSB_BE, CUSTOM_BE])

describe('pcapng from hex', () => {
  it('reads two sections of opposite byte order with their own interfaces and resolutions', () => {
    assert.equal(TWO_SECTIONS.length, 480)
    const r = parse(TWO_SECTIONS)
    assert.deepEqual(r.packets, [
      { data: 'deadbeef', caplen: 4, origlen: 4, linktype: 1, sec: 1700001000, nsec: 123456789 },
      { data: 'aabbccddee', caplen: 5, origlen: 100, linktype: 101, sec: 1700000000, nsec: 500976562 }, // 513 / 1024 s, floored
      { data: '010203', caplen: 3, origlen: 3, linktype: 101, sec: 1700000002, nsec: 0 },
      { data: '01020304', caplen: 4, origlen: 6, linktype: 113, sec: NaN, nsec: 0 },
      { data: 'abcd', caplen: 2, origlen: 2, linktype: 113, sec: 1700000003, nsec: 250000 }
    ])
    assert.deepEqual(r.info, {
      format: 'pcapng', gzip: false, precision: undefined, linktypes: [1, 101, 113], packets: 5, capturedBytes: 18,
      snapTruncated: 2, skippedBlocks: 6, offset: 480
    })
    assert.equal(r.warning, undefined)
  })

  it('cuts a Simple Packet Block by its block when the IDB has no snap length', () => {
    const idb = hex('01000000 14000000 0100 0000 00000000', '14000000')
    const spb = hex('03000000 14000000 40000000', '0a0b0c0d', '14000000') // original length 64, 4 bytes stored
    assert.deepEqual(parse(Buffer.concat([SHB_LE, idb, spb])).packets, [{ data: '0a0b0c0d', caplen: 4, origlen: 64, linktype: 1, sec: NaN, nsec: 0 }])
  })

  it('gives the same outcome whatever the chunking, with reused chunk buffers', () => {
    assertSameWhateverTheChunking(TWO_SECTIONS, 5)
  })
})

describe('pcapng bad input', () => {
  const start = Buffer.concat([SHB_LE, IDB_NS_OFFSET]) // 88 bytes
  const at = (...blocks: Buffer[]): Buffer => Buffer.concat([start, ...blocks])

  it('refuses version 0.1 and an SHB option longer than its block, as tshark does', (t) => {
    if (!needsShared(t)) return
    throwsCapture(() => parse(readFileSync(join(CAPTURES, 'libpcap_pcapng-invalid-vers-1.pcapng'))), 'BAD_HEADER', 0)
    // Its trailer is garbage too, but the option is what tshark reports: we judge options first.
    throwsCapture(() => parse(readFileSync(join(CAPTURES, 'libpcap_shb-option-too-long.pcapng'))), 'BAD_RECORD', 0)
  })

  it('refuses a section header without a byte-order magic', () => {
    throwsCapture(() => parse(hex('0a0d0d0a 1c000000 01020304 0100 0000 ffffffffffffffff 1c000000')), 'BAD_HEADER', 0)
    throwsCapture(() => parse(at(hex('0a0d0d0a 1c000000 4d3c2b1b'))), 'BAD_HEADER', 88)
  })

  it('refuses an IDB option longer than its block', () => {
    throwsCapture(() => parse(Buffer.concat([SHB_LE, hex('01000000 1c000000 0100 0000 00000000 0900 0500 09000000 1c000000')])), 'BAD_RECORD', 44)
  })

  it('refuses block lengths that are not a multiple of 4 or below 12', () => {
    throwsCapture(() => parse(at(hex('06000000 21000000'))), 'BAD_RECORD', 88)
    throwsCapture(() => parse(at(hex('06000000 08000000'))), 'BAD_RECORD', 88)
  })

  it('refuses oversized blocks at their header, before reading them', () => {
    throwsCapture(() => parse(at(hex('06000000 04000500'))), 'RECORD_TOO_BIG', 88) // 327684 > 256 KiB + 64 KiB
    throwsCapture(() => parse(at(hex('04000000 04000001'))), 'RECORD_TOO_BIG', 88) // NRB over 16 MiB
    const big = Buffer.alloc(262148 + 32) // an EPB with caplen 262148, legal length, packet too big
    hex('06000000 24000400 00000000 00000000 00000000 04000400 04000400').copy(big)
    big.writeUInt32LE(big.length, big.length - 4)
    throwsCapture(() => parse(at(big)), 'RECORD_TOO_BIG', 88)
    // A Simple Packet Block has no captured length: its block's 262,148 bytes of packet are too many too.
    const simple = Buffer.alloc(262148 + 16)
    hex('03000000 14000400 04000400').copy(simple)
    simple.writeUInt32LE(simple.length, simple.length - 4)
    throwsCapture(() => parse(at(simple)), 'RECORD_TOO_BIG', 88)
  })

  it('refuses a trailer that disagrees with the leading length', () => {
    throwsCapture(() => parse(at(hex('06000000 24000000 00000000 00000000 00000000 04000000 04000000 deadbeef 20000000'))), 'BAD_TRAILER', 88)
  })

  it('refuses packets that overflow their block or name an undefined interface', () => {
    throwsCapture(() => parse(at(hex('06000000 24000000 00000000 00000000 00000000 05000000 05000000 deadbeef 24000000'))), 'BAD_RECORD', 88)
    throwsCapture(() => parse(at(hex('06000000 24000000 01000000 00000000 00000000 04000000 04000000 deadbeef 24000000'))), 'BAD_RECORD', 88)
    throwsCapture(() => parse(Buffer.concat([SHB_LE, hex('03000000 14000000 04000000 01020304 14000000')])), 'BAD_RECORD', 44)
    // A new section forgets the interfaces of the previous one.
    throwsCapture(() => parse(Buffer.concat([start, SHB_BE, EPB_BE])), 'BAD_RECORD', 116)
  })

  it('warns about a block cut short, at the offset of that block', () => {
    const r = parse(at(EPB_IF0, EPB_IF0.subarray(0, 30)))
    assert.deepEqual([r.info.packets, r.warning?.code, r.warning?.offset, r.info.offset], [1, 'TRUNCATED', 124, 154])
    const header = parse(at(hex('0a0d0d0a 1c00')))
    assert.deepEqual([header.warning?.code, header.warning?.offset], ['TRUNCATED', 88])
  })
})

describe('pcapng timestamps', () => {
  it('reads seconds beyond 2^32 (tcpdump_time_2106_overflow.pcapng)', (t) => {
    if (!needsShared(t)) return
    assert.deepEqual(parse(readFileSync(join(CAPTURES, 'tcpdump_time_2106_overflow.pcapng'))).packets.map((p) => [p.sec, p.nsec]), [[4294967296, 0]])
  })

  it('matches tshark on ppp_pcapng-example.pcapng (ns and µs interfaces, ticks near 2^64)', (t) => {
    if (!needsShared(t)) return
    const { packets } = parse(readFileSync(join(CAPTURES, 'ppp_pcapng-example.pcapng')))
    const first = packets[0]
    const last = packets[packets.length - 1]
    assert.deepEqual([first?.sec, first?.nsec, last?.sec, last?.nsec], [1422527998, 578402281, 18446744073204, 277451000])
  })

  it('converts exactly for every resolution, as BigInt arithmetic does', () => {
    let seed = 42
    const random32 = (): number => {
      seed = (seed * 1103515245 + 12345) % 2147483648
      return (seed * 2 + (seed >>> 7)) >>> 0
    }
    const resolutions: Array<[boolean, number]> = []
    for (let n = 0; n <= 20; n++) resolutions.push([false, n])
    for (let n = 0; n <= 70; n++) resolutions.push([true, n])
    for (const [binary, n] of resolutions) {
      const units = binary ? 1n << BigInt(n) : 10n ** BigInt(n)
      for (let i = 0; i < 300; i++) {
        const high = i % 3 === 0 ? random32() : i % 3 === 1 ? random32() >>> 12 : 0
        const low = random32()
        const offset = BigInt(random32()) - 2147483648n
        const time = new Timebase(binary, n, offset)
        time.convert(high, low)
        const ticks = (BigInt(high) << 32n) | BigInt(low)
        const want = [Number(ticks / units + offset), Number((ticks % units) * 1_000_000_000n / units)]
        assert.deepEqual([time.sec, time.nsec], want, `${binary ? 2 : 10}^-${n}, ticks ${ticks}`)
      }
    }
  })
})

describe('pcapng: what a section may declare is bounded', () => {
  const tmp = mkdtempSync(join(tmpdir(), 'potiron-pcapng-'))
  after(() => rmSync(tmp, { recursive: true, force: true }))
  const LIMIT = 65536
  /** File offset of the first IDB past the limit, after SHB_BARE. */
  const firstTooMany = SHB_BARE.length + LIMIT * IDB_BARE.length

  it('keeps 65,536 interfaces in a section and fails the file at the IDB after them', () => {
    const full = parse(Buffer.concat([SHB_BARE, idbFlood(LIMIT), EPB_ON_IF_65535]))
    assert.deepEqual([full.info.packets, full.info.linktypes], [1, [1]])
    // Each section starts its count again.
    assert.equal(parse(Buffer.concat([SHB_BARE, idbFlood(LIMIT), SHB_BARE, idbFlood(LIMIT), EPB_ON_IF_65535])).info.packets, 1)
    assert.equal(firstTooMany, 1310748)
    throwsCapture(() => parse(Buffer.concat([SHB_BARE, idbFlood(LIMIT + 1), EPB_ON_IF_65535])), 'TOO_MANY_INTERFACES', firstTooMany)
    assert.throws(() => parse(Buffer.concat([SHB_BARE, idbFlood(LIMIT + 1)])),
      { message: 't: pcapng section declares more than 65536 interfaces, the most potiron keeps (at byte offset 1310748)' })
  })

  it('collects each of 65,536 distinct link types once, over 3 sections', () => {
    // Its cost, which was quadratic (7.5 s against 0.2 s), is watched by `npm run bench:interfaces`.
    const distinct = idbFlood(LIMIT)
    for (let i = 0; i < LIMIT; i++) distinct.writeUInt16LE(i, i * IDB_BARE.length + 8)
    const r = parse(Buffer.concat([SHB_BARE, distinct, SHB_BARE, distinct, SHB_BARE, distinct]))
    assert.deepEqual([r.info.linktypes.length, r.info.linktypes[0], r.info.linktypes[LIMIT - 1]], [LIMIT, 0, LIMIT - 1])
  })

  it('inspect: 50M interfaces in a 2.4 MB gzip fail that file at the offset, the next file is still reported, exit 1', async () => {
    const flood = join(tmp, 'flood.pcapng.gz')
    writeFileSync(flood, idbFloodGzip(50, 1_000_000))
    const good = join(FIXTURES, 'lab-dnsicmp-1-20130530224517.pcap')
    const r = await potiron('inspect', '--json', flood, good)
    assert.equal(r.status, 1)
    // In the paths' sorted order, which depends on where the checkout and the temp dir are.
    assert.deepEqual(r.out.map(line => { const j = JSON.parse(line) as { file: string, packets: number, error: string | null }; return [j.file, j.packets, j.error !== null] }),
      ([[flood, 0, true], [good, 32, false]] as const).slice().sort((x, y) => x[0] < y[0] ? -1 : 1))
    assert.deepEqual(r.err, [`potiron: ${flood}: pcapng section declares more than 65536 interfaces, the most potiron keeps (at byte offset 1310748)`])
  })
})
