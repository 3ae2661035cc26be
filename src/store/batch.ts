/**
 * Writes several captures as one batch: their counts merged before they reach Redis, so a day
 * cut into 24 hourly captures costs Redis what one capture of the same traffic costs (a value
 * seen in every hour is one member written, not 24 increments, and the day's keys are new to
 * the batch: multi-member ZADDs). bench:ingest measures it.
 *
 * Exactly once, and finished from Redis alone, in four steps:
 * 1. Stage: the merged counts go to staging keys, unseen by readers and expiring after
 *    STAGE_TTL_SECONDS: a sorted set (stagedKey) for a key that does not exist, to take its
 *    place; for a key that exists, packed chunks of APPLY_MEMBERS members (stagedKey + `#n`,
 *    framed.ts packMembers: a string's copy for Redis, where a staging sorted set cost it as
 *    much as the key's own inserts), their number in the batch's `chunks:<key>`. With them the
 *    batch's hash (batchKey: state `staging`, its files, days and protocols) and its key set. Nothing is claimed: a run that dies here leaves only what
 *    expires, and the next run counts the files.
 * 2. Commit (COMMIT, one script): unless a file of the batch is in FILES or claimed (by another
 *    batch, or a single-file write's marker), every file is claimed (writtenGroupsKey(name)
 *    field `batch`), the batch becomes `committed` and its keys stop expiring. When one is taken
 *    nothing is claimed, the staging is dropped, and the caller writes the files one by one.
 * 3. Apply (APPLY, per key): a key that does not exist takes the staging key's place (RENAME:
 *    no member copied); else the staged members are added to the key's, one chunk per call
 *    (or at most APPLY_MEMBERS in rank order of a staging sorted set whose key was made
 *    meanwhile), each call moving the batch's count of those added (`applied:<key>`) with
 *    them: each member is added once, whoever makes the call and however often. The run that
 *    staged the chunks applies them itself from the members it holds, sums set in place under
 *    WATCH with the same progress (applyInPlace), for less of Redis's CPU; APPLY finishes
 *    whatever it left (killed, or a Redis before 6.2).
 * 4. Finish (FINISH, one script): once nothing is staged, the files go to FILES and FILES_INFO,
 *    the days and protocols to their sets, and the claims and the batch's keys go away.
 * A run that meets a claimed file finishes its batch (finishBatch) before looking at the file:
 * no capture is needed for that, so the next run finishes a killed one whatever files it is
 * given, and two runs at once finish a batch together.
 *
 * Until step 4, the batch's days are not in `<sensor>_DAYS` unless counted files gave them, as
 * with a single file's groups (write.ts).
 */
import { randomBytes } from 'node:crypto'
import type { Command, Redis } from 'ioredis'
import { RedisWriteError } from '../errors.js'
import { FILES, FILES_INFO, PROTOCOLS, batchKey, batchKeysKey, daysKey, stagePrefix, stagedKey, writtenGroupsKey } from './keys.js'
import type { Contribution } from './merge.js'
import { MAX_ATTEMPTS, absentKeys, checkReplies, hasZmscore, refusal } from './write.js'
import { exec } from './replies.js'
import { slotOf, unwatchSlot } from './cluster.js'
import { packMembers, packPairs, queue, setChunk, zaddCommand, zaddMembers, zmscoreMembers } from './framed.js'
import { MemberCounts, type Members } from './members.js'

/** How long an unfinished staging lives (a run that died before its commit). */
export const STAGE_TTL_SECONDS = 3600
/** Members one APPLY call moves at most: a few milliseconds of Redis's thread, as a group of write.ts. */
export const APPLY_MEMBERS = 2000
/** Members per staging round trip (one more is built meanwhile): bounds the client's buffers. */
export const STAGE_ROUND = 64_000
/** Keys whose APPLY calls go in one round trip. */
const APPLY_ROUND = 256

/** A capture of a batch: its name in FILES, and its FILES_INFO value (JSON), if any. */
export interface BatchFile {
  name: string
  info: string | undefined
}

/**
 * KEYS: FILES, the batch, its key set, then each file's claim key; ARGV: the batch id, the
 * staging prefix, then the names in the same order. Returns the names taken (nothing done), or
 * none (all claimed, the batch committed).
 */
