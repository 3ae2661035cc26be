import assert from 'node:assert/strict'
import { readdirSync, readFileSync } from 'node:fs'
import { createRequire } from 'node:module'
import { join } from 'node:path'
import type { EventEmitter } from 'node:events'
import { describe, it } from 'node:test'
import { CaptureParser } from '../src/capture/parser.js'
import { readCapture } from '../src/capture/read.js'
import { MAX_RECORD_BYTES } from '../src/capture/types.js'
import type { CaptureInfo } from '../src/capture/types.js'
import { describeShared, needsShared } from './helpers/shared.js'
import { CAPTURES, RecordingSink, assertSameWhateverTheChunking, hex, parse, throwsCapture } from './helpers/hex.js'

function info (fields: Partial<CaptureInfo>): CaptureInfo {
  return { format: 'pcap', gzip: false, precision: 'usec', linktypes: [1], packets: 0, capturedBytes: 0, snapTruncated: 0, skippedBlocks: 0, offset: 0, ...fields }
}

/** Asserts that `fn` throws a CaptureError with this code and offset. */
const TWO_RECORDS = [
  { data: 'deadbeef', caplen: 4, origlen: 4, linktype: 1, sec: 1700000000, nsec: 123456000 },
  { data: 'cafe', caplen: 2, origlen: 60, linktype: 1, sec: 1700000001, nsec: 999999000 }
]

describe('classic pcap from hex', () => {
  it('reads little-endian microsecond files', () => {
    const file = hex(
      'd4c3b2a1 0200 0400 00000000 00000000 ffff0000 01000000', // magic, v2.4, zone, sigfigs, snaplen 65535, Ethernet
      '00f15365 40e20100 04000000 04000000', 'deadbeef', // 1700000000 s 123456 us, caplen 4, len 4
      '01f15365 3f420f00 02000000 3c000000', 'cafe' // 1700000001 s 999999 us, caplen 2, len 60 (snap-cut)
    )
    const r = parse(file)
    assert.deepEqual(r.packets, TWO_RECORDS)
    assert.deepEqual(r.info, info({ packets: 2, capturedBytes: 6, snapTruncated: 1, offset: 62 }))
    assert.equal(r.warning, undefined)
  })

  it('reads big-endian microsecond files', () => {
    const file = hex(
      'a1b2c3d4 0002 0004 00000000 00000000 00040000 00000065', // snaplen 262144, link type 101 (raw IP)
      '6553f100 0001e240 00000004 00000004', 'deadbeef',
      '6553f101 000f423f 00000002 0000003c', 'cafe'
    )
    const r = parse(file)
    assert.deepEqual(r.packets, TWO_RECORDS.map((p) => ({ ...p, linktype: 101 })))
    assert.deepEqual(r.info, info({ linktypes: [101], packets: 2, capturedBytes: 6, snapTruncated: 1, offset: 62 }))
  })

  it('reads little-endian nanosecond files', () => {
    const file = hex(
      '4d3cb2a1 0200 0400 00000000 00000000 ffff0000 71000000', // Linux SLL (113)
      '00f15365 ffc99a3b 03000000 03000000', '010203' // 999999999 ns
    )
    const r = parse(file)
    assert.deepEqual(r.packets, [{ data: '010203', caplen: 3, origlen: 3, linktype: 113, sec: 1700000000, nsec: 999999999 }])
    assert.deepEqual(r.info, info({ precision: 'nsec', linktypes: [113], packets: 1, capturedBytes: 3, offset: 43 }))
  })

  it('reads big-endian nanosecond files and ignores the FCS bits of the link-type field', () => {
    const file = hex(
      'a1b23c4d 0002 0004 00000000 00000000 0000ffff f4000001', // FCS bits 26..31 set, link type 1
      '00000000 00000001 00000000 00000000', // epoch + 1 ns, empty record
      'ffffffff 3b9ac9fe 00000001 00000005', '7f' // last u32 second, 999999998 ns
    )
    const r = parse(file)
    assert.deepEqual(r.packets, [
      { data: '', caplen: 0, origlen: 0, linktype: 1, sec: 0, nsec: 1 },
      { data: '7f', caplen: 1, origlen: 5, linktype: 1, sec: 4294967295, nsec: 999999998 }
    ])
    assert.deepEqual(r.info, info({ precision: 'nsec', packets: 2, capturedBytes: 1, snapTruncated: 1, offset: 57 }))
  })

  it('reads the modified (Kuznetzov) format with its 24-byte record headers', () => {
    const file = hex(
      '34cdb2a1 0200 0400 00000000 00000000 00000400 01000000',
      '00f15365 40e20100 04000000 04000000 02000000 0008 04 00', 'deadbeef', // + ifindex 2, protocol, pkt_type, pad
      '01f15365 3f420f00 02000000 3c000000 02000000 0008 00 00', 'cafe'
    )
    const r = parse(file)
    assert.deepEqual(r.packets, TWO_RECORDS)
    assert.deepEqual(r.info, info({ precision: 'usec-modified', packets: 2, capturedBytes: 6, snapTruncated: 1, offset: 78 }))
  })

  it('carries an out-of-range microsecond field into the seconds', () => {
    const file = hex('d4c3b2a1 0200 0400 00000000 00000000 ffff0000 01000000', '0a000000 60e31600 00000000 00000000') // 10 s + 1500000 us
    assert.deepEqual(parse(file).packets, [{ data: '', caplen: 0, origlen: 0, linktype: 1, sec: 11, nsec: 500000000 }])
  })
})

