/**
 * What the command line says when it refuses or reports (issue 13, points 5 to 7), read exactly:
 * values a month's data does not hold, numbers and dates as typed, mistyped flags, a URL that is
 * none, a missing file, counts in the singular, files counted again with --force.
 */
import { after, before, test } from 'node:test'
import assert from 'node:assert/strict'
import { copyFileSync, existsSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { settingOptions } from '../src/cli/settings.js'
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
/** The line every command that talks to Redis begins with, naming it. */
let NAMED: string

/** The DNS capture (32 packets of 2013-05-30: 22 icmp, 10 udp, 5 of them to port 53) counted with combined keys. */
before(async () => {
  redis = await startRedis()
  NAMED = `potiron: redis unix:${redis.socket}`
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

test('plot month: a protocol the data does not hold is a usage error naming the ones it holds; nothing is written', async () => {
  const out = join(dir, 'plot-refused')
  const run = await potiron('plot', 'month', '--field', 'dport', '--values', '53', '53-xyz', '--sensor', SENSOR, '--unix', redis.socket, '--out', out)
  assert.deepEqual([run.status, run.out, run.err], [2, [], [NAMED, "potiron: --values 53-xyz: this data has no protocol 'xyz' (its protocols: icmp, udp; or 53-* for each)"]])
  assert.equal(existsSync(out), false)
})

test('plot month: a value with no packet in the month is drawn, and one warning names the field, the values and the month; exit 0', async () => {
  const out = join(dir, 'plot-unseen')
  const run = await potiron('plot', 'month', '--field', 'dport', '--values', '53', '9999', '53-icmp', '--sensor', SENSOR, '--unix', redis.socket, '--out', out)
  assert.equal(run.status, 0)
  assert.deepEqual(run.err, [NAMED, 'potiron: warning: no packet with dport 9999, 53-icmp in 2013-05 on sensor lab-dnsicmp-1: their lines are flat at 0'])
  const page = `${SENSOR}_2013-05_destination-port_with-protocols_53_53-icmp_9999.html`
  assert.deepEqual(run.out, [`${plural(readdirSync(out).length - 1, 'file')} written under ${out}; open ${join(out, page)}`])
  const one = await potiron('plot', 'month', '--field', 'dport', '--values', '9999', '--sensor', SENSOR, '--unix', redis.socket, '--out', out)
  assert.deepEqual([one.status, one.err], [0, [NAMED, 'potiron: warning: no packet with dport 9999 in 2013-05 on sensor lab-dnsicmp-1: its line is flat at 0']])
})

test('numbers and dates: the refusal quotes what was typed, a date the calendar lacks is said so, and points to the command\'s --help', async () => {
  const csv = ['export', 'csv', '--field', 'dport', '--unix', redis.socket]
  const refused = async (...args: string[]): Promise<[number, string[], string[]]> => {
    const run = await potiron(...args)
    return [run.status, run.out, lines(run.err)]
  }
  const hint = "Run 'potiron export csv --help' for usage."
  assert.deepEqual(await refused(...csv, '--date', '2013-05', '--limit', 'abc'), [2, [], ["potiron: --limit: expected a whole number from 1 to 100000, got 'abc'", hint]])
  assert.deepEqual(await refused(...csv, '--date', '2013-05', '--limit', '2.5'), [2, [], ["potiron: --limit: expected a whole number from 1 to 100000, got '2.5'", hint]])
  assert.deepEqual(await refused(...csv, '--date', '2010-02-30'), [2, [], ['potiron: --date: 2010-02-30 does not exist (2010-02 has 28 days)', hint]])
  assert.deepEqual(await refused(...csv, '--date', '2012-02-30'), [2, [], ['potiron: --date: 2012-02-30 does not exist (2012-02 has 29 days)', hint]])
  assert.deepEqual(await refused(...csv, '--date', '2013-13'), [2, [], ['potiron: --date: 2013-13 does not exist (there is no month 13)', hint]])
  assert.deepEqual(await refused(...csv, '--date', '30/05/2013'), [2, [], ["potiron: --date: expected YYYY-MM-DD or YYYY-MM, got '30/05/2013'", hint]])
  assert.deepEqual(await refused('plot', 'month', '--field', 'dport', '--values', '53', '--date', '2013-05-30'),
    [2, [], ["potiron: --date: expected YYYY-MM, got '2013-05-30'", "Run 'potiron plot month --help' for usage."]])
  assert.deepEqual(await refused('ingest', 'x.pcap', '--threads', 'many'), [2, [], ["potiron: --threads: expected a whole number from 1 to 1024, got 'many'", "Run 'potiron ingest --help' for usage."]])
  assert.deepEqual(await refused('ingest', 'x.pcap', '--min-age', '2m'), [2, [], ["potiron: --min-age: expected a number of seconds, 0 or more, got '2m'", "Run 'potiron ingest --help' for usage."]])
  assert.deepEqual(await refused('serve', '--port', 'http'), [2, [], ["potiron: --port: expected a whole number from 0 to 65535, got 'http'", "Run 'potiron serve --help' for usage."]])
  const byDefault = await potiron(...csv, '--date', '2013-05-30', '--sensor', SENSOR, '--out', join(dir, 'csv-default'))
  assert.deepEqual([byDefault.status, byDefault.out, byDefault.err], [0, [`1 file written under ${join(dir, 'csv-default')}`], [NAMED]])
})

test('a mistyped flag or command: "did you mean", and the --help of the command named', async () => {
  const said = async (...args: string[]): Promise<[number, string[]]> => {
    const run = await potiron(...args)
    return [run.status, lines(run.err)]
  }
  assert.deepEqual(await said('inspect', 'x.pcap', '--jsno'), [2, ['potiron: unknown option --jsno (did you mean --json?)', "Run 'potiron inspect --help' for usage."]])
  // yargs checks required options first: the flag meant is then "missing".
  assert.deepEqual(await said('export', 'csv', '--field', 'dport', '--dat', '2013-05'),
    [2, ['potiron: Missing required argument: date; unknown option --dat (did you mean --date?)', "Run 'potiron export csv --help' for usage."]])
  assert.deepEqual(await said('export', 'csv', '--field', 'dport', '--date', '2013-05', '--limt', '3', 'extra', '--frobnicate'),
    [2, ["potiron: unknown option --limt (did you mean --limit?); unknown option --frobnicate; unexpected argument 'extra'", "Run 'potiron export csv --help' for usage."]])
  assert.deepEqual(await said('inpsect', 'x.pcap'), [2, ["potiron: unknown command 'inpsect' (did you mean inspect?)", "Run 'potiron --help' for usage."]])
  assert.deepEqual(await said('frobnicate'), [2, ["potiron: unknown command 'frobnicate'", "Run 'potiron --help' for usage."]])
})

test('--redis that is no Redis URL is a usage error saying so (its password hidden), before any connection', async () => {
  const said = async (url: string): Promise<[number, string[]]> => {
    const run = await potiron('export', 'csv', '--field', 'dport', '--date', '2013-05', '--redis', url)
    return [run.status, lines(run.err)]
  }
  const refusal = (shown: string): string[] => [
    `potiron: --redis: '${shown}' is not a Redis URL: expected redis://[:password@]host[:port][/db] (rediss:// for TLS), or --unix SOCKET for a unix socket`,
    "Run 'potiron export csv --help' for usage."
  ]
  assert.deepEqual(await said('notaurl'), [2, refusal('notaurl')])
  assert.deepEqual(await said('http://db:6379'), [2, refusal('http://db:6379')])
  assert.deepEqual(await said('redis://:s3cret@db:99999/0'), [2, refusal('redis://***@db:99999/0')])
  assert.deepEqual(await said('redis://db/cache'), [2, refusal('redis://db/cache')])
})

test('a file that does not exist is said so first, whatever its name; a file cut at once is said in the singular', async () => {
  const missing = join(dir, 'nosuch.pcap')
  const gone = `${missing}: cannot read: ENOENT: no such file or directory, stat '${missing}' (at byte offset 0)`
  const ingest = await potiron('ingest', missing, '--unix', redis.socket, '--combined-keys', '--quiet')
  assert.equal(ingest.status, 1)
  assert.deepEqual(ingest.err, [NAMED, `potiron: failed: ${gone}; nothing counted`])
  assert.deepEqual(timeless(ingest), [
    'files: 0 ingested, 0 skipped (already in FILES), 1 failed', `  failed: ${gone}; nothing counted`, 'packets: 0 read, 0 counted; members: 0; T s, R packets/s', `redis: unix:${redis.socket}`
  ])
  const json = await potiron('json', missing, '--out', join(dir, 'json'))
  assert.deepEqual([json.status, json.err], [1, [`potiron: ${gone}`]])
  const remove = await potiron('remove', missing, '--unix', redis.socket)
  assert.deepEqual([remove.status, remove.err], [1, [NAMED, `potiron: failed: ${gone}; nothing removed`]])
  const tiny = join(dir, 'lab-tiny-1-20130530000000.pcap')
  writeFileSync(tiny, 'x')
  const cut = await potiron('ingest', tiny, '--unix', redis.socket, '--combined-keys', '--quiet')
  assert.deepEqual([cut.status, cut.err], [1, [NAMED, `potiron: failed: ${tiny}: file too short to be a capture (1 byte) (at byte offset 0); nothing counted`]])
  rmSync(tiny)
})

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
  assert.deepEqual(timeless(run), ['files: 0 ingested, 0 skipped (already in FILES), 2 failed', ...reasons.map(r => `  failed: ${r}`), 'packets: 3 read, 1 counted; members: 12; T s, R packets/s', `redis: unix:${redis.socket}`])
  // With --force, the file in FILES is read again: its readable part is recounted, not ingested.
  const again = await potiron('ingest', one, '--unix', redis.socket, '--combined-keys', '--quiet', '--force')
  assert.deepEqual([again.status, lines(again.err)], [1, [NAMED, `potiron: failed: ${reasons[1]!.replace(/ingested$/, 'recounted (--force)')}`]])
})

test('--force on a file already counted: "recounted", not "ingested"; its counts stay as they were', async () => {
  const forced = await potiron('ingest', join(dir, DNS), '--unix', redis.socket, '--combined-keys', '--quiet', '--force')
  assert.equal(forced.status, 0)
  assert.deepEqual(timeless(forced), [
    'files: 0 ingested, 1 recounted (--force, counts unchanged), 0 skipped (already in FILES), 0 failed',
    'packets: 32 read, 32 counted; members: 0; T s, R packets/s',
    `redis: unix:${redis.socket}`
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
  assert.deepEqual(index.filter(line => line.includes('with data')), ['<p>1 day with data; top 10 values per chart, leaving out each field\'s "not set" value (-1; 0 for iptos; 255 for icmpcode and icmptype).</p>'])
  const page = evolutionPage('', {
    sensor: SENSOR, field: 'dport', title: 'destination port', value: '53', label: 'domain', until: '2013-05-30', days: 1, protocol: null, protocols: [], aggregation: 'day',
    series: [{ name: 'total', points: [{ day: '2013-05-30', count: 1 }] }]
  })
  assert.deepEqual(page.split('\n').filter(line => line.includes('with data')), ['<p class="muted">Sensor lab-dnsicmp-1: 1 packet over 1 day with data (days without any capture are gaps in the lines). Click a point for that day\'s overview.</p>'])
  const printed: string[] = []
  const progress = createProgress({ mode: 'lines', files: new Map([['a.pcap', 10]]), write: line => { printed.push(line) }, now: () => 0, intervalMs: 0 })
  progress.onFile('a.pcap', 'ingested', '', 1)
  assert.deepEqual(printed, ['potiron: 1/1 file (1 ingested, 0 skipped, 0 failed), 1 packet, 0 packets/s, ETA 0s'])
  assert.deepEqual([plural(0, 'file'), plural(1, 'day'), plural(2, 'packet'), plural(1234, 'packet', '1,234')], ['0 files', '1 day', '2 packets', '1,234 packets'])
})

test('--combined-keys says exactly what it writes: per-protocol keys instead of the plain ones', async () => {
  const keys = (await redis.client.keys(`${SENSOR}:*:dport`)).sort()
  assert.deepEqual(keys, [`${SENSOR}:icmp:20130530:dport`, `${SENSOR}:udp:20130530:dport`])
  const description = settingOptions['combined-keys'].description
  assert.equal(description, "Count per protocol instead: <sensor>:<proto>:<day>:<field> keys and the PROTOCOLS set, no <sensor>:<day>:<field> keys (the original's -ck; exports and serve add the protocols up); default: as stored in the database's PARAMETERS, else off")
  const help = await potiron('ingest', '--help')
  assert.ok(help.out.join('\n').replace(/\s+/g, ' ').includes(description), 'ingest --help shows it')
})
