/**
 * Writes one file's contribution to Redis in the original's V3 layout, or takes it back out
 * (`potiron remove`).
 *
 * Exactly once, in bounded steps. A file's members are cut into groups of at most GROUP_MEMBERS
 * members over at most GROUP_KEYS keys (a pure function of its contribution), and each group is
 * one WATCH/MULTI/EXEC, so no command of ours keeps Redis's single thread busy for long (a 10,000-
 * day capture WATCHed 120,000 keys in one command, for seconds). Every group but the last also
 * records itself in the file's marker hash (writtenGroupsKey); the last group's transaction adds
 * the file to FILES, its days and protocols, its FILES_INFO entry, and drops the marker. WATCHing
 * the marker makes each group count once even with two ingests of one file at once (whichever
 * EXEC runs second finds its group done, or the file in FILES); a run killed midway leaves the
 * marker, and the next run writes only the groups it lacks. Until FILES has the file, its days are
 * not in `<sensor>_DAYS`, so readers do not show its partial counts. Removing goes the same way
 * with its own marker (removedGroupsKey), then takes the file out of FILES last.
 */
import { setTimeout as sleep } from 'node:timers/promises'
import { type Redis, ReplyError } from 'ioredis'
import { RedisWriteError } from '../errors.js'
import { FILES, FILES_INFO, PROTOCOLS, batchKey, batchSlotKey, claimSlotKey, daysKey, removedGroupsKey, removedSlotKey, writtenGroupsKey, writtenSlotKey } from './keys.js'
import { isCluster, masterOf, slotOf, tagOf, throughFailover, unwatchSlot } from './cluster.js'
import { CLEANUP, cleanupArguments, namedDays, type Cleanup } from './cleanup-script.js'
import { exec } from './replies.js'
import { cleanUpBySlot } from './cleanup-cluster.js'
import type { Contribution } from './merge.js'
import { MemberCounts, type Members } from './members.js'
import { queue, zaddCommand, zaddMembers, zmscoreMembers } from './framed.js'
import { plural } from '../plural.js'

/** Reads per pipeline batch: bounds the memory of one round trip (see house style 2.13). */
const BATCH_SIZE = 1000
/**
 * Members of one transaction at most: Redis spends about 1-3 µs of its thread per member, so
 * an EXEC holds it for a few milliseconds (the test of a 1,500-day capture checks with SLOWLOG
 * and MONITOR; bench:ingest measures the cost of the cut).
 */
export const GROUP_MEMBERS = 2000
/** Keys of one transaction (and one WATCH) at most: WATCH takes time quadratic in its keys before Redis 7.4. */
export const GROUP_KEYS = 256
/** Days per cleanup script of a remove (see CLEANUP): it checks every field key of each. */
const CLEANUP_DAYS = 64
/**
 * EXEC aborted by a concurrent FILES change this many times in a row: give up on the file. Two
 * ingests at once change FILES every few milliseconds, so attempts are spaced by a random,
 * growing pause (the writers fall out of step) and there are enough of them to outlast a peer.
 */
export const MAX_ATTEMPTS = 30

/** The answer of a command that must be 0 or 1, checked: anything else (QUEUED) is a bug, not "no". */
function flag (reply: unknown, command: string): boolean {
  if (reply === 0 || reply === 1) return reply === 1
  throw new RedisWriteError(`${command}: expected 0 or 1, got ${String(reply)}`, 0)
}

/** True when `name` (a capture basename) is already counted. */
export async function isIngested (redis: Redis, name: string): Promise<boolean> {
  return flag(await redis.sismember(FILES, name), 'SISMEMBER FILES')
}

/**
 * What a capture file was when it was counted (FILES_INFO), to tell the same name with other
 * content: its size on disk and the fingerprints (capture/fingerprint.ts) of its bytes on disk
 * and of its content (the decompressed stream of a gzip file: x.pcap and x.pcap.gz share it).
 */
export interface FileIdentity {
  size: number
  disk: string
  content: string
}

/** Where a capture name stands in Redis. */
export interface FileState {
  counted: boolean
  /** What it was when counted, when this potiron counted it (the original kept no such thing). */
  identity: FileIdentity | undefined
  /** An ingest that was stopped wrote some of its groups. */
  partial: boolean
  /** The batch (store/batch.ts) that claimed it: counted once that batch is finished. */
  batch: string | undefined
}

/** Reads where `name` stands (no WATCH: a check before parsing, made again when writing). */
export async function fileState (redis: Redis, name: string): Promise<FileState> {
  if (isCluster(redis)) {
    // A cluster's claim (claimSlotKey) says both: a batch's id, or `file` while written alone.
    const [counted, identity, claim] = await exec(redis.pipeline().sismember(FILES, name).hget(FILES_INFO, name).get(claimOf(name)))
    return { counted: flag(counted, 'SISMEMBER FILES'), identity: recordOf(identity).identity, partial: claim === 'file', batch: typeof claim === 'string' && claim !== 'file' ? claim : undefined }
  }
  const marker = writtenGroupsKey(name)
  const [counted, identity, partial, batch] = await exec(redis.pipeline().sismember(FILES, name).hget(FILES_INFO, name).exists(marker).hget(marker, 'batch'))
  return { counted: flag(counted, 'SISMEMBER FILES'), identity: recordOf(identity).identity, partial: flag(partial, 'EXISTS'), batch: typeof batch === 'string' ? batch : undefined }
}

