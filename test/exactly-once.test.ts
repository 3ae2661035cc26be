/**
 * Every file counted exactly once, whatever happens: `remove` undoes an ingest exactly,
 * `ingest --force` counts a file again without doubling it, and a run killed, cut off from Redis
 * or racing another run ends, once re-run, with the same database as one clean run. The CLI runs
 * as a real process (node dist/src/cli/bin.js) on private redis-servers; databases are compared
 * as whole dumps.
 */
import { after, before, test } from 'node:test'
import assert from 'node:assert/strict'
import { copyFileSync, mkdirSync, mkdtempSync, readdirSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { basename, join } from 'node:path'
import { setTimeout as sleep } from 'node:timers/promises'
import { potiron } from './helpers/cli.js'
import { FIXTURES } from './helpers/shared.js'
import { spawnPotiron } from './helpers/spawned.js'
import { BOOKKEEPING, dump, withoutBookkeeping, type Dump } from './helpers/redis.js'
import { startPrivateRedis, type PrivateRedis } from './helpers/private-redis.js'
import { openGate, type GateConnection } from './helpers/redis-gate.js'

const COPIES = 20

let root: string
/** COPIES captures: the fixtures again and again, each under its own sensor name. */
let captures: string
let files: string[]
let redis: PrivateRedis
/** The database after one clean run over `captures`. */
let clean: Dump

before(async () => {
  root = mkdtempSync(join(tmpdir(), 'potiron-once-'))
  captures = join(root, 'captures')
  mkdirSync(captures)
  const fixtures = readdirSync(FIXTURES).sort()
  for (let i = 0; i < COPIES; i++) {
    const name = fixtures[i % fixtures.length]!
    // lab-dnsicmp-1-20130530224517.pcap → lab-k0-1-20130530224517.pcap: the same day, its own sensor.
    copyFileSync(join(FIXTURES, name), join(captures, name.replace(/^lab-[^-]+-1-/, `lab-k${i}-1-`)))
  }
  files = readdirSync(captures).sort().map(f => join(captures, f))
  mkdirSync(join(root, 'main'))
  redis = await startPrivateRedis(join(root, 'main'), { durable: false })
  const run = await cli(['ingest', captures, '--unix', redis.socket]).done
  assert.equal(run.code, 0, run.stderr)
  clean = await dump(redis.client)
  assert.equal((clean.FILES?.value as string[]).length, COPIES)
})

after(async () => {
  await redis.stop()
  rmSync(root, { recursive: true, force: true })
})

function cli (args: string[], env: NodeJS.ProcessEnv = process.env): ReturnType<typeof spawnPotiron> {
  return spawnPotiron([...args, '--threads', '2'], env)
}

/**
 * Resolves once FILES has at least `n` members (polled every few milliseconds); throws after a
 * minute, so an ingest that died before getting there fails the test instead of hanging it.
 */
async function filesReach (client: PrivateRedis['client'], n: number): Promise<void> {
  const deadline = Date.now() + 60_000
  while (await client.scard('FILES') < n) {
    if (Date.now() > deadline) throw new Error(`FILES did not reach ${n} members within 60 s`)
    await sleep(3)
  }
}

const DNS = 'lab-dnsicmp-1-20130530224517.pcap'
const SCAN = 'lab-synscan-1-20100704202416.pcapng'
const TRACE = 'lab-traceroute-1-20090702194230.pcapng'

for (const combinedKeys of [false, true]) {
  test(`remove after ingest restores the database exactly${combinedKeys ? ' (combined keys)' : ''}`, async () => {
    await redis.client.flushall()
    const ck = combinedKeys ? ['--combined-keys'] : []
    const sock = ['--unix', redis.socket]
    assert.equal((await potiron('ingest', join(FIXTURES, DNS), join(FIXTURES, TRACE), ...sock, ...ck, '--json')).status, 0)
    const before = await dump(redis.client)
    assert.equal((await potiron('ingest', join(FIXTURES, SCAN), ...sock, ...ck, '--json')).status, 0)
    assert.notDeepEqual(await dump(redis.client), before)
    const removed = await potiron('remove', join(FIXTURES, SCAN), ...sock, '--json')
    assert.equal(removed.status, 0, removed.err.join('\n'))
    const summary = JSON.parse(removed.out[0]!) as { removed: number, notIngested: string[], failed: unknown[] }
    assert.deepEqual([summary.removed, summary.notIngested, summary.failed], [1, [], []])
    assert.deepEqual(await dump(redis.client), before)
    // Not in FILES any more: reported, nothing changed, exit 1.
    const again = await potiron('remove', join(FIXTURES, SCAN), ...sock)
    assert.equal(again.status, 1)
    assert.match(again.out.join('\n'), /^files: 0 removed, 1 not in FILES \(skipped\), 0 failed$/m)
    assert.deepEqual(await dump(redis.client), before)
    // The last files gone: days, protocols and FILES go too; only the stored settings remain.
    assert.equal((await potiron('remove', join(FIXTURES, DNS), join(FIXTURES, TRACE), ...sock)).status, 0)
    assert.deepEqual(Object.keys(await dump(redis.client)), ['FIELDS', 'JSON_FIELDS', 'PARAMETERS'])
  })
}

test('remove takes back shared members exactly: two copies of a capture on one sensor and day', async () => {
  await redis.client.flushall()
  const dir = join(root, 'twins')
  mkdirSync(dir, { recursive: true })
  const [a, b] = [join(dir, 'lab-twin-1-20100704202416.pcapng'), join(dir, 'lab-twin-1-20100704202417.pcapng')]
  copyFileSync(join(FIXTURES, SCAN), a)
  copyFileSync(join(FIXTURES, SCAN), b)
  assert.equal((await potiron('ingest', a, '--unix', redis.socket, '--combined-keys', '--json')).status, 0)
  const before = await dump(redis.client)
  assert.equal((await potiron('ingest', b, '--unix', redis.socket, '--combined-keys', '--json')).status, 0)
  const doubled = await dump(redis.client)
  assert.equal((doubled['lab-twin-1:tcp:20100704:dport']!.value as Record<string, number>)['80'], 2 * (before['lab-twin-1:tcp:20100704:dport']!.value as Record<string, number>)['80']!)
  // Settings given to remove must agree with the stored ones.
  const wrong = await potiron('remove', b, '--unix', redis.socket, '--combined-keys=false')
  assert.equal(wrong.status, 1)
  assert.deepEqual(wrong.err, [`potiron: redis unix:${redis.socket}`, 'potiron: these files were counted with other settings: combined keys are on in Redis (--combined-keys). Leave the options out to use the stored ones'])
  assert.equal((await potiron('remove', b, '--unix', redis.socket, '--json')).status, 0)
  assert.deepEqual(await dump(redis.client), before)
})

test('remove refuses counts that are not the file\'s: another --sensor than at ingest, or JSON_FIELDS gone; nothing changes', async () => {
  await redis.client.flushall()
  const sock = ['--unix', redis.socket]
  assert.equal((await potiron('ingest', join(FIXTURES, DNS), ...sock, '--json')).status, 0)
  const before = await dump(redis.client)
  const other = await potiron('remove', join(FIXTURES, DNS), ...sock, '--sensor', 'elsewhere-1', '--json')
  assert.equal(other.status, 1)
  const summary = JSON.parse(other.out[0]!) as { removed: number, failed: Array<{ file: string, reason: string }> }
  assert.deepEqual(summary.removed, 0)
  assert.deepEqual(summary.failed.map(f => f.reason.replace(/\d+ of its keys/, 'N of its keys')), [
    'its counts are not in Redis (N of its keys missing, e.g. elsewhere-1:20130530:dport): was it ingested with another --sensor? nothing removed'
  ])
  assert.deepEqual(await dump(redis.client), before)
  await redis.client.del('JSON_FIELDS')
  const withoutFields = await dump(redis.client)
  const blind = await potiron('remove', join(FIXTURES, DNS), ...sock)
  assert.equal(blind.status, 1)
  assert.deepEqual(blind.err, [`potiron: redis unix:${redis.socket}`, 'potiron: JSON_FIELDS is missing: which fields were counted is unknown, so nothing can be taken back'])
  assert.deepEqual(await dump(redis.client), withoutFields)
})

test('ingest --force counts files again without doubling them: the same dump as a single ingest', async () => {
  await redis.client.flushall()
  const sock = ['--unix', redis.socket]
  const two = [join(FIXTURES, DNS), join(FIXTURES, SCAN)]
  assert.equal((await potiron('ingest', ...two, ...sock, '--json')).status, 0)
  const once = await dump(redis.client)
  const again = await potiron('ingest', ...two, ...sock, '--force', '--json')
  assert.equal(again.status, 0, again.err.join('\n'))
  assert.deepEqual(await dump(redis.client), once)
  const forced = await potiron('ingest', ...two, join(FIXTURES, TRACE), ...sock, '--force', '--json')
  const summary = JSON.parse(forced.out[0]!) as { ingested: number, replaced: number, skipped: number }
  assert.deepEqual([forced.status, summary.ingested, summary.replaced, summary.skipped], [0, 3, 2, 0])
  const three = await dump(redis.client)
  await redis.client.flushall()
  assert.equal((await potiron('ingest', ...two, join(FIXTURES, TRACE), ...sock, '--json')).status, 0)
  assert.deepEqual(await dump(redis.client), three)
})

/** A transaction of a file's last group: it adds the file to FILES (see src/sink/redis.ts). */
function addsToFiles (queued: string[][] | undefined): boolean {
  return queued?.some(c => c[0]!.toUpperCase() === 'SADD' && c[1] === 'FILES') === true
}

/** A script of store/batch.ts, told by a line of its body. */
function isEval (command: string[], text: string): boolean {
  return command[0]!.toLowerCase() === 'eval' && command[1]!.includes(text)
}
const FINISH = "cjson.decode(redis.call('HGET', batch, 'files'))"
const COMMIT = "redis.call('HSET', KEYS[i + 1], 'batch', ARGV[1])"

type Shut = (command: string[], c: GateConnection) => boolean

/** The `k`th command that `is`, counting from 1. */
function nth (k: number, is: Shut): Shut {
  let seen = 0
  return (command, c) => is(command, c) && ++seen === k
}

/**
 * Kills a run over `captures` where `shut` says (a gate lets nothing more through), checks it
 * left `expected` files in FILES, runs the same command again and compares with `clean`. The
 * database starts as `base` leaves it.
 */
async function killAndRerun (label: string, expected: number, shut: Shut, base: () => Promise<void>, clean: Dump): Promise<void> {
  await redis.client.flushall()
  await base()
  const before = await redis.client.scard('FILES')
  const gate = await openGate(join(root, 'gate.sock'), redis.socket, shut)
  const killed = cli(['ingest', captures, '--unix', gate.socket])
  const ended = await Promise.race([gate.shut.then(() => false), killed.done.then(() => true)])
  killed.child.kill('SIGKILL')
  const first = await killed.done
  await gate.close()
  assert.ok(!ended, `${label}: the run ended before the gate shut: ${first.stderr}`)
  assert.equal(first.signal, 'SIGKILL', label)
  const partial = await redis.client.scard('FILES') - before
  // Exactly: a run writes on one connection, one file at a time, so no write that passed was undone.
  assert.equal(partial, expected, label)
  const rerun = await cli(['ingest', captures, '--unix', redis.socket]).done
  assert.equal(rerun.code, 0, `${label}: ${rerun.stderr}`)
  assert.deepEqual(await dump(redis.client), clean, `${label} (killed with ${partial} files in FILES)`)
}

test('kill -9 at any point of files written into new keys (each a batch of its own), then the same command again: the same database as one clean run', async () => {
  // Points where the run is stopped by what it has sent to Redis, so each lands mid-run on a
  // fast machine or a loaded one: [label, files in FILES when killed, when the gate shuts].
  const points: Array<[string, number, Shut]> = []
  for (const k of [1, COPIES / 2, COPIES - 1]) points.push([`after the FINISH of file ${k} of ${COPIES}`, k, nth(k, c => isEval(c, FINISH))])
  points.push(['after the COMMIT of file 5, before its FINISH', 4, nth(5, c => isEval(c, COMMIT))])
  // Staged, not committed: the staging keys are left to expire, and the rerun stages the file again.
  points.push(['amid the staging of file 5, before its COMMIT', 4, nth(5, c => c[0]!.toUpperCase() === 'EXPIRE' && /^potiron:batch:[0-9a-f]+$/.test(c[1]!))])
  for (const [label, expected, shut] of points) await killAndRerun(label, expected, shut, async () => {}, clean)
})

test('kill -9 at any point of files written into keys that exist (writeFile\'s groups), then the same command again: the same database as one clean run', async () => {
  // The same captures counted before under other names of the same sensors and days: every key exists.
  const others = join(root, 'others')
  mkdirSync(others, { recursive: true })
  for (const file of files) copyFileSync(file, join(others, basename(file).replace(/(\d{14})/, ts => String(Number(ts) + 1))))
  const base = async (): Promise<void> => {
    const run = await cli(['ingest', others, '--unix', redis.socket]).done
    assert.equal(run.code, 0, run.stderr)
  }
  await redis.client.flushall()
  await base()
  assert.equal((await cli(['ingest', captures, '--unix', redis.socket]).done).code, 0)
  const twice = await dump(redis.client)
  const points: Array<[string, number, Shut]> = []
  for (const k of [1, COPIES / 2, COPIES - 1]) points.push([`after the EXEC of file ${k} of ${COPIES}`, k, nth(k, (command, c) => command[0]!.toUpperCase() === 'EXEC' && addsToFiles(c.queued))])
  // Inside the transaction of the 5th file, once its FILES entry is queued: Redis drops it with the connection.
  points.push(['inside the transaction of file 5, before its EXEC', 4, nth(5, (command, c) => c.queued !== undefined && command[0]!.toUpperCase() === 'SADD' && command[1] === 'FILES')])
  for (const [label, expected, shut] of points) await killAndRerun(label, expected, shut, base, twice)
})

test('kill -9 wherever the run is when polling finds files in FILES, then the same command again: the same database as one clean run', async () => {
  // Points seen by polling FILES: the kill lands wherever the run is by then (maybe past its end).
  const polled: Array<[string, () => Promise<void>]> = [
    ['first file in FILES', async () => { await filesReach(redis.client, 1) }],
    ['half the files in FILES', async () => { await filesReach(redis.client, COPIES / 2) }]
  ]
  for (const [label, wait] of polled) {
    await redis.client.flushall()
    const killed = cli(['ingest', captures, '--unix', redis.socket])
    await Promise.race([wait(), killed.done])
    killed.child.kill('SIGKILL')
    const first = await killed.done
    const partial = await redis.client.scard('FILES')
    const rerun = await cli(['ingest', captures, '--unix', redis.socket]).done
    assert.equal(rerun.code, 0, `${label}: ${rerun.stderr}`)
    const after = await dump(redis.client)
    assert.deepEqual(withoutBookkeeping(after), clean, `${label} (killed: ${String(first.signal)}, ${partial} files in FILES)`)
    // A kill that lands while a file is staged, before its commit, leaves that staging to expire: never a count.
    for (const key of Object.keys(after).filter(key => BOOKKEEPING.test(key))) assert.ok(await redis.client.ttl(key) > 0, `${label}: ${key}`)
  }
})

test('Redis stops mid-ingest: exit 1 with one line after the one naming Redis; restarted on the same data, a re-run completes it', async () => {
  const dir = join(root, 'durable')
  mkdirSync(dir)
  let server = await startPrivateRedis(dir, { durable: true })
  try {
    // The run must see the closed connection, not wait out the (30 s) command timeout: the reason
    // it gives says which, with no clock to race on a slow machine.
    // --quiet: without it a periodic progress line may come first if the machine is slow.
    const run = cli(['ingest', captures, '--unix', server.socket, '--quiet'], { ...process.env, POTIRON_REDIS_TIMEOUT: '30' })
    await filesReach(server.client, 1)
    await server.client.call('SHUTDOWN', 'NOSAVE').catch(() => {})
    await server.exited
    const exit = await run.done
    assert.equal(exit.code, 1, exit.stderr)
    const lines = exit.stderr.split('\n').filter(l => l.startsWith('potiron: '))
    assert.equal(lines.length, 2, exit.stderr)
    assert.equal(lines[0], `potiron: redis unix:${server.socket}`)
    assert.match(lines[1]!, /^potiron: lost the connection to Redis \(.+\); every file written so far is counted exactly once: run the same command again to finish$/)
    assert.doesNotMatch(lines[1]!, /no answer within/)
    assert.doesNotMatch(exit.stderr, /^\s+at |internal error/m)
    server = await startPrivateRedis(dir, { durable: true })
    const survived = await server.client.scard('FILES')
    assert.ok(survived >= 1 && survived < COPIES, `${survived} files survived`)
    const rerun = await cli(['ingest', captures, '--unix', server.socket]).done
    assert.equal(rerun.code, 0, rerun.stderr)
    assert.deepEqual(await dump(server.client), clean)
  } finally {
    await server.stop()
  }
})

test('Redis hangs mid-ingest (SIGSTOP): exit 1 with one line (after the one naming Redis) once the command timeout passes; resumed, a re-run completes it', async () => {
  const dir = join(root, 'hung')
  mkdirSync(dir)
  const server = await startPrivateRedis(dir, { durable: false })
  let stopped = false
  try {
    // --quiet: without it a periodic progress line may come first if the machine is slow.
    const run = cli(['ingest', captures, '--unix', server.socket, '--quiet'], { ...process.env, POTIRON_REDIS_TIMEOUT: '1' })
    await filesReach(server.client, 1)
    process.kill(server.pid, 'SIGSTOP')
    stopped = true
    // The reason below says the 1 s command timeout ended the wait (no clock: the machine may be slow).
    const exit = await run.done
    assert.equal(exit.code, 1, exit.stderr)
    const lines = exit.stderr.split('\n').filter(l => l.startsWith('potiron: '))
    assert.deepEqual(lines, [`potiron: redis unix:${server.socket}`, 'potiron: lost the connection to Redis (no answer within 1 s); every file written so far is counted exactly once: run the same command again to finish'])
    process.kill(server.pid, 'SIGCONT')
    stopped = false
    const rerun = await cli(['ingest', captures, '--unix', server.socket]).done
    assert.equal(rerun.code, 0, rerun.stderr)
    const after = await dump(server.client)
    assert.deepEqual(withoutBookkeeping(after), clean)
    // What is left is the staging of a file that was not committed, expiring: never a count.
    for (const key of Object.keys(after).filter(key => BOOKKEEPING.test(key))) assert.ok(await server.client.ttl(key) > 0, key)
  } finally {
    if (stopped) process.kill(server.pid, 'SIGCONT')
    await server.stop()
  }
})

test('two ingests at once over overlapping files: the same database as one clean run over the union', async () => {
  await redis.client.flushall()
  const one = cli(['ingest', ...files.slice(0, 14), '--unix', redis.socket])
  const two = cli(['ingest', ...files.slice(6), '--unix', redis.socket])
  const [a, b] = await Promise.all([one.done, two.done])
  assert.equal(a.code, 0, a.stderr)
  assert.equal(b.code, 0, b.stderr)
  assert.deepEqual(await dump(redis.client), clean)
})
