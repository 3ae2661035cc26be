/**
 * Several hosts, one queue of files: `ingest --queue` then `potiron worker` processes (two "hosts"
 * by POTIRON_HOST) on private redis-servers, compared key by key with a clean `potiron ingest` of
 * the same files into another one (BullMQ's `bull:*` keys aside). A worker killed with kill -9
 * mid-file: its job comes back once its lock expires, another worker finishes it, counted once.
 */
import { after, before, test } from 'node:test'
import assert from 'node:assert/strict'
import { mkdirSync, mkdtempSync, readdirSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { basename, join } from 'node:path'
import type { Redis } from 'ioredis'
import { dailyCaptures } from '../bench/util.js'
import { Queue, Worker } from 'bullmq'
import { queueStatus, type QueueStatus } from '../src/coordinator/queue-status.js'
import { bullConnection, type JobDone } from '../src/coordinator/queue.js'
import { cli, fixturesWithDamaged, killAll, run, server, workerWhenGone, stop, until } from './helpers/processes.js'
import { dump, withoutBookkeeping, type Dump } from './helpers/redis.js'
import { teardown, within } from './helpers/teardown.js'

let root: string

before(() => { root = mkdtempSync(join(tmpdir(), 'potiron-queue-')) })

after(async () => {
  await teardown(
    ...killAll(),
    () => { rmSync(root, { recursive: true, force: true }) }
  )
})

async function status (socket: string, name: string): Promise<QueueStatus> {
  const r = await run(['queue', 'status', name, '--unix', socket, '--json'])
  assert.equal(r.code, 0, r.stderr)
  return JSON.parse(r.stdout) as QueueStatus
}

/** The database without BullMQ's keys (`bull:*`, deleted first: dump knows no streams) nor a batch's leftovers. */
async function counts (client: Redis): Promise<Dump> {
  const bull = await client.keys('bull:*')
  if (bull.length > 0) await client.del(...bull)
  return withoutBookkeeping(await dump(client))
}

test('two workers over the fixtures and a damaged file: the database of a clean ingest, the damaged file failed with ingest\'s reason', async () => {
  const { captures, damaged } = fixturesWithDamaged(root)
  const files = readdirSync(captures).length
  assert.equal(files, 8)

  const clean = await server(root, 'clean')
  const ingest = await run(['ingest', captures, '--unix', clean.socket, '--json', '--threads', '2'])
  assert.equal(ingest.code, 1, ingest.stderr)
  const summary = JSON.parse(ingest.stdout) as { packets: number, failed: Array<{ file: string, reason: string }>, warnings: Array<{ file: string, reason: string }> }
  assert.equal(summary.failed.length, 1)
  assert.equal(summary.failed[0]!.file, damaged)

  const shared = await server(root, 'shared')
  const queued = await run(['ingest', captures, '--unix', shared.socket, '--queue', 'backfill'])
  assert.equal(queued.code, 0, queued.stderr)
  assert.equal(queued.stdout, `${files} files queued on backfill\n`)
  const again = await run(['ingest', captures, '--unix', shared.socket, '--queue', 'backfill', '--json'])
  assert.deepEqual(JSON.parse(again.stdout), { queue: 'backfill', queued: 0, already: files })

  const a = cli(['worker', '--queue', 'backfill', '--unix', shared.socket, '--threads', '1'], { POTIRON_HOST: 'a' })
  const b = cli(['worker', '--queue', 'backfill', '--unix', shared.socket, '--threads', '1'], { POTIRON_HOST: 'b' })
  try {
    await until('every job settled', async () => { const s = await status(shared.socket, 'backfill'); return s.completed + s.failed === files })
  } finally {
    await stop(a)
    await stop(b)
  }
  const s = await status(shared.socket, 'backfill')
  assert.deepEqual({ waiting: s.waiting, active: s.active, completed: s.completed, failed: s.failed }, { waiting: 0, active: 0, completed: files - 1, failed: 1 })
  assert.deepEqual(s.failures, [{ file: damaged, reason: summary.failed[0]!.reason }])
  // The truncated fixture is counted with a warning naming where it is cut, as ingest says it.
  assert.equal(summary.warnings.length, 1)
  assert.deepEqual(s.warnings, summary.warnings)
  assert.equal(s.fleet?.files, files - 1)
  assert.equal(s.fleet?.packets, summary.packets)
  assert.equal(s.hosts.reduce((n, h) => n + h.packets, 0), summary.packets)
  assert.equal(s.hosts.reduce((n, h) => n + h.files, 0), files - 1)
  for (const h of s.hosts) assert.ok(h.host === 'a' || h.host === 'b', h.host)
  const text = await run(['queue', 'status', 'backfill', '--unix', shared.socket])
  assert.match(text.stdout, /^queue {6}backfill\nwaiting {4}0\nactive {5}0\ncompleted {2}7\nfailed {5}1\nfleet {6}\d+ packets\/s \(2252 packets in 7 files, \d+\.\d\d s\)\n/)
  // As ingest prints a failure (progress.ts named): the reason after the file, unless it names it.
  const reason = summary.failed[0]!.reason
  const warning = summary.warnings[0]!
  const warned = warning.reason.startsWith(warning.file) ? warning.reason : `${warning.file}: ${warning.reason}`
  assert.ok(text.stdout.endsWith(`  failed: ${reason.startsWith(damaged) ? reason : `${damaged}: ${reason}`}\n  warning: ${warned}\n`), text.stdout)

  assert.deepEqual(await counts(shared.client), await counts(clean.client))

  // Queued again once done: the counted files are skipped (in FILES), the damaged one fails again; nothing doubles.
  const requeued = await run(['ingest', captures, '--unix', shared.socket, '--queue', 'backfill', '--json'])
  assert.deepEqual(JSON.parse(requeued.stdout), { queue: 'backfill', queued: files, already: 0 })
  const c = cli(['worker', '--queue', 'backfill', '--unix', shared.socket, '--threads', '1'], { POTIRON_HOST: 'c' })
  try {
    await until('every job settled again', async () => { const s = await status(shared.socket, 'backfill'); return s.waiting + s.active === 0 && s.completed + s.failed === files })
  } finally {
    await stop(c)
  }
  const after = await status(shared.socket, 'backfill')
  assert.deepEqual({ completed: after.completed, failed: after.failed }, { completed: files - 1, failed: 1 })
  assert.deepEqual(await counts(shared.client), await counts(clean.client))
})

test('kill -9 of a worker mid-file: the job comes back after its lock expires, another worker finishes it, the file counted once', async (t) => {
  const big = join(root, 'big')
  mkdirSync(big)
  const [file] = await dailyCaptures(big, 'honeypot', 1704067200, 1, 300_000)
  const name = basename(file!)

  const clean = await server(root, 'clean-big')
  const ingest = await run(['ingest', big, '--unix', clean.socket, '--json', '--threads', '2', '--sensor', 'honeypot'])
  assert.equal(ingest.code, 0, ingest.stderr)
  const packets = (JSON.parse(ingest.stdout) as { packets: number }).packets

  const shared = await server(root, 'shared-big')
  assert.equal((await run(['ingest', big, '--unix', shared.socket, '--queue', 'big', '--sensor', 'honeypot'])).stdout, '1 file queued on big\n')
  const env = { POTIRON_QUEUE_LOCK_MS: '2000' }
  const a = cli(['worker', '--queue', 'big', '--unix', shared.socket, '--threads', '2'], { ...env, POTIRON_HOST: 'a' })
  // Writing: the job in hand, and the file half in (its marker, or its batch's staging keys).
  let seen = ''
  await until('worker a writing the file', async () => {
    if (await shared.client.llen('bull:big:active') === 0) return false
    const part = await shared.client.exists(`potiron:part:${name}`)
    const staged = (await shared.client.keys('potiron:stage:*')).length
    seen = part === 1 ? 'its potiron:part marker' : `${staged} staging keys`
    return part === 1 || staged > 0
  }, 60_000, 2)
  a.child.kill('SIGKILL')
  const killed = await within(10_000, 'worker a killed', a.done)
  assert.equal(killed.signal, 'SIGKILL')
  t.diagnostic(`worker a killed with ${seen}`)
  assert.equal(await shared.client.sismember('FILES', name), 0, `killed with ${seen}, yet the file is in FILES already`)

  const b = cli(['worker', '--queue', 'big', '--unix', shared.socket, '--threads', '2'], { ...env, POTIRON_HOST: 'b' })
  try {
    await until('the job completed by worker b', async () => (await status(shared.socket, 'big')).completed === 1)
  } finally {
    await stop(b)
  }
  const s = await status(shared.socket, 'big')
  assert.deepEqual({ waiting: s.waiting, active: s.active, completed: s.completed, failed: s.failed, failures: s.failures }, { waiting: 0, active: 0, completed: 1, failed: 0, failures: [] })
  assert.deepEqual(s.hosts.map(h => [h.host, h.files, h.packets]), [['b', 1, packets]])
  assert.deepEqual(await shared.client.smembers('FILES'), [name])
  assert.deepEqual(await counts(shared.client), await counts(clean.client))
})

test('Redis gone under a worker: one line, exit 1, within seconds, instead of waiting for ever', async () => {
  const gone = await server(root, 'gone')
  const exit = await workerWhenGone(['--unix', gone.socket], async () => { await gone.stop() })
  assert.equal(exit.code, 1, exit.stderr)
  assert.equal(exit.stderr.trimEnd().split('\n').pop(), 'potiron: lost the connection to Redis (connection closed); the worker stops: the files not counted stay on the queue (the one in hand once its lock expires), start it again once Redis is back')
})

test('queue status over more completed jobs than one page: every job counted once, per host', async () => {
  const many = await server(root, 'many')
  const connection = bullConnection({ socket: many.socket })
  const queue = new Queue('many', { connection })
  const n = 2500
  try {
    await queue.addBulk(Array.from({ length: n }, (_, i) => ({ name: 'file', data: { file: `/f${i}` }, opts: { jobId: `j${i}` } })))
    // Each job "counts" i packets on host a or b.
    const workerConnection = bullConnection({ socket: many.socket })
    const worker = new Worker('many', async (job): Promise<JobDone> => {
      const i = Number((job.data as { file: string }).file.slice(2))
      return await Promise.resolve({ host: i % 2 === 0 ? 'a' : 'b', packets: i, counted: i, filtered: 0, members: 0, days: {}, ms: 0, outcome: 'ingested', warnings: [] })
    }, { connection: workerConnection, concurrency: 50 })
    try {
      await until('every job completed', async () => await queue.getCompletedCount() === n, 60_000)
    } finally {
      await worker.close()
      workerConnection.disconnect()
    }
    const s = await queueStatus(connection, 'many')
    assert.equal(s.completed, n)
    assert.deepEqual([s.fleet?.files, s.fleet?.packets], [n, n * (n - 1) / 2])
    assert.deepEqual(s.hosts.map(h => [h.host, h.files, h.packets]), [['a', n / 2, (n / 2) * (n - 2) / 2], ['b', n / 2, (n / 2) * n / 2]])
  } finally {
    await queue.close()
    connection.disconnect()
  }
})