/**
 * Why `name` is not counted when a batch `id` claims it and the batch's record is gone: a batch
 * drops its record and its claims in one transaction once its files are in FILES, so the record
 * was deleted by hand, or evicted by a Redis out of memory. Whether some of its counts were added
 * cannot be told from Redis, so the file is left to the operator.
 */
export function lostBatch (redis: Redis, name: string, id: string): string {
  const claim = isCluster(redis) ? claimOf(name) : writtenGroupsKey(name)
  return `claimed by batch ${id}, whose record ${batchRecord(redis, id)} is gone (deleted, or evicted by a Redis out of memory): whether some of its counts were added cannot be told; nothing counted: check the counts of its days, then delete ${claim} and run again`
}

/** The key of batch `id`'s record (its hash: state, files, days), on one Redis or a cluster. */
function batchRecord (redis: Redis, id: string): string {
  return isCluster(redis) ? batchSlotKey(id, tagOf(slotOf(FILES)), 'batch') : batchKey(id)
}

/**
 * What a run does with `name`, claimed by batch `id` (fileState's `batch`), told without writing
 * (`ingest --dry-run`): finishing the batch counts it, unless the batch's record is gone (lostBatch).
 */
export async function claimedFile (redis: Redis, name: string, id: string): Promise<{ kind: 'skipped' | 'failed', reason: string }> {
  if (await redis.exists(batchRecord(redis, id)) === 0) return { kind: 'failed', reason: lostBatch(redis, name, id) }
  return { kind: 'skipped', reason: `claimed by batch ${id}, which a run committed and did not finish: finishing it counts this file` }
}

/**
 * A file claimed by batch `id` since the caller looked (the caller finishes a batch it meets
 * first, and a claim whose batch is gone is lostBatch): that batch's run counts it.
 */
function claimedMeanwhile (name: string, id: string): RedisWriteError {
  return new RedisWriteError(`${name}: claimed meanwhile by batch ${id} of another run, which counts it: not written by this one (run the same command again to see it counted)`, 0)
}

/** A FILES_INFO entry: the file's identity, and when it was counted (ISO 8601 UTC, to the second). */
export interface FileRecord {
  identity: FileIdentity | undefined
  /** Undefined for files counted before potiron kept it. */
  counted: string | undefined
}

/** Reads a FILES_INFO value (a JSON string, or null when the name has none). */
export function recordOf (stored: unknown): FileRecord {
  if (typeof stored !== 'string') return { identity: undefined, counted: undefined }
  const value = JSON.parse(stored) as Partial<FileIdentity> & { counted?: unknown }
  const identity = typeof value.size === 'number' && typeof value.disk === 'string' && typeof value.content === 'string' ? { size: value.size, disk: value.disk, content: value.content } : undefined
  return { identity, counted: typeof value.counted === 'string' ? value.counted : undefined }
}

/** The FILES_INFO value of a file with `identity` counted now (the time to the second, UTC). */
export function filesInfo (identity: FileIdentity): string {
  return JSON.stringify({ ...identity, counted: `${new Date().toISOString().slice(0, 19)}Z` })
}

export interface WriteOutcome {
  /** False when the file was already in FILES (counted before, or by another run meanwhile). */
  written: boolean
  /** (key, member) pairs incremented by this call. */
  members: number
}

export interface WriteOptions {
  /** Stored in FILES_INFO with the file, and the time it is counted. */
  identity?: FileIdentity | undefined
}

/**
 * Adds a file's counts, days, protocols and its FILES entry, group by group (see the module
 * comment). `extraDays` are added to `<sensor>_DAYS` as well (the original also added the day of
 * the file name). Must not run concurrently with another write on the same connection (WATCH is
 * per connection), and that connection must not be used for anything else meanwhile.
 */
export async function writeFile (redis: Redis, name: string, c: Contribution, extraDays: readonly string[] = [], options: WriteOptions = {}): Promise<WriteOutcome> {
  if (isCluster(redis)) return await writeBySlot(redis, name, c, extraDays, options)
  const groups = planGroups(c)
  const marker = writtenGroupsKey(name)
  const [counted, stored] = await exec(redis.pipeline().sismember(FILES, name).hgetall(marker))
  if (flag(counted, 'SISMEMBER FILES')) return { written: false, members: 0 }
  const done = stored as Record<string, string>
  if (done.batch !== undefined) throw claimedMeanwhile(name, done.batch)
  checkPlan(name, marker, done, groups.length)
  const days = daysOf(c, extraDays)
  const protocols = [...c.protocols].sort()
  let members = 0
  const written = new Map<string, number>()
  for (let g = 0; g < groups.length; g++) {
    const { slices } = groups[g]!
    const last = g === groups.length - 1
    if (!last && done[g] !== undefined) continue
    const outcome = await transact(redis, {
      name, marker, slot: 0, files: true, group: g, groups: groups.length, slices, sign: 1, written,
      final: last
        ? t => {
          if (days.length > 0) t.sadd(daysKey(c.sensor), ...days)
          if (protocols.length > 0) t.sadd(PROTOCOLS, ...protocols)
          t.sadd(FILES, name)
          // When: read by `potiron status --files`, set in the transaction that counts the file.
          if (options.identity !== undefined) t.hset(FILES_INFO, name, filesInfo(options.identity))
          t.del(marker)
        }
        : undefined
    })
    if (outcome === 'counted') return { written: false, members }
    members += outcome
  }
  return { written: true, members }
}

