import assert from 'node:assert/strict'
import { createHash } from 'node:crypto'
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { after, describe, it } from 'node:test'
import { constants as zlibConstants, gunzipSync, gzipSync } from 'node:zlib'
import { fingerprintOf, fingerprintOfPlainFile } from '../src/capture/fingerprint.js'
import { readCapture } from '../src/capture/read.js'
import type { ReadResult } from '../src/capture/read.js'
import type { CaptureError } from '../src/errors.js'
import { FIXTURES, describeShared, needsShared } from './helpers/shared.js'
import { CAPTURES, DigestSink, PlacingSink, every, feed, hex } from './helpers/hex.js'

const tmp = mkdtempSync(join(tmpdir(), 'potiron-capture-'))
after(() => rmSync(tmp, { recursive: true, force: true }))

const VALID_MAGICS = new Set(['d4c3b2a1', 'a1b2c3d4', '4d3cb2a1', 'a1b23c4d', '34cdb2a1', 'a1b2cd34', '0a0d0d0a'])

/** Reads a file with readCapture into a DigestSink. */
async function read (path: string, chunkSize?: number): Promise<ReadResult & { digest: string }> {
  const sink = new DigestSink()
  const result = await readCapture(path, sink, chunkSize === undefined ? {} : { chunkSize })
  return { ...result, digest: sink.digest() }
}

/** Deterministic offsets in [1, length): a few hundred cut points for the big files. */
function randomCuts (length: number, count: number, seed: number): number[] {
  const cuts: number[] = []
  for (let i = 0; i < count; i++) {
    seed = (seed * 1103515245 + 12345) % 2147483648
    cuts.push(1 + Math.floor((seed / 2147483648) * (length - 1)))
  }
  return cuts
}

describeShared('any chunking gives the same result (whole, 1-byte chunks, every 2-way split)', () => {
  const files = readdirSync(CAPTURES).filter((f) => /\.(pcap|cap|pcapng)$/.test(f))
    .filter((f) => VALID_MAGICS.has(readFileSync(join(CAPTURES, f)).toString('hex', 0, 4)))

  it('covers every uncompressed capture', () => assert.equal(files.length, 74))

  for (const f of files) {
    it(f, () => {
      const data = readFileSync(join(CAPTURES, f))
      const whole = feed(data, [])
      assert.deepEqual(feed(data, every(data.length, 1), true), whole, '1-byte chunks')
      // Splits are checked call by call against the whole parse (see PlacingSink).
      const placing = new PlacingSink(data)
      const placed = feed(data, [], false, placing)
      assert.deepEqual({ ...placed, digest: whole.digest }, whole)
      const cuts = data.length <= 64 * 1024 ? every(data.length, 1) : randomCuts(data.length, 300, data.length)
      for (const cut of cuts) assert.deepEqual(feed(data, [cut], false, placing.matcher()), placed, `split at ${cut}`)
    })
  }
})

describeShared('packet counts agree with tshark', () => {
  const names = readFileSync(join(CAPTURES, 'MANIFEST.tsv'), 'utf8').trim().split('\n').slice(1).map((line) => line.split('\t')[0] ?? '')
  // Files tshark could not read to the end, with what we report instead (as [code, offset]).
  const refused: Record<string, { error?: [string, number], warning?: [string, number] }> = {
    // Cut in the middle of the 43rd record's data.
    'derived_dpkt_http_cut-mid-record.pcap': { warning: ['TRUNCATED', 25733] },
    // A full record, then 7 bytes of a record header.
    'dpkt_truncated_dns_2.pcap': { warning: ['TRUNCATED', 240] },
    // Reserved bits 16..25 of the link-type field set (0x00300000).
    'libpcap_linktype-reserved-field-not-zero.pcap': { error: ['BAD_HEADER', 0] },
    // pcap version 1.4.
    'libpcap_pcap-invalid-version-1.pcap': { error: ['BAD_HEADER', 0] },
    // pcapng SHB version 0.1.
    'libpcap_pcapng-invalid-vers-1.pcapng': { error: ['BAD_HEADER', 0] },
    // An SHB option of 12336 bytes in a 52-byte block.
    'libpcap_shb-option-too-long.pcapng': { error: ['BAD_RECORD', 0] },
    // 2696 records, then one stray byte.
    'suricata_http-mime-truncated.pcap': { warning: ['TRUNCATED', 2715459] },
    // Six records, then a garbage header announcing 4325376 bytes.
    'suricata_tls_DER-incomplete-header.pcap': { error: ['RECORD_TOO_BIG', 5035] }
  }

  it('covers the manifest', () => assert.equal(names.length, 81))

  for (const name of names) {
    it(name, async () => {
      const expected = JSON.parse(readFileSync(join(CAPTURES, 'expected', `${name}.json`), 'utf8')) as { total_packets: number, tshark_exit_code: number }
      const r = await read(join(CAPTURES, name))
      assert.equal(r.info.packets, expected.total_packets)
      const want = refused[name] ?? {}
      assert.equal(expected.tshark_exit_code === 0, refused[name] === undefined, 'tshark failed exactly on the listed files')
      assert.deepEqual(r.error === undefined ? undefined : [r.error.code, r.error.offset], want.error)
      assert.deepEqual(r.warning === undefined ? undefined : [r.warning.code, r.warning.offset], want.warning)
      assert.equal(r.info.gzip, name.endsWith('.gz'))
    })
  }
})

