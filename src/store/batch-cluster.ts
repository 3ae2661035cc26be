/**
 * writeBatch on a Redis Cluster (docs/cluster.md): several captures written as one batch, their
 * counts merged first, as store/batch.ts does on one Redis. Without it a day of 24 hourly
 * captures cost a cluster 2.4 times the members of the same traffic as one capture, each after
 * the first added to keys that exist (bench:cluster).
 *
 * The same four steps, cut by slot: no script may span slots.
 * 1. Stage: each key's merged counts go beside it, in its own slot (stagedSlotKey: a sorted set
 *    for a key that does not exist, packed chunks for one that does), with that slot's set of
 *    the keys staged and hash of chunks and progress (batchSlotKey `keys`, `slot`). Every one
 *    of them expires after STAGE_TTL_SECONDS; so does the batch's hash, beside FILES (`batch`:
 *    its files, days, protocols, and the slots it stages in).
 * 2. Commit (COMMIT, one script in FILES's slot): unless a file is in FILES or claimed
 *    (claimSlotKey: by another batch, or by a capture being written alone, write.ts
 *    writeBySlot), every file is claimed and the batch is `committed`.
 * 3. Keep, then apply: each slot's staging is made lasting (PERSIST) and found whole before the
 *    batch becomes `applying` (APPLYING), which no one takes back. A committed batch whose
 *    staging expired before it was kept (a run killed between its commit and the next step,
 *    not finished for STAGE_TTL_SECONDS) has added nothing: ABORT drops it and its claims, and
 *    its files are counted again by whichever run meets them. Then APPLY (store/batch.ts), in
 *    each key's slot, adds each member once whoever makes the call and however often.
 * 4. Finish: the slots' staging goes, then the days, protocols and FILES_INFO entries, and
 *    last, one transaction in FILES's slot adds the files to FILES and drops the claims and the
 *    batch.
 * A run that meets a claimed file finishes the batch (finishBatchBySlot) from Redis alone.
 */
import { randomBytes } from 'node:crypto'
import type { Redis } from 'ioredis'
import { RedisWriteError } from '../errors.js'
import { FILES, FILES_INFO, PROTOCOLS, batchSlotKey, claimSlotKey, daysKey, removedSlotKey, stagedSlotKey } from './keys.js'
import { slotOf, tagOf, throughFailover } from './cluster.js'
import { APPLY_MEMBERS, applyInPlace, applyStaged, cutsOf, STAGE_ROUND, STAGE_TTL_SECONDS, type BatchFile, type BatchOutcome, type Staged } from './batch.js'
import type { Contribution } from './merge.js'
import { absentKeys } from './write.js'
import { exec } from './replies.js'
import { queue, setChunk } from './framed.js'

/**
 * KEYS: FILES, the batch, then each file's claim; ARGV: the batch id, then the names. Returns
 * the names taken (nothing done), or none (all claimed, the batch committed; again when it was).
 */
const COMMIT = `local state = redis.call('HGET', KEYS[2], 'state')
if state == 'committed' or state == 'applying' then return {} end
if state ~= 'staging' then return redis.error_reply('potiron batch ' .. ARGV[1] .. ' is not staged any more (expired?)') end
local taken = {}
for i = 2, #ARGV do
  local claim = redis.call('GET', KEYS[i + 1])
  if redis.call('SISMEMBER', KEYS[1], ARGV[i]) == 1 or (claim and claim ~= ARGV[1]) then taken[#taken + 1] = ARGV[i] end
end
if #taken > 0 then return taken end
for i = 2, #ARGV do redis.call('SET', KEYS[i + 1], ARGV[1]) end
redis.call('PERSIST', KEYS[2])
redis.call('HSET', KEYS[2], 'state', 'committed')
return taken`

/** KEYS: the batch. A committed batch becomes `applying`; returns the state it is in, or nothing when it is gone. */
const APPLYING = `local state = redis.call('HGET', KEYS[1], 'state')
if state == 'committed' then
  redis.call('HSET', KEYS[1], 'state', 'applying')
  return 'applying'
end
return state`

/**
 * KEYS: the batch, then each file's claim; ARGV: the batch id. Drops a batch still `committed`
 * (nothing of it added) and the claims that are its. Returns 1 when it did.
 */
const ABORT = `if redis.call('HGET', KEYS[1], 'state') ~= 'committed' then return 0 end
for i = 2, #KEYS do
  if redis.call('GET', KEYS[i]) == ARGV[1] then redis.call('DEL', KEYS[i]) end
end
redis.call('DEL', KEYS[1])
return 1`

/** The tag of FILES's slot: where the claims and the batches' hashes lie, beside FILES. */
function home (): string {
  return tagOf(slotOf(FILES))
}

/**
 * Writes `files`, whose merged counts are `c`, as one batch (see the module comment); `days`
 * as for writeBatch. Every step is safe to repeat, and repeated while the cluster fails over.
 */