/**
 * How long a slot's marker stays once its file is counted: a run that read FILES before the
 * file was counted, and writes its groups after, finds them done in the markers instead of
 * counting them again (on one Redis, FILES is read under each group's WATCH instead). `remove`
 * deletes them; a run stalled longer than this between reading FILES and writing is not
 * covered.
 */
export const SLOT_MARKER_SECONDS = 7 * 86400

/**
 * KEYS: FILES, the file's claim (claimSlotKey); ARGV: its name. Claims it for a write of its own
 * (`file`) unless it is counted (`counted`) or a batch claimed it (its id): a batch then never
 * takes a file written alone meanwhile, nor the other way round (store/batch-cluster.ts). Two
 * writes of one file alone share the claim: its slot markers make each group count once.
 */
const CLAIM_FILE = `if redis.call('SISMEMBER', KEYS[1], ARGV[1]) == 1 then return 'counted' end
local claim = redis.call('GET', KEYS[2])
if claim and claim ~= 'file' then return claim end
redis.call('SET', KEYS[2], 'file')
return 'file'`

/** A file's claim on a cluster: beside FILES. */
function claimOf (name: string): string {
  return claimSlotKey(name, tagOf(slotOf(FILES)))
}

/** Passes of writeBySlot over a file's groups at most (see there). */
const SLOT_PASSES = 3

/**
 * writeFile on a Redis Cluster (docs/cluster.md): the groups are cut by slot and each marked in
 * its slot's own marker, in the transaction that writes it; the file's days, protocols and
 * FILES_INFO entry go in once every group is in, and `SADD FILES` last is what counts the file.
 */
async function writeBySlot (redis: Redis, name: string, c: Contribution, extraDays: readonly string[], options: WriteOptions): Promise<WriteOutcome> {
  const claim = claimOf(name)
  const by = await throughFailover(redis, async () => await redis.eval(CLAIM_FILE, 2, FILES, claim, name))
  if (by === 'counted') return { written: false, members: 0 }
  if (by !== 'file') throw claimedMeanwhile(name, String(by))
  const groups = planGroups(c, true).filter(group => group.slices.length > 0)
  const slots = [...new Set(groups.map(group => group.slot))]
  const markers = new Map(slots.map(slot => [slot, writtenSlotKey(name, tagOf(slot))]))
  let members = 0
  const wrote = new Map<string, number>()
  // Each pass reads the markers and writes the groups they lack. A second one is needed only when
  // a failover lost groups their master had acknowledged (replication is asynchronous): a group
  // and its mark are one transaction, so they are lost together and found missing together.
  for (let pass = 0; ; pass++) {
    const stored = await exec(slots.reduce((p, slot) => p.hgetall(markers.get(slot)!), redis.pipeline())) as Array<Record<string, string>>
    slots.forEach((slot, i) => { checkPlan(name, markers.get(slot)!, stored[i]!, groups.length) })
    const done = new Map(slots.map((slot, i) => [slot, stored[i]!]))
    if (groups.every((group, g) => done.get(group.slot)![g] !== undefined)) break
    if (pass === SLOT_PASSES) throw new RedisWriteError(`${name}: its slot markers still lack some of its ${plural(groups.length, 'group')} after ${SLOT_PASSES} passes (is the cluster losing writes?): not counted`, 0)
    await byMaster(redis, groups, g => done.get(groups[g]!.slot)![g] === undefined, async g => {
      const group = groups[g]!
      // A group is marked in its own transaction: once-only whenever a failover cut it off.
      const written = await throughFailover(redis, async () => await transact(redis, { name, marker: markers.get(group.slot)!, slot: group.slot, files: false, group: g, groups: groups.length, slices: group.slices, sign: 1, written: wrote, final: undefined }))
      // Not `members += await …`: it would read `members` before the other lanes add theirs.
      members += written as number
    })
  }
  const days = daysOf(c, extraDays)
  const protocols = [...c.protocols].sort()
  const before = redis.pipeline()
  if (days.length > 0) before.sadd(daysKey(c.sensor), ...days)
  if (protocols.length > 0) before.sadd(PROTOCOLS, ...protocols)
  if (options.identity !== undefined) before.hset(FILES_INFO, name, filesInfo(options.identity))
  // An earlier remove's markers (kept: see removeBySlot) go before the file is counted again:
  // a later remove must find none of its groups taken out.
  for (const slot of new Set([...slots, slotOf(FILES)])) before.del(removedSlotKey(name, tagOf(slot)))
  await exec(before)
  const [added] = await throughFailover(redis, async () => await exec(redis.multi().sadd(FILES, name).del(claim)))
  const counted = flag(added, 'SADD FILES')
  await exec(slots.reduce((p, slot) => p.expire(markers.get(slot)!, SLOT_MARKER_SECONDS), redis.pipeline()))
  return { written: counted, members }
}

