/**
 * ISN records are counted exactly once, as counts are: an `ingest --isn` killed -9 between two of
 * a file's transactions shows none of its records (the file is not in FILES), and the same
 * command again ends with the database of one clean run; so do two runs at once. Real processes
 * on a private redis-server, stopped at an exact point by the gate (helpers/redis-gate.ts).
 */
import { after, before, test } from 'node:test'
import assert from 'node:assert/strict'
import { spawn } from 'node:child_process'
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { basename, join } from 'node:path'
import { pcapOf } from './helpers/captures.js'
import { LT_ETHERNET } from './helpers/frames.js'
import { tcp4 } from './helpers/modes.js'
import { BIN } from './helpers/shared.js'
import { spawnPotiron } from './helpers/spawned.js'
import { dump, type Dump } from './helpers/redis.js'
import { startPrivateRedis, type PrivateRedis } from './helpers/private-redis.js'
import { openGate, type GateConnection } from './helpers/redis-gate.js'
import { readIsn } from '../src/store/isn-read.js'
import { GROUP_MEMBERS } from '../src/store/write.js'

type Shut = (command: string[], c: GateConnection) => boolean

/** SYNs of the big file: 2.5 groups of members (each record is in two keys). */
const SYNS = Math.round(GROUP_MEMBERS * 1.25)
const SENSOR = 'lab-once-1'
const T0 = 1488326401

let root: string
let big: string
let all: string[]
let redis: PrivateRedis
let clean: Dump

function syns (n: number, from: number): Array<{ frame: Buffer, sec: number, usec: number }> {
  return Array.from({ length: n }, (_, i) => ({ frame: tcp4(1024 + ((from + i) % 60000), 22, (from + i) * 2654435761 % 4294967296, 0, '02'), sec: T0 + i, usec: i % 1000000 }))
}

async function cli (args: string[]): Promise<{ code: number | null, stderr: string }> {
  return await spawnPotiron([...args, '--threads', '2']).done
}

before(async () => {
  root = mkdtempSync(join(tmpdir(), 'potiron-isn-once-'))
  const dir = join(root, 'captures')
  mkdirSync(dir)
  big = join(dir, `${SENSOR}-20170301000000.pcap`)
  writeFileSync(big, pcapOf(LT_ETHERNET, syns(SYNS, 0)))
  all = [big]
  for (let k = 1; k <= 3; k++) {
    const path = join(dir, `${SENSOR}-2017030100000${k}.pcap`)
    writeFileSync(path, pcapOf(LT_ETHERNET, syns(100, k * 100000)))
    all.push(path)
  }
  mkdirSync(join(root, 'redis'))
  redis = await startPrivateRedis(join(root, 'redis'), { durable: false })
  const run = await cli(['ingest', ...all, '--isn', '--unix', redis.socket])
  assert.equal(run.code, 0, run.stderr)
  clean = await dump(redis.client)
  assert.equal(Object.keys(clean[`${SENSOR}:20170301:isn`]!.value as object).length, SYNS + 300)
})

after(async () => {
  await redis.stop()
  rmSync(root, { recursive: true, force: true })
})

/**
 * Runs `ingest ARGS --isn` through a gate that shuts on `shut`, kills it there, and checks what a
 * reader sees of the day meanwhile: `records` counted before, none of the file's, `uncounted` of them left out.
 */
async function killedAt (args: string[], shut: Shut, records: number, uncounted: number): Promise<void> {
  const gate = await openGate(join(root, 'gate.sock'), redis.socket, shut)
  const child = spawn(process.execPath, [BIN, 'ingest', ...args, '--isn', '--unix', gate.socket], { stdio: 'ignore' })
  const closed = new Promise(resolve => child.once('close', resolve))
  const ended = await Promise.race([gate.shut.then(() => false), closed.then(() => true)])
  child.kill('SIGKILL')
  await closed
  await gate.close()
  assert.ok(!ended, 'the run ended before the gate shut')
  assert.equal(await redis.client.sismember('FILES', basename(big)), 0)
  const read = await readIsn(redis.client, { sensor: SENSOR, day: '20170301' }, 'UTC')
  assert.deepEqual([read.records.length, read.uncounted], [records, uncounted])
}

test('kill -9 between the groups of an ISN file into keys that exist: none of its records shown, the rerun gives one clean run\'s database', async () => {
  await redis.client.flushall()
  // A small file of the day counted first: the big one then goes by groups (store/write.ts).
  const small = all[1]!
  assert.equal((await cli(['ingest', small, '--isn', '--unix', redis.socket])).code, 0)
  let groups = 0
  // Shut after the EXEC of the file's second group (its marker written, FILES not yet).
  await killedAt([big], (command, c) => command[0]!.toUpperCase() === 'EXEC' && c.queued?.some(q => q[0]!.toUpperCase() === 'HSET' && q[1]!.startsWith('potiron:part:')) === true && ++groups === 2, 100, SYNS)
  // Two groups of the file's three written: the time key whole, part of the port key.
  const written = [await redis.client.zcard(`${SENSOR}:20170301:isn`), await redis.client.zcard(`${SENSOR}:20170301:isn-sport`)]
  assert.deepEqual(written, [SYNS + 100, 2 * GROUP_MEMBERS - SYNS + 100])
  const rerun = await cli(['ingest', ...all, '--isn', '--unix', redis.socket])
  assert.equal(rerun.code, 0, rerun.stderr)
  assert.deepEqual(await dump(redis.client), clean)
})

test('kill -9 amid the batch of an ISN file into new keys: none of its records shown, the rerun gives one clean run\'s database', async () => {
  await redis.client.flushall()
  // Shut once its staged time key has taken the key's place (APPLY), the port key still staged.
  await killedAt([big], command => command[0]!.toLowerCase() === 'eval' && command[1]!.includes("'applied:'") && command[4] === `${SENSOR}:20170301:isn`, 0, SYNS)
  assert.deepEqual([await redis.client.zcard(`${SENSOR}:20170301:isn`), await redis.client.exists(`${SENSOR}:20170301:isn-sport`)], [SYNS, 0])
  const rerun = await cli(['ingest', ...all, '--isn', '--unix', redis.socket])
  assert.equal(rerun.code, 0, rerun.stderr)
  assert.deepEqual(await dump(redis.client), clean)
})

test('two ISN ingests at once: the database of one clean run', async () => {
  await redis.client.flushall()
  const [a, b] = await Promise.all([cli(['ingest', ...all, '--isn', '--unix', redis.socket]), cli(['ingest', ...all.slice().reverse(), '--isn', '--unix', redis.socket])])
  assert.equal(a.code, 0, a.stderr)
  assert.equal(b.code, 0, b.stderr)
  assert.deepEqual(await dump(redis.client), clean)
})
