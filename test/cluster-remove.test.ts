/**
 * `remove` and `import-json` on a Redis Cluster (issue 15): the same commands against one Redis
 * and against a real cluster of 3 masters (test/helpers/cluster.ts) leave the same keys with the
 * same contents, the markers that make each file count once aside (and once a file is removed,
 * none of its markers is left); a remove killed midway and run again ends as one clean remove.
 */
import { after, before, test } from 'node:test'
import assert from 'node:assert/strict'
import { copyFileSync, mkdtempSync, readdirSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { basename, join } from 'node:path'
import { setTimeout as sleep } from 'node:timers/promises'
import { potiron } from './helpers/cli.js'
import { startCluster, type TestCluster } from './helpers/cluster.js'
import { dump, startRedis, type Dump, type TestRedis } from './helpers/redis.js'
import { FIXTURES } from './helpers/shared.js'
import { spawnPotiron } from './helpers/spawned.js'
import { teardown } from './helpers/teardown.js'
import { slotOf, tagOf } from '../src/store/cluster.js'
import { daysKey, fieldKey, removedSlotKey } from '../src/store/keys.js'

const CAPTURES = readdirSync(FIXTURES).filter(name => /\.pcap(ng)?(\.gz)?$/.test(name)).sort().map(name => join(FIXTURES, name))
const SCAN = join(FIXTURES, 'lab-synscan-1-20100704202416.pcapng')
const dir = mkdtempSync(join(tmpdir(), 'potiron-cluster-remove-'))
/**
 * SCAN under a name of the same sensor and day, counted before it where SCAN's ingest markers
 * matter: SCAN then goes by slot groups, which leave them (a file alone into keys that do not
 * exist yet is written as a batch of one, which leaves none).
 */
const SCAN_BEFORE = join(dir, 'lab-synscan-1-20100704000000.pcapng')
copyFileSync(SCAN, SCAN_BEFORE)
let cluster: TestCluster
let single: TestRedis

before(async () => {
  [cluster, single] = await Promise.all([startCluster({ masters: 3 }), startRedis()])
})

after(async () => {
  await teardown(async () => { await cluster?.stop() }, async () => { await single?.stop() }, () => { rmSync(dir, { recursive: true, force: true }) })
})

/** Markers of a cluster's slots: `potiron:part:{tag}:name` (kept a while after ingest) and remove's `potiron:unpart:{tag}:name`. */
const SLOT_MARKER = /^potiron:(un)?part:\{/

/** Every key of every master, as one dump; the slot markers aside unless `markers`. */
async function clusterDump (markers = false): Promise<Dump> {
  const parts = await Promise.all(cluster.masters.map(async m => await dump(m.client)))
  const all: Dump = Object.assign({}, ...parts)
  return Object.fromEntries(Object.keys(all).sort().filter(key => markers || !SLOT_MARKER.test(key)).map(key => [key, all[key]!]))
}

/** The slot markers of `name` on each master (`un`: remove's, else ingest's). */
async function markersOf (name: string, un: boolean): Promise<string[][]> {
  return await Promise.all(cluster.masters.map(async m => (await m.client.keys(`potiron:${un ? 'un' : ''}part:{*}:${name}`)).sort()))
}

/** A summary without its pace and address, which differ between the two runs. */
function timeless (summary: string): string {
  return summary.replace(/; [\d.]+ s(, \d+ packets\/s)?/, '').replace(/\nredis: .*/, '')
}

/** remove's markers, every one of which must expire within 7 days (kept for a remove of the same file at once): their TTLs. */
async function unpartTtls (): Promise<number[]> {
  const ttls = await Promise.all(cluster.masters.map(async m => await Promise.all((await m.client.keys('potiron:unpart:{*')).map(async key => await m.client.ttl(key)))))
  return ttls.flat()
}

/** Every TTL of `ttls` is within the 7 days markers are kept. */
function kept (ttls: readonly number[]): boolean {
  return ttls.length > 0 && ttls.every(ttl => ttl > 6 * 86400 && ttl <= 7 * 86400)
}

async function flushBoth (): Promise<void> {
  await Promise.all([...cluster.masters.map(async m => await m.client.flushall()), single.client.flushall()])
}

/** Runs `args` against one Redis and against the cluster: the same status and lines (the one naming the Redis aside; the files' lines in the order they ended). */
async function both (...args: string[]): Promise<void> {
  const one = await potiron(...args, '--unix', single.socket)
  const three = await potiron(...args, '--redis', cluster.url)
  assert.deepEqual([three.status, three.err.slice(1).sort(), three.out.map(timeless)], [one.status, one.err.slice(1).sort(), one.out.map(timeless)], args.join(' '))
}

test('remove of one file among several: the same database as on one Redis, no ingest marker left, its own kept 7 days', async () => {
  await flushBoth()
  await both('ingest', SCAN_BEFORE, '--quiet')
  await both('ingest', ...CAPTURES, '--quiet')
  assert.ok((await markersOf(basename(SCAN), false)).flat().length > 1)
  await both('remove', SCAN)
  const expected = await dump(single.client)
  assert.equal(expected.FILES?.value instanceof Array && expected.FILES.value.includes(basename(SCAN)), false)
  assert.deepEqual(await clusterDump(), expected)
  assert.deepEqual(await markersOf(basename(SCAN), false), [[], [], []])
  assert.ok(kept(await unpartTtls()))
  // Removed already: skipped on both, exit 1.
  await both('remove', SCAN)
})

test('remove of everything: only PARAMETERS, FIELDS and JSON_FIELDS left, as on one Redis, and remove\'s markers, expiring', async () => {
  await flushBoth()
  await both('ingest', ...CAPTURES, '--quiet')
  await both('remove', ...CAPTURES)
  const expected = await dump(single.client)
  assert.deepEqual(Object.keys(expected), ['FIELDS', 'JSON_FIELDS', 'PARAMETERS'])
  const all = await clusterDump(true)
  assert.deepEqual(Object.fromEntries(Object.entries(all).filter(([key]) => !key.startsWith('potiron:unpart:{'))), expected)
  assert.ok(kept(await unpartTtls()))
})

test('two removes of one file at once, then an ingest of it and a remove again: as on one Redis each time', async () => {
  await flushBoth()
  await both('ingest', ...CAPTURES, '--quiet')
  await potiron('remove', SCAN, '--unix', single.socket)
  const removed = await dump(single.client)
  const [a, b] = await Promise.all([spawnPotiron(['remove', SCAN, '--redis', cluster.url]).done, spawnPotiron(['remove', SCAN, '--redis', cluster.url]).done])
  // One takes it out (exit 0); the other does too, or finds it gone from FILES (exit 1).
  assert.ok([a.code, b.code].includes(0), a.stderr + b.stderr)
  assert.deepEqual(await clusterDump(), removed)
  // Ingested again, the earlier remove's markers go first: a remove then takes every group out.
  await both('ingest', SCAN, '--quiet')
  assert.deepEqual((await markersOf(basename(SCAN), true)).flat(), [])
  await both('remove', SCAN)
  assert.deepEqual(await clusterDump(), removed)
})

test('remove with combined keys: the days and protocols nothing else uses go, as on one Redis', async () => {
  await flushBoth()
  await both('ingest', ...CAPTURES, '--quiet', '--combined-keys')
  await both('remove', SCAN, CAPTURES[0]!)
  assert.deepEqual(await clusterDump(), await dump(single.client))
  await both('remove', ...CAPTURES)
  assert.deepEqual(await clusterDump(), await dump(single.client))
})

test('remove, then ingest again: the counts come back (the slot markers of the first ingest went with the remove)', async () => {
  await flushBoth()
  await both('ingest', SCAN_BEFORE, '--quiet')
  await both('ingest', ...CAPTURES, '--quiet')
  const whole = await clusterDump()
  assert.ok((await markersOf(basename(SCAN), false)).flat().length > 1)
  await both('remove', SCAN)
  await both('ingest', SCAN, '--quiet')
  assert.deepEqual(await clusterDump(), whole)
  assert.deepEqual(await clusterDump(), await dump(single.client))
})

let ranges: Awaited<ReturnType<TestCluster['masters'][number]['client']['cluster']>> | undefined

/** The master that serves `slot`. */
async function ownerOf (slot: number): Promise<TestCluster['masters'][number]> {
  ranges ??= await cluster.masters[0]!.client.cluster('SLOTS')
  const port = ranges.find(([from, to]) => from <= slot && slot <= to)![2]![1]
  return cluster.masters.find(m => m.port === port)!
}

/**
 * Runs `args` (a remove of SCAN) with writes held on the master `held` (CLIENT PAUSE WRITE),
 * kills it with SIGKILL half a second after its first unpart marker appears, and lets the master
 * write again.
 */
async function killedWhileHeld (held: TestCluster['masters'][number], args: string[]): Promise<void> {
  await held.client.call('CLIENT', 'PAUSE', '60000', 'WRITE')
  const run = spawnPotiron(args)
  try {
    const deadline = Date.now() + 30_000
    while ((await markersOf(basename(SCAN), true)).flat().length === 0) {
      assert.ok(Date.now() < deadline, 'no unpart marker within 30 s')
      await sleep(5)
    }
    await sleep(500)
    run.child.kill('SIGKILL')
    const killed = await run.done
    assert.equal(killed.signal, 'SIGKILL', killed.stderr)
  } finally {
    await held.client.call('CLIENT', 'UNPAUSE')
  }
}

test('remove killed (kill -9) with some slots\' groups taken out and not others, then run again: exactly one clean remove', async () => {
  await flushBoth()
  await both('ingest', ...CAPTURES, '--quiet')
  await potiron('remove', SCAN, '--unix', single.socket)
  const expected = await dump(single.client)
  // Groups go in slot order: with writes held on the master of the last slots, the run takes
  // out the others' groups and waits there, where it is killed.
  const held = await ownerOf(16383)
  await killedWhileHeld(held, ['remove', SCAN, '--redis', cluster.url])
  const markers = await markersOf(basename(SCAN), true)
  assert.deepEqual(markers[cluster.masters.indexOf(held)], [], 'the held master\'s groups are still in')
  assert.ok(markers.flat().length > 0, 'some groups were taken out')
  const files = await Promise.all(cluster.masters.map(async m => await m.client.keys('FILES')))
  const owner = cluster.masters[files.findIndex(k => k.length > 0)]!
  assert.equal(await owner.client.sismember('FILES', basename(SCAN)), 1, 'still counted when killed')
  const rerun = await potiron('remove', SCAN, '--redis', cluster.url)
  assert.equal(rerun.status, 0, rerun.err.join('\n'))
  assert.deepEqual(await clusterDump(), expected)
  assert.deepEqual(await markersOf(basename(SCAN), false), [[], [], []])
  assert.ok(kept(await unpartTtls()))
})

test('import-json of potiron\'s JSON documents: the same database as on one Redis, twice (skipped the second time)', async () => {
  await flushBoth()
  const out = join(dir, 'json')
  const written = await potiron('json', ...CAPTURES, '--out', out)
  assert.equal(written.status, 0, written.err.join('\n'))
  await both('import-json', out)
  const expected = await dump(single.client)
  assert.ok((expected.FILES?.value as string[]).length >= 6)
  assert.deepEqual(await clusterDump(), expected)
  await both('import-json', out)
  assert.deepEqual(await clusterDump(), expected)
})

/**
 * A sensor whose `day` keys of `fields` all lie off the master of `held(sensor)` and that `ok`
 * takes, found by counting up: a remove of a capture counted under it passes every group and
 * stops where it first writes to that master.
 */
async function sensorOff (day: string, fields: readonly string[], held: (sensor: string) => number, ok: (sensor: string) => boolean | Promise<boolean>): Promise<string> {
  for (let n = 0; ; n++) {
    const sensor = `k${n}`
    const master = await ownerOf(held(sensor))
    const owners = await Promise.all(fields.map(async f => await ownerOf(slotOf(fieldKey(sensor, day, f)))))
    if (!owners.includes(master) && await ok(sensor)) return sensor
  }
}

const points: Array<[string, (sensor: string) => number, (sensor: string) => boolean | Promise<boolean>]> = [
  // FILES's slot: where its marker says `undone` once every group is out.
  ['every group out, not yet marked so', () => slotOf('FILES'), () => true],
  // The sensor's days (not on FILES's master): where the cleanup takes the day out.
  ['marked undone, the day not yet taken out', sensor => slotOf(daysKey(sensor)), async sensor => await ownerOf(slotOf(daysKey(sensor))) !== await ownerOf(slotOf('FILES'))]
]

for (const [label, heldSlot, ok] of points) {
  test(`remove killed (kill -9) with ${label}, then run again: exactly one clean remove`, async () => {
    await flushBoth()
    // Two fields: a day's keys of all of them always span every master (CRC16 is linear).
    const fields = ['ipsrc', 'dport']
    const sensor = await sensorOff('20100704', fields, heldSlot, ok)
    await both('ingest', SCAN, CAPTURES[0]!, '--sensor', sensor, '--fields', fields.join(','), '--quiet')
    await potiron('remove', SCAN, '--sensor', sensor, '--unix', single.socket)
    const expected = await dump(single.client)
    const held = await ownerOf(heldSlot(sensor))
    const name = basename(SCAN)
    const filesOwner = await ownerOf(slotOf('FILES'))
    await killedWhileHeld(held, ['remove', SCAN, '--sensor', sensor, '--redis', cluster.url])
    assert.equal(await filesOwner.client.sismember('FILES', name), 1, 'still counted when killed')
    assert.equal(await filesOwner.client.hget(removedSlotKey(name, tagOf(slotOf('FILES'))), 'undone'), label.startsWith('marked') ? '1' : null)
    assert.ok((await markersOf(name, true)).flat().length > 1, 'every slot\'s marker still there')
    if (label.startsWith('marked')) assert.equal(await held.client.sismember(daysKey(sensor), '20100704'), 1, 'the day still there')
    const rerun = await potiron('remove', SCAN, '--sensor', sensor, '--redis', cluster.url)
    assert.equal(rerun.status, 0, rerun.err.join('\n'))
    assert.deepEqual(await clusterDump(), expected)
    assert.deepEqual(await markersOf(name, false), [[], [], []])
    assert.ok(kept(await unpartTtls()))
  })
}
