/** The Redis sink on its own: bounded transactions per file, skipped when in FILES. */
import { after, before, test } from 'node:test'
import assert from 'node:assert/strict'
import { FIELDS } from '../src/aggregate/fields.js'
import { emptyContribution } from '../src/store/merge.js'
import { ensureParameters, tsharkFields } from '../src/store/parameters.js'
import { connect } from '../src/store/connection.js'
import { writeFile } from '../src/store/write.js'
import { startRedis, type TestRedis } from './helpers/redis.js'

let redis: TestRedis

before(async () => { redis = await startRedis() })
after(async () => { await redis.stop() })

test('a file of 200,000 members goes in transactions of bounded size, then is skipped', async () => {
  const c = emptyContribution('s-h-1')
  const members = new Map<string, number>()
  for (let i = 0; i < 200_000; i++) members.set(String(i), (i % 7) + 1)
  c.zsets.set('s-h-1:20140826:tcpseq', members)
  c.zsets.set('s-h-1:20140826:dport', new Map([['22', 3]]))
  c.days.add('20140826')
  const client = await connect({ socket: redis.socket })
  try {
    assert.deepEqual(await writeFile(client, 'a.pcap', c, ['20140825']), { written: true, members: 200_001 })
    assert.equal(await redis.client.zcard('s-h-1:20140826:tcpseq'), 200_000)
    assert.equal(await redis.client.zscore('s-h-1:20140826:tcpseq', '13'), '7')
    assert.deepEqual((await redis.client.smembers('s-h-1_DAYS')).sort(), ['20140825', '20140826'])
    assert.deepEqual(await redis.client.smembers('FILES'), ['a.pcap'])
    assert.equal(await redis.client.exists('PROTOCOLS'), 0)
    assert.deepEqual(await writeFile(client, 'a.pcap', c, []), { written: false, members: 0 })
    assert.equal(await redis.client.zscore('s-h-1:20140826:dport', '22'), '3')
  } finally {
    client.disconnect()
  }
})

test('runs starting at once on a fresh database: one writes the settings, every other one reads them whole and agrees', async () => {
  const clients = await Promise.all(Array.from({ length: 6 }, async () => await connect({ socket: redis.socket })))
  const settings = { combined: false, fields: FIELDS, selection: 'default', zone: 'UTC' }
  try {
    for (let round = 0; round < 40; round++) {
      await redis.client.flushall()
      // Each may throw ParameterConflictError if it saw one key before another run's write and the next after it.
      await Promise.all(clients.map(async c => { await ensureParameters(c, settings) }))
      assert.deepEqual([await redis.client.llen('FIELDS'), await redis.client.llen('JSON_FIELDS')], [tsharkFields(FIELDS).length, FIELDS.length])
    }
    await assert.rejects(ensureParameters(clients[0]!, { ...settings, selection: 'ipv4-only' }), /selection is 'default' in Redis but 'ipv4-only' here \(--ipv4-only\)/)
  } finally {
    for (const c of clients) c.disconnect()
  }
})

test('two files written at once into the same many-group key: every count is the sum, whichever transaction comes first', async () => {
  const contribution = (from: number, to: number, count: number): ReturnType<typeof emptyContribution> => {
    const c = emptyContribution('s-h-1')
    c.zsets.set('s-h-1:20140826:sport', new Map(Array.from({ length: to - from }, (_, i) => [String(from + i), count])))
    c.days.add('20140826')
    return c
  }
  const [one, two] = await Promise.all([connect({ socket: redis.socket }), connect({ socket: redis.socket })])
  try {
    for (let round = 0; round < 5; round++) {
      await redis.client.flushall()
      await Promise.all([writeFile(one, 'a.pcap', contribution(0, 10_000, 1)), writeFile(two, 'b.pcap', contribution(5_000, 15_000, 2))])
      const scores = await redis.client.zrange('s-h-1:20140826:sport', 0, -1, 'WITHSCORES')
      const byScore = new Map<string, number>()
      for (let i = 0; i < scores.length; i += 2) byScore.set(scores[i + 1]!, (byScore.get(scores[i + 1]!) ?? 0) + 1)
      assert.deepEqual(Object.fromEntries(byScore), { 1: 5_000, 2: 5_000, 3: 5_000 })
      assert.equal(await redis.client.zscore('s-h-1:20140826:sport', '7000'), '3')
    }
  } finally {
    one.disconnect()
    two.disconnect()
  }
})
