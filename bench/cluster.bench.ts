/**
 * bench:cluster (issue 15) — the same ingest into a Redis Cluster of 1 master and of 3 masters
 * on this machine, both through the cluster write path (store/batch-cluster.ts, store/write.ts
 * `writeBySlot`), and into one plain Redis for reference. BENCH_FILES (8) generated honeypot days of BENCH_PACKETS (1M,
 * 12 default fields), `potiron ingest ... --redis URL --json` in a child process as a user runs
 * it, a fresh (flushed) database each time; BENCH_ROUNDS (3) rounds in alternating order,
 * medians with each round's spread. Reports:
 * - wall time of the whole ingest (process start to exit);
 * - each shard's busy time: its main thread's CPU (INFO cpu, user + system) over the run, and
 *   INFO commandstats' usec for reference (inflated on a loaded box: it counts time a command is
 *   descheduled);
 * - the busy times summed over the wall: how many Redis cores the run kept busy;
 * - the client's CPU (the ingest process and its parse threads, from /usr/bin/time) and Redis's,
 *   per member written;
 * - targets: 3 masters keep >= 1.2 Redis cores busy, and their wall is <= 0.8x 1 master's;
 * - a projection from those per-member costs to 1M packets/s;
 * - the common case of many captures a day: the first day as its 24 hourly captures, one run,
 *   on each target, against the same day as one capture (each a batch: the hours merged, the
 *   capture alone into keys that do not exist yet); and into keys that exist, as runs that
 *   follow the captures of a day as they come meet them: the day's last 12 hours after its first
 *   12 were counted (one batch), and its last hour alone after the 23 others (slot groups).
 */
import { execFile } from 'node:child_process'
import { readFileSync } from 'node:fs'
import { mkdir, mkdtemp, readFile, rm } from 'node:fs/promises'
import { loadavg, tmpdir } from 'node:os'
import { join } from 'node:path'
import { promisify } from 'node:util'
import type { Redis } from 'ioredis'
import { startCluster } from '../test/helpers/cluster.js'
import { CLI_ARGS, dailyCaptures, envInt, grouped, hourlyCaptures, machineLine, median, redisCpuMs, startServer, table, timeMs } from './util.js'

const run = promisify(execFile)
const SENSOR = 'bench-honeypot-1'
const DAY0 = 1704067200 // 2024-01-01
/** What a shard may be kept busy at in the projection: headroom for bursts and a failover's replay. */
const SHARD_LOAD = 0.7

/** Where one case writes: the address given to ingest and an admin connection to each master. */
interface Target { name: string, args: string[], masters: Redis[] }

/** One ingest's measures. */
interface Sample {
  wall: number
  /** Each master's main-thread CPU over the run, ms. */
  busy: number[]
  /** Each master's INFO commandstats usec over the run, ms. */
  stats: number[]
  /** The ingest process's CPU, user + system, every thread, ms. */
  client: number
  /** Its main thread's (the coordinator: merging, ordering, framing, waiting for replies), ms. */
  coordinator: number
  packets: number
  members: number
}

/** The sum of INFO commandstats' usec over every command, ms. */
async function commandMs (redis: Redis): Promise<number> {
  const info = await redis.info('commandstats')
  let usec = 0
  for (const m of info.matchAll(/,usec=(\d+),/g)) usec += Number(m[1])
  return usec / 1000
}

/** Linux's USER_HZ: the unit of /proc's CPU times. */
const TICKS = 100

/**
 * The CPU of the main thread of `time`'s child (the ingest), ms, from /proc: the process's own
 * total (/usr/bin/time) does not tell the coordinator's one thread from the parse threads.
 * Undefined once the process is gone.
 */
function mainThreadMs (time: number): number | undefined {
  try {
    const pid = readFileSync(`/proc/${time}/task/${time}/children`, 'utf8').trim()
    const stat = readFileSync(`/proc/${pid}/task/${pid}/stat`, 'utf8')
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ')
    return (Number(fields[11]) + Number(fields[12])) * 1000 / TICKS
  } catch {
    return undefined
  }
}

