/** The Redis sink on its own: bounded transactions per file, skipped when in FILES. */
import { after, before, test } from 'node:test'
import assert from 'node:assert/strict'
import { PACKET_FIELDS as FIELDS } from '../src/aggregate/fields.js'
import { emptyContribution } from '../src/store/merge.js'
import { ensureParameters, tsharkFields } from '../src/store/parameters.js'
import { connect } from '../src/store/connection.js'
import { GROUP_KEYS, GROUP_MEMBERS, writeFile } from '../src/store/write.js'
import { FILES } from '../src/store/keys.js'
import { Redis } from 'ioredis'
import { startRedis, type TestRedis } from './helpers/redis.js'

let redis: TestRedis

before(async () => { redis = await startRedis() })
after(async () => { await redis.stop() })

/** A transaction as MONITOR showed it: the commands between MULTI and EXEC. */
type Transaction = string[][]

/**
 * What Redis ran while `job` ran: its transactions, and the writes it ran outside one. A last
 * ECHO from the admin connection, seen by MONITOR, says every command before it has been shown.
 */
async function monitored (job: () => Promise<void>): Promise<{ transactions: Transaction[], loose: string[][] }> {
  const base = new Redis({ path: redis.socket })
  const monitor = await base.monitor()
  const transactions: Transaction[] = []
  const loose: string[][] = []
  let open: Transaction | undefined
  const mark = `end-of-job-${Math.random()}`
  let markSeen: () => void = () => {}
  const seen = new Promise<void>(resolve => { markSeen = resolve })
  monitor.on('monitor', (_time: string, args: string[]) => {
    const name = args[0]!.toUpperCase()
    if (name === 'ECHO' && args[1] === mark) markSeen()
    else if (name === 'MULTI') open = []
    else if (name === 'EXEC') { transactions.push(open!); open = undefined } else if (open !== undefined) open.push(args)
    else if (WRITES.has(name)) loose.push(args)
  })
  try {
    await job()
    await redis.client.echo(mark)
    await seen
  } finally {
    monitor.disconnect()
    base.disconnect()
  }
  return { transactions, loose }
}

const WRITES = new Set(['ZADD', 'ZINCRBY', 'SADD', 'HSET', 'DEL', 'SREM', 'HDEL', 'ZREMRANGEBYSCORE'])

/** The (key, member) pairs a transaction counts: a ZADD's pairs, one per ZINCRBY (those an INCREMENTS script runs). */
function membersOf (t: Transaction): Array<[string, string]> {
  const out: Array<[string, string]> = []
  for (const c of t) {
    const name = c[0]!.toUpperCase()
    if (name === 'ZADD') for (let i = 3; i < c.length; i += 2) out.push([c[1]!, c[i]!])
    else if (name === 'ZINCRBY') out.push([c[1]!, c[3]!])
  }
  return out
}

/** Checks the cut: at most GROUP_MEMBERS members over GROUP_KEYS keys each, FILES only in the last. */
function assertBounded (transactions: Transaction[], name: string, members: number): void {
  const sizes = transactions.map(t => membersOf(t).length)
  assert.equal(transactions.length, Math.ceil(members / GROUP_MEMBERS), `transactions of ${sizes.join(',')} members`)
  assert.equal(sizes.reduce((a, b) => a + b, 0), members)
  for (const t of transactions) {
    assert.ok(membersOf(t).length <= GROUP_MEMBERS, `${membersOf(t).length} members in one transaction`)
    assert.ok(new Set(membersOf(t).map(([key]) => key)).size <= GROUP_KEYS)
  }
  const addsFile = transactions.map(t => t.some(c => c[0]!.toUpperCase() === 'SADD' && c[1] === FILES && c[2] === name))
  assert.deepEqual(addsFile, transactions.map((_, i) => i === transactions.length - 1), 'the file goes in FILES in its last transaction, and only there')
}

