/**
 * A real Redis Cluster on loopback for the tests (issue 15): `masters` redis-servers, each with
 * `replicas` replicas, started with `--cluster-enabled yes` in a temporary directory the test
 * owns, joined by `redis-cli --cluster create`, and ready once every node says
 * `cluster_state:ok`. No persistence, and nothing on 127.0.0.1:6379 or any port in use: each
 * node gets a free port whose cluster bus port (port + 10000) is free too.
 */
import { spawn, type ChildProcess } from 'node:child_process'
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs'
import { createServer, type AddressInfo } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { setTimeout as sleep } from 'node:timers/promises'
import { Cluster, Redis } from 'ioredis'
import { hourlyCaptures } from '../../bench/util.js'
import { SLOTS } from '../../src/store/cluster.js'
import { within } from './teardown.js'
import { killedWithTests } from './private-redis.js'

export interface ClusterNode {
  port: number
  /** An admin connection of the test's own to this node. */
  client: Redis
}

export interface TestCluster {
  /** Every node's port, masters first (`redis-cli --cluster create` makes the first `masters` ones masters). */
  ports: number[]
  /** redis://127.0.0.1:PORT of the first master: any node of a cluster is its address. */
  url: string
  nodes: ClusterNode[]
  /** The masters' nodes (the first `masters` of `nodes`). */
  masters: ClusterNode[]
  /** Kills every node, waits for the exits, removes the directory. */
  stop: () => Promise<void>
  /** Kills the node on `port` with SIGKILL and waits for its exit (a failover test's dead master). */
  kill: (port: number) => Promise<void>
  /** Starts the node on `port` again, on its own files (a durable cluster keeps its data), once it answers. */
  restart: (port: number) => Promise<void>
}

/** How long the cluster may take to start and agree (cluster_state:ok) before the test fails. */
const START_MS = 30_000

/** A loopback port free now, whose cluster bus port (port + 10000) is free too. */
async function freeClusterPort (taken: ReadonlySet<number>): Promise<number> {
  for (let i = 0; i < 50; i++) {
    const port = await listenOnce(0)
    if (port !== undefined && port + 10000 <= 65535 && !taken.has(port) && await listenOnce(port + 10000) !== undefined) return port
  }
  throw new Error('no free loopback port with a free cluster bus port (port + 10000)')
}

/** Listens on `port` of 127.0.0.1 and closes: the port it got, or undefined when it is in use. */
async function listenOnce (port: number): Promise<number | undefined> {
  return await new Promise(resolve => {
    const probe = createServer()
    probe.once('error', () => { resolve(undefined) })
    probe.listen(port, '127.0.0.1', () => {
      const got = (probe.address() as AddressInfo).port
      probe.close(() => { resolve(got) })
    })
  })
}

/** Runs `command` to its end within `ms` (killed after): its exit code and output, for messages. */
async function run (command: string, args: readonly string[], ms: number): Promise<{ code: number | null, output: string }> {
  const child = spawn(command, args, { stdio: ['ignore', 'pipe', 'pipe'] })
  let output = ''
  child.stdout.on('data', (d: Buffer) => { output += d.toString() })
  child.stderr.on('data', (d: Buffer) => { output += d.toString() })
  const done = new Promise<{ code: number | null, output: string }>((resolve, reject) => {
    child.once('error', reject)
    child.once('close', code => { resolve({ code, output }) })
  })
  try {
    return await within(ms, `${command} ${args.join(' ')}`, done)
  } catch (err) {
    child.kill('SIGKILL')
    throw err
  }
}

/**
 * Starts a cluster of `masters` masters, each with `replicas` replicas. One master alone (no
 * replica) is given every slot itself (CLUSTER ADDSLOTSRANGE): `redis-cli --cluster create`
 * wants 3 at least.
 */