/**
 * `potiron ingest FILES ARGS --json --quiet` under /usr/bin/time: its wall, its CPU (and its main
 * thread's, polled every 50 ms: the last poll misses at most that), and every master's busy time
 * over it.
 */
async function ingest (target: Target, files: readonly string[], dir: string, counted: readonly string[] = []): Promise<Sample> {
  await Promise.all(target.masters.map(async m => await m.flushall()))
  // Counted first, untimed: the files measured then add to keys that exist.
  if (counted.length > 0) await run(process.execPath, [...CLI_ARGS, 'ingest', ...counted, ...target.args, '--quiet'])
  const before = await Promise.all(target.masters.map(async m => [await redisCpuMs(m), await commandMs(m)]))
  const times = join(dir, 'time.txt')
  let stdout = ''
  let coordinator = 0
  const wall = await timeMs(async () => {
    const done = run('/usr/bin/time', ['-f', '%U %S', '-o', times, process.execPath, ...CLI_ARGS, 'ingest', ...files, ...target.args, '--json', '--quiet'], { maxBuffer: 1 << 24 })
    const poll = setInterval(() => { coordinator = mainThreadMs(done.child.pid!) ?? coordinator }, 50)
    try {
      ({ stdout } = await done)
    } finally {
      clearInterval(poll)
    }
  })
  const after = await Promise.all(target.masters.map(async m => [await redisCpuMs(m), await commandMs(m)]))
  const [user, sys] = (await readFile(times, 'utf8')).trim().split(/\s+/).slice(-2).map(Number)
  const summary = JSON.parse(stdout) as { packets: number, members: number }
  return {
    wall,
    busy: after.map((a, i) => a[0]! - before[i]![0]!),
    stats: after.map((a, i) => a[1]! - before[i]![1]!),
    client: (user! + sys!) * 1000,
    coordinator,
    packets: summary.packets,
    members: summary.members
  }
}

/** '1,234 (1,200-1,300)': a median with the spread of the rounds. */
function spread (values: readonly number[], digits = 0): string {
  return `${grouped(median(values), digits)} (${grouped(Math.min(...values), digits)}-${grouped(Math.max(...values), digits)})`
}

const sum = (values: readonly number[]): number => values.reduce((a, b) => a + b, 0)

