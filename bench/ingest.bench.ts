/**
 * bench:ingest — the whole ingest into a fresh Redis, and what bounds it: Redis's own CPU, the
 * main thread's user + system time from INFO cpu (INFO commandstats counts time Redis spends
 * descheduled inside a command, and a script's inner commands twice). Reports, each measured in
 * this run, medians with each round's spread:
 * - one generated honeypot-like day of one sensor (BENCH_PACKETS, 12 default fields) as archives
 *   hold it: one capture; the same records cut into 24 hourly captures (every file after a key's
 *   first meets it existing); the 24 in 8 directories, one run; and BENCH_FILES (8) such days as
 *   an archive holds them, a capture a day, one run (where the parse of a day can overlap the
 *   writing of the one before). Targets: hourly wall <= 1.3x the one capture's; every case's
 *   wall <= 1.2x Redis's CPU over it;
 * - Redis's CPU per member written by our write path, into new keys and into existing ones,
 *   against pipelined ZINCRBY and multi-member ZADD of the same (key, member, count) triples on
 *   the same server (target: at or below ZADD's); and the same day's counts as the partial
 *   tables of a worker handing them back every quarter of the capture (PARTS), written in a row
 *   as a coordinator overlapping them with the parse would: their Redis CPU against the day's
 *   written at once, and against the one capture's whole ingest;
 * - parse phase on the worker pool, 2 threads vs 1, against the same parse in 2 independent
 *   processes at once, this machine's own parallel ceiling (target: >= 0.9x of it), on
 *   BENCH_FILES (8) daily captures of BENCH_PACKETS; each timed once its modules are loaded
 *   (the processes from inside, the pool after a first task on each thread);
 * - peak memory of the coordinator (each case) and of one worker's parse (fresh child processes).
 * BENCH_ROUNDS (3) rounds of each, in alternating order.
 */