test('a file of 200,000 members goes in transactions of bounded size, then is skipped', async () => {
  await redis.client.flushall()
  const c = emptyContribution('s-h-1')
  const members = new Map<string, number>()
  for (let i = 0; i < 200_000; i++) members.set(String(i), (i % 7) + 1)
  c.zsets.set('s-h-1:20140826:tcpseq', members)
  c.zsets.set('s-h-1:20140826:dport', new Map([['22', 3]]))
  c.days.add('20140826')
  const client = await connect({ socket: redis.socket })
  try {
    // New keys: each transaction of the cut is at most GROUP_MEMBERS members (multi-member ZADDs:
    // the key holds only this file's members, even in the groups after its first).
    const fresh = await monitored(async () => {
      assert.deepEqual(await writeFile(client, 'a.pcap', c, ['20140825']), { written: true, members: 200_001 })
    })
    assert.deepEqual(fresh.loose, [])
    assertBounded(fresh.transactions, 'a.pcap', 200_001)
    assert.ok(fresh.transactions.every(t => t.every(cmd => cmd[0]!.toUpperCase() !== 'ZINCRBY')), 'new keys are written with ZADD')
    assert.equal(await redis.client.zcard('s-h-1:20140826:tcpseq'), 200_000)
    assert.equal(await redis.client.zscore('s-h-1:20140826:tcpseq', '13'), '7')
    assert.deepEqual((await redis.client.smembers('s-h-1_DAYS')).sort(), ['20140825', '20140826'])
    assert.deepEqual(await redis.client.smembers('FILES'), ['a.pcap'])
    assert.equal(await redis.client.exists('PROTOCOLS'), 0)
    assert.deepEqual(await redis.client.keys('potiron:part:*'), [])
    const again = await monitored(async () => {
      assert.deepEqual(await writeFile(client, 'a.pcap', c, []), { written: false, members: 0 })
    })
    assert.deepEqual([again.transactions, again.loose], [[], []])
    assert.equal(await redis.client.zscore('s-h-1:20140826:dport', '22'), '3')

    // Existing keys that hold other files' members: the same cut, each key's members read
    // (ZMSCORE, under the group's WATCH) and their sums set in one ZADD, no script.
    const b = emptyContribution('s-h-1')
    b.zsets.set('s-h-1:20140826:tcpseq', new Map(Array.from({ length: 5_000 }, (_, i) => [String(i * 40), 1])))
    b.zsets.set('s-h-1:20140826:dport', new Map([['22', 1], ['80', 2]]))
    b.days.add('20140826')
    const existing = await monitored(async () => {
      assert.deepEqual(await writeFile(client, 'b.pcap', b, []), { written: true, members: 5_002 })
    })
    assert.deepEqual(existing.loose, [])
    assertBounded(existing.transactions, 'b.pcap', 5_002)
    assert.ok(existing.transactions.every(t => t.every(cmd => !['EVAL', 'ZINCRBY'].includes(cmd[0]!.toUpperCase()))), 'existing keys are written with ZADD')
    assert.equal(await redis.client.zscore('s-h-1:20140826:tcpseq', '120'), String((120 % 7) + 1 + 1))
    assert.equal(await redis.client.zscore('s-h-1:20140826:dport', '22'), '4')
    assert.equal(await redis.client.zscore('s-h-1:20140826:dport', '80'), '2')
    assert.equal(await redis.client.zcard('s-h-1:20140826:tcpseq'), 200_000)
    assert.deepEqual((await redis.client.smembers('FILES')).sort(), ['a.pcap', 'b.pcap'])

    // A small file, on an existing key and a new one: one transaction holds all of it and its FILES entry.
    const small = emptyContribution('s-h-1')
    small.zsets.set('s-h-1:20140826:dport', new Map([['22', 5], ['443', 1]]))
    small.zsets.set('s-h-1:20140827:dport', new Map([['22', 2]]))
    small.days.add('20140827')
    const single = await monitored(async () => {
      assert.deepEqual(await writeFile(client, 'c.pcap', small, []), { written: true, members: 3 })
    })
    assert.deepEqual(single.loose, [])
    assert.equal(single.transactions.length, 1)
    assert.deepEqual(single.transactions[0]!.map(cmd => cmd.join(' ')), [
      // An existing key's members as the sums of what it held (22: 4) and the file's counts, a new key's as the counts; framed (uppercase), not by ioredis.
      'ZADD s-h-1:20140826:dport 9 22 1 443',
      'ZADD s-h-1:20140827:dport 2 22',
      'sadd s-h-1_DAYS 20140827', 'sadd FILES c.pcap', 'del potiron:part:c.pcap'
    ])
    assert.equal(await redis.client.zscore('s-h-1:20140826:dport', '22'), '9')
  } finally {
    client.disconnect()
  }
})