export interface RemoveOutcome {
  /** False when the file was not in FILES, or `missing` is not empty: nothing was changed. */
  removed: boolean
  /** (key, member) pairs decremented. */
  members: number
  /** Sorted sets the recomputed contribution names that Redis does not have. */
  missing: string[]
}

/**
 * Takes a file's earlier contribution `c` (recomputed from the capture with the stored settings)
 * back out, group by group, then drops the days and protocols nothing else needs (CLEANUP), then
 * takes the file out of FILES; `extraDays` as for writeFile. When a key of `c` does not exist
 * before anything was taken out, `c` is not what the file added (another --sensor than at
 * ingest, or keys deleted by hand): nothing is changed, rather than dropping the file from FILES
 * while its counts stay.
 */
export async function removeFile (redis: Redis, name: string, c: Contribution, extraDays: readonly string[], cleanup: Cleanup): Promise<RemoveOutcome> {
  if (isCluster(redis)) return await removeBySlot(redis, name, c, extraDays, cleanup)
  const groups = planGroups(c)
  const marker = removedGroupsKey(name)
  const [counted, stored] = await exec(redis.pipeline().sismember(FILES, name).hgetall(marker))
  if (!flag(counted, 'SISMEMBER FILES')) return { removed: false, members: 0, missing: [] }
  const done = stored as Record<string, string>
  checkPlan(name, marker, done, groups.length)
  if (Object.keys(done).length === 0) {
    const missing = await absentKeys(redis, [...c.zsets.keys()])
    if (missing.length > 0) return { removed: false, members: 0, missing }
  }
  let members = 0
  for (let g = 0; g < groups.length; g++) {
    if (done[g] !== undefined) continue
    const outcome = await transact(redis, { name, marker, slot: 0, files: true, group: g, groups: groups.length, slices: groups[g]!.slices, sign: -1, final: undefined, written: new Map() })
    if (outcome === 'counted') return { removed: false, members, missing: [] }
    members += outcome
  }
  // Every count is down: the days and protocols only this file used go, a few days per script.
  await cleanUpDays(redis, name, c, extraDays, cleanup, cleanUp)
  for (let attempt = 0; attempt < MAX_ATTEMPTS; attempt++) {
    if (attempt > 0) await sleep(backoff(attempt))
    const [, still] = await exec(redis.pipeline().watch(FILES, marker).sismember(FILES, name))
    if (!flag(still, 'SISMEMBER FILES')) {
      await redis.unwatch()
      return { removed: false, members, missing: [] }
    }
    const replies = await redis.multi().srem(FILES, name).hdel(FILES_INFO, name).del(marker).exec()
    if (replies === null) continue
    checkReplies(name, replies)
    return { removed: true, members, missing: [] }
  }
  throw new RedisWriteError(`${name}: ${FILES} kept changing during ${MAX_ATTEMPTS} attempts (concurrent runs); try again`, 0)
}

/**
 * removeFile on a Redis Cluster (docs/cluster.md): the groups cut by slot as writeBySlot cuts
 * them, each taken out and marked in its slot's removedSlotKey; once all are, the marker in
 * FILES's slot says `undone` (a rerun then goes straight on), the days and protocols nothing else
 * uses go (cleanUpBySlot), then ingest's markers (a later ingest would find its groups done) and
 * its FILES_INFO entry; last, one transaction in FILES's slot takes the file out of FILES and the
 * `undone` out of its marker. A remove killed anywhere and run again ends the same. Its markers
 * stay SLOT_MARKER_SECONDS (an ingest of the file deletes them before it counts it): a remove of
 * the same file at once, which read FILES before this one took the file out, finds each group
 * done instead of taking it out twice.
 */
