/**
 * A Redis Cluster node given as --redis or $REDIS_URL is a cluster's address (issue 15); the
 * commands that do not work on a cluster yet say so in one line and exit 1, as for any Redis
 * they cannot use, and write nothing. Against a real cluster of 3 masters
 * (test/helpers/cluster.ts).
 */
import { after, before, test } from 'node:test'
import assert from 'node:assert/strict'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { clusterEnabled } from '../src/store/connection.js'
import { potiron } from './helpers/cli.js'
import { clusterClient, startCluster, startStandalone, type TestCluster } from './helpers/cluster.js'
import { FIXTURES } from './helpers/shared.js'
import { teardown } from './helpers/teardown.js'

const DNS = join(FIXTURES, 'lab-dnsicmp-1-20130530224517.pcap')
const dir = mkdtempSync(join(tmpdir(), 'potiron-cluster-refusal-'))
let cluster: TestCluster

before(async () => {
  cluster = await startCluster({ masters: 3, replicas: 0 })
})

after(async () => {
  await teardown(async () => { await cluster?.stop() }, () => { rmSync(dir, { recursive: true, force: true }) })
})

/** The one line a command that does not work on a cluster yet says, the node named as given. */
function refusal (url: string, command: string): string {
  return `potiron: ${url} is a Redis Cluster node: potiron ${command} does not work on a cluster yet, only on a single Redis; give --redis URL or --unix SOCKET of one`
}

/** Every master's key count: a refused command wrote nothing anywhere in the cluster. */
async function dbsizes (): Promise<number[]> {
  return await Promise.all(cluster.masters.map(async m => await m.client.dbsize()))
}

test('the test cluster is a cluster: 3 masters, every slot served, every node cluster_state:ok', async () => {
  assert.equal(cluster.masters.length, 3)
  for (const node of cluster.nodes) {
    const info = await node.client.cluster('INFO')
    assert.match(info, /^cluster_state:ok\r?$/m)
    assert.match(info, /^cluster_slots_assigned:16384\r?$/m)
    assert.match(info, /^cluster_known_nodes:3\r?$/m)
  }
})

test('$REDIS_URL naming a cluster node is used as that cluster, not passed over for potiron\'s own redis-server', async () => {
  const before = process.env.REDIS_URL
  process.env.REDIS_URL = cluster.url
  try {
    const run = await potiron('ingest', DNS, '--quiet')
    assert.deepEqual([run.status, run.err, run.out[0]!.split('\n')[0]], [0, [`potiron: redis ${cluster.url} (a Redis Cluster of 3 masters)`], 'files: 1 ingested, 0 skipped (already in FILES), 0 failed'])
    const client = clusterClient(cluster)
    try {
      assert.deepEqual(await client.smembers('FILES'), ['lab-dnsicmp-1-20130530224517.pcap'])
    } finally {
      client.disconnect()
    }
  } finally {
    if (before === undefined) delete process.env.REDIS_URL
    else process.env.REDIS_URL = before
    await Promise.all(cluster.masters.map(async m => await m.client.flushall()))
  }
})

test('--cluster: a cluster node is used as with no flag; a single Redis is refused in one line, and --unix is a usage error', async () => {
  const used = await potiron('status', '--redis', cluster.url, '--cluster')
  assert.deepEqual([used.status, used.err[0]], [0, `potiron: redis ${cluster.url} (a Redis Cluster of 3 masters)`])
  const standalone = await startStandalone()
  try {
    const refused = await potiron('ingest', DNS, '--redis', standalone.url, '--cluster')
    assert.deepEqual([refused.status, refused.err, refused.out], [1, [`potiron: ${standalone.url} is not a Redis Cluster node (--cluster): leave out --cluster to use it as one Redis`], []])
  } finally {
    await standalone.stop()
  }
  const socket = await potiron('status', '--unix', '/tmp/none.sock', '--cluster')
  assert.deepEqual([socket.status, socket.err.at(-1)], [2, "potiron: --cluster: a Redis Cluster is reached by the address of one of its nodes: give --redis redis://HOST:PORT, not --unix\nRun 'potiron status --help' for usage."])
})

test('a cluster whose slot map names no address (a lone node without cluster-announce-ip): one line and exit 1, not a silent exit 0', async () => {
  const lone = await startCluster({ masters: 1 })
  try {
    await lone.masters[0]!.client.config('SET', 'cluster-announce-ip', '')
    const run = await potiron('ingest', DNS, '--redis', lone.url)
    assert.deepEqual([run.status, run.err, run.out], [1, [`potiron: cannot reach the Redis Cluster at ${lone.url}: no usable slot map within 3 s (CLUSTER SLOTS must give each master's address: a node that gives none needs cluster-announce-ip)`], []])
  } finally {
    await lone.stop()
  }
})

test('bench --redis with a cluster node: the same line, exit 1, nothing measured or written', async () => {
  const run = await potiron('bench', DNS, '--threads', '1', '--redis', cluster.url, '--no-references')
  assert.deepEqual([run.status, run.err, run.out], [1, [refusal(cluster.url, 'bench --redis')], []])
  assert.deepEqual(await dbsizes(), [0, 0, 0])
})

test('INFO cluster read: cluster_enabled:1 is a cluster; :0, or no Cluster section (Redis before 3.0), is not', () => {
  assert.equal(clusterEnabled('# Cluster\r\ncluster_enabled:1\r\n'), true)
  assert.equal(clusterEnabled('# Cluster\r\ncluster_enabled:0\r\n'), false)
  assert.equal(clusterEnabled(''), false)
  assert.equal(clusterEnabled('# Server\r\nredis_version:2.8.24\r\n'), false)
})