const COMMIT = `local files, batch, keys = KEYS[1], KEYS[2], KEYS[3]
if redis.call('HGET', batch, 'state') ~= 'staging' then return redis.error_reply('potiron batch ' .. ARGV[1] .. ' is not staged any more (expired?)') end
local taken = {}
for i = 3, #ARGV do
  if redis.call('SISMEMBER', files, ARGV[i]) == 1 or redis.call('EXISTS', KEYS[i + 1]) == 1 then taken[#taken + 1] = ARGV[i] end
end
if #taken > 0 then return taken end
for i = 3, #ARGV do redis.call('HSET', KEYS[i + 1], 'batch', ARGV[1]) end
for _, key in ipairs(redis.call('SMEMBERS', keys)) do
  redis.call('PERSIST', ARGV[2] .. key)
  for n = 0, tonumber(redis.call('HGET', batch, 'chunks:' .. key) or '0') - 1 do redis.call('PERSIST', ARGV[2] .. key .. '#' .. n) end
end
redis.call('PERSIST', keys)
redis.call('PERSIST', batch)
redis.call('HSET', batch, 'state', 'committed')
return taken`

/**
 * KEYS: a staging key, its key, the batch. ARGV: members per call, and '1' when Redis has
 * ZMSCORE (6.2). Returns the chunks, or members, still to add. A key staged in chunks gets the
 * next one (the batch's `applied:<key>`), which goes in the same call. Otherwise the staged
 * members are read in rank order from where the last call stopped (`applied:<key>`, moved in
 * the same call), and the staging key dropped whole at the end: cheaper than popping each, and
 * UNLINKed, so a large one is freed off Redis's main thread. The new counts are the sums
 * ZINCRBY would store.
 */
export const APPLY = `local staged, key, batch = KEYS[1], KEYS[2], KEYS[3]
local field = 'applied:' .. key
local chunks = tonumber(redis.call('HGET', batch, 'chunks:' .. key) or '0')
if chunks > 0 then
  local done = tonumber(redis.call('HGET', batch, field) or '0')
  local chunk = staged .. '#' .. done
  local packed = redis.call('GET', chunk)
  if not packed then return redis.error_reply('potiron batch: ' .. chunk .. ' is missing') end
  local t = cmsgpack.unpack(packed)
  local n = #t / 2
  local members, pairs = {}, {}
  for i = 1, n do members[i] = t[2 * i - 1] end
  if ARGV[2] == '1' then
    local before = redis.call('ZMSCORE', key, unpack(members))
    for i = 1, n do
      pairs[2 * i - 1] = t[2 * i] + (tonumber(before[i]) or 0)
      pairs[2 * i] = members[i]
    end
    redis.call('ZADD', key, unpack(pairs))
  else
    for i = 1, n do redis.call('ZINCRBY', key, t[2 * i], members[i]) end
  end
  redis.call('UNLINK', chunk)
  done = done + 1
  if done < chunks then redis.call('HSET', batch, field, done) else redis.call('HDEL', batch, field, 'chunks:' .. key) end
  return chunks - done
end
if redis.call('EXISTS', staged) == 0 then return 0 end
local done = tonumber(redis.call('HGET', batch, field) or '0')
if done == 0 and redis.call('EXISTS', key) == 0 then
  redis.call('RENAME', staged, key)
  return 0
end
local chunk = redis.call('ZRANGE', staged, done, done + tonumber(ARGV[1]) - 1, 'WITHSCORES')
local n = #chunk / 2
if ARGV[2] == '1' then
  local members, pairs = {}, {}
  for i = 1, n do members[i] = chunk[2 * i - 1] end
  local before = redis.call('ZMSCORE', key, unpack(members))
  for i = 1, n do
    local count = tonumber(chunk[2 * i])
    if before[i] then count = count + tonumber(before[i]) end
    pairs[2 * i - 1] = count
    pairs[2 * i] = members[i]
  end
  redis.call('ZADD', key, unpack(pairs))
else
  for i = 1, #chunk, 2 do redis.call('ZINCRBY', key, chunk[i + 1], chunk[i]) end
end
done = done + n
local left = redis.call('ZCARD', staged) - done
if left > 0 then
  redis.call('HSET', batch, field, done)
else
  redis.call('UNLINK', staged)
  redis.call('HDEL', batch, field)
end
return left`