export async function startCluster ({ masters = 3, replicas = 0, nodeTimeoutMs = 15_000, durable = false }: { masters?: number, replicas?: number, nodeTimeoutMs?: number, durable?: boolean } = {}): Promise<TestCluster> {
  const dir = mkdtempSync(join(tmpdir(), 'potiron-cluster-'))
  const servers: Array<{ server: ChildProcess, exited: Promise<void> }> = []
  const nodes: ClusterNode[] = []
  const startNode = (port: number): ChildProcess => spawn('redis-server', [
    '--port', String(port), '--bind', '127.0.0.1', '--cluster-enabled', 'yes',
    '--cluster-config-file', join(dir, `nodes-${port}.conf`), '--cluster-node-timeout', String(nodeTimeoutMs), '--save', '',
    ...(durable ? ['--appendonly', 'yes', '--appendfsync', 'always', '--appendfilename', `appendonly-${port}.aof`, '--appenddirname', `aof-${port}`] : ['--appendonly', 'no']), '--dir', dir
  ], { stdio: 'ignore' })
  const stop = async (): Promise<void> => {
    for (const node of nodes) node.client.disconnect()
    for (const { server } of servers) if (server.exitCode === null && server.signalCode === null) server.kill('SIGKILL')
    await Promise.all(servers.map(async s => await s.exited))
    rmSync(dir, { recursive: true, force: true })
  }
  try {
    const ports: number[] = []
    const taken = new Set<number>()
    for (let i = 0; i < masters * (1 + replicas); i++) {
      const port = await freeClusterPort(taken)
      taken.add(port)
      ports.push(port)
      const server = startNode(port)
      // A test that fails before its `finally`, or a file the runner ends, leaves no node behind.
      servers.push({ server, exited: killedWithTests(server) })
      nodes.push({ port, client: await nodeClient(port, server) })
    }
    if (masters === 1 && replicas === 0) {
      // A node that never met another does not know its address: CLUSTER SLOTS would say "".
      await nodes[0]!.client.config('SET', 'cluster-announce-ip', '127.0.0.1')
      await nodes[0]!.client.call('CLUSTER', 'ADDSLOTSRANGE', '0', String(SLOTS - 1))
    } else {
      const created = await run('redis-cli', ['--cluster', 'create', ...ports.map(p => `127.0.0.1:${p}`), '--cluster-replicas', String(replicas), '--cluster-yes'], START_MS)
      if (created.code !== 0) throw new Error(`redis-cli --cluster create failed (exit ${String(created.code)}):\n${created.output}`)
    }
    await allOk(nodes, Date.now() + START_MS)
    const kill = async (port: number): Promise<void> => {
      const at = ports.indexOf(port)
      nodes[at]!.client.disconnect()
      servers[at]!.server.kill('SIGKILL')
      await servers[at]!.exited
    }
    const restart = async (port: number): Promise<void> => {
      const at = ports.indexOf(port)
      const server = startNode(port)
      servers[at] = { server, exited: killedWithTests(server) }
      nodes[at]!.client = await nodeClient(port, server)
    }
    return { ports, url: `redis://127.0.0.1:${ports[0]!}`, nodes, masters: nodes.slice(0, masters), stop, kill, restart }
  } catch (err) {
    await stop()
    throw err
  }
}

/** A connection to the node on `port`, once it answers (the server killed if it never does). */
async function nodeClient (port: number, server: ChildProcess): Promise<Redis> {
  const client = new Redis({ port, host: '127.0.0.1', lazyConnect: true, retryStrategy: () => null, maxRetriesPerRequest: 0, commandTimeout: 10_000 })
  client.on('error', () => {})
  for (let i = 0; ; i++) {
    try {
      await client.connect()
      await client.ping()
      return client
    } catch (err) {
      client.disconnect()
      if (i >= 100 || server.exitCode !== null) {
        server.kill('SIGKILL')
        throw new Error(`redis-server --cluster-enabled yes did not start on 127.0.0.1:${port}`, { cause: err })
      }
      await sleep(50)
    }
  }
}

/** Resolves once every node's CLUSTER INFO says cluster_state:ok; throws at `deadline` (ms since the epoch). */
async function allOk (nodes: readonly ClusterNode[], deadline: number): Promise<void> {
  for (;;) {
    const states = await Promise.all(nodes.map(async n => /^cluster_state:ok\r?$/m.test(await n.client.cluster('INFO'))))
    if (states.every(Boolean)) return
    if (Date.now() > deadline) throw new Error(`cluster_state:ok on every node: not within ${START_MS} ms (ok: ${states.map(String).join(', ')})`)
    await sleep(100)
  }
}

/** A client of the whole cluster (ioredis's own), for a test to read what potiron wrote; the caller disconnects it. */
export function clusterClient (cluster: TestCluster): Cluster {
  const client = new Cluster([{ host: '127.0.0.1', port: cluster.ports[0]! }], { redisOptions: { commandTimeout: 10_000 } })
  client.on('error', () => {})
  return client
}

/** A plain redis-server (no cluster) on a free loopback port, for a URL that is not a cluster's; `stop` kills it. */
export async function startStandalone (): Promise<{ url: string, stop: () => Promise<void> }> {
  const port = await freeClusterPort(new Set())
  const server = spawn('redis-server', ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no'], { stdio: 'ignore' })
  const exited = killedWithTests(server)
  const client = await nodeClient(port, server)
  client.disconnect()
  return { url: `redis://127.0.0.1:${port}`, stop: async () => { server.kill('SIGKILL'); await exited } }
}

/**
 * The second hour of the day capture `day` as a capture of its own (bench/util.ts hourlyCaptures,
 * in `dir`), named apart from `day`. Counted first, it makes `day`'s keys exist, so that `day`
 * alone then goes by the slot groups of store/write.ts (a file alone into keys that do not
 * exist yet is written as a batch of one): the tests of those groups count it first.
 */
export async function sameDayFile (day: string, dir: string, sensor: string): Promise<string> {
  mkdirSync(dir, { recursive: true })
  return (await hourlyCaptures(day, dir, sensor))[1]!
}

/**
 * The keys on `masters` of batches staged and never committed, which expire (store/batch-
 * cluster.ts): a run killed, or stopped by a master lost, with two batches in flight leaves the
 * other lane's, and the next run stages its files again. A batch committed and not finished has
 * no expiry, so it is not among them.
 */
export async function expiringStaging (masters: readonly Redis[]): Promise<Set<string>> {
  const names = new Set<string>()
  for (const client of masters) {
    for (const key of await client.keys('potiron:*')) {
      if (/^potiron:(batch|stage):/.test(key) && await client.ttl(key) > 0) names.add(key)
    }
  }
  return names
}