describe('readCapture', () => {
  it('reads gzip files like their uncompressed twins, whatever the chunk size', async (t) => {
    if (!needsShared(t)) return
    const gzipped = readdirSync(CAPTURES).filter((f) => f.endsWith('.gz') && existsSync(join(CAPTURES, f.slice(0, -3))))
    assert.deepEqual(gzipped, ['ppp_GrePackets.cap.gz', 'ppp_nanosecs_big_endian.pcap.gz', 'tcpdump_pptp.pcap.gz', 'zeek_pcapng-multi-interface.pcapng.gz'])
    for (const gz of gzipped) {
      const plain = await read(join(CAPTURES, gz.slice(0, -3)))
      for (const chunkSize of [undefined, 100, 4096]) {
        const r = await read(join(CAPTURES, gz), chunkSize)
        assert.equal(r.digest, plain.digest, gz)
        assert.deepEqual({ ...r.info, gzip: false }, plain.info)
        assert.equal(r.info.gzip, true)
        assert.deepEqual([r.error, r.warning], [undefined, undefined])
      }
    }
  })

  it('reads plain files the same in any chunk size, and like the push parser', async (t) => {
    if (!needsShared(t)) return
    const cases: Array<[string, Array<number | undefined>]> = [
      ['ppp_pcapng-example.pcapng', [undefined, 1, 1000, 65536]],
      ['zeek_ssh.pcap', [undefined, 1000, 65536]],
      ['derived_dpkt_http_cut-mid-record.pcap', [undefined, 1, 1000, 65536]]
    ]
    for (const [f, sizes] of cases) {
      const data = readFileSync(join(CAPTURES, f))
      const pushed = feed(data, [])
      for (const chunkSize of sizes) {
        const r = await read(join(CAPTURES, f), chunkSize)
        assert.equal(r.digest, pushed.digest)
        assert.deepEqual(r.info, pushed.info)
        assert.equal(r.warning === undefined ? undefined : `${r.warning.code}@${r.warning.offset}`, pushed.warning?.replace(/:.*/, ''))
      }
    }
  })

  it('reports empty files, directories and unreadable paths without throwing', async () => {
    const empty = join(tmp, 'empty.pcap')
    writeFileSync(empty, '')
    const cases: Array<[string, string]> = [
      [empty, 'EMPTY'],
      [tmp, 'NOT_A_FILE'],
      [join(tmp, 'missing.pcap'), 'UNREADABLE'],
      [join(CAPTURES, 'MANIFEST.tsv', 'x.pcap'), 'UNREADABLE'] // a file used as a directory: ENOTDIR
    ]
    for (const [path, code] of cases) {
      const r = await read(path)
      assert.deepEqual([r.error?.code, r.error?.offset, r.info.packets, r.warning], [code, 0, 0, undefined], path)
      assert.ok(r.error?.message.startsWith(`${path}: `))
    }
    const bad = join(tmp, 'text.pcap')
    writeFileSync(bad, 'hello world\n')
    assert.equal((await read(bad)).error?.code, 'BAD_MAGIC')
  })

  it('lets a failing sink throw, for plain and gzip files', async (t) => {
    if (!needsShared(t)) return
    const boom = { packet (): void { throw new Error('sink failed') } }
    await assert.rejects(readCapture(join(CAPTURES, 'zeek_ssh.pcap'), boom), /sink failed/)
    await assert.rejects(readCapture(join(CAPTURES, 'tcpdump_pptp.pcap.gz'), boom), /sink failed/)
  })
})

