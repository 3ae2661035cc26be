/**
 * Archive-grade ingest against a private redis-server: a file is counted only when it was read,
 * is never skipped when its content changed, and no command of one file keeps Redis busy.
 */
import { after, before, beforeEach, test } from 'node:test'
import assert from 'node:assert/strict'
import { copyFileSync, mkdirSync, mkdtempSync, rmSync, utimesSync, writeFileSync, appendFileSync, readFileSync } from 'node:fs'
import { spawn } from 'node:child_process'
import { createServer, type AddressInfo } from 'node:net'
import { tmpdir } from 'node:os'
import { setTimeout as sleep } from 'node:timers/promises'
import { gzipSync } from 'node:zlib'
import { join } from 'node:path'
import { Redis } from 'ioredis'
import { connect } from '../src/store/connection.js'
import { GROUP_KEYS, isIngested } from '../src/store/write.js'
import { potiron, type Run } from './helpers/cli.js'
import { pcapOf, type TimedFrame } from './helpers/captures.js'
import { IPV4_UDP, LT_IPV4 } from './helpers/frames.js'
import { BIN, FIXTURES } from './helpers/shared.js'
import { counts, dump, startRedis, type TestRedis } from './helpers/redis.js'

const DNS = 'lab-dnsicmp-1-20130530224517.pcap'

let redis: TestRedis
let dir: string

before(async () => {
  redis = await startRedis()
  dir = mkdtempSync(join(tmpdir(), 'potiron-archive-'))
})

after(async () => {
  await redis.stop()
  rmSync(dir, { recursive: true, force: true })
})

beforeEach(async () => { await redis.client.flushall() })

async function ingest (...args: string[]): Promise<Run> {
  return await potiron('ingest', ...args, '--unix', redis.socket)
}

interface Summary { ingested: number, skipped: number, unsettled: string[], sameCapture: Array<{ file: string, as: string }>, failed: Array<{ file: string, reason: string }>, packets: number, counted: number, members: number }

function summaryOf (run: Run): Summary {
  return JSON.parse(run.out[0]!) as Summary
}

/** `perDay` copies of one UDP packet on each of `days` days from 2001-01-01. */
function manyDays (days: number, perDay = 1): Buffer {
  const frame = Buffer.from(IPV4_UDP, 'hex')
  const packets: TimedFrame[] = []
  for (let d = 0; d < days; d++) for (let i = 0; i < perDay; i++) packets.push({ frame, sec: 978307200 + d * 86400 + i })
  return pcapOf(LT_IPV4, packets)
}

/** `packets` UDP packets of one day (2001-01-01), each from its own address and port: two new members each. */
function distinctSources (packets: number): Buffer {
  const frames = []
  for (let i = 0; i < packets; i++) {
    const frame = Buffer.from(IPV4_UDP, 'hex')
    frame.writeUInt32BE(0x0a000000 + i, 12)
    frame.writeUInt16BE(1024 + i % 60000, 20)
    frames.push(frame)
  }
  return pcapOf(LT_IPV4, frames.map((frame, i) => ({ frame, sec: 978307200 + i })))
}

test('a path that is missing, empty, not a capture or cut inside its header leaves Redis untouched, and is counted once it is a real capture', async () => {
  const cases = join(dir, 'unreadable')
  mkdirSync(cases)
  const missing = join(cases, 'lab-gone-1-20130530224517.pcap')
  const empty = join(cases, 'lab-empty-1-20130530224517.pcap')
  const text = join(cases, 'lab-text-1-20130530224517.pcap')
  const short = join(cases, 'lab-short-1-20130530224517.pcap')
  writeFileSync(empty, '')
  writeFileSync(text, 'this is not a capture file at all\n')
  writeFileSync(short, readFileSync(join(FIXTURES, DNS)).subarray(0, 10))
  try {
    const run = await ingest(missing, empty, text, short, '--json')
    assert.equal(run.status, 1)
    assert.deepEqual(summaryOf(run).failed.map(f => f.file), [empty, missing, short, text])
    // No FILES entry, no day, no sensor, and no settings locked by a run that counted nothing.
    assert.deepEqual(await dump(redis.client), {})
    for (const path of [missing, empty, text, short]) copyFileSync(join(FIXTURES, DNS), path)
    const again = await ingest(missing, empty, text, short, '--json')
    assert.equal(again.status, 0, again.err.join('\n'))
    assert.deepEqual([summaryOf(again).ingested, summaryOf(again).skipped, summaryOf(again).counted], [4, 0, 128])
    assert.deepEqual((await redis.client.smembers('FILES')).sort(), ['lab-empty-1-20130530224517.pcap', 'lab-gone-1-20130530224517.pcap', 'lab-short-1-20130530224517.pcap', 'lab-text-1-20130530224517.pcap'])
  } finally {
    rmSync(cases, { recursive: true, force: true })
  }
})

