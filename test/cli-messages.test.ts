/**
 * What the command line says when it refuses or reports (issue 13, points 5 to 7), read exactly:
 * counts in the singular, files counted again with --force.
 */
import { after, before, test } from 'node:test'
import assert from 'node:assert/strict'
import { copyFileSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { ingestOptions } from '../src/cli/ingest.js'
import { createProgress } from '../src/cli/progress.js'
import { plural } from '../src/plural.js'
import { evolutionPage } from '../src/server/pages.js'
import { potiron, type Run } from './helpers/cli.js'
import { pcapOf } from './helpers/captures.js'
import { LT_USER0 } from './helpers/frames.js'
import { startRedis, type TestRedis } from './helpers/redis.js'
import { FIXTURES } from './helpers/shared.js'

const DNS = 'lab-dnsicmp-1-20130530224517.pcap'
const SENSOR = 'lab-dnsicmp-1'

let redis: TestRedis
let dir: string

/** The DNS capture (32 packets of 2013-05-30: 22 icmp, 10 udp, 5 of them to port 53) counted with combined keys. */
before(async () => {
  redis = await startRedis()
  dir = mkdtempSync(join(tmpdir(), 'potiron-messages-'))
  copyFileSync(join(FIXTURES, DNS), join(dir, DNS))
  const { status } = await potiron('ingest', join(dir, DNS), '--unix', redis.socket, '--combined-keys', '--quiet')
  assert.equal(status, 0)
})

after(async () => {
  await redis.stop()
  rmSync(dir, { recursive: true, force: true })
})

/** Each text the command wrote, split into its lines. */
function lines (texts: readonly string[]): string[] {
  return texts.flatMap(t => t.split('\n'))
}

/** The summary's last line without its clock: `N s, M packets/s` made `T s, R packets/s`. */
function timeless (run: Run): string[] {
  return lines(run.out).map(line => line.replace(/; \d+\.\d\d s, \d+ packets\/s$/, '; T s, R packets/s'))
}

/** `frames` as a pcap of link type `linktype`, then a record that claims 2 GiB: the capture fails there. */
function failingAfter (linktype: number, frames: readonly Buffer[]): Buffer {
  const capture = pcapOf(linktype, frames.map((frame, i) => ({ frame, sec: 1369954000 + i })))
  const huge = Buffer.alloc(16)
  huge.writeUInt32LE(1369954100, 0)
  huge.writeUInt32LE(0x7fffffff, 8)
  huge.writeUInt32LE(0x7fffffff, 12)
  return Buffer.concat([capture, huge])
}

test('a capture failing midway says what became of the packets before the error: one ingested, or none counted (not "the 0 packets")', async () => {
  const frame = readFileSync(join(FIXTURES, DNS)).subarray(40, 40 + 60)
  const one = join(dir, 'lab-onebad-1-20130530000000.pcap')
  const none = join(dir, 'lab-nonebad-1-20130530000000.pcap')
  writeFileSync(one, failingAfter(1, [frame]))
  writeFileSync(none, failingAfter(LT_USER0, [frame, frame]))
  const at = 24 + 16 + frame.length
  const run = await potiron('ingest', one, none, '--unix', redis.socket, '--combined-keys', '--quiet')
  assert.equal(run.status, 1)
  const reasons = [
    `${none}: pcap record of 2147483647 bytes exceeds the 262144-byte limit (at byte offset ${at + 16 + frame.length}); no packet before it was counted (2 packets read)`,
    `${one}: pcap record of 2147483647 bytes exceeds the 262144-byte limit (at byte offset ${at}); the 1 packet before it was ingested`
  ]
  assert.deepEqual(timeless(run), ['files: 0 ingested, 0 skipped (already in FILES), 2 failed', ...reasons.map(r => `  failed: ${r}`), 'packets: 3 read, 1 counted; members: 12; T s, R packets/s'])
  // With --force, the file in FILES is read again: its readable part is recounted, not ingested.
  const again = await potiron('ingest', one, '--unix', redis.socket, '--combined-keys', '--quiet', '--force')
  assert.deepEqual([again.status, lines(again.err)], [1, [`potiron: failed: ${reasons[1]!.replace(/ingested$/, 'recounted (--force)')}`]])
})

test('--force on a file already counted: "recounted", not "ingested"; its counts stay as they were', async () => {
  const forced = await potiron('ingest', join(dir, DNS), '--unix', redis.socket, '--combined-keys', '--quiet', '--force')
  assert.equal(forced.status, 0)
  assert.deepEqual(timeless(forced), [
    'files: 0 ingested, 1 recounted (--force, counts unchanged), 0 skipped (already in FILES), 0 failed',
    'packets: 32 read, 32 counted; members: 0; T s, R packets/s'
  ])
  const json = await potiron('ingest', join(dir, DNS), '--unix', redis.socket, '--combined-keys', '--quiet', '--force', '--json')
  const summary = JSON.parse(json.out[0]!) as { ingested: number, replaced: number }
  assert.deepEqual([summary.ingested, summary.replaced], [1, 1])
})

test('counts in the singular: one file written, one day with data (report index, dashboard evolution), one file in progress', async () => {
  const out = join(dir, 'report')
  const report = await potiron('report', '--sensor', SENSOR, '--fields', 'dport', '--unix', redis.socket, '--out', out)
  assert.equal(report.status, 0)
  const index = readFileSync(join(out, 'index.html'), 'utf8').split('\n')
  assert.deepEqual(index.filter(line => line.includes('with data')), ['<p>1 day with data; top 10 values per chart, leaving out -1.</p>'])
  const page = evolutionPage('', {
    sensor: SENSOR, field: 'dport', title: 'destination port', value: '53', label: 'domain', until: '2013-05-30', days: 1, protocol: null, protocols: [],
    series: [{ name: 'total', points: [{ day: '2013-05-30', count: 1 }] }]
  })
  assert.deepEqual(page.split('\n').filter(line => line.includes('with data')), ['<p class="muted">Sensor lab-dnsicmp-1: 1 packet over 1 day with data. Click a point for that day\'s overview.</p>'])
  const printed: string[] = []
  const progress = createProgress({ mode: 'lines', files: new Map([['a.pcap', 10]]), write: line => { printed.push(line) }, now: () => 0, intervalMs: 0 })
  progress.onFile('a.pcap', 'ingested', '', 1)
  assert.deepEqual(printed, ['potiron: 1/1 file (1 ingested, 0 skipped, 0 failed), 1 packet, 0 packets/s, ETA 0s'])
  assert.deepEqual([plural(0, 'file'), plural(1, 'day'), plural(2, 'packet'), plural(1234, 'packet', '1,234')], ['0 files', '1 day', '2 packets', '1,234 packets'])
})

test('--combined-keys says exactly what it writes: per-protocol keys instead of the plain ones', async () => {
  const keys = (await redis.client.keys(`${SENSOR}:*:dport`)).sort()
  assert.deepEqual(keys, [`${SENSOR}:icmp:20130530:dport`, `${SENSOR}:udp:20130530:dport`])
  const description = ingestOptions['combined-keys'].description
  assert.equal(description, "Count per protocol instead: <sensor>:<proto>:<day>:<field> keys and the PROTOCOLS set, no <sensor>:<day>:<field> keys (the original's -ck; exports and serve add the protocols up)")
  const help = await potiron('ingest', '--help')
  assert.ok(help.out.join('\n').replace(/\s+/g, ' ').includes(description), 'ingest --help shows it')
})
