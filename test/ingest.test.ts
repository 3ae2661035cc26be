/** `potiron ingest` behaviour against a private redis-server: re-runs, bad files, conflicts, no Redis. */
import { after, before, beforeEach, test } from 'node:test'
import assert from 'node:assert/strict'
import { copyFileSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { withRedis } from '../src/cli/common.js'
import { RedisWriteError } from '../src/errors.js'
import { potiron, type Run } from './helpers/cli.js'
import { block, pcapOf } from './helpers/captures.js'
import { LT_USER0 } from './helpers/frames.js'
import { FIXTURES } from './helpers/shared.js'
import { dump, startRedis, type TestRedis } from './helpers/redis.js'

const GOOD = ['lab-dnsicmp-1-20130530224517.pcap', 'lab-vlan-1-20100629000000.pcap.gz']
const BAD = 'lab-broken-1-20200101000000.pcap'

let redis: TestRedis
let dir: string

before(async () => {
  redis = await startRedis()
  dir = mkdtempSync(join(tmpdir(), 'potiron-ingest-'))
  for (const name of GOOD) copyFileSync(join(FIXTURES, name), join(dir, name))
  writeFileSync(join(dir, BAD), Buffer.from('this is not a capture file at all'))
})

after(async () => {
  await redis.stop()
  rmSync(dir, { recursive: true, force: true })
})

beforeEach(async () => { await redis.client.flushall() })

async function run (...args: string[]): Promise<Run> {
  return await potiron('ingest', ...args)
}

test('a file ingested twice is skipped the second time and counts do not change', async () => {
  const path = join(dir, GOOD[0]!)
  const first = await run(path, '--unix', redis.socket, '--json')
  assert.equal(first.status, 0)
  const summary = JSON.parse(first.out[0]!) as { ingested: number, skipped: number, counted: number, members: number }
  assert.deepEqual([summary.ingested, summary.skipped, summary.counted, summary.members], [1, 0, 32, 47])
  const before = await dump(redis.client)
  const zsetMembers = Object.values(before).filter(e => e.type === 'zset').reduce((n, e) => n + Object.keys(e.value as object).length, 0)
  assert.equal(zsetMembers, 47)
  const second = await run(path, '--unix', redis.socket, '--json')
  assert.equal(second.status, 0)
  const again = JSON.parse(second.out[0]!) as { ingested: number, skipped: number, members: number }
  assert.deepEqual([again.ingested, again.skipped, again.members], [0, 1, 0])
  assert.deepEqual(await dump(redis.client), before)
  assert.deepEqual(before.FILES, { type: 'set', value: [GOOD[0]] })
})

test('a bad file among good ones: exit 1, the good ones written, the error names the file', async () => {
  const { status, out } = await run(dir, '--unix', redis.socket, '--threads', '2')
  assert.equal(status, 1)
  const text = out.join('\n')
  assert.match(text, /^files: 2 ingested, 0 skipped \(already in FILES\), 1 failed$/m)
  assert.ok(text.includes(`failed: ${join(dir, BAD)}: `), text)
  // Nothing of the bad file was read, so nothing of it is written: not even its FILES entry.
  const files = await redis.client.smembers('FILES')
  assert.deepEqual(files.sort(), [...GOOD].sort())
  assert.deepEqual(await redis.client.smembers('lab-broken-1_DAYS'), [])
  assert.equal(await redis.client.exists('lab-dnsicmp-1:20130530:dport', 'lab-vlan-1:20100629:dport'), 2)
})

test('a write Redis refuses (out of memory) fails that file, named, with nothing of it written; the others carry on; exit 1', async () => {
  assert.equal((await run(join(dir, GOOD[0]!), '--unix', redis.socket, '--quiet')).status, 0)
  const before = await dump(redis.client)
  await redis.client.config('SET', 'maxmemory', '1')
  try {
    const { status, out, err } = await run(join(dir, GOOD[1]!), join(dir, GOOD[0]!), '--unix', redis.socket, '--quiet')
    assert.equal(status, 1)
    assert.equal(err.length, 2, err.join('\n'))
    assert.equal(err[0], `potiron: redis unix:${redis.socket}`)
    assert.match(err[1]!, new RegExp(`^potiron: failed: ${join(dir, GOOD[1]!).replaceAll('.', '\\.')}: .*OOM command not allowed`))
    assert.match(out.join('\n'), /^files: 0 ingested, 1 skipped \(already in FILES\), 1 failed$/m)
  } finally {
    await redis.client.config('SET', 'maxmemory', '0')
  }
  assert.deepEqual(await dump(redis.client), before)
})

test('an ingest given settings other than the stored ones is refused and says what differs', async () => {
  const path = join(dir, GOOD[0]!)
  assert.equal((await run(path, '--unix', redis.socket, '--combined-keys')).status, 0)
  const before = await dump(redis.client)
  const { status, err } = await run(join(dir, GOOD[1]!), '--unix', redis.socket, '--no-combined-keys')
  assert.equal(status, 1)
  assert.deepEqual(err, [`potiron: redis unix:${redis.socket}`, "potiron: this database holds data counted with other settings: ck is 'True' in Redis but 'False' here (--combined-keys). Leave the option out to use the stored setting, or use another database"])
  assert.deepEqual(await dump(redis.client), before)
  const fields = await run(path, '--unix', redis.socket, '--combined-keys', '--fields', 'dport')
  assert.equal(fields.status, 1)
  assert.match(fields.err[1]!, /fields are length,protocol,.*,icmptype in Redis but dport here \(--fields\)/)
})

test('unreachable Redis: one clear line and exit 1 (no retry: a retrying run would never end)', async () => {
  const sock = join(dir, 'no-such.sock')
  const { status, out, err } = await run(join(dir, GOOD[0]!), '--unix', sock)
  assert.equal(status, 1)
  assert.deepEqual(out, [])
  assert.deepEqual(err, [`potiron: cannot reach Redis at unix:${sock}: Connection is closed.`])
})

test('--redis and --unix together is a usage error', async () => {
  const { status, err } = await run(join(dir, GOOD[0]!), '--unix', redis.socket, '--redis', 'redis://127.0.0.1:1')
  assert.equal(status, 2)
  assert.match(err[0]!, /--redis and --unix are exclusive/)
})

/** A little-endian pcapng: one Ethernet interface, then each frame in a Simple Packet Block (no timestamp). */
function pcapngOfSimpleBlocks (frames: readonly Buffer[]): Buffer {
  const shb = Buffer.alloc(16)
  shb.writeUInt32LE(0x1a2b3c4d, 0)
  shb.writeUInt16LE(1, 4)
  shb.writeBigInt64LE(-1n, 8)
  const idb = Buffer.alloc(8)
  idb.writeUInt16LE(1, 0) // Ethernet
  idb.writeUInt32LE(65535, 4)
  return Buffer.concat([block(0x0a0d0d0a, shb), block(1, idb), ...frames.map(frame => {
    const length = Buffer.alloc(4)
    length.writeUInt32LE(frame.length, 0)
    return block(3, Buffer.concat([length, frame]))
  })])
}

test('packets of a link type not decoded, and packets without a timestamp, are said once per file and counted in no day', async () => {
  const frame = Buffer.from(readFileSync(join(FIXTURES, GOOD[0]!)).subarray(40, 40 + 60))
  const user0 = join(dir, 'lab-user0-1-20240301000000.pcap')
  const undated = join(dir, 'lab-spb-1-20240302000000.pcapng')
  writeFileSync(user0, pcapOf(LT_USER0, [0, 1, 2].map(i => ({ frame, sec: 1709251200 + i }))))
  writeFileSync(undated, pcapngOfSimpleBlocks([frame, frame]))
  try {
    const { status, out } = await run(user0, undated, '--unix', redis.socket, '--json')
    assert.equal(status, 0)
    const summary = JSON.parse(out[0]!) as { ingested: number, packets: number, counted: number, members: number, warnings: unknown[] }
    assert.deepEqual([summary.ingested, summary.packets, summary.counted, summary.members], [2, 5, 0, 0])
    // In the files' order (sorted), whichever thread finished first.
    assert.deepEqual(summary.warnings, [
      { file: undated, reason: '2 packets without a usable timestamp (none, or past year 9999) counted in no day' },
      { file: user0, reason: '3 packets of link type 147 not decoded' }
    ])
    assert.deepEqual(await redis.client.keys('lab-*:2024*'), [])
  } finally {
    rmSync(user0)
    rmSync(undated)
  }
})

test('every command: Redis lost in the middle of its job, or a write Redis refused, is one line and exit 1, not an internal error', async () => {
  const lines: string[] = []
  const doomed = await startRedis()
  const lost = await withRedis({ socket: doomed.socket }, line => { lines.push(line) }, { start: false }, async r => {
    await doomed.stop()
    await r.get('x')
    return 0
  })
  const refused = await withRedis({ socket: redis.socket }, line => { lines.push(line) }, { start: false }, async () => await Promise.reject(new RedisWriteError('FILES kept changing under this write', 0)))
  assert.deepEqual([lost, refused], [1, 1])
  assert.deepEqual(lines, [
    `potiron: redis unix:${doomed.socket}`, 'potiron: lost the connection to Redis (Connection is closed.)',
    `potiron: redis unix:${redis.socket}`, 'potiron: FILES kept changing under this write'
  ])
})
