/**
 * The pool contract, on the real pool (createPool: the coordinator's settings) with real worker
 * files: a handler that throws rejects only its own task and the pool goes on; a slow task holds
 * one thread, not the others, and can be aborted; a result's buffers are transferred, not
 * cloned (detached in the worker after posting, as piscina's own test-is-buffer-transferred
 * checks), and arrive whole.
 */
import assert from 'node:assert/strict'
import { mkdtempSync, rmSync, statSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { after, describe, test } from 'node:test'
import { MessageChannel } from 'node:worker_threads'
import type { Piscina } from 'piscina'
import { analyzeFile, type FileResult } from '../src/aggregate/analyze-file.js'
import { PACKET_FIELDS as FIELDS } from '../src/aggregate/fields.js'
import { memberRows } from '../src/aggregate/table.js'
import { startsPoolAhead } from '../src/cli/ahead.js'
import { createPool, dropAhead, startAhead } from '../src/coordinator/pool.js'
import { FIXTURES } from './helpers/shared.js'
import { generateCapture } from '../bench/gen-capture.js'
import type { ParseTask } from '../workers/parse-capture.js'

const FIXTURE = new URL('./workers/pool-fixture.js', import.meta.url).href
const pools: Piscina[] = []
after(async () => { await Promise.all(pools.map(async p => await p.destroy())) })

function pool (threads: number): Piscina {
  const p = createPool({ threads })
  pools.push(p)
  return p
}

async function run<T> (p: Piscina, name: string, task: unknown, signal?: AbortSignal): Promise<T> {
  return await (p.run(task, { filename: FIXTURE, name, ...(signal === undefined ? {} : { signal }) }) as Promise<T>)
}

const TASK: ParseTask = {
  file: join(FIXTURES, 'lab-synscan-1-20100704202416.pcapng'),
  options: { fields: FIELDS, combinedKeys: true, selection: 'every-ip', zone: undefined }
}

describe('the worker pool', () => {
  test('a pool started ahead (the CLI, for the commands that parse) is the one the next createPool of its size gets; one of another size, or dropAhead, destroys it', async () => {
    const ahead = startAhead()
    assert.equal(ahead.threads.length, 1, 'its first thread starts at once')
    const taken = createPool()
    pools.push(taken)
    assert.equal(taken, ahead)
    const next = createPool()
    pools.push(next)
    assert.notEqual(next, ahead, 'taken once')
    const unused = startAhead()
    const other = pool(unused.options.maxThreads + 1)
    assert.notEqual(other, unused)
    await new Promise(resolve => setImmediate(resolve))
    assert.equal(unused.threads.length, 0)
    const dropped = startAhead()
    await dropAhead()
    assert.equal(dropped.threads.length, 0)
    const fresh = pool(dropped.options.maxThreads)
    assert.notEqual(fresh, dropped)
    const parsed = await (fresh.run(TASK) as Promise<FileResult>)
    assert.equal(parsed.stats.counted, (await analyzeFile(TASK.file, TASK.options)).stats.counted)
  })

  test('a handler that throws rejects its own task with its error type and message; the pool runs the next task', async () => {
    const p = pool(1)
    await assert.rejects(run(p, 'fail', { message: 'bad task 1' }), (e: Error) => {
      assert.equal(e.name, 'TypeError')
      assert.equal(e.message, 'bad task 1')
      return true
    })
    assert.equal(await run(p, 'echo', { value: 'after' }), 'after')
    // A failure among tasks in flight together touches only its own.
    const settled = await Promise.allSettled([run(p, 'echo', { value: 'a' }), run(p, 'fail', { message: 'bad task 2' })])
    assert.deepEqual(settled.map(s => s.status === 'fulfilled' ? s.value : (s.reason as Error).message), ['a', 'bad task 2'])
  })

  test('the production worker: an unreadable file is a result with its error, not a rejection', async () => {
    const p = pool(1)
    const r = await (p.run({ ...TASK, file: join(FIXTURES, 'no-such-capture.pcap') }) as Promise<FileResult>)
    assert.equal(r.error?.code, 'UNREADABLE')
    assert.equal(r.info.packets, 0)
  })

  test('a slow task holds one thread: tasks on the other finish first', async () => {
    const p = pool(2)
    const order: string[] = []
    const slow = run<string>(p, 'slow', { ms: 1500, value: 'slow' }).then(v => { order.push(v) })
    const fast = (async () => {
      for (let i = 0; i < 3; i++) order.push(await run<string>(p, 'echo', { value: `fast ${i}` }))
    })()
    await Promise.all([slow, fast])
    assert.deepEqual(order, ['fast 0', 'fast 1', 'fast 2', 'slow'])
  })

  test('a slow task can be aborted: its promise rejects with AbortError, and the pool runs the next task', async () => {
    const p = pool(1)
    const controller = new AbortController()
    const slow = run(p, 'slow', { ms: 60_000, value: 'never' }, controller.signal)
    setTimeout(() => { controller.abort() }, 100)
    await assert.rejects(slow, { name: 'AbortError' })
    assert.equal(await run(p, 'echo', { value: 'next' }), 'next')
  })

  test('the production worker transfers its result buffers: detached in the worker after posting, whole on arrival', async () => {
    const p = pool(1) // one thread, so `sentByteLengths` asks the thread that parsed
    const r = await run<FileResult>(p, 'parse', TASK)
    const lengths = await run<number[]>(p, 'sentByteLengths', {})
    assert.ok(lengths.length >= 3, `buffers in the result: ${lengths.length}`)
    assert.deepEqual(lengths, lengths.map(() => 0), 'every buffer of the result is detached in the worker')
    // What arrived is the whole result: the same counts as analyzeFile in this thread.
    const here = await analyzeFile(TASK.file, TASK.options)
    assert.ok(r.table.groups.every(g => g.values.byteLength > 0 && g.counts.byteLength > 0))
    assert.deepEqual(r.stats, here.stats)
    assert.deepEqual(memberRows(r.table, true), memberRows(here.table, true))
  })

  test('the production worker reports [bytes, packets] on the task\'s port while it parses: at the first chunk, before the end, and at the end; then null', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'potiron-pool-'))
    try {
      // About 3.7 MB: four 1 MiB chunks, so the first chunk's report comes well before the end.
      const file = join(dir, 'lab-gen-1-20240101000000.pcap')
      await generateCapture(file, { packets: 40_000, seed: 7 })
      const size = statSync(file).size
      assert.ok(size > 3 * 1024 * 1024, String(size))
      const { port1, port2 } = new MessageChannel()
      const reports: Array<[number, number]> = []
      const ended = new Promise<void>(resolve => { port1.on('message', (m: [number, number] | null) => { if (m === null) resolve(); else reports.push(m) }) })
      const r = await (pool(1).run({ ...TASK, file, progress: port2 }, { transferList: [port2] }) as Promise<FileResult>)
      await ended
      port1.close()
      assert.equal(r.error, undefined)
      const [first, ...rest] = reports
      assert.equal(first?.[0], 1024 * 1024, JSON.stringify(reports))
      assert.ok(first[1] > 0 && first[1] < r.stats.counted, JSON.stringify(reports))
      assert.deepEqual(rest.at(-1), [size, r.stats.counted])
      assert.ok(reports.every(([b, n], i) => i === 0 || (b >= reports[i - 1]![0] && n >= reports[i - 1]![1])), JSON.stringify(reports))
    } finally {
      rmSync(dir, { recursive: true, force: true })
    }
  })
})

test('the CLI starts a pool ahead for ingest and remove, unless they parse nothing here (help, a dry run, a queue) or want another size (--threads)', () => {
  const ahead = (line: string): boolean => startsPoolAhead(line.split(' '))
  assert.deepEqual(['ingest captures/', 'remove a.pcap --unix s', 'ingest a.pcap --json --force'].map(ahead), [true, true, true])
  assert.deepEqual([
    'ingest --help', 'remove -h', 'ingest a.pcap --dry-run', 'ingest a.pcap --queue=q', 'ingest a.pcap --queue q --wait',
    'ingest a.pcap --threads 4', 'ingest a.pcap --threads=1', '--version', 'export csv', 'status', 'worker --queue q', ''
  ].map(ahead), Array(12).fill(false))
})