describe('classic pcap push parsing', () => {
  const file = hex(
    'd4c3b2a1 0200 0400 00000000 00000000 ffff0000 01000000',
    '00f15365 40e20100 04000000 04000000', 'deadbeef',
    '01f15365 3f420f00 02000000 3c000000', 'cafe'
  )

  it('hands records inside a chunk over in place, straddling ones from its carry', () => {
    const sink = new RecordingSink()
    const parser = new CaptureParser('t.pcap', sink)
    const first = Buffer.from(file.subarray(0, 50)) // the second record's header is cut at byte 50
    parser.push(first)
    first.fill(0xee) // a reader may reuse its buffer: the parser must have copied the tail
    const second = Buffer.from(file.subarray(50))
    parser.push(second)
    assert.equal(parser.end(), undefined)
    assert.deepEqual(sink.packets, TWO_RECORDS)
    assert.equal(sink.buffers[0], first)
    assert.notEqual(sink.buffers[1], second)
  })

  it('gives the same outcome whatever the chunking, with reused chunk buffers', () => {
    assertSameWhateverTheChunking(file, 2)
  })
})

describe('classic pcap bad input', () => {
  const header = 'd4c3b2a1 0200 0400 00000000 00000000 ffff0000 01000000'

  it('refuses an empty input and a bad magic', () => {
    throwsCapture(() => new CaptureParser('t', new RecordingSink()).end(), 'EMPTY', 0)
    throwsCapture(() => parse(hex('d4c3')), 'BAD_MAGIC', 0)
    throwsCapture(() => parse(hex('7f454c46 02010100')), 'BAD_MAGIC', 0)
    throwsCapture(() => parse(hex('1f8b0800 00000000')), 'BAD_MAGIC', 0)
  })

  it('refuses pcap major version 1 and reserved link-type bits, as tshark does', (t) => {
    if (!needsShared(t)) return
    throwsCapture(() => parse(readFileSync(join(CAPTURES, 'libpcap_pcap-invalid-version-1.pcap'))), 'BAD_HEADER', 0)
    throwsCapture(() => parse(readFileSync(join(CAPTURES, 'libpcap_linktype-reserved-field-not-zero.pcap'))), 'BAD_HEADER', 0)
  })

  it('refuses a record longer than MAX_RECORD_BYTES at its header, and keeps the parser failed', () => {
    const parser = new CaptureParser('t', new RecordingSink())
    const big = hex(header, '00000000 00000000 01000400 01000400') // caplen 262145
    assert.equal(MAX_RECORD_BYTES, 262144)
    throwsCapture(() => parser.push(big), 'RECORD_TOO_BIG', 24)
    throwsCapture(() => parser.push(hex('00')), 'RECORD_TOO_BIG', 24)
    assert.deepEqual(parse(hex(header, '00000000 00000000 00000400 00000400', Buffer.alloc(MAX_RECORD_BYTES).toString('hex'))).info.packets, 1)
  })

  it('warns about a record cut short, at the offset of that record', () => {
    const cut = parse(hex(header, '00000000 00000000 04000000 04000000', 'deadbe'))
    assert.equal(cut.info.packets, 0)
    assert.equal(cut.warning?.code, 'TRUNCATED')
    assert.equal(cut.warning?.offset, 24)
    assert.equal(cut.info.offset, 43)
    const cutHeader = parse(hex(header, '00000000 00'))
    assert.equal(cutHeader.warning?.offset, 24)
    const cutFileHeader = parse(hex('d4c3b2a1 0200 04'))
    assert.deepEqual([cutFileHeader.warning?.code, cutFileHeader.warning?.offset, cutFileHeader.info.linktypes], ['TRUNCATED', 0, []])
  })

  it('reads the 42 complete records of derived_dpkt_http_cut-mid-record.pcap', (t) => {
    if (!needsShared(t)) return
    const r = parse(readFileSync(join(CAPTURES, 'derived_dpkt_http_cut-mid-record.pcap')))
    assert.equal(r.packets.length, 42)
    assert.equal(r.info.packets, 42)
    assert.equal(r.warning?.code, 'TRUNCATED')
    assert.equal(r.warning?.offset, 25733) // the 43rd record: 70 bytes announced, 43 present
    assert.equal(r.info.offset, 25776)
  })

  it('reads the one record of dpkt_truncated_dns_2.pcap before its cut record header', (t) => {
    if (!needsShared(t)) return
    const r = parse(readFileSync(join(CAPTURES, 'dpkt_truncated_dns_2.pcap')))
    assert.deepEqual([r.info.packets, r.info.snapTruncated, r.warning?.code, r.warning?.offset], [1, 1, 'TRUNCATED', 240])
  })
})

