/**
 * A private redis-server for tests: started on a unix socket in a temp dir (no TCP port, no
 * persistence), so tests never touch a Redis someone else uses. Stop it with `stop()`.
 */
import { spawn, type ChildProcess } from 'node:child_process'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { setTimeout as sleep } from 'node:timers/promises'
import { Redis } from 'ioredis'

export interface TestRedis {
  socket: string
  client: Redis
  stop: () => Promise<void>
}

export async function startRedis (): Promise<TestRedis> {
  const dir = mkdtempSync(join(tmpdir(), 'potiron-redis-'))
  const socket = join(dir, 'redis.sock')
  const server: ChildProcess = spawn('redis-server', ['--port', '0', '--unixsocket', socket, '--save', '', '--appendonly', 'no', '--dir', dir], { stdio: 'ignore' })
  const client = new Redis({ path: socket, lazyConnect: true, retryStrategy: () => null, maxRetriesPerRequest: 0 })
  client.on('error', () => {})
  for (let i = 0; ; i++) {
    try {
      await client.connect()
      break
    } catch (err) {
      if (i >= 100 || server.exitCode !== null) throw new Error(`redis-server did not start on ${socket}`, { cause: err })
      await sleep(50)
    }
  }
  return {
    socket,
    client,
    stop: async () => {
      client.disconnect()
      const exited = new Promise(resolve => server.once('exit', resolve))
      server.kill('SIGTERM')
      await exited
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
      case 'hash': out[key] = { type, value: await client.hgetall(key) }; break
      case 'string': out[key] = { type, value: await client.get(key) }; break
      default: throw new Error(`${key}: unexpected type ${type}`)
    }
  }
  return out
}