/**
 * KEYS: FILES, the batch, its key set, FILES_INFO, PROTOCOLS, the sensor's day set. ARGV: the
 * staging prefix, the claim prefix. Returns 1 when it finished the batch, 0 when it was done.
 */
const FINISH = `local batch, keys = KEYS[2], KEYS[3]
local state = redis.call('HGET', batch, 'state')
if not state then return 0 end
if state ~= 'committed' then return redis.error_reply('potiron batch ' .. batch .. ' is not committed') end
for _, key in ipairs(redis.call('SMEMBERS', keys)) do
  if redis.call('EXISTS', ARGV[1] .. key) == 1 or redis.call('HEXISTS', batch, 'chunks:' .. key) == 1 then return redis.error_reply('potiron batch ' .. batch .. ': ' .. key .. ' is still staged') end
end
local function add (set, values)
  for i = 1, #values, 1000 do redis.call('SADD', set, unpack(values, i, math.min(i + 999, #values))) end
end
for _, file in ipairs(cjson.decode(redis.call('HGET', batch, 'files'))) do
  redis.call('SADD', KEYS[1], file[1])
  if file[2] ~= cjson.null then redis.call('HSET', KEYS[4], file[1], file[2]) end
  redis.call('DEL', ARGV[2] .. file[1])
end
add(KEYS[6], cjson.decode(redis.call('HGET', batch, 'days')))
add(KEYS[5], cjson.decode(redis.call('HGET', batch, 'protocols')))
redis.call('DEL', batch, keys)
return 1`

/** KEYS: the batch, its key set; ARGV: the staging prefix. Drops a staging that was not committed. */
const DROP = `if redis.call('HGET', KEYS[1], 'state') ~= 'staging' then return 0 end
for _, key in ipairs(redis.call('SMEMBERS', KEYS[2])) do
  redis.call('DEL', ARGV[1] .. key)
  for n = 0, tonumber(redis.call('HGET', KEYS[1], 'chunks:' .. key) or '0') - 1 do redis.call('DEL', ARGV[1] .. key .. '#' .. n) end
end
redis.call('DEL', KEYS[1], KEYS[2])
return 1`

export interface BatchOutcome {
  /** Names found in FILES or claimed when committing: nothing of the batch was written. */
  taken: string[]
  /** (key, member) pairs written. */
  members: number
}

/**
 * Writes `files`, whose merged counts are `c`, as one batch (see the module comment); `days`
 * are every day for `<sensor>_DAYS` (the counts' days and the name days). Runs on any
 * connection (no WATCH).
 */
export async function writeBatch (redis: Redis, files: readonly BatchFile[], c: Contribution, days: readonly string[]): Promise<BatchOutcome> {
  const id = randomBytes(8).toString('hex')
  const { members, chunked } = await stage(redis, id, files, c, days)
  const claims = files.map(f => writtenGroupsKey(f.name))
  const taken = await redis.eval(COMMIT, 3 + files.length, FILES, batchKey(id), batchKeysKey(id), ...claims, id, stagePrefix(id), ...files.map(f => f.name)) as string[]
  if (taken.length > 0) {
    await redis.eval(DROP, 2, batchKey(id), batchKeysKey(id), stagePrefix(id))
    return { taken, members: 0 }
  }
  await applyInPlace(redis, chunked.map(key => ({ staged: stagedKey(id, key), key, record: batchKey(id) })), c)
  await apply(redis, id, [...c.zsets.keys()])
  await finish(redis, id, c.sensor)
  return { taken: [], members }
}

/**
 * Applies the chunks this run staged for `items` (keys that existed) from the members it holds
 * (`held`), as writeFile sets sums in place: a chunk's members' scores read by ZMSCORE under
 * WATCH of the key and its record (the batch's hash, or on a cluster its slot's), then in one
 * MULTI the ZADD of the sums, the chunk dropped and the progress (`applied:<key>`) moved, as
 * APPLY moves them. APPLY's script does the same from the staged chunk, for a run that finishes
 * another's batch, for Redis's CPU ~1.4 times this (bench/RESULTS.md, issue 14's eleventh
 * session). Another run applying a chunk meanwhile changes the record: the EXEC aborts and the
 * progress read again says where to go on. What is left (a Redis before 6.2, members not held
 * as MemberCounts, MAX_ATTEMPTS aborts in a row) APPLY finishes.
 */