test('a file counted while it was shorter, or replaced since, is a failure naming both sizes, never skipped', async () => {
  const cases = join(dir, 'changed')
  mkdirSync(cases)
  const grown = join(cases, 'lab-grown-1-20130530224517.pcap')
  const replaced = join(cases, 'lab-swap-1-20130530224517.pcap')
  const whole = readFileSync(join(FIXTURES, DNS))
  // Cut inside the last record, as a copy still running leaves it.
  writeFileSync(grown, whole.subarray(0, whole.length - 10))
  writeFileSync(replaced, whole)
  try {
    const first = await ingest(grown, replaced, '--json')
    assert.equal(first.status, 0)
    assert.equal(summaryOf(first).ingested, 2)
    const counted = await dump(redis.client)
    appendFileSync(grown, whole.subarray(whole.length - 10))
    // The same size, another content: a byte of the last packet's payload differs.
    const other = Buffer.from(whole)
    other[other.length - 1] = other[other.length - 1]! ^ 0xff
    writeFileSync(replaced, other)
    const again = await ingest(grown, replaced, '--json')
    assert.equal(again.status, 1)
    assert.equal(summaryOf(again).skipped, 0)
    assert.deepEqual(summaryOf(again).failed, [
      { file: grown, reason: `lab-grown-1-20130530224517.pcap was counted when it was ${whole.length - 10} bytes; it is now ${whole.length} bytes, with other content: not counted again (its earlier counts stay)` },
      { file: replaced, reason: `lab-swap-1-20130530224517.pcap was counted when it was ${whole.length} bytes; it is now ${whole.length} bytes, with other content: not counted again (its earlier counts stay)` }
    ])
    assert.deepEqual(await dump(redis.client), counted)
    // --force cannot take out counts of a content that is gone either.
    assert.equal((await ingest(grown, '--force', '--quiet')).status, 1)
    assert.deepEqual(await dump(redis.client), counted)
  } finally {
    rmSync(cases, { recursive: true, force: true })
  }
})

test('a capture and its gzip copy, in one run or one already counted, are counted once; the other is said to be the same capture', async () => {
  const cases = join(dir, 'twins')
  mkdirSync(cases)
  const plain = join(cases, DNS)
  const gz = `${plain}.gz`
  copyFileSync(join(FIXTURES, DNS), plain)
  writeFileSync(gz, gzipSync(readFileSync(plain)))
  try {
    const alone = await ingest(plain, '--json')
    assert.equal(alone.status, 0)
    const once = await dump(redis.client)
    await redis.client.flushall()
    const both = await ingest(cases, '--json')
    assert.equal(both.status, 0, both.err.join('\n'))
    const s = summaryOf(both)
    assert.deepEqual([s.ingested, s.skipped, s.counted, s.sameCapture], [1, 1, 32, [{ file: gz, as: DNS }]])
    // The run wrote what the plain file alone writes.
    assert.deepEqual(counts(await dump(redis.client)), counts(once))
    const text = await ingest(gz)
    assert.match(text.out.join('\n'), new RegExp(`^  same capture: ${gz.replaceAll('.', '\\.')} is ${DNS.replaceAll('.', '\\.')}, counted already$`, 'm'))

    // The gzip copy counted first: the plain file is the same capture.
    await redis.client.flushall()
    assert.equal((await ingest(gz, '--quiet')).status, 0)
    const later = await ingest(plain, '--json')
    assert.deepEqual([summaryOf(later).ingested, summaryOf(later).sameCapture], [0, [{ file: plain, as: `${DNS}.gz` }]])

    // Another capture under the twin's name is counted: it is not the same capture.
    writeFileSync(gz, gzipSync(readFileSync(join(FIXTURES, 'lab-ipv6http-1-20060513202315.pcap'))))
    await redis.client.flushall()
    const other = await ingest(cases, '--json')
    assert.equal(other.status, 0)
    assert.deepEqual([summaryOf(other).ingested, summaryOf(other).sameCapture], [2, []])
    assert.deepEqual((await redis.client.smembers('FILES')).sort(), [DNS, `${DNS}.gz`])
  } finally {
    rmSync(cases, { recursive: true, force: true })
  }
})