import { execFile } from 'node:child_process'
import { link, mkdir, mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { basename, join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { promisify } from 'node:util'
import { Redis } from 'ioredis'
import { analyzeFile, type FileResult } from '../src/aggregate/analyze-file.js'
import type { AnalyzeOptions } from '../src/aggregate/analyzer.js'
import { PACKET_FIELDS as FIELDS, type FieldName } from '../src/aggregate/fields.js'
import { raiseInliningBudget } from '../src/aggregate/inlining.js'
import { createPool, inFlightLimit } from '../src/coordinator/pool.js'
import { ingestFiles } from '../src/coordinator/run.js'
import { addTable, emptyContribution, type Contribution } from '../src/store/merge.js'
import { writeFile } from '../src/store/write.js'
import { writeBatch } from '../src/store/batch.js'
import type { ParseTask } from '../workers/parse-capture.js'
import { CLI_ARGS, dailyCaptures, envInt, grouped, hourlyCaptures, machineLine, median, mib, partCaptures, peakRss, redisCpuMs, startServer, table, timeMs } from './util.js'

const run = promisify(execFile)
const SELF = fileURLToPath(import.meta.url)
// As potiron's CLI does before it reads anything (src/aggregate/inlining.ts).
raiseInliningBudget()
const SENSOR = 'bench-honeypot-1'
const DAY0 = 1704067200 // 2024-01-01
const ALL: readonly FieldName[] = FIELDS
/** The parts a capture's counts are cut into for the partial tables' row. */
const PARTS = 4

/** What ingest's workers are asked for, without combined keys. */
function parseOptions (fields: readonly FieldName[]): AnalyzeOptions {
  return { fields, combinedKeys: false, selection: 'default', zone: undefined }
}

/** Runs `job` and returns its wall time and Redis's CPU time over it, ms. */
async function measure (redis: Redis, job: () => Promise<unknown>): Promise<{ wall: number, redis: number }> {
  const before = await redisCpuMs(redis)
  const wall = await timeMs(job)
  return { wall, redis: await redisCpuMs(redis) - before }
}

/** '1,234 (1,200-1,300)': a median with the spread of the rounds. */
function spread (values: readonly number[], digits = 0): string {
  return `${grouped(median(values), digits)} (${grouped(Math.min(...values), digits)}-${grouped(Math.max(...values), digits)})`
}

/** Each round's a ÷ b. */
function ratios (a: readonly number[], b: readonly number[]): number[] {
  return a.map((x, i) => x / b[i]!)
}

/**
 * Parses every file on a pool of `threads`, keeping at most the coordinator's in-flight limit;
 * the ms of the parse alone. As parseChild times its own from inside, once its process has
 * loaded its modules, the pool's threads load theirs before the clock starts (a task each on a
 * file that is not there), and the pool is destroyed after it stops.
 */
async function parseAll (files: readonly string[], threads: number, fields: readonly FieldName[]): Promise<number> {
  const pool = createPool({ threads })
  const limit = inFlightLimit(pool)
  const inFlight = new Set<Promise<void>>()
  try {
    const none: ParseTask = { file: join(tmpdir(), `potiron-bench-no-such-file-${process.pid}`), options: parseOptions(fields) }
    await Promise.all(Array.from({ length: threads }, async () => { await pool.run(none) }))
    if (pool.threads.length !== threads) throw new Error(`the pool started ${pool.threads.length} of its ${threads} threads`)
    return await timeMs(async () => {
      for (const file of files) {
        while (inFlight.size >= limit) await Promise.race(inFlight)
        const task: ParseTask = { file, options: parseOptions(fields) }
        const job: Promise<void> = (pool.run(task) as Promise<FileResult>).then(() => {}).finally(() => { inFlight.delete(job) })
        inFlight.add(job)
      }
      await Promise.all(inFlight)
    })
  } finally {
    await pool.destroy()
  }
}

/** Child: parse one file as a worker does and report the peak RSS above this idle process. */
async function workerChild (file: string): Promise<void> {
  const idle = peakRss()
  await analyzeFile(file, parseOptions(ALL))
  process.stdout.write(JSON.stringify({ idle, peak: peakRss() }) + '\n')
}

/** Child: parse `files` one after the other in this process, as a worker does; reports the ms. */
async function parseChild (files: readonly string[]): Promise<void> {
  const ms = await timeMs(async () => {
    for (const file of files) await analyzeFile(file, parseOptions(ALL))
  })
  process.stdout.write(JSON.stringify({ ms }) + '\n')
}

/** Parses every file in `processes` child processes at once (files split in order); ms until the last is done. */
async function parseInProcesses (files: readonly string[], processes: number): Promise<number> {
  const per = Math.ceil(files.length / processes)
  const children = Array.from({ length: processes }, async (_, i) => {
    const { stdout } = await run(process.execPath, [SELF, '--parse', ...files.slice(i * per, (i + 1) * per)], { maxBuffer: 1 << 20 })
    return (JSON.parse(stdout) as { ms: number }).ms
  })
  return Math.max(...await Promise.all(children))
}

/** Child: the whole ingest (coordinator + pool) into `socket`; reports this process's RSS before it (modules loaded) and its peak. */
async function coordinatorChild (socket: string, files: string[]): Promise<void> {
  const idle = peakRss()
  const redis = new Redis({ path: socket })
  await ingestFiles(files, redis, { combinedKeys: false, fields: ALL, selection: 'default', zone: undefined, sensor: undefined })
  redis.disconnect()
  process.stdout.write(JSON.stringify({ idle, peak: peakRss() }) + '\n')
}

/** The (key, member, count) triples of a contribution, in its order. */
function * triples (c: Contribution): Generator<[string, string, number]> {
  for (const [key, members] of c.zsets) for (const [member, count] of members) yield [key, member, count]
}

/** Commands per pipeline round trip for the baselines. */
const PIPELINE = 1000

/** Baseline: every triple as one ZINCRBY, PIPELINE per round trip. */
async function zincrbyAll (redis: Redis, c: Contribution): Promise<void> {
  let pipeline = redis.pipeline()
  for (const [key, member, count] of triples(c)) {
    pipeline.zincrby(key, count, member)
    if (pipeline.length === PIPELINE) { await pipeline.exec(); pipeline = redis.pipeline() }
  }
  await pipeline.exec()
}

/**
 * Baseline: each key's members in ZADDs of up to 1,000 members, 20 per round trip, with scores
 * `times` their counts (so a second call changes every score). The floor: it sets, it does not add.
 */
async function zaddAll (redis: Redis, c: Contribution, times: number): Promise<void> {
  let pipeline = redis.pipeline()
  for (const [key, members] of c.zsets) {
    let args: Array<string | number> = []
    const flush = async (): Promise<void> => {
      if (args.length > 0) pipeline.zadd(key, ...args)
      args = []
      if (pipeline.length === 20) { await pipeline.exec(); pipeline = redis.pipeline() }
    }
    for (const [member, count] of members) {
      args.push(count * times, member)
      if (args.length === 2000) await flush()
    }
    await flush()
  }
  await pipeline.exec()
}

/** `potiron ingest ARGS --unix SOCKET --quiet` in a child process, as a user runs it. */
async function ingestCommand (socket: string, args: readonly string[]): Promise<void> {
  await run(process.execPath, [...CLI_ARGS, 'ingest', ...args, '--unix', socket, '--quiet'], { maxBuffer: 1 << 24 })
}

async function main (): Promise<void> {
  const nFiles = envInt('BENCH_FILES', 8)
  const packets = envInt('BENCH_PACKETS', 1_000_000)
  const rounds = Math.max(1, envInt('BENCH_ROUNDS', 3))
  const dir = await mkdtemp(join(tmpdir(), 'potiron-bench-ingest-'))
  const server = await startServer(dir)
  const redis = server.client
  const lines: string[] = []
  try {
    process.stderr.write(`generating ${nFiles} x ${grouped(packets)} packets in ${dir}...\n`)
    const files = await dailyCaptures(dir, SENSOR, DAY0, nFiles, packets)
    // The first day again, cut by hour; and those hours in 8 directories (hard links).
    await mkdir(join(dir, 'hourly'))
    const hourly = await hourlyCaptures(files[0]!, join(dir, 'hourly'), SENSOR)
    const dirs = Array.from({ length: 8 }, (_, i) => join(dir, 'dirs', String(i)))
    const linked: string[] = []
    for (const [i, file] of hourly.entries()) {
      await mkdir(dirs[i % 8]!, { recursive: true })
      linked.push(join(dirs[i % 8]!, basename(file)))
      await link(file, linked[i]!)
    }
    const cases = [
      { name: 'one capture of the day', args: [files[0]!], files: [files[0]!] },
      { name: '24 hourly captures', args: hourly, files: hourly },
      { name: 'the 24 in 8 directories', args: dirs, files: linked },
      { name: `${nFiles} days, a capture each`, args: files, files }
    ]

    // Whole ingest vs Redis's CPU, per case, alternating the order.
    const walls = cases.map(() => [] as number[])
    const busy = cases.map(() => [] as number[])
    for (let r = 0; r < rounds; r++) {
      for (let k = 0; k < cases.length; k++) {
        const i = (k + r) % cases.length
        process.stderr.write(`ingest round ${r + 1}/${rounds}: ${cases[i]!.name}\n`)
        await redis.flushall()
        const m = await measure(redis, () => ingestCommand(server.socket, cases[i]!.args))
        walls[i]!.push(m.wall)
        busy[i]!.push(m.redis)
      }
    }

    // Redis's CPU per member written: ours, ZINCRBY and ZADD, into new keys then existing ones.
    const parsed = await analyzeFile(files[0]!, parseOptions(ALL))
    const c = addTable(emptyContribution(SENSOR), parsed.table, { sensor: SENSOR, combinedKeys: false })
    let members = 0
    for (const map of c.zsets.values()) members += map.size
    // The same records as PARTS captures in a row: the partial tables a worker would hand back
    // every `packets / PARTS` packets, each written once counted (the first part into new keys,
    // the next ones into the keys it made), as a coordinator overlapping the writes with the
    // parse would write them.
    await mkdir(join(dir, 'parts'))
    const parts: Contribution[] = []
    for (const file of await partCaptures(files[0]!, join(dir, 'parts'), PARTS, packets)) {
      parts.push(addTable(emptyContribution(SENSOR), (await analyzeFile(file, parseOptions(ALL))).table, { sensor: SENSOR, combinedKeys: false }))
    }
    const writers: Array<[string, (n: number) => Promise<unknown>]> = [
      ['potiron writeFile (one capture alone)', n => writeFile(redis, `bench-${n}.pcap`, c)],
      ['potiron writeBatch (captures merged: staged, applied)', n => writeBatch(redis, [{ name: `batch-${n}.pcap`, info: undefined }], c, [...c.days])],
      ['pipelined ZINCRBY', () => zincrbyAll(redis, c)],
      ['multi-member ZADD (sets, not adds)', n => zaddAll(redis, c, n)],
      [`potiron writeFile, the day in ${PARTS} parts in a row`, async n => { for (const [k, part] of parts.entries()) await writeFile(redis, `part-${n}-${k}.pcap`, part) }]
    ]
    const perMember = writers.map(() => ({ fresh: [] as number[], existing: [] as number[] }))
    for (let r = 0; r < rounds; r++) {
      for (let k = 0; k < writers.length; k++) {
        const i = (k + r) % writers.length
        process.stderr.write(`write round ${r + 1}/${rounds}: ${writers[i]![0]}\n`)
        await redis.flushall()
        perMember[i]!.fresh.push((await measure(redis, () => writers[i]![1](1))).redis * 1e6 / members)
        perMember[i]!.existing.push((await measure(redis, () => writers[i]![1](2))).redis * 1e6 / members)
      }
    }

    // Parse phase: 1 vs 2 threads, and 1 vs 2 independent processes, alternating.
    const parse = new Map<number, number[]>([[1, []], [2, []]])
    const apart = new Map<number, number[]>([[1, []], [2, []]])
    for (let r = 0; r < rounds; r++) {
      for (const n of r % 2 === 0 ? [1, 2] : [2, 1]) {
        process.stderr.write(`parse round ${r + 1}/${rounds}, ${n} thread(s), then ${n} process(es)\n`)
        parse.get(n)!.push(await parseAll(files, n, ALL))
        apart.get(n)!.push(await parseInProcesses(files, n))
      }
    }
    const threads = ratios(parse.get(1)!, parse.get(2)!)
    const processes = ratios(apart.get(1)!, apart.get(2)!)
    const share = median(threads) / median(processes)

    // Memory: the coordinator for each case, for many small files and for the large ones, and a
    // worker's parse, in fresh processes. The coordinator holds at most inFlightLimit files'
    // results, whatever the number of files.
    await mkdir(join(dir, 'small'))
    const small = await dailyCaptures(join(dir, 'small'), SENSOR, DAY0, 500, 2_000)
    const memoryCases: Array<[string, string[]]> = [
      ...cases.map((k): [string, string[]] => [k.name, k.files]),
      ['500 small captures (2,000 packets, a day each)', small]
    ]
    const coordinator: Array<{ idle: number, peak: number }> = []
    for (const [, list] of memoryCases) {
      await redis.flushall()
      coordinator.push(JSON.parse((await run(process.execPath, [SELF, '--coordinator', server.socket, ...list], { maxBuffer: 1 << 20 })).stdout) as { idle: number, peak: number })
    }
    const worker = JSON.parse((await run(process.execPath, [SELF, '--worker', files[0]!], { maxBuffer: 1 << 20 })).stdout) as { idle: number, peak: number }

    const hourlyRatio = ratios(walls[1]!, walls[0]!)
    const wallOverBusy = cases.map((_, i) => ratios(walls[i]!, busy[i]!))
    const zadd = perMember[3]!
    const inParts = median(perMember[4]!.fresh) / median(perMember[0]!.fresh)
    const partsMs = median(perMember[4]!.fresh) * members / 1e6
    lines.push(
      `bench:ingest — one day of ${grouped(packets)} generated packets (one sensor, 12 default fields), fresh Redis (unix socket) each time, \`potiron ingest --quiet\` in a child process; ${rounds} rounds, medians (min-max)`,
      `Machine: ${machineLine()}`,
      '',
      table(['case', '>wall ms', '>Redis CPU ms', '>wall / Redis CPU'], cases.map((k, i) => [
        k.name, spread(walls[i]!), spread(busy[i]!), spread(wallOverBusy[i]!, 2)
      ])),
      `24 hourly ÷ one capture, wall: ${spread(hourlyRatio, 2)}x, target <= 1.3x: ${median(hourlyRatio) <= 1.3 ? 'MET' : 'MISSED'}`,
      `wall / Redis CPU, every case, target <= 1.2x: ${wallOverBusy.every(w => median(w) <= 1.2) ? 'MET' : 'MISSED'}`,
      '',
      table(['writer (' + grouped(members) + ' members, ' + grouped(c.zsets.size) + ' keys)', '>Redis CPU ns/member, new keys', '>existing keys'], writers.map(([name], i) => [
        name, spread(perMember[i]!.fresh), spread(perMember[i]!.existing)
      ])),
      ...[0, 1].map(i => `${writers[i]![0]} vs ZADD, Redis CPU per member: new keys ${grouped(median(perMember[i]!.fresh) / median(zadd.fresh), 2)}x, existing keys ${grouped(median(perMember[i]!.existing) / median(zadd.existing), 2)}x, target <= 1x: ${median(perMember[i]!.fresh) <= median(zadd.fresh) && median(perMember[i]!.existing) <= median(zadd.existing) ? 'MET' : 'MISSED'}`),
      `partial tables (the day in ${PARTS} parts of ${grouped(Math.ceil(packets / PARTS))} packets, written in a row) ÷ the day at once, Redis CPU into new keys: ${grouped(inParts, 2)}x; the parts' Redis CPU alone (the floor of an ingest writing them while it parses), ${grouped(partsMs)} ms, is ${grouped(partsMs / median(walls[0]!), 2)}x one capture's whole ingest wall today, ${grouped(median(walls[0]!))} ms`,
      '',
      table([`parse, ${nFiles} files x ${grouped(packets)} packets`, '>1 ms', '>2 ms', '>speed-up'], [
        ['on the pool: 1 thread vs 2', spread(parse.get(1)!), spread(parse.get(2)!), `${spread(threads, 2)}x`],
        ['independent processes: 1 vs 2 at once', spread(apart.get(1)!), spread(apart.get(2)!), `${spread(processes, 2)}x`]
      ]),
      `pool ÷ processes speed-up: ${grouped(share, 2)}x, target >= 0.9x: ${share >= 0.9 ? 'MET' : 'MISSED'}`,
      '',
      table(['coordinator process (whole ingest, pool threads included)', '>files', '>RSS before MiB', '>peak MiB'], memoryCases.map(([name, list], i) => [
        name, grouped(list.length), mib(coordinator[i]!.idle), mib(coordinator[i]!.peak)
      ])),
      `peak RSS: one worker's parse of a ${grouped(packets)}-packet file ${mib(worker.peak - worker.idle)} MiB above an idle process`
    )
    console.log(lines.join('\n'))
  } finally {
    await server.stop()
    await rm(dir, { recursive: true, force: true })
  }
}

const argv = process.argv.slice(2)
await (argv[0] === '--worker'
  ? workerChild(argv[1]!)
  : argv[0] === '--coordinator'
    ? coordinatorChild(argv[1]!, argv.slice(2))
    : argv[0] === '--parse' ? parseChild(argv.slice(1)) : main())
