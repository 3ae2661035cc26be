/**
 * A Redis Cluster as potiron's storage (docs/cluster.md): the client, and what the rest of the
 * store needs to know of slots.
 *
 * The rest of potiron is written against one Redis. A cluster is handed to it as the same
 * interface (ioredis's `Cluster` and `Redis` share their commands) with two differences made
 * here, so that readers need no cluster code of their own:
 * - a pipeline may hold keys of any slots: it is cut by slot and each part sent to the slot's
 *   owner, the replies put back in order (ioredis's own cluster pipeline refuses keys of two
 *   masters); a pipeline is then no longer one state, which no reader needs;
 * - every command is timed as on one Redis (RedisTimeoutError).
 * Transactions (MULTI/EXEC, WATCH) stay one slot's: the writers group their keys by slot
 * (store/write.ts).
 */
import calculateSlot from 'cluster-key-slot'
import { Cluster, Command, type ChainableCommander, type ClusterOptions, type Redis } from 'ioredis'
import type { WriteableStream } from 'ioredis/built/types.js'
import { setTimeout as sleep } from 'node:timers/promises'
import { RedisFailoverError } from '../errors.js'
import { failoverError, timeCommand } from '../redis-errors.js'

export const SLOTS = 16384

/** Whether `redis` is a cluster's client (see connect): both clients say so themselves. */
export function isCluster (redis: Redis): boolean {
  return redis.isCluster
}

/** The hash slot of a key (Redis's CRC16 of the key, or of its hash tag). */
export function slotOf (key: string): number {
  return calculateSlot(key)
}

let tags: string[] | undefined

/**
 * A short hash tag for each slot: `{<tag>}` in a key puts it in that slot. Found once by
 * counting up in base 36 until every slot has one (about 160,000 CRC16s, ~20 ms).
 */
export function tagOf (slot: number): string {
  if (tags === undefined) {
    const found = new Array<string>(SLOTS)
    let left = SLOTS
    for (let n = 0; left > 0; n++) {
      const tag = n.toString(36)
      const s = calculateSlot(tag)
      if (found[s] === undefined) { found[s] = tag; left-- }
    }
    tags = found
  }
  return tags[slot]!
}

/** The masters of a cluster client, or the one Redis itself: where a SCAN must go. */
export function mastersOf (redis: Redis): Redis[] {
  return isCluster(redis) ? (redis as unknown as Cluster).nodes('master') : [redis]
}

/**
 * The master that serves `slot` now, as the client's slot map says (`host:port`). After a
 * failover the map changes: two lanes (store/write.ts byMaster) may then meet on one master's
 * connection for the moment a retry takes, a WATCH of one cleared by the other's EXEC.
 */
export function masterOf (redis: Redis, slot: number): string {
  return (redis as unknown as Cluster).slots[slot]?.[0] ?? `slot ${slot}`
}

/**
 * UNWATCH on the connection that holds the WATCH of `slot`'s keys: on a cluster, a command
 * without a key would go to any master.
 */
export async function unwatchSlot (redis: Redis, slot: number): Promise<void> {
  if (!isCluster(redis)) { await redis.unwatch(); return }
  const command = new Command('unwatch', [], { replyEncoding: 'utf8' })
  await (redis as unknown as Cluster).sendCommand(command, undefined, { slot })
}

/**
 * A cluster's client whose commands are timed (redis-errors.ts) and whose pipelines may span
 * masters (see the module comment).
 */
export class TimedCluster extends Cluster {
  // TS-private for the same reason as TimedRedis's.
  // eslint-disable-next-line no-restricted-syntax
  private readonly timeoutMs: number
  // eslint-disable-next-line no-restricted-syntax
  private readonly timed: WeakSet<Command>
  // eslint-disable-next-line no-restricted-syntax
  private readonly seeds: Array<{ host: string, port: number }>

  constructor (timeoutMs: number, nodes: Array<{ host: string, port: number }>, options: ClusterOptions) {
    super(nodes, options)
    this.timeoutMs = timeoutMs
    this.timed = new WeakSet()
    this.seeds = nodes
  }

  override sendCommand (command: Command, stream?: WriteableStream, node?: unknown): unknown {
    timeCommand(command, this.timeoutMs, this.timed)
    return super.sendCommand(command, stream, node)
  }

  /** Another client of the same cluster (Redis's signature: run.ts duplicates either alike). */
  override duplicate (override: unknown = {}, more: Partial<ClusterOptions> = {}): TimedCluster {
    const extra = Array.isArray(override) ? more : override as Partial<ClusterOptions>
    return new TimedCluster(this.timeoutMs, this.seeds, { ...this.options, ...extra })
  }

  override pipeline (): ReturnType<Redis['pipeline']> {
    return slotPipeline(this)
  }
}