export async function writeBatchBySlot (redis: Redis, files: readonly BatchFile[], c: Contribution, days: readonly string[]): Promise<BatchOutcome> {
  const id = randomBytes(8).toString('hex')
  const batch = batchSlotKey(id, home(), 'batch')
  const { members, chunked } = await throughFailover(redis, async () => await stage(redis, id, files, c, days))
  const claims = files.map(f => claimSlotKey(f.name, home()))
  const taken = await throughFailover(redis, async () => await redis.eval(COMMIT, 2 + files.length, FILES, batch, ...claims, id, ...files.map(f => f.name))) as string[]
  if (taken.length > 0) {
    await throughFailover(redis, async () => { await drop(redis, id, c) })
    return { taken, members: 0 }
  }
  await finishBatchBySlot(redis, id, { held: c, chunked: new Set(chunked) })
  return { taken: [], members }
}

/**
 * Finishes batch `id` (committed by this run or another, maybe killed since) from Redis alone;
 * the run that staged it gives what it holds (`own`: its counts, and the keys it staged in
 * chunks), and applies those chunks in place first (batch.ts applyInPlace).
 */
export async function finishBatchBySlot (redis: Redis, id: string, own?: { held: Contribution, chunked: ReadonlySet<string> }): Promise<void> {
  const batch = batchSlotKey(id, home(), 'batch')
  let record = await throughFailover(redis, async () => await redis.hgetall(batch))
  if (record.state === undefined) return
  if (record.state === 'staging') throw new RedisWriteError(`potiron batch ${id} is claimed by files but not committed (state staging)`, 0)
  const files = JSON.parse(record.files!) as Array<[string, string | null]>
  const tags = JSON.parse(record.tags!) as string[]
  const claims = files.map(([name]) => claimSlotKey(name, home()))
  if (record.state === 'committed') {
    const staging = await throughFailover(redis, async () => await kept(redis, id, tags))
    if (staging === undefined) {
      await throughFailover(redis, async () => await redis.eval(APPLYING, 1, batch))
    } else if (await throughFailover(redis, async () => await redis.eval(ABORT, 1 + claims.length, batch, ...claims, id)) === 1) {
      // What is left of its staging was just made lasting: it goes now.
      await throughFailover(redis, async () => { await exec(staging.reduce((p, names) => p.del(...names), redis.pipeline())) })
      return
    }
    // Applying now, by this run or another; or finished by another meanwhile.
    record = await throughFailover(redis, async () => await redis.hgetall(batch))
    if (record.state === undefined) return
  }
  await throughFailover(redis, async () => {
    const items = await stagedOf(redis, id, tags)
    if (own !== undefined) await applyInPlace(redis, items.filter(item => own.chunked.has(item.key)), own.held)
    await applyStaged(redis, items)
  })
  await throughFailover(redis, async () => {
    const before = redis.pipeline()
    for (const tag of tags) before.del(batchSlotKey(id, tag, 'keys'), batchSlotKey(id, tag, 'slot'))
    const days = JSON.parse(record.days!) as string[]
    const protocols = JSON.parse(record.protocols!) as string[]
    if (days.length > 0) before.sadd(daysKey(record.sensor!), ...days)
    if (protocols.length > 0) before.sadd(PROTOCOLS, ...protocols)
    for (const [name, info] of files) {
      if (info !== null) before.hset(FILES_INFO, name, info)
      // An earlier remove's markers (kept: see write.ts removeBySlot) go before the file is
      // counted again, in every slot it may have written to.
      for (const tag of new Set([...tags, home()])) before.del(removedSlotKey(name, tag))
    }
    await exec(before)
  })
  await throughFailover(redis, async () => { await exec(redis.multi().sadd(FILES, ...files.map(([name]) => name)).del(...claims, batch)) })
}

