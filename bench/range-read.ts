/**
 * How long `plot range` reads a 3-year range (1,096 days × 5 values) from Redis: one sensor with
 * data on every day of 2022–2024, each day's dport key holding 2,000 ports, read by readRange
 * (the day set, then one pipelined ZMSCORE per day key for the 5 values). Not a test: run once,
 * `npm run build && node dist/bench/range-read.js`; prints the median of 5 reads.
 */
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { JSON_FIELDS, PARAMETERS, daysKey, fieldKey } from '../src/store/keys.js'
import { monthsPeriod, daysFrom } from '../src/export/range.js'
import { readLayout } from '../src/store/read.js'
import { readRange } from '../src/store/report-data.js'
import { machineLine, median, startServer, timeMs } from './util.js'

const SENSOR = 'bench-range-1'
const PORTS = 2000
const VALUES = ['22', '23', '80', '443', '9999']

const dir = await mkdtemp(join(tmpdir(), 'potiron-range-bench-'))
const server = await startServer(dir, { durable: false })
try {
  const redis = server.client
  const { first, last } = monthsPeriod('202201', '202412')
  const days = daysFrom(first, last)
  await redis.multi().hset(PARAMETERS, 'format', 'standard', 'ck', 'False').rpush(JSON_FIELDS, 'dport').sadd(daysKey(SENSOR), ...days).exec()
  for (const day of days) {
    await redis.zadd(fieldKey(SENSOR, day, 'dport'), ...Array.from({ length: PORTS }, (_, p) => [p + 1, String(p)]).flat())
  }
  const layout = await readLayout(redis)
  const lines = VALUES.map(value => ({ value, protocol: undefined }))
  const times: number[] = []
  for (let i = 0; i < 5; i++) times.push(await timeMs(async () => await readRange(redis, layout, SENSOR, first, last, 'dport', lines)))
  console.log(machineLine())
  console.log(`readRange, ${days.length} days × ${VALUES.length} values (${PORTS} members per day key): median ${median(times).toFixed(1)} ms of 5 (${times.map(t => t.toFixed(1)).join(', ')})`)
} finally {
  await server.stop()
  await rm(dir, { recursive: true, force: true })
}