async function removeBySlot (redis: Redis, name: string, c: Contribution, extraDays: readonly string[], cleanup: Cleanup): Promise<RemoveOutcome> {
  const groups = planGroups(c, true).filter(group => group.slices.length > 0)
  const filesSlot = slotOf(FILES)
  const slots = [...new Set([...groups.map(group => group.slot), filesSlot])]
  const markers = new Map(slots.map(slot => [slot, removedSlotKey(name, tagOf(slot))]))
  const last = markers.get(filesSlot)!
  const [counted, ...stored] = await exec(slots.reduce((p, slot) => p.hgetall(markers.get(slot)!), redis.pipeline().sismember(FILES, name)))
  if (!flag(counted, 'SISMEMBER FILES')) return { removed: false, members: 0, missing: [] }
  const done = new Map(slots.map((slot, i) => [slot, stored[i] as Record<string, string>]))
  let members = 0
  if (done.get(filesSlot)!.undone === undefined) {
    for (const [slot, marked] of done) checkPlan(name, markers.get(slot)!, marked, groups.length)
    if ([...done.values()].every(marked => Object.keys(marked).length === 0)) {
      const missing = await absentKeys(redis, [...c.zsets.keys()])
      if (missing.length > 0) return { removed: false, members: 0, missing }
    }
    await byMaster(redis, groups, g => done.get(groups[g]!.slot)![g] === undefined, async g => {
      const group = groups[g]!
      const taken = await throughFailover(redis, async () => await transact(redis, { name, marker: markers.get(group.slot)!, slot: group.slot, files: false, group: g, groups: groups.length, slices: group.slices, sign: -1, written: new Map(), final: undefined }))
      members += taken as number
    })
    await checkSlotMarkers(redis, name, groups, markers, 'not removed from FILES')
    await redis.hset(last, 'undone', '1')
  }
  await cleanUpDays(redis, name, c, extraDays, cleanup, cleanUpBySlot)
  // A kill from here on leaves `undone`: the rerun does these again.
  const drop = redis.pipeline()
  for (const slot of slots) {
    drop.del(writtenSlotKey(name, tagOf(slot)))
    // Kept a while, as an ingest's are: a remove of the file run at once, which read FILES
    // before this one took the file out, finds its groups done instead of taking them out twice.
    if (slot !== filesSlot) drop.expire(markers.get(slot)!, SLOT_MARKER_SECONDS)
  }
  await exec(drop.hdel(FILES_INFO, name))
  for (let attempt = 0; attempt < MAX_ATTEMPTS; attempt++) {
    if (attempt > 0) await sleep(backoff(attempt))
    const [, still] = await exec(redis.pipeline().watch(FILES, last).sismember(FILES, name))
    if (!flag(still, 'SISMEMBER FILES')) {
      await unwatchSlot(redis, filesSlot)
      return { removed: false, members, missing: [] }
    }
    const replies = await redis.multi().srem(FILES, name).hdel(last, 'undone').expire(last, SLOT_MARKER_SECONDS).exec()
    if (replies === null) continue
    checkReplies(name, replies)
    return { removed: true, members, missing: [] }
  }
  throw new RedisWriteError(`${name}: ${FILES} kept changing during ${MAX_ATTEMPTS} attempts (concurrent runs); try again`, 0)
}

/**
 * Runs `step` on the groups `wanted` says, in order within each master and the masters side by
 * side: a WATCH holds for its connection, and a cluster's client has one a master, so one group
 * at a time a master keeps each WATCH to its own group, while every master works (with one group
 * in flight for the whole cluster, bench:cluster measured its masters' busy time summing to
 * 0.3 of a core). Waits for every lane before throwing the first failure: none may still be
 * writing on the connection once the caller goes on.
 */
async function byMaster (redis: Redis, groups: readonly Group[], wanted: (g: number) => boolean, step: (g: number) => Promise<void>): Promise<void> {
  const lanes = new Map<string, number[]>()
  for (let g = 0; g < groups.length; g++) {
    if (!wanted(g)) continue
    const master = masterOf(redis, groups[g]!.slot)
    const lane = lanes.get(master)
    if (lane === undefined) lanes.set(master, [g])
    else lane.push(g)
  }
  const ends = await Promise.allSettled([...lanes.values()].map(async lane => { for (const g of lane) await step(g) }))
  const failed = ends.find(end => end.status === 'rejected')
  if (failed !== undefined) throw (failed).reason
}

/** Every slot's marker holds `plan` and each of its slot's groups, or the file is left as it is (`outcome` says so). */
async function checkSlotMarkers (redis: Redis, name: string, groups: readonly Group[], markers: ReadonlyMap<number, string>, outcome: string): Promise<void> {
  const expected = new Map<number, number>()
  for (const group of groups) expected.set(group.slot, (expected.get(group.slot) ?? 0) + 1)
  const slots = [...expected.keys()]
  const lengths = await exec(slots.reduce((p, slot) => p.hlen(markers.get(slot)!), redis.pipeline()))
  slots.forEach((slot, i) => {
    if (lengths[i] !== expected.get(slot)! + 1) throw new RedisWriteError(`${name}: ${markers.get(slot)!} lacks some of its ${plural(expected.get(slot)!, 'group')}: was it changed by hand? ${outcome}`, 0)
  })
}

/** Drops the days and protocols of a removed file that nothing else uses, with `one` a few days at a time. */
async function cleanUpDays (redis: Redis, name: string, c: Contribution, extraDays: readonly string[], cleanup: Cleanup, one: typeof cleanUp): Promise<void> {
  const days = daysOf(c, extraDays)
  const protocols = [...c.protocols].sort()
  const chunks: string[][] = []
  for (let i = 0; i < days.length; i += CLEANUP_DAYS) chunks.push(days.slice(i, i + CLEANUP_DAYS))
  if (chunks.length === 0 && protocols.length > 0) chunks.push([])
  for (const [i, chunk] of chunks.entries()) {
    // Protocols last: whether one is still used is read from the days that remain.
    const last = i === chunks.length - 1
    await one(redis, name, c, cleanup, chunk, last ? protocols : [])
  }
}