/** Stages `c` and the batch's hash; returns the members staged, and the keys staged in chunks (those that existed). */
async function stage (redis: Redis, id: string, files: readonly BatchFile[], c: Contribution, days: readonly string[]): Promise<{ members: number, chunked: string[] }> {
  const tags = new Map([...c.zsets.keys()].map(key => [key, tagOf(slotOf(key))]))
  const batch = batchSlotKey(id, home(), 'batch')
  const fields = {
    state: 'staging',
    sensor: c.sensor,
    files: JSON.stringify(files.map(f => [f.name, f.info ?? null])),
    days: JSON.stringify(days),
    protocols: JSON.stringify([...c.protocols].sort()),
    tags: JSON.stringify([...new Set(tags.values())].sort())
  }
  // The batch's hash first, expiring from the command that makes it, as every key of a staging.
  await exec(redis.multi().hset(batch, fields).expire(batch, STAGE_TTL_SECONDS))
  const absent = new Set(await absentKeys(redis, [...c.zsets.keys()]))
  // A round's sorted-set cuts go each in a transaction of their own (made with their expiry; a
  // transaction holds one slot), its chunks in one pipeline; one round in flight while the next is built.
  let sends: Array<Promise<unknown>> = []
  let chunks = redis.pipeline()
  let inRound = 0
  let sent: Promise<unknown> | undefined
  const send = async (): Promise<void> => {
    const round = Promise.all([...sends, exec(chunks)])
    round.catch(() => {})
    if (sent !== undefined) await sent
    sent = round
    sends = []
    chunks = redis.pipeline()
    inRound = 0
  }
  let members = 0
  const chunked: string[] = []
  for (const [key, counts] of c.zsets) {
    const tag = tags.get(key)!
    const staged = stagedSlotKey(id, tag, key)
    const keys = batchSlotKey(id, tag, 'keys')
    const slot = batchSlotKey(id, tag, 'slot')
    const fresh = absent.has(key)
    const cuts = await cutsOf(counts)
    const listed = redis.multi().sadd(keys, key).expire(keys, STAGE_TTL_SECONDS)
    if (!fresh) {
      listed.hset(slot, `chunks:${key}`, cuts.length).expire(slot, STAGE_TTL_SECONDS)
      chunked.push(key)
    }
    sends.push(exec(listed))
    for (const [n, cut] of cuts.entries()) {
      if (fresh) sends.push(exec(queue(redis.multi(), cut.zadd(staged)).expire(staged, STAGE_TTL_SECONDS)))
      else queue(chunks, setChunk(`${staged}#${n}`, cut.packed(), STAGE_TTL_SECONDS))
      inRound += cut.size
      if (inRound >= STAGE_ROUND) await send()
    }
    members += counts.size
  }
  await send()
  await sent
  return { members, chunked }
}

/** The names a slot's staging holds (its key set and hash, each key's sorted set or chunks), from its key set and hash as read. */
function stagingNames (id: string, tag: string, keys: readonly string[], slot: Record<string, string>): string[] {
  const names = [batchSlotKey(id, tag, 'keys')]
  if (Object.keys(slot).length > 0) names.push(batchSlotKey(id, tag, 'slot'))
  for (const key of keys) {
    const staged = stagedSlotKey(id, tag, key)
    const n = Number(slot[`chunks:${key}`] ?? 0)
    if (n === 0) names.push(staged)
    for (let i = 0; i < n; i++) names.push(`${staged}#${i}`)
  }
  return names
}

/**
 * Makes each slot's staging of a committed batch lasting (PERSIST), then checks it is all
 * there. Returns undefined when it is; else the names of what is left of it, slot by slot:
 * some of it expired first, so none of it may be applied.
 */
async function kept (redis: Redis, id: string, tags: readonly string[]): Promise<string[][] | undefined> {
  const read = await exec(tags.reduce((p, tag) => p.smembers(batchSlotKey(id, tag, 'keys')).hgetall(batchSlotKey(id, tag, 'slot')), redis.pipeline()))
  const names = tags.map((tag, i) => stagingNames(id, tag, read[2 * i] as string[], read[2 * i + 1] as Record<string, string>))
  const check = redis.pipeline()
  for (const list of names) {
    for (const name of list) check.persist(name)
    check.exists(...list)
  }
  const replies = await exec(check)
  let at = 0
  // A slot whose key set expired lists no key: its staging cannot be known whole.
  const whole = names.every(list => {
    at += list.length + 1
    return list.length > 1 && replies[at - 1] === list.length
  })
  return whole ? undefined : names
}

/** Each staged key of the batch's slots, with where it goes and its slot's hash. */
async function stagedOf (redis: Redis, id: string, tags: readonly string[]): Promise<Staged[]> {
  const lists = await exec(tags.reduce((p, tag) => p.smembers(batchSlotKey(id, tag, 'keys')), redis.pipeline())) as string[][]
  return tags.flatMap((tag, i) => lists[i]!.map(key => ({ staged: stagedSlotKey(id, tag, key), key, record: batchSlotKey(id, tag, 'slot') })))
}

/** Drops a staging that was not committed (a file of it was taken). */
async function drop (redis: Redis, id: string, c: Contribution): Promise<void> {
  const gone = redis.pipeline().del(batchSlotKey(id, home(), 'batch'))
  const tags = new Set<string>()
  for (const [key, counts] of c.zsets) {
    const tag = tagOf(slotOf(key))
    tags.add(tag)
    const staged = stagedSlotKey(id, tag, key)
    gone.del(staged)
    for (let n = 0; n * APPLY_MEMBERS < counts.size; n++) gone.del(`${staged}#${n}`)
  }
  for (const tag of tags) gone.del(batchSlotKey(id, tag, 'keys'), batchSlotKey(id, tag, 'slot'))
  await exec(gone)
}