describeShared('damaged gzip: what decompressed is counted, the damage is reported at its offset in the compressed file', () => {
  // 1008 packets, 82,387 bytes; the gzip file is 10,774 bytes: a 38-byte header (with a file
  // name), deflate data, then CRC-32 at 10766 and ISIZE at 10770.
  const gz = readFileSync(join(CAPTURES, 'zeek_ftp-many-port-expected.pcap.gz'))
  const plain = gunzipSync(gz)
  const whole = feed(plain, [])
  const write = (name: string, data: Buffer): string => {
    const path = join(tmp, name)
    writeFileSync(path, data)
    return path
  }
  const changed = (at: number, mask = 1): Buffer => {
    const b = Buffer.from(gz)
    b[at] = b[at]! ^ mask
    return b
  }
  /** Reads `path` in the default and two tiny chunk sizes: the outcome must not depend on them. */
  async function outcome (path: string): Promise<{ packets: number, digest: string, error: string | undefined, warning: string | undefined }> {
    const results = []
    for (const chunkSize of [undefined, 1000, 7]) {
      const r = await read(path, chunkSize)
      const said = (e: CaptureError | undefined): string | undefined => e === undefined ? undefined : `${e.code}@${e.offset}: ${e.message.slice(path.length + 2)}`
      results.push({ packets: r.info.packets, digest: r.digest, error: said(r.error), warning: said(r.warning) })
    }
    assert.deepEqual(results[1], results[0], 'chunk size 1000')
    assert.deepEqual(results[2], results[0], 'chunk size 7')
    return results[0]!
  }

  it('checks its sample', () => {
    assert.deepEqual([gz.length, plain.length, whole.info.packets, whole.error, whole.warning, gz.indexOf(0, 10) + 1], [10774, 82387, 1008, undefined, undefined, 38])
  })

  it('trailing garbage: every packet, then a warning at the garbage; zero padding is ignored', async () => {
    assert.deepEqual(await outcome(write('garbage.pcap.gz', Buffer.concat([gz, Buffer.from('not gzip\n')]))), {
      packets: 1008, digest: whole.digest, error: undefined,
      warning: 'TRAILING_GARBAGE@10774: gzip: 9 bytes of trailing garbage after the last member ignored (at byte offset 10774)'
    })
    assert.deepEqual(await outcome(write('zeros-garbage.pcap.gz', Buffer.concat([gz, Buffer.alloc(100000), Buffer.from([0x1f])]))), {
      packets: 1008, digest: whole.digest, error: undefined,
      warning: 'TRAILING_GARBAGE@10774: gzip: 100001 bytes of trailing garbage after the last member ignored (at byte offset 10774)'
    })
    assert.deepEqual(await outcome(write('lone-magic.pcap.gz', Buffer.concat([gz, Buffer.from([0x1f])]))), {
      packets: 1008, digest: whole.digest, error: undefined,
      warning: 'TRAILING_GARBAGE@10774: gzip: 1 byte of trailing garbage after the last member ignored (at byte offset 10774)'
    })
    assert.deepEqual(await outcome(write('zeros.pcap.gz', Buffer.concat([gz, Buffer.alloc(100000)]))),
      { packets: 1008, digest: whole.digest, error: undefined, warning: undefined })
  })

  it('a bad CRC-32 or ISIZE: every packet that decompressed, then an error at that field', async () => {
    assert.deepEqual(await outcome(write('crc.pcap.gz', changed(10766))), {
      packets: 1008, digest: whole.digest, warning: undefined,
      error: 'CORRUPT_GZIP@10766: gzip: member 1 fails its CRC-32 check, its data may be corrupt (82387 bytes decompressed) (at byte offset 10766)'
    })
    assert.deepEqual(await outcome(write('isize.pcap.gz', changed(10773, 0x80))), {
      packets: 1008, digest: whole.digest, warning: undefined,
      error: 'CORRUPT_GZIP@10770: gzip: member 1 fails its length check (ISIZE), its data may be corrupt (82387 bytes decompressed) (at byte offset 10770)'
    })
    // One bit of a literal in the deflate data: every packet decodes, with one wrong byte, and the CRC tells.
    const payload = await outcome(write('payload.pcap.gz', changed(5000)))
    assert.notEqual(payload.digest, whole.digest)
    assert.deepEqual({ ...payload, digest: '' }, {
      packets: 1008, digest: '', warning: undefined,
      error: 'CORRUPT_GZIP@10766: gzip: member 1 fails its CRC-32 check, its data may be corrupt (82387 bytes decompressed) (at byte offset 10766)'
    })
    // Damage that breaks the capture's records: the capture's own error comes first, at its offset in the content.
    const broken = Buffer.from(gz)
    for (let i = 5000; i < 5008; i++) broken[i] = broken[i]! ^ 0xff
    assert.deepEqual((await outcome(write('broken.pcap.gz', broken))).error,
      'RECORD_TOO_BIG@37144: pcap record of 808204599 bytes exceeds the 262144-byte limit (at byte offset 37144)')
  })

  it('truncated: every packet that decompressed, then an error at the end of the file', async () => {
    const cut = gz.subarray(0, 5387)
    const readable = gunzipSync(cut, { finishFlush: zlibConstants.Z_SYNC_FLUSH })
    assert.equal(readable.length, 40034)
    assert.deepEqual(await outcome(write('truncated.pcap.gz', cut)), {
      packets: 489, digest: feed(readable, []).digest, warning: undefined,
      error: 'CORRUPT_GZIP@5387: gzip: compressed data cut short inside member 1 (40034 bytes decompressed) (at byte offset 5387)'
    })
    assert.deepEqual(await outcome(write('no-isize.pcap.gz', gz.subarray(0, 10770))), {
      packets: 1008, digest: whole.digest, warning: undefined,
      error: 'CORRUPT_GZIP@10770: gzip: compressed data cut short inside member 1 (82387 bytes decompressed) (at byte offset 10770)'
    })
    assert.deepEqual(await outcome(write('header-cut.pcap.gz', Buffer.concat([gz, gz.subarray(0, 20)]))), {
      packets: 1008, digest: whole.digest, warning: undefined,
      error: 'CORRUPT_GZIP@10794: gzip: compressed data cut short inside member 2 (82387 bytes decompressed) (at byte offset 10794)'
    })
  })

  it('several members: read as one stream; damage in the second is reported there', async () => {
    const first = gzipSync(plain.subarray(0, 40034))
    const second = gzipSync(plain.subarray(40034))
    assert.deepEqual([first.length, second.length], [5482, 5762])
    const members = Buffer.concat([first, second])
    assert.deepEqual(await outcome(write('members.pcap.gz', members)), { packets: 1008, digest: whole.digest, error: undefined, warning: undefined })
    const r = await read(join(tmp, 'members.pcap.gz'))
    assert.deepEqual(r.content, fingerprintOf(plain))
    const crc = Buffer.from(members)
    crc[members.length - 8] = crc[members.length - 8]! ^ 1
    assert.deepEqual(await outcome(write('members-crc.pcap.gz', crc)), {
      packets: 1008, digest: whole.digest, warning: undefined,
      error: 'CORRUPT_GZIP@11236: gzip: member 2 fails its CRC-32 check, its data may be corrupt (82387 bytes decompressed) (at byte offset 11236)'
    })
    // Deflate data that zlib refuses near the start of member 2: member 1's 489 packets count, and
    // the damage is placed in the 64 KiB of compressed data the salvage gave zlib (here: from
    // member 2's data on). What came out of member 2 before zlib saw the damage counts too: in
    // small chunks the fast reader gets that far (one more packet here), in 4 MiB ones it does not.
    const deflate = Buffer.from(members)
    deflate[first.length + 151] = deflate[first.length + 151]! ^ 0x55
    const path = write('members-deflate.pcap.gz', deflate)
    const big = await read(path)
    assert.deepEqual([big.info.packets, big.digest, big.error?.code, big.error?.offset, big.error?.message], [
      489, feed(plain.subarray(0, 40034), []).digest, 'CORRUPT_GZIP', 5492,
      `${path}: gzip: member 2 corrupt (invalid distance too far back) within compressed bytes 5492-11244 (40034 bytes decompressed) (at byte offset 5492)`
    ])
    const small = await read(path, 7)
    assert.deepEqual([small.info.packets, small.error?.code, small.error?.offset, small.content.bytes], [490, 'CORRUPT_GZIP', 5492, 40074])
    assert.match(small.error?.message ?? '', /\(40074 bytes decompressed\)/)
  })

  it('a big damaged file: every packet, whatever the chunk size (the salvage reads it again in 64 KiB pieces)', async () => {
    // 4000 records of 200 bytes of 4-bit noise: 864,024 bytes that deflate to about half.
    const big = Buffer.alloc(24 + 4000 * 216)
    hex('d4c3b2a1 0200 0400 00000000 00000000 ffff0000 01000000').copy(big)
    let x = 1
    for (let i = 0; i < 4000; i++) {
      const at = 24 + i * 216
      big.writeUInt32LE(1700000000 + i, at)
      big.writeUInt32LE(200, at + 8)
      big.writeUInt32LE(200, at + 12)
      for (let j = at + 16; j < at + 216; j++) {
        x ^= x << 13; x ^= x >>> 17; x ^= x << 5
        big[j] = 0x40 + (x & 15)
      }
    }
    const bigGz = gzipSync(big)
    assert.equal(bigGz.length, 451372)
    bigGz[bigGz.length - 8] = bigGz[bigGz.length - 8]! ^ 1
    assert.deepEqual(await outcome(write('big-crc.pcap.gz', bigGz)), {
      packets: 4000, digest: feed(big, []).digest, warning: undefined,
      error: 'CORRUPT_GZIP@451364: gzip: member 1 fails its CRC-32 check, its data may be corrupt (864024 bytes decompressed) (at byte offset 451364)'
    })
  })
})