async function main (): Promise<void> {
  const nFiles = envInt('BENCH_FILES', 8)
  const packets = envInt('BENCH_PACKETS', 1_000_000)
  const rounds = Math.max(1, envInt('BENCH_ROUNDS', 3))
  const dir = await mkdtemp(join(tmpdir(), 'potiron-bench-cluster-'))
  const stops: Array<() => Promise<void>> = []
  // Other work on the box moves walls and `Redis cores busy` far more than CPU per member: said with the results.
  const load = loadavg()[0]!
  try {
    process.stderr.write(`generating ${nFiles} x ${grouped(packets)} packets in ${dir}...\n`)
    const files = await dailyCaptures(dir, SENSOR, DAY0, nFiles, packets)
    await mkdir(join(dir, 'hours'))
    const hours = await hourlyCaptures(files[0]!, join(dir, 'hours'), SENSOR)
    const one = await startCluster({ masters: 1 })
    stops.push(one.stop)
    const three = await startCluster({ masters: 3 })
    stops.push(three.stop)
    const single = await startServer(dir)
    stops.push(single.stop)
    const targets: Target[] = [
      { name: 'cluster, 1 master', args: ['--redis', one.url], masters: one.masters.map(m => m.client) },
      { name: 'cluster, 3 masters', args: ['--redis', three.url], masters: three.masters.map(m => m.client) },
      { name: 'one Redis, no cluster (reference)', args: ['--unix', single.socket], masters: [single.client] }
    ]
    const samples = targets.map(() => [] as Sample[])
    /** Per target: the first day as one capture, as its 24 hourly captures, and its later hours into keys that exist. */
    const day = targets.map(() => ({ one: [] as Sample[], hourly: [] as Sample[], half: [] as Sample[], last: [] as Sample[] }))
    for (let r = 0; r < rounds; r++) {
      // 1 and 3 masters alternate which goes first; the reference goes last.
      for (const i of r % 2 === 0 ? [0, 1, 2] : [1, 0, 2]) {
        process.stderr.write(`round ${r + 1}/${rounds}: ${targets[i]!.name}\n`)
        samples[i]!.push(await ingest(targets[i]!, files, dir))
        day[i]!.hourly.push(await ingest(targets[i]!, hours, dir))
        day[i]!.one.push(await ingest(targets[i]!, [files[0]!], dir))
        day[i]!.half.push(await ingest(targets[i]!, hours.slice(12), dir, hours.slice(0, 12)))
        day[i]!.last.push(await ingest(targets[i]!, hours.slice(-1), dir, hours.slice(0, -1)))
      }
    }

    const of = (i: number, f: (s: Sample) => number): number[] => samples[i]!.map(f)
    const cores = (s: Sample): number => sum(s.busy) / s.wall
    const clientNs = (s: Sample): number => s.client * 1e6 / s.members
    const coordinatorNs = (s: Sample): number => s.coordinator * 1e6 / s.members
    const redisNs = (s: Sample): number => sum(s.busy) * 1e6 / s.members
    const wallRatio = samples[1]!.map((s, r) => s.wall / samples[0]![r]!.wall)
    const busy3 = median(of(1, cores))
    const lines = [
      `bench:cluster — ${nFiles} days of ${grouped(packets)} generated packets (one sensor, 12 default fields), \`potiron ingest --json --quiet\` in a child process, fresh (flushed) masters each time; ${rounds} rounds, medians (min-max)`,
      `Machine: ${machineLine()}; load average (1 min) ${grouped(load, 1)} at the start, ${grouped(loadavg()[0]!, 1)} at the end`,
      `Written: ${grouped(median(of(1, s => s.members)))} members from ${grouped(median(of(1, s => s.packets)))} packets`,
      '',
      table(['case', '>wall ms', '>Redis CPU ms (all shards)', '>Redis cores busy', '>client CPU ms', '>client ns/member', '>its main thread ns/member', '>Redis ns/member', '>commandstats ms (inflated)'], targets.map((t, i) => [
        t.name, spread(of(i, s => s.wall)), spread(of(i, s => sum(s.busy))), spread(of(i, cores), 2),
        spread(of(i, s => s.client)), spread(of(i, clientNs)), spread(of(i, coordinatorNs)), spread(of(i, redisNs)), spread(of(i, s => sum(s.stats)))
      ])),
      '',
      table(['shard', '>main-thread CPU ms', '>share of the wall', '>commandstats ms (inflated)'], targets.slice(0, 2).flatMap((t, i) => t.masters.map((_, m) => [`${t.name}: master ${m + 1}`, spread(of(i, s => s.busy[m]!)), spread(of(i, s => s.busy[m]! / s.wall), 2), spread(of(i, s => s.stats[m]!))]))),
      '',
      `3 masters, Redis cores kept busy: ${grouped(busy3, 2)}, target >= 1.2: ${busy3 >= 1.2 ? 'MET' : 'MISSED'}`,
      `3 masters ÷ 1 master, wall: ${spread(wallRatio, 2)}x, target <= 0.8x: ${median(wallRatio) <= 0.8 ? 'MET' : 'MISSED'}`,
      '',
      ...projection(samples[1]!),
      '',
      `The first day (${grouped(packets)} packets) as one capture and as its ${hours.length} hourly captures, one run each:`,
      '',
      table(['case', '>wall ms', '>Redis CPU ms (all shards)', '>client CPU ms', '>members written', '>hourly ÷ one capture, wall'], targets.flatMap((t, i) => [
        [`${t.name}: one capture`, spread(day[i]!.one.map(s => s.wall)), spread(day[i]!.one.map(s => sum(s.busy))), spread(day[i]!.one.map(s => s.client)), grouped(median(day[i]!.one.map(s => s.members))), ''],
        [`${t.name}: ${hours.length} hourly captures`, spread(day[i]!.hourly.map(s => s.wall)), spread(day[i]!.hourly.map(s => sum(s.busy))), spread(day[i]!.hourly.map(s => s.client)), grouped(median(day[i]!.hourly.map(s => s.members))), `${spread(day[i]!.hourly.map((s, r) => s.wall / day[i]!.one[r]!.wall), 2)}x`]
      ])),
      '',
      'Into keys that exist: the day\'s later hours, the others counted before by a run of their own (untimed), one run each:',
      '',
      table(['case', '>wall ms', '>Redis CPU ms (all shards)', '>client CPU ms', '>members written', '>Redis ns/member'], targets.flatMap((t, i) => [
        [`${t.name}: the last 12 hours (a batch)`, spread(day[i]!.half.map(s => s.wall)), spread(day[i]!.half.map(s => sum(s.busy))), spread(day[i]!.half.map(s => s.client)), grouped(median(day[i]!.half.map(s => s.members))), spread(day[i]!.half.map(redisNs))],
        [`${t.name}: the last hour alone`, spread(day[i]!.last.map(s => s.wall)), spread(day[i]!.last.map(s => sum(s.busy))), spread(day[i]!.last.map(s => s.client)), grouped(median(day[i]!.last.map(s => s.members))), spread(day[i]!.last.map(redisNs))]
      ]))
    ]
    console.log(lines.join('\n'))
  } finally {
    for (const stop of stops.reverse()) await stop()
    await rm(dir, { recursive: true, force: true })
  }
}

