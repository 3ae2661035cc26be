/**
 * A private redis-server for tests: startPrivateRedis in a fresh temp dir (unix socket, no TCP
 * port, no persistence), so tests never touch a Redis someone else uses; `stop()` also removes
 * the dir.
 */
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import type { Redis } from 'ioredis'
import { FILES_INFO } from '../../src/store/keys.js'
import { startPrivateRedis } from './private-redis.js'

export interface TestRedis {
  socket: string
  client: Redis
  stop: () => Promise<void>
}

export async function startRedis (): Promise<TestRedis> {
  const dir = mkdtempSync(join(tmpdir(), 'potiron-redis-'))
  const server = await startPrivateRedis(dir, { durable: false })
  return {
    socket: server.socket,
    client: server.client,
    stop: async () => {
      await server.stop()
      rmSync(dir, { recursive: true, force: true })
    }
  }
}

export type Dump = Record<string, { type: string, value: unknown }>

/** Every key with its type and value, in the corpus dumps' shape (zset scores as numbers, sets sorted). */
export async function dump (client: Redis): Promise<Dump> {
  const out: Dump = {}
  for (const key of (await client.keys('*')).sort()) {
    const type = await client.type(key)
    switch (type) {
      case 'zset': {
        const flat = await client.zrange(key, 0, -1, 'WITHSCORES')
        const value: Record<string, number> = {}
        for (let i = 0; i < flat.length; i += 2) value[flat[i]!] = Number(flat[i + 1])
        out[key] = { type, value }
        break
      }
      case 'set': out[key] = { type, value: (await client.smembers(key)).sort() }; break
      case 'list': out[key] = { type, value: await client.lrange(key, 0, -1) }; break
      case 'hash': out[key] = { type, value: key === FILES_INFO ? timeless(await client.hgetall(key)) : await client.hgetall(key) }; break
      case 'string': out[key] = { type, value: await client.get(key) }; break
      default: throw new Error(`${key}: unexpected type ${type}`)
    }
  }
  return out
}

/**
 * FILES_INFO's entries without when each file was counted (`counted`), which differs from run to
 * run: two dumps of the same counts compare equal whenever they were made.
 */
function timeless (info: Record<string, string>): Record<string, string> {
  return Object.fromEntries(Object.entries(info).map(([name, json]) => {
    const { counted, ...rest } = JSON.parse(json) as Record<string, unknown>
    return [name, JSON.stringify(counted === undefined ? rest : { ...rest, counted: 'TIME' })]
  }))
}

/**
 * The dump without potiron's own bookkeeping (FILES_INFO, which ingest keeps and neither the
 * original nor import-json has: it describes capture files), to compare what tools counted.
 */
/** Keys a batch keeps while it runs (store/batch.ts): its hash and key set, its staging keys, its files' claims. */
export const BOOKKEEPING = /^potiron:(batch|stage|part):/

/** `d` without a batch's keys (BOOKKEEPING): what a run killed while staging leaves to expire. */
export function withoutBookkeeping (d: Dump): Dump {
  return Object.fromEntries(Object.entries(d).filter(([key]) => !BOOKKEEPING.test(key)))
}

export function counts (d: Dump): Dump {
  return Object.fromEntries(Object.entries(d).filter(([key]) => key !== FILES_INFO))
}
