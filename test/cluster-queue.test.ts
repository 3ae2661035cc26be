/**
 * The queue of files on a Redis Cluster (issue 15): `ingest --queue`, two `potiron worker`
 * processes and `queue status` against a real cluster of 3 masters (test/helpers/cluster.ts),
 * compared key by key with a clean `potiron ingest` of the same files into one Redis (the slot
 * markers and the queue's keys aside). Every key of the queue shares the hash tag
 * `{potiron-queue}`, so BullMQ's scripts stay in one slot while the data spreads over every
 * master. A worker killed with kill -9 mid-file: another one finishes the file, counted once.
 */
import { after, before, test } from 'node:test'
import assert from 'node:assert/strict'
import { mkdirSync, mkdtempSync, readdirSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { basename, join } from 'node:path'
import { dailyCaptures } from '../bench/util.js'
import type { QueueStatus } from '../src/coordinator/queue-status.js'
import { slotOf } from '../src/store/cluster.js'
import { clusterClient, sameDayFile, startCluster, type TestCluster } from './helpers/cluster.js'
import { dump, startRedis, withoutBookkeeping, type Dump, type TestRedis } from './helpers/redis.js'
import type { Exit } from './helpers/spawned.js'
import { cli, fixturesWithDamaged, killAll, run, stop, until, workerWhenGone } from './helpers/processes.js'
import { teardown, within } from './helpers/teardown.js'

/** BullMQ's prefix on a cluster (docs/cluster.md, "The queue of files"). */
const QUEUE = '{potiron-queue}'

let root: string
let cluster: TestCluster
let single: TestRedis

before(async () => {
  root = mkdtempSync(join(tmpdir(), 'potiron-cluster-queue-'));
  [cluster, single] = await Promise.all([startCluster({ masters: 3 }), startRedis()])
})

after(async () => {
  await teardown(
    ...killAll(),
    async () => { await cluster?.stop() },
    async () => { await single?.stop() },
    () => { rmSync(root, { recursive: true, force: true }) }
  )
})

async function status (name: string): Promise<QueueStatus> {
  const r = await run(['queue', 'status', name, '--redis', cluster.url, '--json'])
  assert.equal(r.code, 0, r.stderr)
  return JSON.parse(r.stdout) as QueueStatus
}

async function flush (): Promise<void> {
  await Promise.all([single.client.flushall(), ...cluster.masters.map(async m => await m.client.flushall())])
}

/** Every master's keys matching `pattern`, one list per master. */
async function keysOf (pattern: string): Promise<string[][]> {
  return await Promise.all(cluster.masters.map(async m => (await m.client.keys(pattern)).sort()))
}

/**
 * The queue's keys: every one on the same master and in the same slot (the one of its hash tag),
 * and none elsewhere; they are deleted (dump knows no streams) and returned, sorted.
 */
async function takeQueueKeys (): Promise<string[]> {
  const everywhere = await keysOf('*')
  const queue = everywhere.map(keys => keys.filter(key => key.startsWith(QUEUE)))
  const holders = queue.flatMap((keys, i) => keys.length > 0 ? [i] : [])
  assert.equal(holders.length, 1, `the queue's keys on masters ${holders.join(', ')}`)
  const keys = queue[holders[0]!]!
  assert.deepEqual([...new Set(keys.map(slotOf))], [slotOf(QUEUE)])
  // BullMQ's own prefix: none of its keys outside the hash tag.
  assert.deepEqual(everywhere.flat().filter(key => key.startsWith('bull:')), [])
  await cluster.masters[holders[0]!]!.client.del(...keys)
  return keys
}

/** Every key of every master, as one dump, without the slot markers (withoutBookkeeping); the queue's keys taken first. */
async function clusterCounts (): Promise<Dump> {
  await takeQueueKeys()
  const parts = await Promise.all(cluster.masters.map(async m => await dump(m.client)))
  const all: Dump = Object.assign({}, ...parts)
  return withoutBookkeeping(Object.fromEntries(Object.keys(all).sort().map(key => [key, all[key]!])))
}

test('two workers over the fixtures and a damaged file on a cluster of 3 masters: the database of a clean ingest into one Redis, the queue in one slot, status exact', async () => {
  await flush()
  const { captures, damaged } = fixturesWithDamaged(root)
  const files = readdirSync(captures).length
  assert.equal(files, 8)

  const ingest = await run(['ingest', captures, '--unix', single.socket, '--json', '--threads', '2'])
  assert.equal(ingest.code, 1, ingest.stderr)
  const summary = JSON.parse(ingest.stdout) as { packets: number, failed: Array<{ file: string, reason: string }>, warnings: Array<{ file: string, reason: string }> }
  assert.deepEqual(summary.failed.map(f => f.file), [damaged])
  assert.equal(summary.warnings.length, 1)

  const queued = await run(['ingest', captures, '--redis', cluster.url, '--queue', 'backfill'])
  assert.deepEqual([queued.code, queued.stderr, queued.stdout], [0, `potiron: redis ${cluster.url} (a Redis Cluster of 3 masters)\n`, `${files} files queued on backfill\n`])
  const again = await run(['ingest', captures, '--redis', cluster.url, '--queue', 'backfill', '--json'])
  assert.deepEqual(JSON.parse(again.stdout), { queue: 'backfill', queued: 0, already: files })

  const a = cli(['worker', '--queue', 'backfill', '--redis', cluster.url, '--threads', '1'], { POTIRON_HOST: 'a' })
  const b = cli(['worker', '--queue', 'backfill', '--redis', cluster.url, '--threads', '1'], { POTIRON_HOST: 'b' })
  let said: Exit[]
  try {
    await until('every job settled', async () => { const s = await status('backfill'); return s.completed + s.failed === files })
  } finally {
    said = [await stop(a), await stop(b)]
  }
  for (const [host, exit] of ['a', 'b'].map((h, i) => [h, said[i]!] as const)) {
    assert.deepEqual(exit.stderr.split('\n').slice(0, 2), [`potiron: redis ${cluster.url} (a Redis Cluster of 3 masters)`, `potiron: worker ${host} on queue backfill; stop it with SIGINT or SIGTERM (it finishes the file in hand)`])
  }
  const s = await status('backfill')
  assert.deepEqual({ waiting: s.waiting, active: s.active, completed: s.completed, failed: s.failed }, { waiting: 0, active: 0, completed: files - 1, failed: 1 })
  assert.deepEqual(s.failures, [{ file: damaged, reason: summary.failed[0]!.reason }])
  assert.deepEqual(s.warnings, summary.warnings)
  assert.deepEqual([s.fleet?.files, s.fleet?.packets], [files - 1, summary.packets])
  assert.equal(s.hosts.reduce((n, h) => n + h.packets, 0), summary.packets)
  assert.equal(s.hosts.reduce((n, h) => n + h.files, 0), files - 1)
  for (const h of s.hosts) assert.ok(h.host === 'a' || h.host === 'b', h.host)
  const text = await run(['queue', 'status', 'backfill', '--redis', cluster.url])
  assert.match(text.stdout, /^queue {6}backfill\nwaiting {4}0\nactive {5}0\ncompleted {2}7\nfailed {5}1\nfleet {6}\d+ packets\/s \(2252 packets in 7 files, \d+\.\d\d s\)\n/)

  const expected = withoutBookkeeping(await dump(single.client))
  assert.equal(Object.keys(expected).length, 96)
  assert.deepEqual(await clusterCounts(), expected)
  // The data spread over every master (the queue, on one, was taken out above).
  const sizes = await Promise.all(cluster.masters.map(async m => await m.client.dbsize()))
  for (const size of sizes) assert.ok(size > 20, `every master holds keys: ${sizes.join(', ')}`)

  // Queued again once done: the counted files are skipped (in FILES), the damaged one fails again; nothing doubles.
  const requeued = await run(['ingest', captures, '--redis', cluster.url, '--queue', 'backfill', '--json'])
  assert.deepEqual(JSON.parse(requeued.stdout), { queue: 'backfill', queued: files, already: 0 })
  const c = cli(['worker', '--queue', 'backfill', '--redis', cluster.url, '--threads', '1'], { POTIRON_HOST: 'c' })
  try {
    await until('every job settled again', async () => { const s = await status('backfill'); return s.waiting + s.active === 0 && s.completed + s.failed === files })
  } finally {
    await stop(c)
  }
  const settled = await status('backfill')
  assert.deepEqual({ completed: settled.completed, failed: settled.failed, packets: settled.fleet?.packets }, { completed: files - 1, failed: 1, packets: 0 })
  assert.deepEqual(await clusterCounts(), expected)
})

test('kill -9 of a worker mid-file on a cluster: some slots\' groups in, another worker finishes the file, counted once', async (t) => {
  await flush()
  const big = join(root, 'big')
  mkdirSync(big)
  const [file] = await dailyCaptures(big, 'honeypot', 1704067200, 1, 300_000)
  const name = basename(file!)
  // Counted first, it makes the day's keys exist: the file then goes by slot groups.
  const first = await sameDayFile(file!, join(root, 'big-first'), 'honeypot')
  for (const to of [['--unix', single.socket], ['--redis', cluster.url]]) assert.equal((await run(['ingest', first, ...to, '--sensor', 'honeypot'])).code, 0)

  const ingest = await run(['ingest', big, '--unix', single.socket, '--json', '--threads', '2', '--sensor', 'honeypot'])
  assert.equal(ingest.code, 0, ingest.stderr)
  const packets = (JSON.parse(ingest.stdout) as { packets: number }).packets

  assert.equal((await run(['ingest', big, '--redis', cluster.url, '--queue', 'big', '--sensor', 'honeypot'])).stdout, '1 file queued on big\n')
  const env = { POTIRON_QUEUE_LOCK_MS: '2000' }
  const a = cli(['worker', '--queue', 'big', '--redis', cluster.url, '--threads', '2'], { ...env, POTIRON_HOST: 'a' })
  // Writing: the job in hand, and the file half in (the markers of two slots it wrote to; it has more).
  let markers = 0
  await until('worker a writing the file', async () => {
    const active = (await keysOf(`${QUEUE}:big:active`)).flat()
    if (active.length === 0) return false
    markers = (await keysOf(`potiron:part:{*}:${name}`)).flat().length
    return markers > 1
  }, 60_000, 2)
  a.child.kill('SIGKILL')
  const killed = await within(10_000, 'worker a killed', a.done)
  assert.equal(killed.signal, 'SIGKILL')
  const reader = clusterClient(cluster)
  try {
    assert.equal(await reader.sismember('FILES', name), 0, `killed with ${markers} slot markers, yet the file is in FILES already`)
  } finally {
    reader.disconnect()
  }

  const b = cli(['worker', '--queue', 'big', '--redis', cluster.url, '--threads', '2'], { ...env, POTIRON_HOST: 'b' })
  try {
    await until('the job completed by worker b', async () => (await status('big')).completed === 1)
  } finally {
    await stop(b)
  }
  const s = await status('big')
  assert.deepEqual({ waiting: s.waiting, active: s.active, completed: s.completed, failed: s.failed, failures: s.failures }, { waiting: 0, active: 0, completed: 1, failed: 0, failures: [] })
  assert.deepEqual(s.hosts.map(h => [h.host, h.files, h.packets]), [['b', 1, packets]])
  // Markers stay a while once the file is counted (SLOT_MARKER_SECONDS): one per slot of the file.
  const slots = (await keysOf(`potiron:part:{*}:${name}`)).flat().length
  t.diagnostic(`worker a killed with ${markers} of the file's ${slots} slot markers`)
  assert.ok(markers < slots, `killed with ${markers} of ${slots} slot markers: not mid-file`)
  const all = await clusterCounts()
  assert.deepEqual(all.FILES, { type: 'set', value: [basename(first), name].sort() })
  assert.deepEqual(all, withoutBookkeeping(await dump(single.client)))
})

test('the cluster gone under a worker: one line, exit 1, within seconds, instead of waiting for ever', async () => {
  const gone = await startCluster({ masters: 3 })
  try {
    const exit = await workerWhenGone(['--redis', gone.url], async () => { await gone.stop() })
    assert.equal(exit.code, 1, exit.stderr)
    assert.equal(exit.stderr.trimEnd().split('\n').pop(), 'potiron: lost the connection to Redis (connection closed); the worker stops: the files not counted stay on the queue (the one in hand once its lock expires), start it again once Redis is back')
  } finally {
    await gone.stop()
  }
})