test('--min-age leaves files modified too recently for a later run, listed as not settled yet', async () => {
  const cases = join(dir, 'settling')
  mkdirSync(cases)
  const old = join(cases, DNS)
  const fresh = join(cases, 'lab-fresh-1-20130530224517.pcap')
  copyFileSync(join(FIXTURES, DNS), old)
  copyFileSync(join(FIXTURES, DNS), fresh)
  const hourAgo = new Date(Date.now() - 3600_000)
  utimesSync(old, hourAgo, hourAgo)
  try {
    const run = await ingest(cases, '--min-age', '600', '--json')
    assert.equal(run.status, 0)
    const s = summaryOf(run)
    assert.deepEqual([s.ingested, s.skipped, s.unsettled], [1, 0, [fresh]])
    assert.deepEqual(await redis.client.smembers('FILES'), [DNS])
    const text = await ingest(cases, '--min-age', '600')
    assert.match(text.out.join('\n'), /^files: 0 ingested, 1 skipped \(already in FILES\), 1 not settled yet \(modified less than 600 s ago\), 0 failed$/m)
    const later = await ingest(cases, '--json')
    assert.deepEqual([summaryOf(later).ingested, summaryOf(later).skipped, summaryOf(later).unsettled], [1, 1, []])
  } finally {
    rmSync(cases, { recursive: true, force: true })
  }
})

test('a reply read inside another command\'s MULTI is not taken for an answer', async () => {
  const client = await connect({ socket: redis.socket })
  try {
    await redis.client.sadd('FILES', 'a.pcap')
    await client.multi({ pipeline: false })
    await assert.rejects(isIngested(client, 'a.pcap'), /expected 0 or 1, got QUEUED/)
    await client.discard()
    assert.equal(await isIngested(client, 'a.pcap'), true)
  } finally {
    client.disconnect()
  }
})

/** Every command Redis ran while `job` ran, as MONITOR printed it (arguments unquoted). */
async function monitored (job: () => Promise<void>): Promise<string[][]> {
  const base = new Redis({ path: redis.socket })
  const monitor = await base.monitor()
  const commands: string[][] = []
  monitor.on('monitor', (_time: string, args: string[]) => { commands.push(args) })
  try {
    await job()
  } finally {
    monitor.disconnect()
    base.disconnect()
  }
  return commands
}

/** The transactions in `commands`: each MULTI..EXEC block's commands (Redis runs them together at EXEC). */
function transactions (commands: string[][]): string[][][] {
  const blocks: string[][][] = []
  let open: string[][] | undefined
  for (const c of commands) {
    const name = c[0]!.toUpperCase()
    if (name === 'MULTI') open = []
    else if (name === 'EXEC') { if (open !== undefined) blocks.push(open); open = undefined } else open?.push(c)
  }
  return blocks
}