/**
 * How long a cluster may take to settle after losing a master before a step gives up: a replica
 * is promoted after `cluster-node-timeout` (15 s by default) and a vote. `POTIRON_FAILOVER_WAIT`
 * seconds, default 30.
 */
export function failoverMs (env: NodeJS.ProcessEnv = process.env): number {
  const seconds = Number(env.POTIRON_FAILOVER_WAIT)
  return (seconds > 0 ? seconds : 30) * 1000
}

/**
 * Runs `step`, again while a cluster fails over (failoverError), for failoverMs at most: each
 * step given must be safe to repeat (a read, an idempotent write, or a transaction its marker
 * makes once-only). On one Redis, runs it once.
 */
export async function throughFailover<T> (redis: Redis | Cluster, step: () => Promise<T>): Promise<T> {
  if (!redis.isCluster) return await step()
  const waitMs = failoverMs()
  const deadline = Date.now() + waitMs
  for (;;) {
    try {
      return await step()
    } catch (err) {
      if (!failoverError(err)) throw err
      if (Date.now() > deadline) throw await masterDown(redis as Cluster, err, waitMs)
      await sleep(250);
      (redis as Cluster).refreshSlotsCache()
    }
  }
}

/** The error of a cluster whose master stays down: the masters its live nodes mark as failing, named. */
async function masterDown (cluster: Cluster, err: unknown, waitMs: number): Promise<RedisFailoverError> {
  const down = await failingMasters(cluster).catch(() => [])
  const which = down.length === 0 ? 'a master' : `master ${down.join(', ')}`
  const reason = err instanceof Error ? err.message : String(err)
  return new RedisFailoverError(`the Redis Cluster lost ${which} (${reason}) and no replica took over within ${waitMs / 1000} s`, { cause: err })
}

/** One command queued in a slotPipeline: by name and arguments, or a Command made already (framed.ts). */
type Queued = { name: string, args: unknown[] } | { command: Command }

/**
 * A pipeline that may hold keys of any slots: recorded, then sent as one ioredis pipeline per
 * slot, all at once, the replies in the order queued (see the module comment).
 */
function slotPipeline (cluster: Cluster): ChainableCommander {
  const queued: Queued[] = []
  const pipeline: ChainableCommander = new Proxy({} as unknown as ChainableCommander, {
    get (_, property) {
      if (property === 'exec') return async () => await execBySlot(cluster, queued)
      if (property === 'length') return queued.length
      if (typeof property !== 'string' || property === 'then') return undefined
      if (property === 'sendCommand') return (command: Command) => { queued.push({ command }); return pipeline }
      return (...args: unknown[]) => { queued.push({ name: property, args }); return pipeline }
    }
  })
  return pipeline
}

async function execBySlot (cluster: Cluster, queued: readonly Queued[]): Promise<Array<[Error | null, unknown]>> {
  const bySlot = new Map<number | string, number[]>()
  queued.forEach((q, i) => {
    const slot = 'command' in q ? q.command.getSlot() : new Command(q.name, q.args as string[]).getSlot()
    // A command without a key goes alone, to whichever master the client picks.
    const part = slot ?? `any ${i}`
    const at = bySlot.get(part)
    if (at === undefined) bySlot.set(part, [i])
    else at.push(i)
  })
  const replies = new Array<[Error | null, unknown]>(queued.length)
  await Promise.all([...bySlot.values()].map(async at => {
    const once = async (): Promise<Array<[Error | null, unknown]> | null> => {
      const part = Cluster.prototype.pipeline.call(cluster) as unknown as Record<string, (...args: unknown[]) => unknown> & { exec: () => Promise<Array<[Error | null, unknown]> | null> }
      for (const i of at) {
        const q = queued[i]!
        if ('command' in q) part.sendCommand!(q.command)
        else part[q.name]!(...q.args)
      }
      const replies = await part.exec()
      const failing = replies?.find(([err]) => err !== null && failoverError(err))
      if (failing !== undefined) throw failing[0]!
      return replies
    }
    // Commands by name are reads and idempotent writes: sent again whole after a failover. A
    // Command made already cannot be sent twice: whoever made it does the step again.
    const got = at.some(i => 'command' in queued[i]!) ? await once() : await throughFailover(cluster, once)
    at.forEach((i, j) => { replies[i] = got === null ? [new Error('pipeline: no reply'), null] : got[j]! })
  }))
  return replies
}

/** `host:port` of the masters that CLUSTER NODES (asked of any live node) flags `fail` or `fail?`. */
async function failingMasters (cluster: Cluster): Promise<string[]> {
  const lines = (await cluster.cluster('NODES') as string).trim().split('\n')
  return lines.map(line => line.split(' ')).filter(([, address, flags]) => {
    const set = (flags ?? '').split(',')
    return address !== undefined && set.includes('master') && set.some(flag => flag.startsWith('fail'))
  }).map(([, address]) => address!.split('@')[0]!)
}
