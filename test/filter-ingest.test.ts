/**
 * `--filter` through the commands (issue 18, "Filters"): ingest counts only the matching
 * packets and keeps the expression in PARAMETERS `tshark_filter`; a later ingest without it uses
 * it and says so, another one is refused; remove reads the files again through it; inspect and
 * json count and write the matching packets only; a filter potiron cannot apply is a usage error.
 * Against a private redis-server.
 */
import { after, before, beforeEach, test } from 'node:test'
import assert from 'node:assert/strict'
import { mkdtempSync, readFileSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { potiron } from './helpers/cli.js'
import { startRedis, type TestRedis } from './helpers/redis.js'
import { FIXTURES } from './helpers/shared.js'

const DNS = join(FIXTURES, 'lab-dnsicmp-1-20130530224517.pcap')
/** 2,011 packets, 1,994 of them a SYN without ACK (`tcpdump -r FILE 'tcp[tcpflags] & (tcp-syn|tcp-ack) == tcp-syn'`). */
const SYN = join(FIXTURES, 'lab-synscan-1-20100704202416.pcapng')
const SYNS = 'tcp[tcpflags] & (tcp-syn|tcp-ack) == tcp-syn'
let redis: TestRedis
let dir: string
let NAMED: string

before(async () => {
  redis = await startRedis()
  dir = mkdtempSync(join(tmpdir(), 'potiron-filter-'))
  NAMED = `potiron: redis unix:${redis.socket}`
})

after(async () => {
  await redis.stop()
  rmSync(dir, { recursive: true, force: true })
})

beforeEach(async () => { await redis.client.flushall() })

async function ingest (...args: string[]): Promise<{ status: number, out: string[], err: string[] }> {
  return await potiron('ingest', ...args, '--unix', redis.socket, '--quiet')
}

/** The sum of a sorted set's scores. */
async function total (key: string): Promise<number> {
  const flat = await redis.client.zrange(key, 0, -1, 'WITHSCORES')
  let sum = 0
  for (let i = 1; i < flat.length; i += 2) sum += Number(flat[i])
  return sum
}

test('ingest --filter counts the matching packets, keeps the filter, uses it when left out and refuses another', async () => {
  const first = await ingest(SYN, '--filter', SYNS)
  assert.equal(first.status, 0)
  assert.match(first.out.join('\n'), /^packets: 2011 read, 1994 counted, 17 filtered out \(--filter\);/m)
  assert.equal((await redis.client.hgetall('PARAMETERS')).tshark_filter, SYNS)
  assert.equal(await total('lab-synscan-1:20100704:dport'), 1994)
  const status = await potiron('status', '--unix', redis.socket)
  assert.ok(status.out.join('\n').includes(`settings: combined keys off, selection default, tz UTC, filter '${SYNS}'`))
  // Left out: the stored filter, said; the DNS capture has no SYN, so it counts nothing.
  const second = await ingest(DNS)
  assert.deepEqual([second.status, second.err], [0, [NAMED, `potiron: using the database's settings: --filter '${SYNS}'`]])
  assert.deepEqual(await redis.client.keys('lab-dnsicmp-1:*'), [])
  // Another one is refused before anything is read.
  const other = await ingest(DNS, '--filter', 'udp')
  assert.equal(other.status, 1)
  assert.match(other.err.join('\n'), new RegExp(`tshark_filter is '${SYNS.replace(/[[\]()|&]/g, '\\$&')}' in Redis but 'udp' here \\(--filter\\)`))
  // remove reads the capture again through the stored filter: every count goes.
  const removed = await potiron('remove', SYN, '--unix', redis.socket)
  assert.equal(removed.status, 0)
  assert.deepEqual(await redis.client.keys('lab-synscan-1:*'), [])
})

test('a database without a filter refuses one', async () => {
  assert.equal((await ingest(DNS)).status, 0)
  const refused = await ingest(SYN, '--filter', 'tcp')
  assert.equal(refused.status, 1)
  assert.match(refused.err.join('\n'), /tshark_filter is '' in Redis but 'tcp' here \(--filter\)/)
  // '' says "no filter", as stored.
  assert.equal((await ingest(SYN, '--filter', '')).status, 0)
})

test('inspect and json --filter count and write the matching packets only', async () => {
  const inspected = await potiron('inspect', '--json', SYN, '--filter', SYNS)
  const report = JSON.parse(inspected.out[0]!) as { packets: number, counted: number, filtered: number }
  assert.deepEqual([report.packets, report.counted, report.filtered], [2011, 1994, 17])
  const written = await potiron('json', DNS, '--out', dir, '--filter', 'udp port 53')
  assert.equal(written.status, 0)
  const documents = JSON.parse(readFileSync(join(dir, '2013', '05', '30', 'lab-dnsicmp-1-20130530224517.json'), 'utf8')) as Array<Record<string, unknown>>
  assert.equal(documents[0]!.tshark_filter, 'udp port 53')
  // Ports are strings in the original's documents.
  assert.ok(documents.slice(1).every(d => d.protocol === 17 && (d.sport === '53' || d.dport === '53')))
  assert.equal(documents.length - 1, 10)
})

test('a filter potiron cannot apply is a usage error naming it and where it is', async () => {
  const run = await potiron('inspect', SYN, '--filter', 'tcp and ether src 00:11:22:33:44:55')
  assert.equal(run.status, 2)
  assert.equal(run.err.join('\n').split('\n')[0], "potiron: --filter 'tcp and ether src 00:11:22:33:44:55': 'ether' is not supported: potiron does not decode Ethernet addresses (at character 9)")
  const syntax = await ingest(SYN, '--filter', 'port 22 or')
  assert.equal(syntax.status, 2)
  assert.match(syntax.err.join('\n'), /--filter 'port 22 or': the filter ends where a primitive was expected \(at character 11\)/)
})