export async function applyInPlace (redis: Redis, items: readonly Staged[], held: Contribution): Promise<void> {
  if (!await hasZmscore(redis)) return
  for (const { staged, key, record } of items) {
    const counts = held.zsets.get(key)
    if (!(counts instanceof MemberCounts)) continue
    const applied = `applied:${key}`
    const chunks = `chunks:${key}`
    const slot = slotOf(key)
    // The next chunk, and how many times in a row a read met a change.
    let n = 0
    for (let misses = 0; misses < MAX_ATTEMPTS;) {
      const from = n * APPLY_MEMBERS
      const size = Math.min(APPLY_MEMBERS, counts.size - from)
      if (size <= 0) break
      const [, [done, total], before] = await exec(queue(redis.pipeline().watch(key, record).hmget(record, applied, chunks), zmscoreMembers(key, counts, from, size))) as [unknown, Array<string | null>, Array<string | null>]
      // The key's chunks all applied (here, or by a run that finished the batch meanwhile).
      if (total === null) { await unwatchSlot(redis, slot); break }
      if (Number(done ?? 0) !== n) {
        await unwatchSlot(redis, slot)
        n = Number(done ?? 0)
        misses++
        continue
      }
      const t = redis.multi()
      queue(t, zaddMembers(key, counts, from, size, before.map(score => Number(score ?? 0))))
      t.unlink(`${staged}#${n}`)
      if (n + 1 < Number(total)) t.hset(record, applied, n + 1)
      else t.hdel(record, applied, chunks)
      let replies
      try {
        replies = await t.exec()
      } catch (err) {
        throw refusal(`batch chunk ${staged}#${n}`, err)
      }
      // null: the key or the record changed since WATCH, nothing was applied: read again.
      if (replies === null) { misses++; continue }
      checkReplies(`batch chunk ${staged}#${n}`, replies)
      n++
      misses = 0
    }
  }
}

/**
 * Whether a lone file is written as a batch (else by writeFile): when none of its keys exists,
 * so that every staged key takes its key's place. Into keys that exist, a batch costs Redis
 * writeFile's sums set in place and the copy of its staged chunks besides (bench:ingest), and a
 * file in FILES is not written at all. A key made meanwhile by another run costs time, not
 * exactness.
 */
export async function loneBatch (redis: Redis, name: string, c: Contribution): Promise<boolean> {
  if (await redis.sismember(FILES, name) === 1) return false
  return (await absentKeys(redis, [...c.zsets.keys()])).length === c.zsets.size
}

/** Finishes batch `id` (committed by this run or another, maybe killed since) from Redis alone. */
export async function finishBatch (redis: Redis, id: string): Promise<void> {
  const [state, sensor] = await redis.hmget(batchKey(id), 'state', 'sensor')
  if (state === null) return
  if (state !== 'committed' || typeof sensor !== 'string') throw new RedisWriteError(`potiron batch ${id} is claimed by files but not committed (state ${String(state)})`, 0)
  let cursor = '0'
  do {
    const [next, keys] = await redis.sscan(batchKeysKey(id), cursor, 'COUNT', APPLY_ROUND)
    await apply(redis, id, keys)
    cursor = next
  } while (cursor !== '0')
  await finish(redis, id, sensor)
}