/**
 * What 1M packets/s of this traffic would take, from the 3-master run's medians per packet:
 * client cores (parse, count, write path) and how many ingest processes their one coordinator
 * thread each asks, Redis cores, shards at SHARD_LOAD each, and what a 32-core host alone could
 * ingest with its Redis on the same cores.
 */
function projection (runs: readonly Sample[]): string[] {
  const clientUs = median(runs.map(s => s.client * 1000 / s.packets))
  const coordinatorUs = median(runs.map(s => s.coordinator * 1000 / s.packets))
  const redisUs = median(runs.map(s => sum(s.busy) * 1000 / s.packets))
  const membersPerPacket = median(runs.map(s => s.members / s.packets))
  // µs of CPU a packet at 1M packets/s: cores.
  const host = 32 / (clientUs + redisUs)
  return [
    `Projection (3 masters' medians): ${grouped(membersPerPacket, 2)} members a packet; client ${grouped(clientUs, 2)} µs of CPU a packet (its main thread ${grouped(coordinatorUs, 2)}), Redis ${grouped(redisUs, 2)} µs`,
    `- 1M packets/s: client ${grouped(clientUs, 1)} cores in ${Math.ceil(coordinatorUs / SHARD_LOAD)} ingest processes or more (one coordinator thread each, at <= ${SHARD_LOAD * 100} %), Redis ${grouped(redisUs, 1)} cores: ${Math.ceil(redisUs / SHARD_LOAD)} shards at <= ${SHARD_LOAD * 100} % each if evenly loaded; ${grouped(clientUs + redisUs, 1)} of 32 cores`,
    `- 32 cores, client and shards on the same host: at most ${grouped(host, 2)}M packets/s (${grouped(host * clientUs, 1)} client cores, ${grouped(host * redisUs, 1)} Redis cores)`
  ]
}

await main()