test('two files written at once into the same existing key, group by group: no increment lost (a group whose key changed is read again)', async () => {
  await redis.client.flushall()
  const c = emptyContribution('s-h-1')
  c.zsets.set('s-h-1:20140826:tcpseq', new Map(Array.from({ length: 10 * GROUP_MEMBERS }, (_, i) => [String(i), 1])))
  c.days.add('20140826')
  const clients = await Promise.all([0, 1, 2].map(async () => await connect({ socket: redis.socket })))
  try {
    assert.deepEqual(await writeFile(clients[0]!, 'seed.pcap', c), { written: true, members: 10 * GROUP_MEMBERS })
    // Each reads a group's scores (ZMSCORE) and sets the sums (ZADD) under WATCH, in step with the other.
    const outcomes = await Promise.all([writeFile(clients[1]!, 'x.pcap', c), writeFile(clients[2]!, 'y.pcap', c)])
    assert.deepEqual(outcomes, [{ written: true, members: 10 * GROUP_MEMBERS }, { written: true, members: 10 * GROUP_MEMBERS }])
    const scores = await redis.client.zrange('s-h-1:20140826:tcpseq', 0, -1, 'WITHSCORES')
    assert.equal(scores.length, 2 * 10 * GROUP_MEMBERS)
    assert.deepEqual(new Set(scores.filter((_, i) => i % 2 === 1)), new Set(['3']))
  } finally {
    for (const client of clients) client.disconnect()
  }
})

test('runs starting at once on a fresh database: one writes the settings, every other one reads them whole and agrees', async () => {
  const clients = await Promise.all(Array.from({ length: 6 }, async () => await connect({ socket: redis.socket })))
  const settings = { combinedKeys: false, fields: FIELDS, selection: 'default', zone: 'UTC' }
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

test('a marker left by a potiron that cut members in another order is refused, naming the file: nothing is written twice', async () => {
  await redis.client.flushall()
  const c = emptyContribution('s-h-1')
  c.zsets.set('s-h-1:20140826:sport', new Map(Array.from({ length: GROUP_MEMBERS + 1 }, (_, i) => [String(i), 1])))
  c.days.add('20140826')
  const client = await connect({ socket: redis.socket })
  try {
    // Two groups, the first in: as the potiron before this one marked it (the number of groups alone).
    await redis.client.hset('potiron:part:old.pcap', 'plan', '2', '0', '1')
    await assert.rejects(writeFile(client, 'old.pcap', c), {
      message: 'old.pcap: an earlier run that stopped midway wrote part of it in 2 groups of members in the order the capture had them (an earlier potiron), but it now makes 2 in ascending order of value: its partial counts cannot be matched (see potiron:part:old.pcap)'
    })
    assert.deepEqual(await redis.client.keys('s-h-1:*'), [])
    // This potiron's own marker of the same cut: the group left is written.
    await redis.client.hset('potiron:part:old.pcap', 'plan', '2 by value')
    await redis.client.zadd('s-h-1:20140826:sport', ...Array.from({ length: GROUP_MEMBERS }, (_, i) => [1, String(i)]).flat())
    assert.deepEqual(await writeFile(client, 'old.pcap', c), { written: true, members: 1 })
    assert.equal(await redis.client.zcard('s-h-1:20140826:sport'), GROUP_MEMBERS + 1)
  } finally {
    client.disconnect()
  }
})