/**
 * One CLEANUP call over `days`: first without reading FILES; only when a day has no key left
 * are FILES's name days read, under WATCH, and the script run again in a transaction, so the
 * names it is told about are the ones FILES holds when it runs.
 */
async function cleanUp (redis: Redis, name: string, c: Contribution, cleanup: Cleanup, days: readonly string[], protocols: readonly string[]): Promise<void> {
  const call = { sensor: c.sensor, combinedKeys: cleanup.combinedKeys, fields: cleanup.fields, days, protocols }
  const undecided = await redis.eval(CLEANUP, 0, ...cleanupArguments({ ...call, named: undefined })) as string[]
  if (undecided.length === 0) return
  for (let attempt = 0; attempt < MAX_ATTEMPTS; attempt++) {
    if (attempt > 0) await sleep(backoff(attempt))
    await redis.watch(FILES)
    const named = namedDays(await redis.smembers(FILES), name, c, cleanup.sensorFromName, days)
    const replies = await redis.multi().eval(CLEANUP, 0, ...cleanupArguments({ ...call, named })).exec()
    if (replies === null) continue
    checkReplies(name, replies)
    return
  }
  throw new RedisWriteError(`${name}: ${FILES} kept changing during ${MAX_ATTEMPTS} attempts (concurrent runs); try again`, 0)
}

function daysOf (c: Contribution, extraDays: readonly string[]): string[] {
  return [...new Set([...c.days, ...extraDays])].sort()
}

/**
 * A marker's `plan`: the number of groups, and the order they cut the members in. Each key's
 * members go in ascending order of value (store/members.ts); the potiron before took them in
 * the order the capture first saw them, and its markers say the number alone.
 */
function planOf (groups: number): string {
  return `${groups} by value`
}

/**
 * A marker made by another cut of the same file (a potiron whose GROUP_MEMBERS or member order
 * differed, or a capture that changed in between) cannot say which members are in: refuse
 * rather than guess.
 */
function checkPlan (name: string, marker: string, done: Record<string, string>, groups: number): void {
  if (done.plan === undefined || done.plan === planOf(groups)) return
  const [count, order] = done.plan.split(' by ')
  const earlier = plural(Number(count), 'group') + (order === undefined ? ' of members in the order the capture had them (an earlier potiron)' : '')
  throw new RedisWriteError(`${name}: an earlier run that stopped midway wrote part of it in ${earlier}, but it now makes ${groups} in ascending order of value: its partial counts cannot be matched (see ${marker})`, 0)
}

/** The keys of `keys` that do not exist, read in pipelined batches. */
export async function absentKeys (redis: Redis, keys: readonly string[]): Promise<string[]> {
  const missing: string[] = []
  for (let i = 0; i < keys.length; i += BATCH_SIZE) {
    const batch = keys.slice(i, i + BATCH_SIZE)
    const pipeline = redis.pipeline()
    for (const key of batch) pipeline.exists(key)
    const replies = await exec(pipeline)
    replies.forEach((exists, j) => { if (exists === 0) missing.push(batch[j]!) })
  }
  return missing.sort()
}

/** A run of one key's members within a group: `count` of them from the `from`th, in their order (ascending value). */
interface Slice {
  members: Members
  key: string
  from: number
  count: number
}

/** A group's members, and the slot of its keys when they are cut by slot (a cluster), else 0. */
interface Group {
  slices: Slice[]
  slot: number
}

/**
 * Cuts a contribution into groups of at most GROUP_MEMBERS members over at most GROUP_KEYS keys,
 * in the contribution's order (a big key spans several groups); `bySlot` (a cluster), the keys
 * ordered by slot and each group within one slot. From the sizes alone: O(keys). Always at least
 * one group, which carries the file's FILES entry on one Redis.
 */
function planGroups (c: Contribution, bySlot = false): Group[] {
  const keys = bySlot ? [...c.zsets].map(([key, map]) => ({ key, map, slot: slotOf(key) })).sort((a, b) => a.slot - b.slot) : [...c.zsets].map(([key, map]) => ({ key, map, slot: 0 }))
  const groups: Group[] = [{ slices: [], slot: keys[0]?.slot ?? 0 }]
  let members = 0
  for (const { key, map, slot } of keys) {
    let left = map.size
    while (left > 0) {
      const last = groups[groups.length - 1]!
      if (members === GROUP_MEMBERS || last.slices.length === GROUP_KEYS || last.slot !== slot) {
        groups.push({ slices: [], slot })
        members = 0
      }
      const count = Math.min(left, GROUP_MEMBERS - members)
      groups[groups.length - 1]!.slices.push({ members: map, key, from: map.size - left, count })
      members += count
      left -= count
    }
  }
  return groups
}

/** Members that are not a MemberCounts (a Map), listed once for pairsOf. */
const listed = new WeakMap<Members, Array<[string, number]>>()

/**
 * A slice's members and counts as strings, for the commands that take them so (INCREMENTS,
 * DECREMENTS, and members that are no MemberCounts); a MemberCounts is framed from its numbers
 * instead (framed.ts zaddMembers, zmscoreMembers).
 */
