/**
 * Batches on a Redis Cluster (store/batch-cluster.ts): a day's captures merged and written
 * together, cut by slot, into a real cluster of 3 masters; the same database as one Redis, and
 * each file counted once whatever is killed when, two runs at once, or a file being written
 * alone meanwhile.
 */
import { after, before, test } from 'node:test'
import assert from 'node:assert/strict'
import { mkdirSync, mkdtempSync, readdirSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { basename, join } from 'node:path'
import { setTimeout as sleep } from 'node:timers/promises'
import { dailyCaptures, hourlyCaptures } from '../bench/util.js'
import { FILES, claimSlotKey } from '../src/store/keys.js'
import { slotOf, tagOf } from '../src/store/cluster.js'
import { spawnPotiron } from './helpers/spawned.js'
import { potiron } from './helpers/cli.js'
import { clusterClient, expiringStaging, startCluster, type TestCluster } from './helpers/cluster.js'
import { dump, startRedis, type Dump, type TestRedis } from './helpers/redis.js'
import { FIXTURES } from './helpers/shared.js'
import { teardown } from './helpers/teardown.js'

const CAPTURES = readdirSync(FIXTURES).filter(name => /\.pcap(ng)?(\.gz)?$/.test(name)).sort().map(name => join(FIXTURES, name))
const dir = mkdtempSync(join(tmpdir(), 'potiron-cluster-batch-'))
let cluster: TestCluster
let single: TestRedis
/** A day of 120k generated packets cut into its 24 hourly captures: one batch, some 130k members. */
let hours: string[]

before(async () => {
  let days: string[]
  [cluster, single, days] = await Promise.all([startCluster({ masters: 3 }), startRedis(), dailyCaptures(dir, 'honeypot', 1704067200, 1, 120_000)])
  mkdirSync(join(dir, 'hours'))
  hours = await hourlyCaptures(days[0]!, join(dir, 'hours'), 'honeypot')
})

after(async () => {
  await teardown(async () => { await cluster?.stop() }, async () => { await single?.stop() }, () => { rmSync(dir, { recursive: true, force: true }) })
})

/** The slot markers of files written alone (`potiron:part:{tag}:name`), kept a while after their file is counted. */
const SLOT_MARKER = /^potiron:part:\{/
/** A batch's own keys on a cluster: its hashes and key sets, its staging, its files' claims. */
const BATCH_KEYS = /^potiron:(batch|stage|claim):/

/** Every key of every master, as one dump, the slot markers aside. */
async function clusterDump (): Promise<Dump> {
  const parts = await Promise.all(cluster.masters.map(async m => await dump(m.client)))
  const all: Dump = Object.assign({}, ...parts)
  return Object.fromEntries(Object.keys(all).sort().filter(key => !SLOT_MARKER.test(key)).map(key => [key, all[key]!]))
}

/** The names of the keys matching `pattern` on every master. */
async function keysLike (pattern: string): Promise<string[]> {
  return (await Promise.all(cluster.masters.map(async m => await m.client.keys(pattern)))).flat().sort()
}

async function flushCluster (): Promise<void> {
  await Promise.all(cluster.masters.map(async m => await m.client.flushall()))
}

/** What one clean ingest of `files` writes into one Redis. */
async function cleanRun (files: readonly string[], ...args: string[]): Promise<Dump> {
  await single.client.flushall()
  const run = await potiron('ingest', ...files, '--unix', single.socket, '--quiet', ...args)
  assert.equal(run.status, 0, run.err.join('\n'))
  return await dump(single.client)
}

/** Runs `job` with a client of the whole cluster, closed after. */
async function withClient<T> (job: (client: ReturnType<typeof clusterClient>) => Promise<T>): Promise<T> {
  const client = clusterClient(cluster)
  try {
    return await job(client)
  } finally {
    client.disconnect()
  }
}

/** The state of the one batch in the cluster (its hash beside FILES), undefined when there is none. */
async function batchState (): Promise<string | undefined> {
  const [key] = await keysLike('potiron:batch:{*}:????????????????')
  if (key === undefined) return undefined
  return await withClient(async client => await client.hget(key, 'state') ?? undefined)
}

/** Polls until `enough` holds; false when `ended` settles first. */
async function when (enough: () => Promise<boolean>, ended: Promise<unknown>): Promise<boolean> {
  const over = { now: false }
  void ended.then(() => { over.now = true })
  while (!over.now) {
    if (await enough()) return true
    await sleep(2)
  }
  return false
}

/** The claim of capture `file` (claimSlotKey), beside FILES. */
function claimOf (file: string): string {
  return claimSlotKey(basename(file), tagOf(slotOf(FILES)))
}

/** Whether any of `names` is in FILES. */
async function anyCounted (names: readonly string[]): Promise<boolean> {
  return await withClient(async client => (await Promise.all(names.map(async name => await client.sismember(FILES, name)))).some(n => n === 1))
}

const ingestArgs = (files: readonly string[]): string[] => ['ingest', ...files, '--redis', cluster.url, '--sensor', 'honeypot', '--threads', '1']

test('a day in 24 hourly captures, and the fixtures, into a cluster: written in batches, key by key as one Redis, nothing of the batches left', async () => {
  const clean = await cleanRun([...hours, ...CAPTURES], '--sensor', 'honeypot')
  await flushCluster()
  const run = await potiron('ingest', ...hours, ...CAPTURES, '--redis', cluster.url, '--sensor', 'honeypot', '--quiet', '--json')
  assert.equal(run.status, 0, run.err.join('\n'))
  assert.deepEqual(await clusterDump(), clean)
  assert.deepEqual(await keysLike('potiron:batch:*'), [])
  assert.deepEqual(await keysLike('potiron:stage:*'), [])
  assert.deepEqual(await keysLike('potiron:claim:*'), [])
  // The hours merged: a value seen in every hour written once a batch, not 24 times (the hours
  // one by one write 1.76 times the members of one batch here: 412,454). Where a batch ends depends on the
  // order the files are parsed in (a file of another day waiting ends it): up to a few batches.
  const summary = JSON.parse(run.out[0]!) as { members: number, ingested: number }
  await single.client.flushall()
  const merged = JSON.parse((await potiron('ingest', ...hours, '--unix', single.socket, '--sensor', 'honeypot', '--quiet', '--json')).out[0]!) as { members: number }
  assert.equal(summary.ingested, hours.length + CAPTURES.length)
  assert.ok(summary.members < 1.5 * merged.members, `${summary.members} members written, the hours as one batch on one Redis ${merged.members}`)
})

test('kill -9 while a batch is staged, and while it is applied with some of it in: the same command again gives one clean run', async t => {
  const clean = await cleanRun(hours, '--sensor', 'honeypot')
  // The first hour counted before: the batch of the others adds to keys that exist, chunk by
  // chunk (each APPLY call one), long enough for a kill to land in the middle.
  const [earlier, ...rest] = hours
  const names = rest.map(file => basename(file))
  const points: Array<[string, () => Promise<boolean>]> = [
    ['staging', async () => await batchState() === 'staging' && (await keysLike('potiron:stage:*')).length > 0],
    ['applying', async () => await batchState() === 'applying' && (await keysLike('potiron:stage:*')).length < staged]
  ]
  let staged = 0
  for (const [point, reached] of points) {
    // A run killed at the point: tried again when it finished before the kill landed.
    let landed = false
    let attempts = 0
    for (; attempts < 10 && !landed; attempts++) {
      await flushCluster()
      assert.equal((await spawnPotiron(ingestArgs([earlier!])).done).code, 0)
      staged = 0
      const killed = spawnPotiron(ingestArgs(hours))
      const caught = await when(async () => {
        staged = Math.max(staged, (await keysLike('potiron:stage:*')).length)
        return await reached()
      }, killed.done)
      killed.child.kill('SIGKILL')
      const first = await killed.done
      landed = caught && first.signal === 'SIGKILL' && await batchState() === point && !await anyCounted(names) && (point === 'staging' || (await keysLike('potiron:stage:*')).length > 0)
    }
    assert.ok(landed, `${point}: no kill landed there in 10 attempts`)
    t.diagnostic(`${point}: killed there at attempt ${attempts}`)
    if (point === 'applying') assert.ok((await keysLike('potiron:stage:*')).length < staged, 'some of the staging applied')
    const rerun = await spawnPotiron(ingestArgs(hours)).done
    assert.equal(rerun.code, 0, rerun.stderr)
    const after = await clusterDump()
    // A staging never committed is left to expire (within the hour); nothing else of a batch stays.
    const left = Object.keys(after).filter(key => BATCH_KEYS.test(key))
    if (point === 'applying') assert.deepEqual(left, [])
    for (const key of left) {
      const ttl = await withClient(async client => await client.ttl(key))
      assert.ok(ttl > 0 && ttl <= 3600, `${point}: ${key} TTL ${ttl}`)
    }
    assert.deepEqual(Object.fromEntries(Object.entries(after).filter(([key]) => !BATCH_KEYS.test(key))), clean, point)
  }
})

test('a committed batch whose staging expired before it was kept: dropped with its claims, and its files counted by the next run', async () => {
  const clean = await cleanRun(hours, '--sensor', 'honeypot')
  let landed = false
  for (let attempt = 0; attempt < 10 && !landed; attempt++) {
    await flushCluster()
    const killed = spawnPotiron(ingestArgs(hours))
    const caught = await when(async () => await batchState() === 'staging' && (await keysLike('potiron:stage:*')).length > 3, killed.done)
    killed.child.kill('SIGKILL')
    landed = caught && (await killed.done).signal === 'SIGKILL' && await batchState() === 'staging'
  }
  assert.ok(landed, 'no kill landed while staging in 10 attempts')
  // What a kill between the commit and the next step leaves once an hour has gone by: the
  // batch committed, its files claimed, and some of its staging expired.
  const [batch] = await keysLike('potiron:batch:{*}:????????????????')
  const id = batch!.slice(batch!.lastIndexOf(':') + 1)
  await withClient(async client => {
    await client.hset(batch!, 'state', 'committed')
    for (const file of hours) await client.set(claimOf(file), id)
    await client.del((await keysLike('potiron:stage:*'))[0]!)
  })
  const rerun = await spawnPotiron(ingestArgs(hours)).done
  assert.equal(rerun.code, 0, rerun.stderr)
  // Dropped whole: what was left of its staging too, made lasting on the way.
  assert.deepEqual(await clusterDump(), clean)
})

test('two ingests of the same day at once, and a file of it claimed by a write of its own: each file counted once', async () => {
  const clean = await cleanRun(hours, '--sensor', 'honeypot')
  await flushCluster()
  const [a, b] = await Promise.all([spawnPotiron(ingestArgs(hours)).done, spawnPotiron(ingestArgs(hours)).done])
  assert.deepEqual([a.code, b.code], [0, 0], a.stderr + b.stderr)
  assert.deepEqual(await clusterDump(), clean)

  // One hour being written alone (by another run, or one killed before its first group): the
  // batch finds it claimed, takes none of the day, and the files go one by one.
  await flushCluster()
  await withClient(async client => await client.set(claimOf(hours[5]!), 'file'))
  const run = await spawnPotiron(ingestArgs(hours)).done
  assert.equal(run.code, 0, run.stderr)
  assert.deepEqual(await clusterDump(), clean)
})

test('hours counted by a batch, removed, counted again in a batch of their own, and one removed again: the same database as one Redis', async () => {
  const steps = (redis: string[]): string[][] => [
    ['ingest', ...hours, ...CAPTURES, ...redis, '--sensor', 'honeypot', '--quiet'],
    ['remove', hours[3]!, hours[4]!, ...redis, '--sensor', 'honeypot'],
    // Both again, merged into one batch: its finish drops the remove's markers of each.
    ['ingest', ...hours, ...redis, '--sensor', 'honeypot', '--quiet'],
    ['remove', hours[3]!, ...redis, '--sensor', 'honeypot']
  ]
  await single.client.flushall()
  for (const args of steps(['--unix', single.socket])) assert.equal((await potiron(...args)).status, 0, args.join(' '))
  await flushCluster()
  for (const args of steps(['--redis', cluster.url])) {
    const run = await potiron(...args)
    assert.equal(run.status, 0, run.err.join('\n'))
  }
  assert.deepEqual(Object.fromEntries(Object.entries(await clusterDump()).filter(([key]) => !/^potiron:unpart:\{/.test(key))), await dump(single.client))
})

test('a file claimed by a batch whose record is gone (deleted, or evicted by a full Redis): one line naming both keys and exit 1 (--dry-run\'s too), nothing counted; counted once the claim is deleted', async () => {
  await flushCluster()
  const [file] = CAPTURES
  const id = '0123456789abcdef'
  await withClient(async client => await client.set(claimOf(file!), id))
  const run = await potiron('ingest', file!, '--redis', cluster.url, '--quiet')
  assert.equal(run.status, 1)
  assert.deepEqual(run.err.slice(1), [`potiron: failed: ${file!}: claimed by batch ${id}, whose record potiron:batch:{${tagOf(slotOf(FILES))}}:${id} is gone (deleted, or evicted by a Redis out of memory): whether some of its counts were added cannot be told; nothing counted: check the counts of its days, then delete ${claimOf(file!)} and run again`])
  assert.deepEqual(await keysLike('*'), [claimOf(file!)])
  // The dry run says so too.
  const dry = await potiron('ingest', file!, '--redis', cluster.url, '--dry-run')
  assert.equal(dry.status, 1)
  assert.deepEqual(dry.out.join('\n').split('\n').slice(1, 3), ['files: 0 to read, 0 to skip, 1 would fail', `  fail: ${file!}: ${run.err[1]!.slice(`potiron: failed: ${file!}: `.length)}`])
  await withClient(async client => await client.del(claimOf(file!)))
  assert.equal((await potiron('ingest', file!, '--redis', cluster.url, '--quiet')).status, 0)
  assert.equal(await anyCounted([basename(file!)]), true)
})

test('days of one sensor, two batches written at once (one per lane): killed with both in flight, the same command again gives one clean run, what was staged and not committed left to expire', async () => {
  mkdirSync(join(dir, 'days'), { recursive: true })
  const days = await dailyCaptures(join(dir, 'days'), 'honeypot', 1704931200, 4, 120_000)
  const clean = await cleanRun(days, '--sensor', 'honeypot')
  await flushCluster()
  const killed = spawnPotiron(['ingest', ...days, '--redis', cluster.url, '--sensor', 'honeypot', '--threads', '2'])
  const both = await when(async () => (await keysLike('potiron:batch:{*}:????????????????')).length >= 2, killed.done)
  killed.child.kill('SIGKILL')
  const first = await killed.done
  assert.ok(both, `two batches never in flight at once: ${first.stderr}`)
  assert.equal(first.signal, 'SIGKILL')
  assert.ok(await withClient(async client => await client.scard(FILES)) < days.length, 'killed before the last day was counted')
  const rerun = await spawnPotiron(['ingest', ...days, '--redis', cluster.url, '--sensor', 'honeypot']).done
  assert.equal(rerun.code, 0, rerun.stderr)
  const all = await clusterDump()
  const staging = await expiringStaging(cluster.masters.map(m => m.client))
  assert.deepEqual(Object.keys(all).filter(key => BATCH_KEYS.test(key) && !staging.has(key)), [], 'nothing of a batch left but what expires')
  assert.deepEqual(Object.fromEntries(Object.entries(all).filter(([key]) => !staging.has(key))), clean)
})
