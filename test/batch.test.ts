/**
 * Captures of one sensor counted together (store/batch.ts): the same counts as the files one by
 * one, into new keys and existing ones; a run killed while staging, after its commit or in the
 * middle of applying, finished by the next run (after a commit, from Redis alone, whatever files
 * it is given); two runs at once over the same files. Real redis-servers, the CLI as a process,
 * a gate (test/helpers/redis-gate.ts) to stop a run at an exact command.
 */
import { after, before, test } from 'node:test'
import assert from 'node:assert/strict'
import { copyFileSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { basename, join } from 'node:path'
import { FIXTURES } from './helpers/shared.js'
import { spawnPotiron, type Exit } from './helpers/spawned.js'
import { BOOKKEEPING, dump, withoutBookkeeping, type Dump } from './helpers/redis.js'
import { startPrivateRedis, type PrivateRedis } from './helpers/private-redis.js'
import { openGate } from './helpers/redis-gate.js'
import { APPLY, STAGE_TTL_SECONDS } from '../src/store/batch.js'
import { packMembers, packPairs } from '../src/store/framed.js'
import { MemberCounts } from '../src/store/members.js'
import { FIELDS, IPV6_BASE } from '../src/aggregate/fields.js'

/** Copies of a fixture as one sensor's captures of its day (names differ by the second). */
const COPIES = 12
const SENSOR = 'lab-batch-1'

let root: string
let files: string[]
let redis: PrivateRedis
/** The database after each file was ingested on its own, one command each. */
let oneByOne: Dump

function cli (args: string[]): { kill: () => void, done: Promise<Exit> } {
  const { child, done } = spawnPotiron([...args, '--threads', '2'])
  return { kill: () => { child.kill('SIGKILL') }, done }
}

async function ingest (args: string[], socket: string): Promise<Exit> {
  const exit = await cli(['ingest', ...args, '--unix', socket, '--quiet']).done
  assert.equal(exit.code, 0, exit.stderr)
  return exit
}

const isEval = (command: string[], text: string): boolean => command[0]!.toLowerCase() === 'eval' && command[1]!.includes(text)

before(async () => {
  root = mkdtempSync(join(tmpdir(), 'potiron-batch-'))
  mkdirSync(join(root, 'captures'))
  files = []
  for (let i = 0; i < COPIES; i++) {
    const file = join(root, 'captures', `${SENSOR}-201007042024${String(10 + i)}.pcapng`)
    copyFileSync(join(FIXTURES, 'lab-synscan-1-20100704202416.pcapng'), file)
    files.push(file)
  }
  mkdirSync(join(root, 'main'))
  redis = await startPrivateRedis(join(root, 'main'), { durable: false })
  for (const file of files) await ingest([file], redis.socket)
  oneByOne = await dump(redis.client)
  assert.equal((oneByOne.FILES?.value as string[]).length, COPIES)
})

after(async () => {
  await redis.stop()
  rmSync(root, { recursive: true, force: true })
})

test('captures of one sensor and day ingested by one command: one batch, the same database as the files one by one', async () => {
  await redis.client.flushall()
  const gate = await openGate(join(root, 'gate-all.sock'), redis.socket, () => false)
  try {
    await ingest([join(root, 'captures')], gate.socket)
  } finally {
    await gate.close()
  }
  const commits = gate.passed.filter(p => isEval(p.command, "HSET', KEYS[i + 1], 'batch'"))
  assert.equal(commits.length, 1)
  assert.deepEqual(commits[0]!.command.slice(-COPIES).sort(), files.map(f => f.split('/').pop()).sort())
  assert.deepEqual(await dump(redis.client), oneByOne)
})

test('a batch into keys that exist (the first file counted by an earlier run): the same database as the files one by one', async () => {
  await redis.client.flushall()
  await ingest([files[0]!], redis.socket)
  await ingest([join(root, 'captures')], redis.socket)
  assert.deepEqual(await dump(redis.client), oneByOne)
})

test('APPLY adds staged counts as ZINCRBY does, with or without ZMSCORE (Redis before 6.2), each member once however often it is called', async () => {
  await redis.client.flushall()
  await redis.client.zadd('k', 5, 'a', 1, 'b')
  await redis.client.zadd('s', 2, 'a', 7, 'c', 1, 'd')
  for (const zmscore of ['0', '1']) {
    await redis.client.del('k2', 's2')
    await redis.client.copy('k', 'k2')
    await redis.client.copy('s', 's2')
    // Two members a call: d and a first (rank order), then c; the batch keeps how far it is.
    assert.equal(await redis.client.eval(APPLY, 3, 's2', 'k2', 'b', 2, zmscore), 1)
    assert.equal(await redis.client.hget('b', 'applied:k2'), '2')
    assert.equal(await redis.client.eval(APPLY, 3, 's2', 'k2', 'b', 2, zmscore), 0)
    assert.equal(await redis.client.eval(APPLY, 3, 's2', 'k2', 'b', 2, zmscore), 0)
    assert.deepEqual(await redis.client.zrange('k2', 0, -1, 'WITHSCORES'), ['b', '1', 'd', '1', 'a', '7', 'c', '7'])
    assert.deepEqual([await redis.client.exists('s2'), await redis.client.exists('b')], [0, 0])
  }
  // A key that does not exist takes the staging key's place.
  assert.equal(await redis.client.eval(APPLY, 3, 's', 'new', 'b', 2, '1'), 0)
  assert.deepEqual([await redis.client.exists('s'), await redis.client.zcard('new')], [0, 3])
})

test('APPLY adds a key\'s packed chunks (staged for a key that exists) as ZINCRBY does, one chunk a call, each once however often it is called', async () => {
  await redis.client.flushall()
  for (const zmscore of ['0', '1']) {
    await redis.client.del('k', 'b')
    await redis.client.zadd('k', 5, 'a', 1, 'b')
    await redis.client.set('s#0', packPairs([['a', 2], ['c', 7]]))
    await redis.client.set('s#1', packPairs([['d', 1]]))
    await redis.client.hset('b', 'chunks:k', 2)
    assert.equal(await redis.client.eval(APPLY, 3, 's', 'k', 'b', 2, zmscore), 1)
    assert.deepEqual([await redis.client.exists('s#0'), await redis.client.hget('b', 'applied:k')], [0, '1'])
    assert.equal(await redis.client.eval(APPLY, 3, 's', 'k', 'b', 2, zmscore), 0)
    assert.equal(await redis.client.eval(APPLY, 3, 's', 'k', 'b', 2, zmscore), 0)
    assert.deepEqual(await redis.client.zrange('k', 0, -1, 'WITHSCORES'), ['b', '1', 'd', '1', 'a', '7', 'c', '7'])
    assert.deepEqual([await redis.client.exists('s#1'), await redis.client.exists('b')], [0, 0])
  }
})

test('a packed chunk holds the members zaddMembers writes and their counts, for every field', async () => {
  const unpack = async (chunk: Buffer): Promise<unknown> => await redis.client.eval('return cmsgpack.unpack(ARGV[1])', 0, chunk)
  for (const field of FIELDS) {
    const m = new MemberCounts(field)
    const ipv6 = new Uint8Array(16).fill(0x20)
    const values = field === 'scc' || field === 'dcc' ? [0x4142, 0x4344, -1] : field === 'ipsrc' ? [0, 3232235777, IPV6_BASE, -1] : [0, 7, 65535, 4294967295, -1, -3]
    m.addGroup({ day: 0, proto: -2, field: FIELDS.indexOf(field), values: Float64Array.from(values), counts: Float64Array.from(values, (_, i) => i === 1 ? 2 ** 32 + 5 : i + 1) }, ipv6)
    const pairs = [...m.entries()]
    // Redis returns a Lua number as an integer (2^32 + 5 whole).
    assert.deepEqual(await unpack(packMembers(m, 0, m.size)), pairs.flat(), field)
    assert.deepEqual(await unpack(packMembers(m, 1, 2)), pairs.slice(1, 3).flat(), field)
    assert.deepEqual(await unpack(packPairs(pairs)), pairs.flat(), field)
  }
})

/** Runs the ingest of every capture through a gate that shuts on `shut`, then kills it. */
async function killedAt (label: string, shut: (command: string[]) => boolean): Promise<void> {
  const gate = await openGate(join(root, 'gate.sock'), redis.socket, shut)
  const run = cli(['ingest', join(root, 'captures'), '--unix', gate.socket, '--quiet'])
  const ended = await Promise.race([gate.shut.then(() => false), run.done.then(() => true)])
  run.kill()
  const exit = await run.done
  await gate.close()
  assert.ok(!ended, `${label}: the run ended before the gate shut: ${exit.stderr}`)
  assert.equal(exit.signal, 'SIGKILL', label)
}

test('killed while staging: nothing counted, the staging expires, the next run counts every file once', async () => {
  await redis.client.flushall()
  let zadds = 0
  await killedAt('staging', c => c[0]!.toLowerCase() === 'zadd' && c[1]!.startsWith('potiron:stage:') && ++zadds === 3)
  assert.equal(await redis.client.scard('FILES'), 0)
  assert.deepEqual(await redis.client.keys('potiron:part:*'), [])
  const staged = await redis.client.keys('potiron:stage:*')
  assert.ok(staged.length >= 2, `${staged.length} staging keys`)
  for (const key of [...staged, ...await redis.client.keys('potiron:batch:*')]) {
    const ttl = await redis.client.ttl(key)
    assert.ok(ttl > 0 && ttl <= STAGE_TTL_SECONDS, `${key}: TTL ${ttl}`)
  }
  await ingest([join(root, 'captures')], redis.socket)
  const after = await dump(redis.client)
  assert.deepEqual(withoutBookkeeping(after), oneByOne)
  // What is left is the dead run's staging, expiring: never a count.
  for (const key of Object.keys(after).filter(key => BOOKKEEPING.test(key))) assert.ok(await redis.client.ttl(key) > 0, key)
})

test('killed while staging into keys that exist: nothing more counted, the packed chunks expire, the next run counts every file once', async () => {
  await redis.client.flushall()
  await ingest([files[0]!], redis.socket)
  let chunks = 0
  await killedAt('staging chunks', c => c[0]!.toLowerCase() === 'set' && /^potiron:stage:.*#\d+$/.test(c[1]!) && ++chunks === 3)
  assert.equal(await redis.client.scard('FILES'), 1)
  const staged = await redis.client.keys('potiron:stage:*')
  assert.ok(staged.length >= 2 && staged.every(key => /#\d+$/.test(key)), staged.join(' '))
  for (const key of [...staged, ...await redis.client.keys('potiron:batch:*')]) {
    const ttl = await redis.client.ttl(key)
    assert.ok(ttl > 0 && ttl <= STAGE_TTL_SECONDS, `${key}: TTL ${ttl}`)
  }
  await ingest([join(root, 'captures')], redis.socket)
  assert.deepEqual(withoutBookkeeping(await dump(redis.client)), oneByOne)
})

test('killed right after its commit: the next run, given only one of the files, finishes the batch from Redis alone', async () => {
  await redis.client.flushall()
  await killedAt('commit', c => isEval(c, "HSET', KEYS[i + 1], 'batch'"))
  assert.equal(await redis.client.scard('FILES'), 0)
  assert.equal((await redis.client.keys('potiron:part:*')).length, COPIES)
  const exit = await ingest([files[COPIES - 1]!], redis.socket)
  assert.equal(exit.stderr, `potiron: redis unix:${redis.socket}\n`)
  assert.deepEqual(await dump(redis.client), oneByOne)
})

test('killed in the middle of applying into existing keys (a chunk\'s transaction cut before its EXEC): the same command again finishes the batch from Redis alone (APPLY) and gives the same database as the files one by one', async () => {
  await redis.client.flushall()
  await ingest([files[0]!], redis.socket)
  // The run applies its own chunks in place: MULTI, ZADD of the sums, UNLINK of the chunk, its progress, EXEC.
  let applied = 0
  await killedAt('apply', c => c[0]!.toLowerCase() === 'unlink' && /^potiron:stage:.*#\d+$/.test(c[1]!) && ++applied === 3)
  const staged = await redis.client.keys('potiron:stage:*#*')
  assert.ok(staged.length > 0, 'some chunks are still staged')
  const records = (await redis.client.keys('potiron:batch:*')).filter(key => !key.endsWith(':keys'))
  assert.equal(records.length, 1)
  assert.equal(await redis.client.hget(records[0]!, 'state'), 'committed')
  assert.equal(await redis.client.scard('FILES'), 1)
  await ingest([join(root, 'captures')], redis.socket)
  assert.deepEqual(await dump(redis.client), oneByOne)
})

test('two runs at once over the same captures: each file counted once', async () => {
  await redis.client.flushall()
  const one = cli(['ingest', join(root, 'captures'), '--unix', redis.socket, '--quiet'])
  const two = cli(['ingest', ...files.slice().reverse(), '--unix', redis.socket, '--quiet'])
  const [a, b] = await Promise.all([one.done, two.done])
  assert.equal(a.code, 0, a.stderr)
  assert.equal(b.code, 0, b.stderr)
  assert.deepEqual(withoutBookkeeping(await dump(redis.client)), oneByOne)
  assert.deepEqual(await redis.client.keys('potiron:part:*'), [])
})

test('ingest --force over counted captures and new ones: the counted ones recounted without doubling, the new ones counted', async () => {
  await redis.client.flushall()
  await ingest(files.slice(0, COPIES / 2), redis.socket)
  const exit = await ingest([join(root, 'captures'), '--force', '--json'], redis.socket)
  const summary = JSON.parse(exit.stdout) as { ingested: number, replaced: number, skipped: number }
  assert.deepEqual([summary.ingested, summary.replaced, summary.skipped], [COPIES, COPIES / 2, 0])
  assert.deepEqual(await dump(redis.client), oneByOne)
})

test('captures of other days do not share a batch: each day\'s files written on their own', async () => {
  await redis.client.flushall()
  const dir = join(root, 'days')
  mkdirSync(dir)
  const names = ['lab-days-1-20100704202416.pcapng', 'lab-days-1-20090702194230.pcapng']
  copyFileSync(join(FIXTURES, 'lab-synscan-1-20100704202416.pcapng'), join(dir, names[0]!))
  copyFileSync(join(FIXTURES, 'lab-traceroute-1-20090702194230.pcapng'), join(dir, names[1]!))
  const gate = await openGate(join(root, 'gate-days.sock'), redis.socket, () => false)
  try {
    await ingest([dir], gate.socket)
  } finally {
    await gate.close()
  }
  // Each a batch of its own: every COMMIT claims one file (its numkeys: FILES, the batch, its key set, one claim).
  const commits = gate.passed.filter(p => isEval(p.command, "HSET', KEYS[i + 1], 'batch'"))
  assert.deepEqual(commits.map(p => [p.command[2], p.command.at(-1)]).sort(), names.map(name => ['4', name]).sort())
  assert.deepEqual((await redis.client.smembers('FILES')).sort(), names.slice().sort())
})

/** A fresh database where the first capture is claimed by a batch whose record is gone, and the reason a run fails it with. */
async function claimedByLostBatch (): Promise<{ file: string, name: string, id: string, reason: string }> {
  await redis.client.flushall()
  const file = files[0]!
  const name = basename(file)
  const id = '0123456789abcdef'
  await redis.client.hset(`potiron:part:${name}`, 'batch', id)
  return { file, name, id, reason: `claimed by batch ${id}, whose record potiron:batch:${id} is gone (deleted, or evicted by a Redis out of memory): whether some of its counts were added cannot be told; nothing counted: check the counts of its days, then delete potiron:part:${name} and run again` }
}

test('a file claimed by a batch whose record is gone (deleted, or evicted by a full Redis): one line naming both keys and exit 1, nothing counted; counted once the claim is deleted', async () => {
  const { file, name, reason } = await claimedByLostBatch()
  const exit = await cli(['ingest', file, '--unix', redis.socket, '--quiet']).done
  assert.equal(exit.code, 1)
  assert.equal(exit.stderr, `potiron: redis unix:${redis.socket}\npotiron: failed: ${file}: ${reason}\n`)
  assert.deepEqual(await redis.client.keys('*'), [`potiron:part:${name}`])
  await redis.client.del(`potiron:part:${name}`)
  await ingest([file], redis.socket)
  assert.deepEqual(await redis.client.smembers('FILES'), [name])
})

test('--dry-run says what the run does with a claimed file: skipped when its batch is there to be finished (that counts it), failed with the same line when the batch\'s record is gone', async () => {
  const { file, name, id, reason } = await claimedByLostBatch()
  const lost = await cli(['ingest', file, '--unix', redis.socket, '--dry-run']).done
  assert.equal(lost.code, 1)
  assert.equal(lost.stdout.split('\n').slice(1, 3).join('\n'), `files: 0 to read, 0 to skip, 1 would fail\n  fail: ${file}: ${reason}`)
  await redis.client.hset(`potiron:batch:${id}`, 'state', 'committed')
  const committed = await cli(['ingest', file, '--unix', redis.socket, '--dry-run']).done
  assert.equal(committed.code, 0)
  assert.equal(committed.stdout.split('\n').slice(1, 3).join('\n'), `files: 0 to read, 1 to skip, 0 would fail\n  skip: ${file}: claimed by batch ${id}, which a run committed and did not finish: finishing it counts this file`)
  assert.deepEqual((await redis.client.keys('*')).sort(), [`potiron:batch:${id}`, `potiron:part:${name}`])
})