test('a capture spanning 1,500 days is written in transactions of bounded size: no WATCH, EXEC or script of it is slow', async () => {
  const path = join(dir, 'lab-years-1-20010101000000.pcap')
  writeFileSync(path, manyDays(1500, 2))
  try {
    // The WATCH of the whole file took 3.3 s here; 100 ms leaves room for a loaded machine (SLOWLOG
    // counts time the server spends descheduled), the bounds below say how small a transaction is.
    await redis.client.config('SET', 'slowlog-log-slower-than', '100000')
    await redis.client.slowlog('RESET')
    let run: Run | undefined
    const commands = await monitored(async () => { run = await ingest(path, '--threads', '1', '--json') })
    assert.equal(run!.status, 0, run!.err.join('\n'))
    assert.deepEqual([summaryOf(run!).counted, summaryOf(run!).members], [3000, 1500 * 12])
    assert.deepEqual(await redis.client.slowlog('GET', 10), [])
    const watches = commands.filter(c => c[0]!.toUpperCase() === 'WATCH')
    assert.ok(watches.length > 1 && watches.every(w => w.length - 1 <= 260), `WATCHed keys: ${watches.map(w => w.length - 1).join(',')}`)
    const blocks = transactions(commands)
    assert.ok(blocks.length > 1 && blocks.every(b => b.length <= 2100), `commands per transaction: ${blocks.map(b => b.length).join(',')}`)
    // Exactly the counts of one clean write: each day's 12 keys, 2 packets each.
    assert.equal(await redis.client.zscore('lab-years-1:20050101:dport', '53'), '2')
    assert.equal(await redis.client.zscore('lab-years-1:20050208:ipttl', '64'), '2')
    assert.equal(await redis.client.scard('lab-years-1_DAYS'), 1500)
    assert.deepEqual(await redis.client.smembers('FILES'), ['lab-years-1-20010101000000.pcap'])
    assert.deepEqual(await redis.client.keys('potiron:part:*'), [])
  } finally {
    await redis.client.config('SET', 'slowlog-log-slower-than', '10000')
    rmSync(path)
  }
})