describeShared('content fingerprint', () => {
  /** The definition, written out: SHA-256 of the decimal length, a newline, the first and the last 4096 bytes. */
  const expected = (content: Buffer): { bytes: number, fingerprint: string } => {
    const edge = Math.min(4096, content.length)
    const hash = createHash('sha256').update(`${content.length}\n`).update(content.subarray(0, edge)).update(content.subarray(content.length - edge))
    return { bytes: content.length, fingerprint: hash.digest('hex').slice(0, 32) }
  }

  it('is the same for a capture and its gzip copy, whatever the chunk size, and as defined', async () => {
    for (const name of ['ppp_GrePackets.cap', 'zeek_pcapng-multi-interface.pcapng', 'tcpdump_pptp.pcap']) {
      const plain = join(CAPTURES, name)
      const content = readFileSync(plain)
      const want = expected(content)
      assert.equal(want.fingerprint.length, 32)
      assert.deepEqual(fingerprintOf(content), want, name)
      assert.deepEqual(await fingerprintOfPlainFile(plain), want, name)
      for (const path of [plain, `${plain}.gz`]) {
        for (const chunkSize of [undefined, 1000, 1]) {
          const r = await readCapture(path, { packet () {} }, chunkSize === undefined ? {} : { chunkSize })
          assert.deepEqual(r.content, want, `${path}, chunk size ${chunkSize ?? 'default'}`)
        }
      }
    }
  })

  it('changes with the length, the head or the tail, not with the middle (by design)', async () => {
    // A capture cut to 20,000 bytes: read to its end (a TRUNCATED warning), so all of it is content.
    const base = readFileSync(join(CAPTURES, 'arkime_http2-nghttp2.pcap')).subarray(0, 20000)
    const changed = (at: number): Buffer => { const b = Buffer.from(base); b[at] = b[at]! ^ 1; return b }
    const of = (b: Buffer): string => fingerprintOf(b).fingerprint
    assert.notEqual(of(Buffer.concat([base, Buffer.from([0])])), of(base))
    assert.notEqual(of(base.subarray(1)), of(base))
    assert.notEqual(of(changed(0)), of(base))
    assert.notEqual(of(changed(4095)), of(base))
    assert.notEqual(of(changed(15904)), of(base)) // first byte of the tail
    assert.notEqual(of(changed(19999)), of(base))
    assert.equal(of(changed(4096)), of(base))
    assert.equal(of(changed(15903)), of(base))
    // Shorter than two edges: head and tail overlap; empty content too.
    for (const b of [base.subarray(0, 5000), base.subarray(0, 10), Buffer.alloc(0)]) assert.deepEqual(fingerprintOf(b), expected(b))
    assert.deepEqual(fingerprintOf(Buffer.alloc(0)), { bytes: 0, fingerprint: createHash('sha256').update('0\n').digest('hex').slice(0, 32) })
    // Read from disk, plain and gzip, in tiny chunks: the rolling tail is kept across them.
    const path = join(tmp, 'fingerprint.bin')
    writeFileSync(path, base)
    assert.deepEqual(await fingerprintOfPlainFile(path), expected(base))
    writeFileSync(`${path}.gz`, gzipSync(base))
    for (const p of [path, `${path}.gz`]) {
      for (const chunkSize of [3, 4096, 5000]) assert.deepEqual((await readCapture(p, { packet () {} }, { chunkSize })).content, expected(base), `${p} ${chunkSize}`)
    }
  })
})

