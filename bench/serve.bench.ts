/**
 * bench:serve — how many overview requests per second `potiron serve` answers, and its p99
 * latency, on a month of data. A private redis-server gets 31 days of one sensor written
 * directly with ZADD (12 fields; 5,000 distinct values a day for ipsrc and tcpseq, fewer for the
 * others, long-tailed counts), `potiron serve` runs as its own process (the real command), and
 * autocannon (programmatic API) loads it on loopback for a fixed time after a short warm-up.
 * Endpoints: the overview JSON (12 top-10 tables + 12 seven-day timelines + the day's total),
 * the overview HTML page built from it, and a 180-day evolution.
 * Sizes: BENCH_SECONDS per endpoint (10), BENCH_CONNECTIONS (10).
 */
import { spawn } from 'node:child_process'
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import autocannon from 'autocannon'
import { Redis } from 'ioredis'
import { PACKET_FIELDS as FIELDS } from '../src/aggregate/fields.js'
import { JSON_FIELDS, daysKey, fieldKey } from '../src/store/keys.js'
import { Rng } from './gen-capture.js'
import { envInt, grouped, machineLine, startServer as startRedis, table, timeMs } from './util.js'

const SENSOR = 'bench-sensor-1'
const DAYS = 31
const SECONDS = envInt('BENCH_SECONDS', 10)
const CONNECTIONS = envInt('BENCH_CONNECTIONS', 10)
/** Distinct values a day per field. */
const DISTINCT: Readonly<Record<string, number>> = {
  length: 1500, protocol: 5, ipsrc: 5000, ipdst: 2000, ipttl: 128, iptos: 8,
  sport: 3000, dport: 3000, tcpseq: 5000, tcpack: 2000, icmpcode: 10, icmptype: 10
}
const BIN = fileURLToPath(new URL('../src/cli/bin.js', import.meta.url))

function valueOf (field: string, i: number): string {
  switch (field) {
    case 'ipsrc': case 'ipdst': return `10.${(i >> 16) & 255}.${(i >> 8) & 255}.${i & 255}`
    case 'iptos': return '0x' + (i * 4).toString(16).padStart(2, '0')
    case 'tcpseq': case 'tcpack': return String(1_000_003 * i + 17)
    default: return String(i)
  }
}

/** Writes the month with ZADD, 1,000 members a command; returns the members written. */
async function fill (redis: Redis): Promise<number> {
  // Seeded, so every run writes the same month.
  const rng = new Rng(1)
  let members = 0
  const days: string[] = []
  await redis.rpush(JSON_FIELDS, ...FIELDS)
  for (let d = 1; d <= DAYS; d++) {
    const ymd = `202403${String(d).padStart(2, '0')}`
    days.push(ymd)
    const pipeline = redis.pipeline()
    for (const field of FIELDS) {
      const n = DISTINCT[field]!
      // Long tail: a value's count falls with its rank; the day shuffles the leaders a little.
      let batch: Array<number | string> = []
      for (let i = 0; i < n; i++) {
        batch.push(Math.max(1, Math.floor(100_000 / (i + 1) * (0.5 + rng.float()))), valueOf(field, i))
        if (batch.length === 2000) { pipeline.zadd(fieldKey(SENSOR, ymd, field), ...batch); batch = [] }
      }
      if (batch.length > 0) pipeline.zadd(fieldKey(SENSOR, ymd, field), ...batch)
      members += n
    }
    await pipeline.exec()
  }
  await redis.sadd(daysKey(SENSOR), ...days)
  return members
}

/** `potiron serve` in its own process, on a free loopback port; resolves with its URL. */
async function startServe (socket: string): Promise<{ url: string, stop: () => Promise<number | null> }> {
  const proc = spawn(process.execPath, [BIN, 'serve', '--unix', socket, '--port', '0'], { stdio: ['ignore', 'pipe', 'inherit'] })
  const url = await new Promise<string>((resolve, reject) => {
    let out = ''
    proc.stdout.on('data', (chunk: Buffer) => {
      out += chunk.toString()
      const m = /listening on (http:\/\/\S+?)\/[;\s]/.exec(out)
      if (m !== null) resolve(m[1]!)
    })
    proc.once('exit', code => { reject(new Error(`potiron serve exited (${String(code)}): ${out}`)) })
  })
  return {
    url,
    stop: async () => {
      const exited = new Promise<number | null>(resolve => proc.once('exit', code => { resolve(code) }))
      proc.kill('SIGINT')
      return await exited
    }
  }
}

interface Load { requests: number, rps: number, p50: number, p99: number, max: number, errors: number, non2xx: number, mbs: number }

async function load (url: string, seconds: number): Promise<Load> {
  const r = await autocannon({ url, connections: CONNECTIONS, duration: seconds })
  return {
    requests: r.requests.total,
    rps: r.requests.average,
    p50: r.latency.p50,
    p99: r.latency.p99,
    max: r.latency.max,
    errors: r.errors + r.timeouts,
    non2xx: r.non2xx,
    mbs: r.throughput.average / 2 ** 20
  }
}

async function main (): Promise<void> {
  const dir = await mkdtemp(join(tmpdir(), 'potiron-bench-serve-'))
  const redis = await startRedis(dir)
  let serve: Awaited<ReturnType<typeof startServe>> | undefined
  try {
    let members = 0
    const fillMs = await timeMs(async () => { members = await fill(redis.client) })
    const memory = /used_memory_human:(\S+)/.exec(await redis.client.info('memory'))?.[1] ?? '?'
    serve = await startServe(redis.socket)
    const endpoints: Array<[string, string]> = [
      ['overview JSON', `/api/overview?sensor=${SENSOR}`],
      ['overview HTML page', `/?sensor=${SENSOR}`],
      ['evolution JSON (180 days)', `/api/evolution?sensor=${SENSOR}&field=ipsrc&value=10.0.0.7`]
    ]
    const sample = await (await fetch(`${serve.url}${endpoints[0]![1]}`)).text()
    const rows: string[][] = []
    for (const [name, path] of endpoints) {
      await load(`${serve.url}${path}`, 2) // warm-up: JIT, connections, Redis caches
      const r = await load(`${serve.url}${path}`, SECONDS)
      rows.push([name, grouped(r.requests), grouped(r.rps, 1), String(r.p50), String(r.p99), String(r.max), String(r.errors), String(r.non2xx), r.mbs.toFixed(2)])
    }
    const status = await serve.stop()
    serve = undefined
    console.log(`bench:serve — potiron serve (own process) on a month of one sensor: ${DAYS} days x ${FIELDS.length} fields, ${grouped(members)} members written with ZADD in ${grouped(fillMs)} ms (Redis used_memory ${memory});`)
    console.log(`autocannon on loopback, ${CONNECTIONS} connections, ${SECONDS} s per endpoint after a 2 s warm-up; overview response ${grouped(sample.length)} bytes`)
    console.log(`Machine: ${machineLine()}`)
    console.log('')
    console.log(table(['endpoint', '>requests', '>req/s', '>p50 ms', '>p99 ms', '>max ms', '>errors', '>non-2xx', '>MiB/s'], rows))
    console.log('')
    console.log(`potiron serve exit status after SIGINT: ${String(status)}`)
  } finally {
    if (serve !== undefined) await serve.stop()
    await redis.stop()
    await rm(dir, { recursive: true, force: true })
  }
}

await main()