/** Stages `c` and the batch's hash; returns the members staged, and the keys staged in chunks (those that existed). */
async function stage (redis: Redis, id: string, files: readonly BatchFile[], c: Contribution, days: readonly string[]): Promise<{ members: number, chunked: string[] }> {
  const batch = batchKey(id)
  const keys = batchKeysKey(id)
  // Every key of a staging expires until the commit, from the command that makes it: a run
  // killed anywhere before leaves nothing lasting. The batch's hash first: it expires first.
  let round = redis.pipeline().call('MULTI')
    .hset(batch, { state: 'staging', sensor: c.sensor, files: JSON.stringify(files.map(f => [f.name, f.info ?? null])), days: JSON.stringify(days), protocols: JSON.stringify([...c.protocols].sort()) })
    .expire(batch, STAGE_TTL_SECONDS).call('EXEC')
  let inRound = 0
  let members = 0
  let sent: Promise<unknown> | undefined
  const send = async (): Promise<void> => {
    const replies = exec(round)
    // Awaited after the next round is built; meanwhile a failure is not an unhandled one.
    replies.catch(() => {})
    if (sent !== undefined) await sent
    sent = replies
    round = redis.pipeline()
    inRound = 0
  }
  // A key that exists gets its members in packed chunks (see APPLY); another, a staging sorted
  // set that takes its place.
  const absent = new Set(await absentKeys(redis, [...c.zsets.keys()]))
  const chunked: string[] = []
  let first = true
  for (const [key, counts] of c.zsets) {
    const staged = stagedKey(id, key)
    if (first) round.call('MULTI').sadd(keys, key).expire(keys, STAGE_TTL_SECONDS).call('EXEC')
    else round.sadd(keys, key)
    first = false
    const fresh = absent.has(key)
    const cuts = await cutsOf(counts)
    if (!fresh) {
      round.hset(batch, `chunks:${key}`, cuts.length)
      chunked.push(key)
    }
    for (const [n, cut] of cuts.entries()) {
      // A key is made with its expiry, in one transaction: a run killed between the two would leave it for ever.
      if (!fresh) queue(round, setChunk(`${staged}#${n}`, cut.packed(), STAGE_TTL_SECONDS))
      else if (n > 0) queue(round, cut.zadd(staged))
      else queue(round.call('MULTI'), cut.zadd(staged)).expire(staged, STAGE_TTL_SECONDS).call('EXEC')
      // Rounds are cut inside a key too: a key of 500k members was framed whole before it was
      // sent, 10 MB of RESP held at once (bench/RESULTS.md, issue 14's seventh session).
      inRound += cut.size
      if (inRound >= STAGE_ROUND) await send()
    }
    members += counts.size
  }
  await send()
  await sent
  return { members, chunked }
}

/** APPLY_MEMBERS members of a key, framed as a ZADD or packed as a chunk when their turn comes. */
interface Cut {
  size: number
  zadd: (key: string) => Command
  packed: () => Buffer
}

/** A key's members in cuts of APPLY_MEMBERS, in ascending order of value (put in order first, in steps). */
export async function cutsOf (counts: Members): Promise<Cut[]> {
  const cuts: Cut[] = []
  if (counts instanceof MemberCounts) {
    await counts.order()
    for (let from = 0; from < counts.size; from += APPLY_MEMBERS) {
      const size = Math.min(APPLY_MEMBERS, counts.size - from)
      cuts.push({ size, zadd: key => zaddMembers(key, counts, from, size), packed: () => packMembers(counts, from, size) })
    }
  } else {
    const pairs = [...counts]
    for (let from = 0; from < pairs.length; from += APPLY_MEMBERS) {
      const slice = pairs.slice(from, from + APPLY_MEMBERS)
      cuts.push({ size: slice.length, zadd: key => zaddCommand(key, slice), packed: () => packPairs(slice) })
    }
  }
  return cuts
}

/** A key's staged counts: where they are, the key they go to, and the hash of its chunks and progress (APPLY's KEYS). */
export interface Staged {
  staged: string
  key: string
  record: string
}

/** Applies the staged counts of `keys` of batch `id`. */
async function apply (redis: Redis, id: string, keys: readonly string[]): Promise<void> {
  await applyStaged(redis, keys.map(key => ({ staged: stagedKey(id, key), key, record: batchKey(id) })))
}

/** Applies each of `items`, APPLY_ROUND keys per round trip until none is left. */
export async function applyStaged (redis: Redis, items: readonly Staged[]): Promise<void> {
  const zmscore = await hasZmscore(redis) ? '1' : '0'
  for (let i = 0; i < items.length; i += APPLY_ROUND) {
    let left = items.slice(i, i + APPLY_ROUND)
    while (left.length > 0) {
      const round = redis.pipeline()
      for (const { staged, key, record } of left) round.eval(APPLY, 3, staged, key, record, APPLY_MEMBERS, zmscore)
      const replies = await exec(round)
      left = left.filter((_, j) => replies[j] !== 0)
    }
  }
}

async function finish (redis: Redis, id: string, sensor: string): Promise<void> {
  await redis.eval(FINISH, 6, FILES, batchKey(id), batchKeysKey(id), FILES_INFO, PROTOCOLS, daysKey(sensor), stagePrefix(id), writtenGroupsKey(''))
}