function pairsOf ({ members, from, count }: Slice): Array<[string, number]> {
  if (members instanceof MemberCounts) {
    const { values, counts } = members.inOrder()
    const pairs = new Array<[string, number]>(count)
    for (let i = 0; i < count; i++) pairs[i] = [members.memberOf(values[from + i]!), counts[from + i]!]
    return pairs
  }
  let all = listed.get(members)
  if (all === undefined) listed.set(members, all = [...members])
  return all.slice(from, from + count)
}

/** One group's transaction. */
interface GroupStep {
  name: string
  /** The hash the group is marked done in: the file's, or on a cluster its slot's (slotMarker). */
  marker: string
  /** The slot of the group's keys and marker (a cluster; 0 on one Redis). */
  slot: number
  /** One Redis: FILES is read under the group's WATCH. A cluster cannot (another slot): the commit reads it. */
  files: boolean
  group: number
  groups: number
  slices: readonly Slice[]
  /** 1 to add the counts, -1 to take them out (members left at 0 are then dropped). */
  sign: 1 | -1
  /** The file's last step: these commands end the transaction instead of marking the group. */
  final: ((t: ReturnType<Redis['multi']>) => void) | undefined
  /** Per key, the members this call has written to it in earlier groups (updated here). */
  written: Map<string, number>
}

function backoff (attempt: number): number {
  return Math.random() * Math.min(200, 5 * 2 ** attempt)
}

/**
 * WATCHes the file's marker (and FILES, for the final step) and the group's keys, checks the
 * group is still to do, then queues it in MULTI and EXECs; looks again when a watched key
 * changed. Returns the members written, or 'counted' when the file is in FILES already (or,
 * removing, no longer).
 *
 * A key that holds nothing but what this call wrote to it in earlier groups (none, for a key
 * that does not exist yet) cannot hold any member of this group (each member appears once in a
 * contribution), so setting is adding: its members go in multi-member ZADDs without reading
 * their scores first (countsBefore). Its ZCARD tells: the members written here stay in it
 * (others only add, or take back their own counts), so a ZCARD equal to their number means no
 * other member is there; WATCH keeps it so until EXEC.
 */
async function transact (redis: Redis, step: GroupStep): Promise<number | 'counted'> {
  const keys = step.slices.map(slice => slice.key)
  for (let attempt = 0; attempt < MAX_ATTEMPTS; attempt++) {
    if (attempt > 0) await sleep(backoff(attempt))
    const watched = step.final === undefined ? [step.marker, ...keys] : [FILES, step.marker, ...keys]
    const reads = redis.pipeline().watch(...watched)
    if (step.files) reads.sismember(FILES, step.name)
    if (step.final === undefined) reads.hexists(step.marker, String(step.group))
    else reads.hlen(step.marker)
    for (const key of keys) reads.zcard(key)
    const [, ...answers] = await exec(reads)
    const counted = step.files ? answers.shift() : step.sign === 1 ? 0 : 1
    const [state, ...cards] = answers
    const gone = flag(counted, 'SISMEMBER FILES') === (step.sign === 1)
    const done = step.final === undefined ? flag(state, 'HEXISTS') : false
    // The final step follows every other group: the marker holds `plan` and each of them.
    const incomplete = step.final !== undefined && state !== (step.groups === 1 ? 0 : step.groups)
    if (gone || done || incomplete) {
      await unwatchSlot(redis, step.slot)
      if (gone) return 'counted'
      if (done) return 0
      throw new RedisWriteError(`${step.name}: ${step.marker} lacks some of the ${plural(step.groups - 1, 'group')} written before the last one: was it changed by hand? not counted`, 0)
    }
    const fresh = new Set(step.sign === 1 ? keys.filter((key, i) => cards[i] === (step.written.get(key) ?? 0)) : [])
    const before = step.sign === 1 && await hasZmscore(redis) ? await countsBefore(redis, step.slices, fresh) : undefined
    // MULTI, the group's commands and EXEC go in one round trip: a group is small enough.
    let replies
    try {
      replies = await groupTransaction(redis, step, fresh, before).exec()
    } catch (err) {
      throw refusal(step.name, err)
    }
    // null: a watched key changed since WATCH (another run); nothing was applied, so look again.
    if (replies === null) continue
    checkReplies(step.name, replies)
    let members = 0
    for (const { key, count } of step.slices) {
      step.written.set(key, (step.written.get(key) ?? 0) + count)
      members += count
    }
    return members
  }
  throw new RedisWriteError(`${step.name}: its keys kept changing during ${MAX_ATTEMPTS} attempts (concurrent runs); try again`, 0)
}

/**
 * Adds each (increment, member) pair of ARGV to the sorted set KEYS[1], as that many ZINCRBYs
 * would, in one command: the client sends and Redis parses one command per key and group
 * instead of one per member (bench:ingest: 2-3x less wall for the same work, Redis's CPU about
 * the same). EVAL, not EVALSHA or a Redis Function: inside MULTI a script or function Redis
 * does not have fails at EXEC while the rest of the transaction applies; EVAL carries its body.
 * A group has at most GROUP_MEMBERS members: well within Lua's stack for the arguments.
 */
