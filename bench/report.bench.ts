/**
 * bench:report — writing the whole offline site of one sensor and month (all 12 fields) from a
 * fresh Redis, next to the ingest of the same data. BENCH_DAYS generated honeypot-like captures
 * (default 31: a month) of BENCH_PACKETS each (default 1,000,000: one day each) are ingested
 * with `potiron ingest`, then `potiron report` writes the site; both run in this process, timed
 * end to end, on the same server. BENCH_DIR keeps the generated captures between runs.
 */
import { mkdir, mkdtemp, readdir, rm, stat } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { main } from '../src/cli/main.js'
import { dailyCaptures, envInt, grouped, machineLine, mib, startServer, table, timeMs } from './util.js'

const SENSOR = 'bench-honeypot-1'
const DAY0 = Date.UTC(2024, 2, 1) / 1000 // 2024-03-01

const quiet = { out: () => {}, err: (t: string) => { process.stderr.write(t + '\n') } }

async function sizeOf (dir: string): Promise<number> {
  let bytes = 0
  for (const name of await readdir(dir, { recursive: true })) bytes += (await stat(join(dir, name))).size
  return bytes
}

async function run (): Promise<void> {
  const days = envInt('BENCH_DAYS', 31)
  const packets = envInt('BENCH_PACKETS', 1_000_000)
  const captures = process.env.BENCH_DIR ?? join(tmpdir(), `potiron-bench-report-${days}x${packets}`)
  await mkdir(captures, { recursive: true })
  const files = await dailyCaptures(captures, SENSOR, DAY0, days, packets)
  const dir = await mkdtemp(join(tmpdir(), 'potiron-bench-report-'))
  const server = await startServer(dir)
  try {
    const ingestMs = await timeMs(async () => {
      if (await main(['ingest', ...files, '--unix', server.socket, '--quiet'], quiet) !== 0) throw new Error('ingest failed')
    })
    const redisBytes = Number((await server.client.info('memory')).match(/used_memory:(\d+)/)![1])
    const out = join(dir, 'site')
    const reportMs = await timeMs(async () => {
      if (await main(['report', '--sensor', SENSOR, '--date', '2024-03', '--out', out, '--unix', server.socket], quiet) !== 0) throw new Error('report failed')
    })
    const pages = (await readdir(out)).filter(f => f.endsWith('.html')).length
    const csvs = (await readdir(out)).filter(f => f.endsWith('.csv')).length
    console.log(machineLine())
    console.log(`${days} days × ${grouped(packets)} packets, sensor ${SENSOR}, 12 fields; Redis used ${mib(redisBytes)} MiB after the ingest\n`)
    console.log(table(['step', 'seconds', 'vs ingest', 'output'], [
      ['ingest (potiron ingest)', (ingestMs / 1000).toFixed(1), '1.00x', `${grouped(days * packets)} packets`],
      ['report (potiron report)', (reportMs / 1000).toFixed(1), `${(reportMs / ingestMs).toFixed(3)}x`, `${pages} pages, ${csvs} CSV, ${mib(await sizeOf(out))} MiB (Plotly included)`]
    ]))
  } finally {
    await server.stop()
    await rm(dir, { recursive: true, force: true })
  }
}

await run()
