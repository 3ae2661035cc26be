/**
 * A master of the cluster killed mid-ingest, its replica promoted (issue 15): the run goes on
 * against the new master and its result is exact, the same database as one clean run into one
 * Redis. A real cluster of 3 masters and 3 replicas (test/helpers/cluster.ts) whose nodes give
 * up on a silent peer after 1 s.
 */
import { after, before, test } from 'node:test'
import assert from 'node:assert/strict'
import { mkdirSync, mkdtempSync, readdirSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { basename, join } from 'node:path'
import { setTimeout as sleep } from 'node:timers/promises'
import { dailyCaptures, hourlyCaptures } from '../bench/util.js'
import { potiron } from './helpers/cli.js'
import { expiringStaging, sameDayFile, startCluster, type TestCluster } from './helpers/cluster.js'
import { dump, startRedis, type Dump, type TestRedis } from './helpers/redis.js'
import { FIXTURES } from './helpers/shared.js'
import { spawnPotiron } from './helpers/spawned.js'
import { teardown, within } from './helpers/teardown.js'

const CAPTURES = readdirSync(FIXTURES).filter(name => /\.pcap(ng)?(\.gz)?$/.test(name)).sort().map(name => join(FIXTURES, name))
const dir = mkdtempSync(join(tmpdir(), 'potiron-cluster-failover-'))
let cluster: TestCluster
let single: TestRedis
let big = ''
/** A capture of the same day, counted before `big` so that `big` goes by slot groups (helpers/cluster.ts sameDayFile). */
let first = ''
let INGEST: string[]
/** One clean ingest's database, into one Redis. */
let expected: Dump

before(async () => {
  let days: string[]
  [cluster, single, days] = await Promise.all([startCluster({ masters: 3, replicas: 1, nodeTimeoutMs: 1000 }), startRedis(), dailyCaptures(dir, 'honeypot', 1704067200, 1, 120_000)])
  big = days[0]!
  first = await sameDayFile(big, join(dir, 'first'), 'honeypot')
  INGEST = ['ingest', big, ...CAPTURES, '--sensor', 'honeypot', '--threads', '2']
  for (const files of [[first], [big, ...CAPTURES]]) assert.equal((await potiron('ingest', ...files, '--unix', single.socket, '--sensor', 'honeypot', '--quiet')).status, 0)
  expected = await dump(single.client)
})

after(async () => {
  await teardown(async () => { await cluster?.stop() }, async () => { await single?.stop() }, () => { rmSync(dir, { recursive: true, force: true }) })
})

/** The nodes that are masters now, by port, as a live node sees them (CLUSTER NODES). */
async function mastersNow (cluster: TestCluster): Promise<number[]> {
  const live = cluster.nodes.find(n => n.client.status === 'ready')!
  const lines = (await live.client.cluster('NODES') as string).trim().split('\n')
  const flags = (line: string): string[] => line.split(' ')[2]!.split(',')
  return lines.filter(line => flags(line).includes('master') && !flags(line).some(f => f.startsWith('fail'))).map(line => Number(/:(\d+)@/.exec(line)![1]))
}

/** Every replica says its link to its master is up: the writes reach it. */
async function replicasInSync (of: TestCluster = cluster): Promise<void> {
  const replicas = of.nodes.slice(3)
  await within(20_000, 'replicas in sync', (async () => {
    while (!(await Promise.all(replicas.map(async r => /master_link_status:up/.test(await r.client.info('replication'))))).every(Boolean)) await sleep(100)
  })())
}

/** The big capture's groups marked done so far, over every master, and the master holding most of them. */
async function marked (cluster: TestCluster): Promise<{ groups: number, plan: number, busiest: number | undefined }> {
  let groups = 0
  let plan = 0
  let busiest: number | undefined
  let most = 0
  for (const node of cluster.masters) {
    if (node.client.status !== 'ready') continue
    let here = 0
    for (const key of await node.client.keys(`potiron:part:{*}:${basename(big)}`)) {
      const fields = await node.client.hgetall(key)
      here += Object.keys(fields).length - 1
      plan = Number(fields.plan!.split(' ')[0])
    }
    groups += here
    if (here > most) { most = here; busiest = node.port }
  }
  return { groups, plan, busiest }
}

/**
 * Counts `first` into the empty `cluster`, starts an ingest of the big capture and the fixtures,
 * and kills its master holding most of the big capture's groups once a quarter of them are in.
 */
async function killMasterMidRun (cluster: TestCluster, env: NodeJS.ProcessEnv = process.env): Promise<{ run: ReturnType<typeof spawnPotiron>, killed: number }> {
  assert.equal((await spawnPotiron(['ingest', first, '--redis', cluster.url, '--sensor', 'honeypot']).done).code, 0)
  const run = spawnPotiron([...INGEST, '--redis', cluster.url], env)
  const over = { now: false }
  void run.done.then(() => { over.now = true })
  let at = await marked(cluster)
  while (at.plan === 0 || at.groups < at.plan / 4) {
    assert.ok(!over.now, `the ingest ended before a quarter of the big capture's groups were in (${at.groups} of ${at.plan})`)
    await sleep(5)
    at = await marked(cluster)
  }
  await cluster.kill(at.busiest!)
  assert.ok(at.groups < at.plan, `killed with ${at.groups} of ${at.plan} groups in`)
  return { run, killed: at.busiest! }
}

/** Every key of the masters now, the slot markers and what a batch staged and never committed aside (helpers/cluster.ts expiringStaging). */
async function clusterDump (cluster: TestCluster): Promise<Dump> {
  const masters = (await mastersNow(cluster)).map(port => cluster.nodes.find(n => n.port === port)!.client)
  const parts = await Promise.all(masters.map(async client => await dump(client)))
  const all: Dump = Object.assign({}, ...parts)
  const staging = await expiringStaging(masters)
  return Object.fromEntries(Object.keys(all).sort().filter(key => !key.startsWith('potiron:part:{') && !staging.has(key)).map(key => [key, all[key]!]))
}

test('a master killed mid-ingest and its replica promoted: the run ends 0, and the database is one clean run\'s', async () => {
  await replicasInSync()
  const { run, killed } = await killMasterMidRun(cluster)
  const ended = await within(120_000, 'the ingest through a failover', run.done)
  assert.equal(ended.code, 0, ended.stderr)
  const masters = await mastersNow(cluster)
  assert.equal(masters.length, 3)
  assert.ok(!masters.includes(killed), `${killed} was killed: ${masters.join(', ')}`)
  assert.deepEqual(await clusterDump(cluster), expected)
})

test('a master down with no replica: one line and exit 1 once the wait for a failover is over; started again, the same command finishes the job', async () => {
  const durable = await startCluster({ masters: 3, durable: true, nodeTimeoutMs: 1000 })
  try {
    const { run, killed } = await killMasterMidRun(durable, { ...process.env, POTIRON_FAILOVER_WAIT: '2' })
    const ended = await within(60_000, 'the ingest with a master down', run.done)
    assert.equal(ended.code, 1)
    const lines = ended.stderr.trim().split('\n')
    assert.deepEqual(lines.at(-1), `potiron: the Redis Cluster lost master 127.0.0.1:${killed} (Connection is closed.) and no replica took over within 2 s; every file written so far is counted exactly once: run the same command again to finish`)
    await durable.restart(killed)
    await within(20_000, 'cluster_state:ok again', (async () => {
      while (!(await Promise.all(durable.nodes.map(async n => /^cluster_state:ok\r?$/m.test(await n.client.cluster('INFO'))))).every(Boolean)) await sleep(100)
    })())
    const rerun = await spawnPotiron([...INGEST, '--redis', durable.url]).done
    assert.equal(rerun.code, 0, rerun.stderr)
    assert.deepEqual(await clusterDump(durable), expected)
  } finally {
    await durable.stop()
  }
})

/** The state of the one batch on `of`'s masters (its hash beside FILES), and the staging keys each master holds. */
async function batchNow (of: TestCluster): Promise<{ state: string | undefined, staged: number[] }> {
  let state: string | undefined
  const staged = await Promise.all(of.masters.map(async m => {
    const [batch] = await m.client.keys('potiron:batch:{*}:????????????????')
    if (batch !== undefined) state = await m.client.hget(batch, 'state') ?? undefined
    return (await m.client.keys('potiron:stage:*')).length
  }))
  return { state, staged }
}

test('a master killed while a batch of hourly captures is applied, its replica promoted: the run ends 0, and the database is one clean run\'s', async () => {
  mkdirSync(join(dir, 'hours'))
  const hours = await hourlyCaptures(big, join(dir, 'hours'), 'honeypot')
  await single.client.flushall()
  assert.equal((await potiron('ingest', ...hours, '--unix', single.socket, '--sensor', 'honeypot', '--quiet')).status, 0)
  const clean = await dump(single.client)
  const fresh = await startCluster({ masters: 3, replicas: 1, nodeTimeoutMs: 1000 })
  try {
    const ingest = (files: readonly string[]): string[] => ['ingest', ...files, '--redis', fresh.url, '--sensor', 'honeypot', '--threads', '1']
    await replicasInSync(fresh)
    let run: ReturnType<typeof spawnPotiron> | undefined
    let busiest: number | undefined
    // Tried again when the batch was applied before the poll saw it.
    for (let attempt = 0; attempt < 10 && busiest === undefined; attempt++) {
      await Promise.all(fresh.masters.map(async m => await m.client.flushall()))
      // The first hour before: the others' batch adds to keys that exist, chunk by chunk.
      assert.equal((await spawnPotiron(ingest([hours[0]!])).done).code, 0)
      run = spawnPotiron(ingest(hours))
      const over = { now: false }
      void run.done.then(() => { over.now = true })
      while (!over.now && busiest === undefined) {
        const { state, staged } = await batchNow(fresh)
        if (state === 'applying' && staged.some(n => n > 0)) busiest = fresh.masters[staged.indexOf(Math.max(...staged))]!.port
        else await sleep(2)
      }
    }
    assert.ok(busiest !== undefined, 'no batch caught while applied in 10 attempts')
    await fresh.kill(busiest)
    const ended = await within(120_000, 'the ingest through a failover', run!.done)
    assert.equal(ended.code, 0, ended.stderr)
    assert.ok(!(await mastersNow(fresh)).includes(busiest))
    assert.deepEqual(await clusterDump(fresh), clean)
  } finally {
    await fresh.stop()
  }
})
