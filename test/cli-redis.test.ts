/**
 * Which Redis a command uses (issue 13 item 1): every command that talks to Redis names it once
 * on stderr, the ingest summary repeats it, a password is never shown, and a database holding
 * no potiron data says when the other one potiron could have used does. Two real servers:
 * potiron's own ($POTIRON_REDIS_DIR) and a private one standing for the default ($REDIS_URL, a
 * socket path, which ioredis takes as an address): never 127.0.0.1:6379.
 */
import { after, before, test } from 'node:test'
import assert from 'node:assert/strict'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { Redis } from 'ioredis'
import { startServer, stopServer } from '../src/redis-server/process.js'
import { nameOf } from '../src/store/connection.js'
import { serve } from '../src/cli/serve.js'
import { potiron } from './helpers/cli.js'
import { startRedis, type TestRedis } from './helpers/redis.js'
import { FIXTURES } from './helpers/shared.js'

const DNS = join(FIXTURES, 'lab-dnsicmp-1-20130530224517.pcap')
const home = mkdtempSync(join(tmpdir(), 'potiron-which-'))
const ownDir = join(home, 'own')
const own = join(ownDir, 'redis.sock')
const out = join(home, 'out')
const OWN = `potiron: redis unix:${own} (potiron's own)`
const NO_SENSOR = 'potiron: this database holds no sensor data (no <sensor>_DAYS set)'
let ownClient: Redis
let other: TestRedis

before(async () => {
  process.env.POTIRON_REDIS_DIR = ownDir
  await startServer(ownDir)
  ownClient = new Redis({ path: own })
  other = await startRedis()
  process.env.REDIS_URL = other.socket
})

after(async () => {
  ownClient.disconnect()
  await stopServer(ownDir)
  await other.stop()
  rmSync(home, { recursive: true, force: true })
})

/** Summary lines with the time and rate (which vary) masked. */
function summary (lines: readonly string[]): string[] {
  return lines.join('\n').split('\n').map(l => l.replace(/; [\d.]+ s, \d+ packets\/s$/, '; T s, R packets/s'))
}

test('ingest names the Redis it writes to once on stderr, and again at the end of its summary', async () => {
  const run = await potiron('ingest', DNS, '--unix', own, '--quiet')
  assert.deepEqual([run.status, run.err], [0, [OWN]])
  assert.deepEqual(summary(run.out), [
    'files: 1 ingested, 0 skipped (already in FILES), 0 failed',
    'packets: 32 read, 32 counted; members: 47; T s, R packets/s',
    `redis: unix:${own} (potiron's own)`
  ])
})

test('export csv, report and serve on the default Redis, which holds nothing: named, and pointed to potiron\'s own, which holds the data', async () => {
  const hint = `potiron: this database holds no potiron data, but potiron's own redis-server (unix:${own}) does: pass --unix ${own} to use it`
  const csv = await potiron('export', 'csv', '--field', 'dport', '--date', '2013-05-30', '--out', out)
  assert.deepEqual(csv, { status: 2, out: [], err: [`potiron: redis unix:${other.socket}`, hint, NO_SENSOR] })
  const report = await potiron('report', '--out', out)
  assert.deepEqual(report, { status: 2, out: [], err: [`potiron: redis unix:${other.socket}`, hint, NO_SENSOR] })
  // serve, which keeps its own connection, names it and points the same way.
  const lines: string[] = []
  const options = { target: { fallback: true } as const, host: '127.0.0.1', port: 0, basePath: '', readOnly: false, allowedHosts: [] }
  assert.equal(await serve(options, { out: line => { lines.push(line) }, err: line => { lines.push(line) } }, Promise.resolve()), 0)
  assert.deepEqual(lines.map(l => l.replace(/:\d+\/;/, ':PORT/;')), [
    `potiron: redis unix:${other.socket}`, 'potiron serve: connected to Redis', hint, 'potiron serve: listening on http://127.0.0.1:PORT/; Ctrl-C to stop'
  ])
  // Given the socket, the same command reads the data, and says where from.
  const given = await potiron('export', 'csv', '--field', 'dport', '--date', '2013-05-30', '--out', out, '--unix', own)
  assert.deepEqual(given, { status: 0, out: [`1 file written under ${out}`], err: [OWN] })
})

test('the other way round: potiron\'s own holds nothing, the default Redis holds the data', async () => {
  assert.equal((await potiron('ingest', DNS, '--quiet')).status, 0)
  await ownClient.flushall()
  const csv = await potiron('export', 'csv', '--field', 'dport', '--date', '2013-05-30', '--out', out, '--unix', own)
  assert.deepEqual(csv, {
    status: 2,
    out: [],
    err: [OWN, `potiron: this database holds no potiron data, but the default Redis (unix:${other.socket}) does: leave out --unix to use it`, NO_SENSOR]
  })
  const remove = await potiron('remove', DNS, '--unix', own)
  assert.deepEqual(remove, {
    status: 1,
    out: [],
    err: [OWN, `potiron: this database holds no potiron data, but the default Redis (unix:${other.socket}) does: leave out --unix to use it`, 'potiron: nothing to remove: this database holds no ingested data (no PARAMETERS)']
  })
})

test('the default Redis down: readers name potiron\'s own redis-server they fall back to', async () => {
  process.env.REDIS_URL = 'redis://127.0.0.1:1'
  try {
    const report = await potiron('report', '--out', out)
    assert.deepEqual(report, { status: 2, out: [], err: ["potiron: no Redis at redis://127.0.0.1:1; using potiron's own redis-server", OWN, NO_SENSOR] })
  } finally {
    process.env.REDIS_URL = other.socket
  }
})

test('a password in the address is never shown: not when connected, not when unreachable', async () => {
  const locked = await startRedis()
  try {
    await locked.client.config('SET', 'requirepass', 's3cret')
    // $REDIS_URL as a socket path with its password (--redis takes redis:// URLs only).
    process.env.REDIS_URL = `${locked.socket}?password=s3cret`
    let run
    try {
      run = await potiron('export', 'csv', '--field', 'dport', '--date', '2013-05-30', '--out', out)
    } finally {
      process.env.REDIS_URL = other.socket
    }
    assert.deepEqual(run, { status: 2, out: [], err: [`potiron: redis unix:${locked.socket}`, NO_SENSOR] })
    const down = await potiron('report', '--redis', 'redis://:s3cret@127.0.0.1:1/2')
    // After the colon, the client library's reason.
    assert.deepEqual([down.status, down.out, down.err.length], [1, [], 1])
    assert.match(down.err[0]!, /^potiron: cannot reach Redis at redis:\/\/127\.0\.0\.1:1\/2: [^@]*$/)
    assert.doesNotMatch(down.err[0]!, /s3cret/)
    // Every way a URL carries one: user info (an '@' in the password too; the user name stays), a password= query item.
    assert.deepEqual(['redis://:s3cret@db:6379/1', 'rediss://me:s3@cret@db/0', 'redis://db:6379?password=s3cret&family=6', 'redis://db:6379'].map(url => nameOf({ url })),
      ['redis://db:6379/1', 'rediss://me@db/0', 'redis://db:6379?family=6', 'redis://db:6379'])
  } finally {
    await locked.stop()
  }
})
