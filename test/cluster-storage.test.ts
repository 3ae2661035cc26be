/**
 * A Redis Cluster as storage (issue 15): the same captures ingested into one Redis and into a
 * real cluster of 3 masters (test/helpers/cluster.ts) give the same keys with the same contents,
 * the markers that make each file count once aside; exactly once whatever is killed when.
 */
import { after, before, test } from 'node:test'
import assert from 'node:assert/strict'
import { mkdtempSync, readdirSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { basename, join } from 'node:path'
import { setTimeout as sleep } from 'node:timers/promises'
import { dailyCaptures } from '../bench/util.js'
import { spawnPotiron } from './helpers/spawned.js'
import { potiron } from './helpers/cli.js'
import { clusterClient, expiringStaging, sameDayFile, startCluster, type TestCluster } from './helpers/cluster.js'
import { dump, startRedis, type Dump, type TestRedis } from './helpers/redis.js'
import { FIXTURES } from './helpers/shared.js'
import { teardown } from './helpers/teardown.js'

const CAPTURES = readdirSync(FIXTURES).filter(name => /\.pcap(ng)?(\.gz)?$/.test(name)).sort().map(name => join(FIXTURES, name))
const dir = mkdtempSync(join(tmpdir(), 'potiron-cluster-storage-'))
let cluster: TestCluster
let single: TestRedis
/** A day of 120k generated packets: some 200 groups over a dozen slots, a second or two of writing. */
let big: string
/** A capture of the same day, counted before `big` so that `big` goes by slot groups (helpers/cluster.ts sameDayFile). */
let first: string

before(async () => {
  let days: string[]
  [cluster, single, days] = await Promise.all([startCluster({ masters: 3 }), startRedis(), dailyCaptures(dir, 'honeypot', 1704067200, 1, 120_000)])
  big = days[0]!
  first = await sameDayFile(big, join(dir, 'first'), 'honeypot')
})

after(async () => {
  await teardown(async () => { await cluster?.stop() }, async () => { await single?.stop() }, () => { rmSync(dir, { recursive: true, force: true }) })
})

/** Markers of a cluster's slots (`potiron:part:{tag}:name`), kept a while after their file is counted. */
const SLOT_MARKER = /^potiron:part:\{/

/** Every key of every master, as one dump, the slot markers and what a batch staged and never committed aside (helpers/cluster.ts expiringStaging). */
async function clusterDump (): Promise<Dump> {
  const parts = await Promise.all(cluster.masters.map(async m => await dump(m.client)))
  const all: Dump = Object.assign({}, ...parts)
  const staging = await expiringStaging(cluster.masters.map(m => m.client))
  return Object.fromEntries(Object.keys(all).sort().filter(key => !SLOT_MARKER.test(key) && !staging.has(key)).map(key => [key, all[key]!]))
}

/** A summary without its pace and address, which differ between the two runs. */
function timeless (summary: string): string {
  return summary.replace(/; [\d.]+ s, \d+ packets\/s/, '').replace(/\nredis: .*/, '')
}

async function flushCluster (): Promise<void> {
  await Promise.all(cluster.masters.map(async m => await m.client.flushall()))
}

test('the fixtures into one Redis and into a cluster of 3 masters: key by key the same, spread over every master', async () => {
  await flushCluster()
  const one = await potiron('ingest', ...CAPTURES, '--unix', single.socket, '--quiet')
  const three = await potiron('ingest', ...CAPTURES, '--redis', cluster.url, '--quiet')
  assert.deepEqual([three.status, three.err.slice(1), three.out.map(timeless)], [one.status, one.err.slice(1), one.out.map(timeless)])
  assert.equal(three.err[0], `potiron: redis ${cluster.url} (a Redis Cluster of 3 masters)`)
  const expected = await dump(single.client)
  assert.equal(Object.keys(expected).length, 96)
  assert.deepEqual(await clusterDump(), expected)
  const sizes = await Promise.all(cluster.masters.map(async m => await m.client.dbsize()))
  for (const size of sizes) assert.ok(size > 20, `every master holds keys: ${sizes.join(', ')}`)
})

/** The big capture's slot markers on every master: groups marked done (their fields but `plan`), and the groups the file makes (`plan`). */
async function marked (): Promise<{ markers: number, groups: number, plan: number }> {
  let markers = 0
  let groups = 0
  let plan = 0
  for (const m of cluster.masters) {
    for (const key of await m.client.keys(`potiron:part:{*}:${basename(big)}`)) {
      const fields = await m.client.hgetall(key)
      markers++
      groups += Object.keys(fields).length - 1
      plan = Number(fields.plan!.split(' ')[0])
    }
  }
  return { markers, groups, plan }
}

/** Polls the markers until `enough` says so; undefined when `ended` settles first. */
async function whenMarked (enough: (m: { groups: number, plan: number }) => boolean, ended: Promise<unknown>): Promise<boolean> {
  const over = { now: false }
  void ended.then(() => { over.now = true })
  while (!over.now) {
    if (enough(await marked())) return true
    await sleep(5)
  }
  return false
}

/** What one clean ingest of `files` writes into one Redis, after one of `first`. */
async function cleanRun (files: readonly string[], ...args: string[]): Promise<Dump> {
  await single.client.flushall()
  for (const those of [[first], files]) {
    const run = await potiron('ingest', ...those, '--unix', single.socket, '--quiet', ...args)
    assert.equal(run.status, 0, run.err.join('\n'))
  }
  return await dump(single.client)
}

/** An empty cluster holding `first`'s counts, as after its own ingest. */
async function withFirst (): Promise<void> {
  await flushCluster()
  const run = await potiron('ingest', first, '--redis', cluster.url, '--sensor', 'honeypot', '--quiet')
  assert.equal(run.status, 0, run.err.join('\n'))
}

test('kill -9 with some but not all slot groups in, then the same command again: the same database as one clean run into one Redis', async () => {
  const clean = await cleanRun([big, ...CAPTURES], '--sensor', 'honeypot')
  for (const share of [0.05, 0.5, 0.9]) {
    await withFirst()
    const killed = spawnPotiron(['ingest', big, ...CAPTURES, '--redis', cluster.url, '--sensor', 'honeypot', '--threads', '2'])
    const caught = await whenMarked(m => m.plan > 0 && m.groups >= share * m.plan, killed.done)
    killed.child.kill('SIGKILL')
    const first = await killed.done
    assert.equal(first.signal, 'SIGKILL', `${share}: ended before the kill: ${first.stderr}`)
    assert.ok(caught)
    const at = await marked()
    assert.ok(at.groups > 0 && at.groups < at.plan, `${share}: ${at.groups} of ${at.plan} groups in when killed`)
    const client = clusterClient(cluster)
    try {
      assert.equal(await client.sismember('FILES', basename(big)), 0)
    } finally {
      client.disconnect()
    }
    const rerun = await spawnPotiron(['ingest', big, ...CAPTURES, '--redis', cluster.url, '--sensor', 'honeypot', '--threads', '2']).done
    assert.equal(rerun.code, 0, rerun.stderr)
    assert.deepEqual(await clusterDump(), clean, `killed with ${at.groups} of ${at.plan} groups in`)
  }
})

test('two ingests of the same files at once: the same database as one clean run, and the slot markers expire', async () => {
  const clean = await cleanRun([big, ...CAPTURES], '--sensor', 'honeypot')
  await withFirst()
  const args = ['ingest', big, ...CAPTURES, '--redis', cluster.url, '--sensor', 'honeypot', '--threads', '1']
  const [a, b] = await Promise.all([spawnPotiron(args).done, spawnPotiron(args).done])
  assert.deepEqual([a.code, b.code], [0, 0], a.stderr + b.stderr)
  assert.deepEqual(await clusterDump(), clean)
  let markers = 0
  for (const m of cluster.masters) {
    for (const key of await m.client.keys('potiron:part:{*')) {
      const ttl = await m.client.ttl(key)
      assert.ok(ttl > 6 * 86400 && ttl <= 7 * 86400, `${key}: TTL ${ttl}`)
      markers++
    }
  }
  assert.ok(markers > 1, `the big capture's slot markers: ${markers}`)
})

test('a cluster of 1 master (every slot its own, as bench:cluster starts it): the same keys as one Redis', async () => {
  const lone = await startCluster({ masters: 1 })
  try {
    await single.client.flushall()
    await potiron('ingest', ...CAPTURES, '--unix', single.socket, '--quiet')
    const one = await potiron('ingest', ...CAPTURES, '--redis', lone.url, '--quiet')
    assert.equal(one.err[0], `potiron: redis ${lone.url} (a Redis Cluster of 1 master)`)
    const all = await dump(lone.masters[0]!.client)
    assert.deepEqual(Object.fromEntries(Object.keys(all).sort().filter(key => !SLOT_MARKER.test(key)).map(key => [key, all[key]!])), await dump(single.client))
  } finally {
    await lone.stop()
  }
})