describe('readCapture progress', () => {
  /** Packet records of a little-endian classic pcap that end within its first `bytes` bytes. */
  function recordsWithin (pcap: Buffer, bytes: number): number {
    let n = 0
    for (let at = 24; at + 16 <= pcap.length; n++) {
      at += 16 + pcap.readUInt32LE(at + 8)
      if (at > bytes) break
    }
    return n
  }
  /** A clock that moves 100 ms each time it is read: one read per chunk, so a report every third chunk. */
  function clock (): () => number {
    let t = 0
    return () => (t += 100)
  }
  const FILE = join(FIXTURES, 'lab-ipv6http-1-20060513202315.pcap')

  it('plain: bytes read and packets at the first chunk, then every 250 ms of its clock (not each chunk), then at the end', async () => {
    const pcap = readFileSync(FILE)
    assert.equal(pcap.length, 41990)
    let packets = 0
    const reports: Array<[number, number]> = []
    await readCapture(FILE, { packet () { packets++ } }, { chunkSize: 4096, progress: { report: bytes => { reports.push([bytes, packets]) }, now: clock() } })
    // Eleven chunks: the first, the 4th, 7th and 10th (300 ms apart), and the end.
    const at = [4096, 4 * 4096, 7 * 4096, 10 * 4096, 41990]
    assert.deepEqual(reports, at.map(bytes => [bytes, recordsWithin(pcap, bytes)]))
    assert.deepEqual(reports.map(([, n]) => n), [11, 35, 58, 77, 81], 'packets move with the bytes')
  })

  it('gzip: bytes of the compressed file, non-decreasing, several before the end, and the whole file at the end', async () => {
    const gz = join(tmp, 'progress.pcap.gz')
    writeFileSync(gz, gzipSync(readFileSync(FILE)))
    const size = readFileSync(gz).length
    let packets = 0
    const reports: Array<[number, number]> = []
    await readCapture(gz, { packet () { packets++ } }, { chunkSize: 1024, progress: { report: bytes => { reports.push([bytes, packets]) }, now: clock() } })
    assert.deepEqual(reports.at(-1), [size, 81])
    const sorted = (xs: number[]): boolean => xs.every((x, i) => i === 0 || xs[i - 1]! <= x)
    assert.ok(sorted(reports.map(([b]) => b)) && sorted(reports.map(([, n]) => n)), JSON.stringify(reports))
    const before = reports.filter(([b, n]) => b < size && n < 81)
    assert.ok(new Set(before.map(([b]) => b)).size >= 3 && new Set(before.map(([, n]) => n)).size >= 3, JSON.stringify(reports))
  })
})
