/**
 * A Redis Cluster as storage (issue 15): the same captures ingested into one Redis and into a
 * real cluster of 3 masters (test/helpers/cluster.ts) give the same keys with the same contents,
 * the markers that make each file count once aside; exactly once whatever is killed when.
 */
import { after, before, test } from 'node:test'
import assert from 'node:assert/strict'
import { readdirSync } from 'node:fs'
import { join } from 'node:path'
import { potiron } from './helpers/cli.js'
import { startCluster, type TestCluster } from './helpers/cluster.js'
import { dump, startRedis, type Dump, type TestRedis } from './helpers/redis.js'
import { FIXTURES } from './helpers/shared.js'
import { teardown } from './helpers/teardown.js'

const CAPTURES = readdirSync(FIXTURES).filter(name => /\.pcap(ng)?(\.gz)?$/.test(name)).sort().map(name => join(FIXTURES, name))
let cluster: TestCluster
let single: TestRedis

before(async () => {
  [cluster, single] = await Promise.all([startCluster({ masters: 3 }), startRedis()])
})

after(async () => {
  await teardown(async () => { await cluster?.stop() }, async () => { await single?.stop() })
})

/** Markers of a cluster's slots (`potiron:part:{tag}:name`), kept a while after their file is counted. */
const SLOT_MARKER = /^potiron:part:\{/

/** Every key of every master, as one dump, the slot markers aside. */
async function clusterDump (): Promise<Dump> {
  const parts = await Promise.all(cluster.masters.map(async m => await dump(m.client)))
  const all: Dump = Object.assign({}, ...parts)
  return Object.fromEntries(Object.keys(all).sort().filter(key => !SLOT_MARKER.test(key)).map(key => [key, all[key]!]))
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