interface PcapParserEvents extends EventEmitter {
  on (event: 'packet', listener: (p: { header: { timestampSeconds: number, timestampMicroseconds: number, capturedLength: number, originalLength: number }, data: Buffer }) => void): this
  on (event: 'end' | 'error', listener: (arg: unknown) => void): this
}
const pcapParser = createRequire(import.meta.url)('pcap-parser') as { parse: (path: string) => PcapParserEvents }

/** pcap-parser's records, as [caplen, origlen, sec, nsec, bytes] (it reads a1b2c3d4 pcaps only). */
async function referenceRecords (path: string): Promise<Array<[number, number, number, number, string]>> {
  return await new Promise((resolve) => {
    const out: Array<[number, number, number, number, string]> = []
    const parser = pcapParser.parse(path)
    parser.on('packet', ({ header: h, data }) => out.push([h.capturedLength, h.originalLength, h.timestampSeconds, h.timestampMicroseconds * 1000, data.toString('hex')]))
    parser.on('error', () => {})
    parser.on('end', () => resolve(out))
  })
}

describeShared('agreement with the pcap-parser package', () => {
  // We refuse these headers on purpose (libpcap and tshark do too); pcap-parser reads on.
  const refused = new Set(['libpcap_pcap-invalid-version-1.pcap', 'libpcap_linktype-reserved-field-not-zero.pcap'])
  const files = readdirSync(CAPTURES).filter((f) => /\.(pcap|cap)$/.test(f)).filter((f) => {
    const magic = readFileSync(join(CAPTURES, f)).readUInt32BE(0)
    return (magic === 0xa1b2c3d4 || magic === 0xd4c3b2a1) && !refused.has(f)
  })

  it('covers the classic microsecond captures', () => assert.ok(files.length >= 50, `${files.length} files`))

  for (const f of files) {
    it(f, async () => {
      const path = join(CAPTURES, f)
      const mine: Array<[number, number, number, number, string]> = []
      const result = await readCapture(path, { packet: (buf, off, caplen, origlen, _lt, sec, nsec) => mine.push([caplen, origlen, sec, nsec, buf.toString('hex', off, off + caplen)]) })
      const theirs = await referenceRecords(path)
      // Both stop at a truncated last record; pcap-parser also waits silently for the 4 MB
      // record of suricata_tls_DER-incomplete-header.pcap that we refuse (RECORD_TOO_BIG).
      assert.equal(mine.length, theirs.length)
      assert.deepEqual(mine, theirs)
      assert.equal(result.info.capturedBytes, theirs.reduce((sum, r) => sum + r[0], 0))
    })
  }
})
