/**
 * potiron's own redis-server (real redis-server, temp data dirs) and how `ingest` finds Redis:
 * the default falls back to it, an address given on the command line never does.
 */
import { after, test } from 'node:test'
import assert from 'node:assert/strict'
import { spawnSync } from 'node:child_process'
import { chmodSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { Redis } from 'ioredis'
import { potiron } from './helpers/cli.js'
import { stopServer } from '../src/redis-server/process.js'
import { BIN, FIXTURES, ROOT } from './helpers/shared.js'

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

/** Runs `f` as npm runs the checkout's `potiron` script (`npm run potiron -- ...`), or (false) as the installed bin. */
async function runAs<T> (npm: boolean, f: () => Promise<T>): Promise<T> {
  const previous = process.env.npm_lifecycle_event
  if (npm) process.env.npm_lifecycle_event = 'potiron'
  else delete process.env.npm_lifecycle_event
  try {
    return await f()
  } finally {
    if (previous === undefined) delete process.env.npm_lifecycle_event
    else process.env.npm_lifecycle_event = previous
  }
}

/** The last command a message names, between single quotes. */
function hintOf (line: string | undefined): string {
  const hint = /'([^']+)'[^']*$/.exec(line ?? '')?.[1]
  assert.ok(hint !== undefined, line)
  return hint
}

/**
 * Runs a command line as the user would paste it: in a shell, in the checkout, with `potiron`
 * on PATH as `npm install -g` puts it (a launcher of the built CLI).
 */
function shell (line: string): { status: number | null, stdout: string, stderr: string } {
  const bin = join(temp(), 'bin')
  mkdirSync(bin)
  writeFileSync(join(bin, 'potiron'), `#!/bin/sh\nexec '${process.execPath}' '${BIN}' "$@"\n`)
  chmodSync(join(bin, 'potiron'), 0o755)
  return spawnSync('sh', ['-c', line], { cwd: ROOT, env: { ...process.env, PATH: `${bin}:${process.env.PATH ?? ''}` }, encoding: 'utf8', timeout: 60_000 })
}

test('redis start says how to stop it as the user runs potiron (npm run potiron -- ... in the checkout, potiron ... installed), and that works as written', async () => {
  for (const npm of [true, false]) {
    // A space in the directory: the hint quotes it.
    const dir = join(temp(), 'my redis')
    const socket = join(dir, 'redis.sock')
    try {
      const started = await runAs(npm, async () => await potiron('redis', 'start', '--dir', dir))
      const stop = `${npm ? 'npm run potiron --' : 'potiron'} redis stop --dir "${dir}"`
      assert.deepEqual(started, { status: 0, out: [`potiron's redis-server started on ${socket} (data in ${dir}); stop it with '${stop}'`], err: [] })
      const stopped = shell(hintOf(started.out[0]))
      assert.equal(stopped.status, 0, stopped.stderr)
      assert.equal(stopped.stdout.trimEnd().split('\n').at(-1), `potiron's redis-server on ${socket} stopped (append-only file saved in ${dir})`)
      assert.equal(existsSync(join(dir, 'redis.pid')), false)
    } finally {
      // after() stops the servers in temp()/redis only.
      await stopServer(dir).catch(() => {})
    }
  }
})

test('run by npm run potiron: the hints to start and stop potiron\'s own redis-server, to write a report, to get help, all name npm run potiron -- and work from the checkout', async () => {
  const dir = join(temp(), 'redis')
  const socket = join(dir, 'redis.sock')
  const site = join(dir, '..', 'site')
  const capture = join(FIXTURES, 'lab-dnsicmp-1-20130530224517.pcap')
  process.env.POTIRON_REDIS_DIR = dir
  try {
    const down = await runAs(true, async () => await potiron('report', '--out', site))
    assert.deepEqual(down, { status: 1, out: [], err: [`potiron: cannot reach Redis at ${CLOSED}, and potiron's own redis-server (unix:${socket}) is not running: pass --redis URL / --unix SOCKET, or 'npm run potiron -- redis start'`] })
    const start = shell(hintOf(down.err[0]))
    assert.equal(start.status, 0, start.stderr)
    assert.equal(start.stdout.trimEnd().split('\n').at(-1), `potiron's redis-server started on ${socket} (data in ${dir}); stop it with 'npm run potiron -- redis stop'`)
    const ingest = await runAs(true, async () => await potiron('ingest', capture, '--quiet'))
    assert.equal(ingest.status, 0)
    assert.deepEqual(ingest.err, [`potiron: no Redis at ${CLOSED}; using potiron's own redis-server (data in ${dir}); stop it with 'npm run potiron -- redis stop'`, `potiron: redis unix:${socket} (potiron's own)`])
    const again = await runAs(true, async () => await potiron('ingest', capture, '--quiet', '--report', site))
    assert.equal(again.err.at(-1), `potiron: --report: this run counted nothing new, so no report was written (use 'npm run potiron -- report --out ${site}' for data already in Redis)`)
    const report = shell(hintOf(again.err.at(-1)))
    assert.equal(report.status, 0, report.stderr)
    assert.match(report.stdout.trimEnd().split('\n').at(-1)!, new RegExp(`^\\d+ files written under ${site}; open ${site}/index\\.html$`))
    const usage = await runAs(true, async () => await potiron('frobnicate'))
    assert.deepEqual(usage, { status: 2, out: [], err: ["potiron: unknown command 'frobnicate'\nRun 'npm run potiron -- --help' for usage."] })
    const help = shell(hintOf(usage.err[0]))
    assert.equal(help.status, 0, help.stderr)
    assert.match(help.stdout, /^npm run potiron -- <command> \[options\]$/m)
    const stop = shell(hintOf(ingest.err[0]))
    assert.equal(stop.status, 0, stop.stderr)
    assert.equal(stop.stdout.trimEnd().split('\n').at(-1), `potiron's redis-server on ${socket} stopped (append-only file saved in ${dir})`)
  } finally {
    process.env.POTIRON_REDIS_DIR = NO_OWN
  }
})