export const INCREMENTS = `local key = KEYS[1]
for i = 1, #ARGV, 2 do redis.call('ZINCRBY', key, ARGV[i], ARGV[i + 1]) end
return #ARGV / 2`

/**
 * As INCREMENTS with negative increments (taking a file's counts out), dropping each member it
 * leaves at 0 or below, as if never written. Only the members it was given: in an ISN
 * database's `isn-sport` key a score of 0 is a record's source port, not an emptied count.
 */
export const DECREMENTS = `local key = KEYS[1]
for i = 1, #ARGV, 2 do
  if tonumber(redis.call('ZINCRBY', key, ARGV[i], ARGV[i + 1])) <= 0 then redis.call('ZREM', key, ARGV[i + 1]) end
end
return #ARGV / 2`

/**
 * The scores the group's members have in the keys that are not fresh (ZMSCORE, 0 for a member
 * not there), per slice, read under the group's WATCH (framed from a MemberCounts's numbers, as
 * its ZADD): adding the counts to them and setting the sums with
 * ZADD costs Redis about 1,260 ns a member against 1,720 for INCREMENTS's ZINCRBY loop (a probe
 * of 400k members in groups of 2,000, 5 rounds, medians; bench/RESULTS.md, issue 14's seventh
 * session). The WATCH makes the sums exact: a key changed meanwhile aborts the EXEC.
 */
async function countsBefore (redis: Redis, slices: readonly Slice[], fresh: ReadonlySet<string>): Promise<Map<Slice, number[]>> {
  const reads = redis.pipeline()
  const asked = slices.filter(slice => !fresh.has(slice.key))
  for (const slice of asked) {
    if (slice.members instanceof MemberCounts) queue(reads, zmscoreMembers(slice.key, slice.members, slice.from, slice.count))
    else reads.zmscore(slice.key, ...pairsOf(slice).map(([member]) => member))
  }
  const replies = await exec(reads) as Array<Array<string | null>>
  return new Map(asked.map((slice, i) => [slice, replies[i]!.map(score => Number(score ?? 0))]))
}

/**
 * A group's commands in a MULTI, ready to EXEC, one command a key: a ZADD on a fresh key
 * (setting is adding); on another, a ZADD of the sums of `before` and the counts, or, without
 * `before` (a Redis before 6.2 has no ZMSCORE), INCREMENTS; DECREMENTS when taking counts out.
 * ZADDs are framed (framed.ts): ioredis's own encoding of 2,000 arguments was the biggest cost
 * of a cluster's writes on the client (a CPU profile of one 1M-packet capture into 3 masters:
 * its Command constructor 445 ms, of 3.3 s on the coordinator's thread).
 */
function groupTransaction (redis: Redis, step: GroupStep, fresh: ReadonlySet<string>, before: ReadonlyMap<Slice, number[]> | undefined): ReturnType<Redis['multi']> {
  const t = redis.multi()
  for (const slice of step.slices) {
    const { key, members } = slice
    const plus = fresh.has(key) ? undefined : before?.get(slice)
    if (fresh.has(key) || plus !== undefined) {
      if (members instanceof MemberCounts) queue(t, zaddMembers(key, members, slice.from, slice.count, plus))
      else queue(t, zaddCommand(key, pairsOf(slice).map(([member, count], i) => [member, count + (plus?.[i] ?? 0)])))
    } else {
      t.eval(step.sign === 1 ? INCREMENTS : DECREMENTS, 1, key, ...pairsOf(slice).flatMap(([member, count]) => [step.sign * count, member]))
    }
  }
  if (step.final !== undefined) step.final(t)
  else t.hset(step.marker, 'plan', planOf(step.groups), String(step.group), '1')
  return t
}

/**
 * A transaction Redis refused (EXECABORT: a command refused when queued, e.g. out of memory)
 * becomes a RedisWriteError naming the file and Redis's reason; other errors (the connection)
 * pass unchanged.
 */
export function refusal (name: string, err: unknown): unknown {
  if (!(err instanceof ReplyError)) return err
  const failure = err as Error & { previousErrors?: Error[] }
  const reason = failure.previousErrors?.[0] ?? failure
  return new RedisWriteError(`${name}: Redis refused the transaction: ${reason.message}`, 0, { cause: err })
}

export function checkReplies (name: string, replies: Array<[Error | null, unknown]>): void {
  replies.forEach(([err], i) => {
    if (err !== null) throw new RedisWriteError(`${name}: Redis refused command ${i + 1} of the transaction: ${err.message}`, 0, { cause: err })
  })
}

const zmscoreOf = new WeakMap<Redis, boolean>()

/** Whether the server has ZMSCORE (Redis 6.2): one INFO per connection. */
export async function hasZmscore (redis: Redis): Promise<boolean> {
  let known = zmscoreOf.get(redis)
  if (known === undefined) {
    const [major = 0, minor = 0] = (/redis_version:(\d+)\.(\d+)/.exec(await redis.info('server')) ?? []).slice(1).map(Number)
    known = major > 6 || (major === 6 && minor >= 2)
    zmscoreOf.set(redis, known)
  }
  return known
}