/** A redis-server on a free loopback port (MONITOR then tells its clients apart by their port). */
async function tcpRedis (): Promise<{ port: number, stop: () => Promise<void> }> {
  const port = await new Promise<number>((resolve, reject) => {
    const probe = createServer().listen(0, '127.0.0.1', () => {
      const { port } = probe.address() as AddressInfo
      probe.close(() => { resolve(port) })
    }).on('error', reject)
  })
  const server = spawn('redis-server', ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no', '--dir', dir], { stdio: 'ignore' })
  const exited = new Promise<void>(resolve => server.once('exit', () => { resolve() }))
  const stop = async (): Promise<void> => {
    if (server.exitCode === null && server.signalCode === null) server.kill('SIGTERM')
    await exited
  }
  const client = new Redis({ port, host: '127.0.0.1', lazyConnect: true, retryStrategy: () => null, maxRetriesPerRequest: 0 })
  client.on('error', () => {})
  try {
    for (let i = 0; ; i++) {
      try {
        await client.connect()
        await client.ping()
        return { port, stop }
      } catch (err) {
        client.disconnect()
        if (i >= 100 || server.exitCode !== null) throw err
        await sleep(50)
      }
    }
  } catch (err) {
    await stop()
    throw err
  } finally {
    client.disconnect()
  }
}

test('the checks of files to skip never run on a connection inside another file\'s transaction', async () => {
  const cases = join(dir, 'interleaved')
  mkdirSync(cases)
  const server = await tcpRedis()
  const url = `redis://127.0.0.1:${server.port}`
  const monitorBase = new Redis({ port: server.port, host: '127.0.0.1' })
  try {
    // Files already counted, sorted between new files whose writes are under way.
    for (let i = 0; i < 30; i++) copyFileSync(join(FIXTURES, DNS), join(cases, `lab-k${String(i).padStart(2, '0')}-1-20130530224517.pcap`))
    assert.equal((await potiron('ingest', cases, '--redis', url, '--quiet')).status, 0)
    for (let i = 0; i < 30; i += 2) writeFileSync(join(cases, `lab-k${String(i).padStart(2, '0')}-2-20010101000000.pcap`), distinctSources(8000))
    const monitor = await monitorBase.monitor()
    // Per client (its address): whether it is between MULTI and EXEC, and what it ran there that is no write.
    const inMulti = new Map<string, boolean>()
    const reads: string[][] = []
    monitor.on('monitor', (_time: string, args: string[], source: string) => {
      const name = args[0]!.toUpperCase()
      if (name === 'MULTI') inMulti.set(source, true)
      else if (name === 'EXEC' || name === 'DISCARD') inMulti.set(source, false)
      else if (inMulti.get(source) === true && ['SISMEMBER', 'HGET', 'HGETALL', 'EXISTS', 'HEXISTS', 'HLEN'].includes(name)) reads.push(args)
    })
    const run = await potiron('ingest', cases, '--redis', url, '--threads', '2', '--json')
    monitor.disconnect()
    assert.equal(run.status, 0, run.err.join('\n'))
    assert.deepEqual([summaryOf(run).ingested, summaryOf(run).skipped], [15, 30])
    assert.deepEqual(reads, [])
  } finally {
    monitorBase.disconnect()
    await server.stop()
    rmSync(cases, { recursive: true, force: true })
  }
})

/** The CLI as its own process, to be killed. */
function child (...args: string[]): { proc: ReturnType<typeof spawn>, done: Promise<number | null> } {
  const proc = spawn(process.execPath, [BIN, ...args], { stdio: 'ignore' })
  return { proc, done: new Promise(resolve => proc.once('close', code => { resolve(code) })) }
}

test('a run killed between the groups of one file leaves a marker, and the next run writes only the groups it lacks; two runs at once count each group once; remove undoes it all', async () => {
  const path = join(dir, 'lab-years-2-20010101000000.pcap')
  const name = 'lab-years-2-20010101000000.pcap'
  writeFileSync(path, manyDays(1500, 3))
  // A capture of its sensor's first day counted before: its keys exist, so the file goes by
  // groups (store/write.ts), not as a batch of its own (store/batch.ts loneBatch).
  const first = join(dir, 'lab-years-2-20010101000001.pcap')
  writeFileSync(first, manyDays(1, 1))
  try {
    assert.equal((await ingest(first, '--quiet')).status, 0)
    const before = await dump(redis.client)
    assert.equal((await ingest(path, '--quiet')).status, 0)
    const clean = await dump(redis.client)
    await redis.client.flushall()
    assert.equal((await ingest(first, '--quiet')).status, 0)

    const run = child('ingest', path, '--unix', redis.socket, '--quiet', '--threads', '1')
    try {
      // Killed once a few groups are in, before the last one (a run that ended first fails below).
      while (run.proc.exitCode === null && run.proc.signalCode === null && await redis.client.hlen(`potiron:part:${name}`) < 5) await sleep(2)
      run.proc.kill('SIGKILL')
    } finally {
      await run.done
    }
    const written = await redis.client.hlen(`potiron:part:${name}`)
    assert.ok(written >= 5 && written < planned(1500 * 12), `groups in: ${written}`)
    assert.equal(await redis.client.sismember('FILES', name), 0)
    const removeEarly = await potiron('remove', path, '--unix', redis.socket)
    assert.equal(removeEarly.status, 1)
    assert.match(removeEarly.err.join('\n'), /an ingest that stopped midway wrote part of it; run that ingest again to finish it, then remove it/)

    // Two runs at once finish it: every group counted once.
    const [a, b] = await Promise.all([ingest(path, '--quiet'), ingest(path, '--quiet')])
    assert.deepEqual([a.status, b.status], [0, 0])
    assert.deepEqual(await dump(redis.client), clean)

    const removed = await potiron('remove', path, '--unix', redis.socket, '--json')
    assert.equal(removed.status, 0, removed.err.join('\n'))
    assert.deepEqual(await dump(redis.client), before)
  } finally {
    rmSync(path)
    rmSync(first)
  }
})

/** Groups of a contribution of `members` members, one per key (GROUP_KEYS keys a group). */
function planned (members: number): number {
  return Math.ceil(members / GROUP_KEYS)
}
