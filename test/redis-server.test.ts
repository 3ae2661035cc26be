/**
 * potiron's own redis-server (real redis-server, temp data dirs) and how `ingest` finds Redis:
 * the default falls back to it, an address given on the command line never does.
 */
import { after, test } from 'node:test'
import assert from 'node:assert/strict'
import { spawnSync } from 'node:child_process'
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { Redis } from 'ioredis'
import { potiron } from './helpers/cli.js'
import { stopServer } from '../src/redis-server/process.js'
import { BIN, FIXTURES } from './helpers/shared.js'

// The default Redis of these tests is a closed port: the one on 127.0.0.1:6379 is never touched.
const CLOSED = 'redis://127.0.0.1:1'
process.env.REDIS_URL = CLOSED
// Set by helpers/cli.ts, so that no test reaches the own redis-server of whoever runs them: put back after each test that sets its own.
const NO_OWN = process.env.POTIRON_REDIS_DIR
const temps: string[] = []

function temp (): string {
  const dir = mkdtempSync(join(tmpdir(), 'potiron-srv-'))
  temps.push(dir)
  return dir
}

after(async () => {
  // A failed test may leave a server running: stop every one these tests may have started.
  for (const dir of temps) {
    await stopServer(join(dir, 'redis')).catch(() => {})
    rmSync(dir, { recursive: true, force: true })
  }
})

async function keys (socket: string): Promise<number> {
  const client = new Redis({ path: socket, lazyConnect: true })
  await client.connect()
  try { return await client.dbsize() } finally { client.disconnect() }
}

test('redis start, status, stop: a round trip, data kept in the append-only file across restarts', async () => {
  const dir = join(temp(), 'redis')
  const socket = join(dir, 'redis.sock')
  assert.deepEqual(await potiron('redis', 'status', '--dir', dir), { status: 1, out: [`stopped (${socket}, data in ${dir})`], err: [] })
  assert.deepEqual(await potiron('redis', 'start', '--dir', dir), { status: 0, out: [`potiron's redis-server started on ${socket} (data in ${dir}); stop it with 'potiron redis stop --dir ${dir}'`], err: [] })
  const pid = readFileSync(join(dir, 'redis.pid'), 'utf8').trim()
  assert.deepEqual(await potiron('redis', 'status', '--dir', dir), { status: 0, out: [`running on ${socket}, 0 keys (data in ${dir})`], err: [] })
  // Idempotent: a second start finds it answering and leaves it alone.
  assert.deepEqual(await potiron('redis', 'start', '--dir', dir), { status: 0, out: [`potiron's redis-server is already running on ${socket}`], err: [] })
  assert.equal(readFileSync(join(dir, 'redis.pid'), 'utf8').trim(), pid)

  const client = new Redis({ path: socket })
  await client.set('kept', 'yes')
  client.disconnect()
  assert.deepEqual(await potiron('redis', 'stop', '--dir', dir), { status: 0, out: [`potiron's redis-server on ${socket} stopped (append-only file saved in ${dir})`], err: [] })
  assert.equal(existsSync(join(dir, 'redis.pid')), false)
  assert.deepEqual(await potiron('redis', 'status', '--dir', dir), { status: 1, out: [`stopped (${socket}, data in ${dir})`], err: [] })
  assert.deepEqual(await potiron('redis', 'stop', '--dir', dir), { status: 0, out: [`potiron's redis-server is not running (${socket})`], err: [] })

  assert.equal((await potiron('redis', 'start', '--dir', dir)).status, 0)
  const again = new Redis({ path: socket })
  assert.equal(await again.get('kept'), 'yes')
  again.disconnect()
  assert.equal((await potiron('redis', 'stop', '--dir', dir)).status, 0)
})

test('ingest with the default Redis down starts potiron\'s own, says so, and uses it the next time', async () => {
  const dir = join(temp(), 'redis')
  const socket = join(dir, 'redis.sock')
  process.env.POTIRON_REDIS_DIR = dir
  try {
    const first = await potiron('ingest', FIXTURES, '--json')
    assert.equal(first.status, 0)
    assert.deepEqual(first.err.slice(0, 2), [`potiron: no Redis at ${CLOSED}; started potiron's own redis-server (data in ${dir}); stop it with 'potiron redis stop'`, `potiron: redis unix:${socket} (potiron's own)`])
    // Any further stderr line is periodic progress (a slow machine may take over 2 s).
    for (const line of first.err.slice(2)) assert.match(line, /^potiron: \d\/7 files /)
    assert.deepEqual((JSON.parse(first.out[0]!) as { ingested: number, failed: unknown[] }).ingested, 7)
    // The fixtures' keys, and potiron:files.
    assert.equal(await keys(socket), 96)

    const second = await potiron('ingest', FIXTURES, '--json', '--quiet')
    assert.equal(second.status, 0)
    assert.deepEqual(second.err, [`potiron: no Redis at ${CLOSED}; using potiron's own redis-server (data in ${dir}); stop it with 'potiron redis stop'`, `potiron: redis unix:${socket} (potiron's own)`])
    assert.equal((JSON.parse(second.out[0]!) as { skipped: number }).skipped, 7)
    assert.deepEqual(await potiron('redis', 'stop'), { status: 0, out: [`potiron's redis-server on ${socket} stopped (append-only file saved in ${dir})`], err: [] })
  } finally {
    process.env.POTIRON_REDIS_DIR = NO_OWN
  }
})

test('default Redis down and no redis-server on PATH: one line saying what to install or pass, exit 1', () => {
  const home = temp()
  const bin = join(home, 'bin')
  mkdirSync(bin)
  symlinkSync(process.execPath, join(bin, 'node'))
  const dir = join(home, 'redis')
  const child = spawnSync('node', [BIN, 'ingest', FIXTURES], { env: { PATH: bin, HOME: home, REDIS_URL: CLOSED, POTIRON_REDIS_DIR: dir }, encoding: 'utf8', timeout: 20_000 })
  assert.equal(child.status, 1, child.stderr)
  assert.equal(child.stdout, '')
  assert.equal(child.stderr, `potiron: cannot reach Redis at ${CLOSED} and redis-server is not on PATH to start potiron's own: install redis-server (apt-get install redis-server) or pass --redis URL / --unix SOCKET\n`)
  assert.equal(existsSync(dir), false)
})

test('an unreachable --unix or --redis given by hand: one line, exit 1, nothing started', async () => {
  const home = temp()
  const dir = join(home, 'redis')
  process.env.POTIRON_REDIS_DIR = dir
  try {
    const sock = join(home, 'none.sock')
    const unix = await potiron('ingest', FIXTURES, '--unix', sock)
    assert.equal(unix.status, 1)
    assert.deepEqual(unix.out, [])
    // The reason after the colon is the client library's.
    assert.equal(unix.err.length, 1)
    assert.ok(unix.err[0]!.startsWith(`potiron: cannot reach Redis at unix:${sock}: `), unix.err[0])
    const url = await potiron('ingest', FIXTURES, '--redis', CLOSED)
    assert.equal(url.status, 1)
    assert.equal(url.err.length, 1)
    assert.ok(url.err[0]!.startsWith(`potiron: cannot reach Redis at ${CLOSED}: `), url.err[0])
    assert.equal(existsSync(dir), false)
  } finally {
    process.env.POTIRON_REDIS_DIR = NO_OWN
  }
})
