/**
 * ioredis's failures recognised by class and code (src/redis-errors.ts), against a real
 * redis-server: a hung server (SIGSTOP) fails commands with potiron's RedisTimeoutError (alone,
 * in a pipeline, in MULTI, on a duplicate), and error replies give their protocol code.
 */
import assert from 'node:assert/strict'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { after, before, describe, test } from 'node:test'
import { RedisTimeoutError } from '../src/errors.js'
import { TimedRedis, replyCode } from '../src/redis-errors.js'
import { dashboardClient } from '../src/server/client.js'
import { connect, isTimeout, redisLoss } from '../src/store/connection.js'
import { startPrivateRedis, type PrivateRedis } from './helpers/private-redis.js'
import { startApp } from './helpers/serve.js'

let dir: string
let server: PrivateRedis

before(async () => {
  dir = mkdtempSync(join(tmpdir(), 'potiron-redis-errors-'))
  server = await startPrivateRedis(dir)
})

after(async () => {
  await server.stop()
  rmSync(dir, { recursive: true, force: true })
})

/** Runs `job` while the server is stopped (SIGSTOP): it takes connections but answers nothing. */
async function whileHung<T> (job: () => Promise<T>): Promise<T> {
  process.kill(server.pid, 'SIGSTOP')
  try {
    return await job()
  } finally {
    process.kill(server.pid, 'SIGCONT')
  }
}

describe('a command Redis does not answer', () => {
  test('fails with RedisTimeoutError after the command timeout, alone, in a pipeline, in MULTI and on a duplicate', async () => {
    const previous = process.env.POTIRON_REDIS_TIMEOUT
    process.env.POTIRON_REDIS_TIMEOUT = '0.3'
    const redis = await connect({ socket: server.socket })
    const copy = redis.duplicate()
    await copy.connect()
    try {
      await whileHung(async () => {
        const started = Date.now()
        const err = await redis.get('k').then(() => undefined, (e: unknown) => e)
        assert.ok(err instanceof RedisTimeoutError, String(err))
        assert.equal(err.timeoutMs, 300)
        assert.ok(Date.now() - started >= 250, 'not before the timeout')
        assert.ok(isTimeout(err))
        assert.equal(redisLoss(err), 'lost the connection to Redis (no answer within 0.3 s)')
        const replies = await redis.pipeline().get('k').exists('k').exec()
        assert.ok(replies !== null)
        assert.ok(replies.every(([e]) => e instanceof RedisTimeoutError), String(replies))
        await assert.rejects(redis.multi().set('k', '1').exec(), RedisTimeoutError)
        await assert.rejects(copy.get('k'), RedisTimeoutError)
      })
    } finally {
      if (previous === undefined) delete process.env.POTIRON_REDIS_TIMEOUT
      else process.env.POTIRON_REDIS_TIMEOUT = previous
      redis.disconnect()
      copy.disconnect()
    }
  })

  test('an answered command is not failed afterwards, and leaves no timer behind', async () => {
    const redis = new TimedRedis(200, { path: server.socket, lazyConnect: true, maxRetriesPerRequest: 0, retryStrategy: () => null })
    redis.on('error', () => {})
    try {
      await redis.connect()
      assert.equal(await redis.set('answered', '1'), 'OK')
      assert.equal(await redis.get('answered'), '1')
    } finally {
      redis.disconnect()
    }
  })

  test('the dashboard answers 503 while Redis hangs', async () => {
    const client = dashboardClient({ socket: server.socket }, {}, 300)
    await client.connect()
    const app = await startApp(client)
    try {
      const res = await whileHung(async () => await fetch(`${app.url}/api/sensors`))
      assert.deepEqual([res.status, await res.json()], [503, { error: 'backend unavailable: cannot reach Redis' }])
    } finally {
      await app.close()
      client.disconnect()
    }
  })
})

describe('replyCode', () => {
  test("is an error reply's first word, the protocol's error code", async () => {
    await server.client.del('list')
    await server.client.lpush('list', 'x')
    const wrongType = await server.client.get('list').then(() => undefined, (e: unknown) => e)
    assert.equal(replyCode(wrongType), 'WRONGTYPE')
    const unknown = await server.client.call('NOSUCHCOMMAND').then(() => undefined, (e: unknown) => e)
    assert.equal(replyCode(unknown), 'ERR')
  })

  test('is undefined for anything but an error reply', () => {
    assert.equal(replyCode(new Error('LOADING Redis is loading the dataset in memory')), undefined)
    assert.equal(replyCode(new RedisTimeoutError(1000, 'GET')), undefined)
    assert.equal(replyCode('LOADING'), undefined)
    assert.equal(replyCode(undefined), undefined)
  })
})
