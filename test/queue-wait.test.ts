/**
 * `ingest PATH... --queue NAME --wait`: the files queued, then followed while a `potiron worker`
 * process (started by the test, after the wait began) counts them; the summary, its JSON and the
 * exit status are plain `ingest`'s for the same files, on private redis-servers. Ctrl-C stops
 * the waiting only: exit 130, the jobs stay queued.
 */
import { after, before, test } from 'node:test'
import assert from 'node:assert/strict'
import { copyFileSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { setTimeout as sleep } from 'node:timers/promises'
import { Queue } from 'bullmq'
import type { IngestSummary } from '../src/coordinator/run.js'
import { bullConnection, type FileJob, type JobDone } from '../src/coordinator/queue.js'
import { FIXTURES } from './helpers/shared.js'
import { cli, killAll, run, server, until } from './helpers/processes.js'
import type { PrivateRedis } from './helpers/private-redis.js'
import { teardown, within } from './helpers/teardown.js'

let root: string
let captures: string
let damaged: string
let cut: string

before(() => {
  root = mkdtempSync(join(tmpdir(), 'potiron-queue-wait-'))
  captures = join(root, 'captures')
  mkdirSync(captures)
  for (const f of readdirSync(FIXTURES)) copyFileSync(join(FIXTURES, f), join(captures, f))
  // Garbage named like a capture: a failed file, for ingest and for the worker alike.
  damaged = join(captures, 'lab-damaged-1-20200101000000.pcap')
  writeFileSync(damaged, 'this is not a capture, only text named like one\n'.repeat(20))
  // Ten good records, then a record header claiming 2 GiB: a failed file whose readable part is counted.
  const pcap = readFileSync(join(FIXTURES, 'lab-ipv6http-1-20060513202315.pcap'))
  let end = 24
  for (let i = 0; i < 10; i++) end += 16 + pcap.readUInt32LE(end + 8)
  const bad = Buffer.alloc(16)
  bad.writeUInt32LE(0x7fffffff, 8)
  bad.writeUInt32LE(0x7fffffff, 12)
  cut = join(captures, 'lab-cut-1-20060514000000.pcap')
  writeFileSync(cut, Buffer.concat([pcap.subarray(0, end), bad, Buffer.alloc(64)]))
})

after(async () => {
  await teardown(
    ...killAll(),
    () => { rmSync(root, { recursive: true, force: true }) }
  )
})

/** `cli`, with what the process printed on stderr so far. */
function watched (args: string[]): ReturnType<typeof cli> & { stderr: () => string } {
  const started = cli(args)
  let stderr = ''
  started.child.stderr!.on('data', (b: Buffer) => { stderr += b.toString() })
  return { ...started, stderr: () => stderr }
}

/** What differs between two runs of the same files: their time. */
function timeless (summary: IngestSummary): Omit<IngestSummary, 'elapsedMs'> {
  const { elapsedMs: _, ...rest } = summary
  return rest
}

/** The text summary with its time and rate blanked. */
function untimed (text: string): string {
  return text.replace(/; \d+\.\d\d s, \d+ packets\/s$/m, '; T s, R packets/s')
}

/** `ingest --queue NAME --wait ...` on `socket`, no worker yet; resolves once it waits, with the queue's 9 jobs waiting. */
async function waiting (socket: string, client: PrivateRedis['client'], name: string, flags: string[]): Promise<ReturnType<typeof watched>> {
  const waiter = watched(['ingest', captures, '--unix', socket, '--queue', name, '--wait', ...flags])
  await until('the jobs queued and waited for', async () => await client.llen(`bull:${name}:wait`) === 9 && waiter.stderr().includes('waiting for the workers'))
  return waiter
}

test('--wait, started before any worker: the summary, JSON and exit status of a plain ingest of the same files', async () => {
  const clean = await server(root, 'clean')
  const plain = await run(['ingest', captures, '--unix', clean.socket, '--json', '--threads', '1'])
  assert.equal(plain.code, 1, plain.stderr)
  const expected = JSON.parse(plain.stdout) as IngestSummary
  assert.deepEqual([expected.ingested, expected.skipped, expected.failed.length, expected.warnings.length], [7, 0, 2, 1])
  // The cut file failed with its readable part counted: the worker's failed job must bring those counts too.
  assert.deepEqual(expected.failed.map(f => f.file), [cut, damaged])
  assert.match(expected.failed[0]!.reason, /; the 10 packets before it were ingested$/)

  const shared = await server(root, 'shared')
  const waiter = await waiting(shared.socket, shared.client, 'w', ['--json'])
  // Nothing moves while no worker runs: the wait goes on.
  await sleep(1500)
  assert.equal(waiter.child.exitCode, null)
  assert.equal(await shared.client.llen('bull:w:wait'), 9)
  const worker = cli(['worker', '--queue', 'w', '--unix', shared.socket, '--threads', '1'], { POTIRON_HOST: 'a' })
  const exit = await within(120_000, 'ingest --wait', waiter.done)
  worker.child.kill('SIGTERM')
  assert.equal((await within(30_000, 'the worker stopped', worker.done)).code, 0)
  assert.equal(exit.code, 1, exit.stderr)
  const summary = JSON.parse(exit.stdout) as IngestSummary
  assert.deepEqual(timeless(summary), timeless(expected))
  assert.ok(summary.elapsedMs > 1500, String(summary.elapsedMs))
  // What moves the bars: each job's last progress is its whole file read, by the packets counted.
  const connection = bullConnection({ socket: shared.socket })
  const queue = new Queue<FileJob>('w', { connection })
  try {
    const done = await queue.getCompleted(0, -1)
    assert.equal(done.length, 7)
    for (const job of done) assert.deepEqual(job.progress, { bytes: statSync(job.data.file).size, packets: (job.returnvalue as JobDone).counted }, job.data.file)
  } finally {
    await queue.close()
    connection.disconnect()
  }
  // Not a terminal: ingest's lines, the failure as ingest prints it, as it happens.
  assert.match(exit.stderr, /^potiron: 9 files queued on w; waiting for the workers \('potiron worker --queue w' on each host\), Ctrl-C stops waiting$/m)
  const failedLine = plain.stderr.split('\n').find(line => line.startsWith('potiron: failed: '))
  assert.ok(failedLine !== undefined && exit.stderr.includes(`${failedLine}\n`), exit.stderr)
  // At most one line every 2 s, as ingest: the last news may be the summary's.
  assert.match(exit.stderr, /^potiron: [1-9]\/9 files \(\d ingested, 0 skipped, [0-2] failed\), \d+ packets?, \d+ packets\/s/m)
})

test('--wait in text: ingest\'s summary; queued again, every file skipped but the damaged one', async () => {
  const clean = await server(root, 'clean-text')
  const plain = await run(['ingest', captures, '--unix', clean.socket, '--threads', '1'])
  const shared = await server(root, 'shared-text')
  const worker = cli(['worker', '--queue', 't', '--unix', shared.socket, '--threads', '1'], { POTIRON_HOST: 'b' })
  try {
    const first = await run(['ingest', captures, '--unix', shared.socket, '--queue', 't', '--wait'])
    assert.equal(first.code, 1, first.stderr)
    assert.equal(untimed(first.stdout), untimed(plain.stdout).replace(clean.socket, shared.socket))
    const again = await run(['ingest', captures, '--unix', shared.socket, '--queue', 't', '--wait', '--json', '--quiet'])
    assert.equal(again.code, 1, again.stderr)
    const summary = JSON.parse(again.stdout) as IngestSummary
    assert.deepEqual([summary.ingested, summary.skipped, summary.failed.map(f => f.file), summary.packets, summary.members, summary.days], [0, 8, [damaged], 0, 0, {}])
    // --quiet: no progress lines, the failure still said.
    assert.doesNotMatch(again.stderr, /files \(/)
    assert.match(again.stderr, /^potiron: failed: /m)
  } finally {
    worker.child.kill('SIGTERM')
    await within(30_000, 'the worker stopped', worker.done)
  }
})

test('Ctrl-C while waiting: says so, exit 130, the jobs stay queued', async () => {
  const shared = await server(root, 'shared-int')
  const waiter = await waiting(shared.socket, shared.client, 'i', [])
  waiter.child.kill('SIGINT')
  const exit = await within(10_000, 'ingest --wait after SIGINT', waiter.done)
  assert.equal(exit.code, 130, exit.stderr)
  assert.equal(exit.stdout, '')
  assert.equal(exit.stderr.trimEnd().split('\n').pop(), "potiron: stopped waiting: 9 of 9 files not settled yet stay on queue i for the workers ('potiron queue status i' follows them)")
  assert.equal(await shared.client.llen('bull:i:wait'), 9)
})
