/**
 * bench:enrich, ingest part: a day whose BENCH_PACKETS (1M) TCP SYNs come from as many distinct
 * public source addresses (one packet each, to a honeypot's /16), ingested through the CLI into
 * a fresh private Redis with the original's twelve fields, and with the twelve plus the four
 * enrichment fields; BENCH_ROUNDS (3) rounds alternating the two, medians and each round's
 * ratio. Target: enrichment adds at most 15 % to the day's ingest wall time.
 */
import { execFile } from 'node:child_process'
import { existsSync, mkdirSync } from 'node:fs'
import { open, rename } from 'node:fs/promises'
import { join } from 'node:path'
import { promisify } from 'node:util'
import { ENRICH_FIELDS, PACKET_FIELDS } from '../src/aggregate/fields.js'
import { CLI_ARGS, grouped, hourlyCaptures, median, redisCpuMs, startServer, table, timeMs } from './util.js'

const run = promisify(execFile)
const DAY = 1704067200 // 2024-01-01

/** Whether `a` is an address a scanner may have: not in the ranges enrichment names as words. */
function isPublic (a: number): boolean {
  const top = a >>> 24
  return top !== 0 && top !== 10 && top !== 127 && top < 224 && (a >>> 20) !== 0xac1 && (a >>> 16) !== 0xc0a8 && (a >>> 16) !== 0xa9fe && (a >>> 22) !== 0x191
}

/**
 * A little-endian raw-IPv4 pcap (link type 101) of `packets` 40-byte TCP SYNs over one day, each
 * from another public address (a multiplicative walk of the 32-bit space: distinct by construction).
 */
export async function distinctSourcesCapture (dir: string, packets: number): Promise<string> {
  // One directory per size: a capture of another run's size is never taken for this one.
  mkdirSync(join(dir, String(packets)), { recursive: true })
  const file = join(dir, String(packets), `bench-enrich-1-${new Date(DAY * 1000).toISOString().slice(0, 10).replaceAll('-', '')}000000.pcap`)
  if (existsSync(file)) return file
  const out = await open(`${file}.partial`, 'w')
  const header = Buffer.alloc(24)
  header.writeUInt32LE(0xa1b2c3d4, 0)
  header.writeUInt16LE(2, 4)
  header.writeUInt16LE(4, 6)
  header.writeUInt32LE(65535, 16)
  header.writeUInt32LE(101, 20)
  await out.write(header)
  const RECORD = 16 + 40
  const chunk = Buffer.alloc(RECORD * 65536)
  let x = 0x9e3779b9
  for (let i = 0; i < packets;) {
    let o = 0
    for (; o < chunk.length && i < packets; i++) {
      do x = (Math.imul(x, 0x2c9277b5) + 0xac564b05) >>> 0; while (!isPublic(x))
      const sec = DAY + Math.floor(i * 86400 / packets)
      chunk.writeUInt32LE(sec, o)
      chunk.writeUInt32LE(0, o + 4)
      chunk.writeUInt32LE(40, o + 8)
      chunk.writeUInt32LE(40, o + 12)
      const ip = o + 16
      chunk.fill(0, ip, ip + 40)
      chunk.writeUInt16BE(0x4500, ip)
      chunk.writeUInt16BE(40, ip + 2)
      chunk[ip + 8] = 64 - (i & 15)
      chunk[ip + 9] = 6
      chunk.writeUInt32BE(x, ip + 12)
      chunk.writeUInt32BE((0xcb007100 | (i & 0xff)) >>> 0, ip + 16) // one honeypot /24
      chunk.writeUInt16BE(1024 + (i % 60000), ip + 20)
      chunk.writeUInt16BE([22, 23, 80, 443, 445, 3389][i % 6]!, ip + 22)
      chunk.writeUInt32BE((x ^ 0x5bd1e995) >>> 0, ip + 24)
      chunk[ip + 32] = 0x50
      chunk[ip + 33] = 0x02
      chunk.writeUInt16BE(1024, ip + 34)
      o += RECORD
    }
    await out.write(chunk, 0, o)
  }
  await out.close()
  await rename(`${file}.partial`, file)
  return file
}

export interface EnrichIngestResult { plain: number[], enriched: number[], redisPlain: number[], redisEnriched: number[] }

/**
 * The ingest rounds of the day as one capture or, `hourly`, as the 24 hourly captures it cuts
 * into (each file's addresses are looked up apart: an address seen in several hours is looked up
 * once per file).
 */
export async function enrichIngest (dir: string, packets: number, rounds: number, hourly = false): Promise<EnrichIngestResult> {
  const day = await distinctSourcesCapture(dir, packets)
  const hours = join(dir, String(packets), 'hourly')
  if (hourly) mkdirSync(hours, { recursive: true })
  const capture = hourly ? (await hourlyCaptures(day, hours, 'bench-enrich-1'), hours) : day
  mkdirSync(join(dir, 'redis'), { recursive: true })
  const server = await startServer(join(dir, 'redis'))
  const result: EnrichIngestResult = { plain: [], enriched: [], redisPlain: [], redisEnriched: [] }
  try {
    const once = async (fields: readonly string[]): Promise<[number, number]> => {
      await server.client.flushall()
      const before = await redisCpuMs(server.client)
      const wall = await timeMs(async () => await run(process.execPath, [...CLI_ARGS, 'ingest', capture, '--unix', server.socket, '--quiet', '--fields', fields.join(',')], { maxBuffer: 1 << 24 }))
      return [wall, await redisCpuMs(server.client) - before]
    }
    // A first enriched run builds the ASN index cache, as a first use would: not measured.
    await once([...PACKET_FIELDS, ...ENRICH_FIELDS])
    for (let r = 0; r < rounds; r++) {
      const order = r % 2 === 0 ? ['plain', 'enriched'] as const : ['enriched', 'plain'] as const
      for (const which of order) {
        const [wall, cpu] = await once(which === 'plain' ? PACKET_FIELDS : [...PACKET_FIELDS, ...ENRICH_FIELDS])
        if (which === 'plain') { result.plain.push(wall); result.redisPlain.push(cpu) } else { result.enriched.push(wall); result.redisEnriched.push(cpu) }
      }
    }
  } finally {
    await server.stop()
  }
  return result
}

export function enrichIngestTable (r: EnrichIngestResult, packets: number, hourly = false): string {
  const ratios = r.enriched.map((e, i) => e / r.plain[i]!)
  const ms = (v: readonly number[]): string => `${grouped(median(v))} (${grouped(Math.min(...v))}-${grouped(Math.max(...v))})`
  return table([`ingest of a day${hourly ? ' in 24 hourly captures' : ''}, ${grouped(packets)} distinct sources`, '>wall ms, median (spread)', '>Redis CPU ms'], [
    ['12 fields', ms(r.plain), grouped(median(r.redisPlain))],
    ['12 + sasn dasn scc dcc', ms(r.enriched), grouped(median(r.redisEnriched))],
    ['enriched ÷ plain, per round', `${median(ratios).toFixed(3)}x (${Math.min(...ratios).toFixed(3)}-${Math.max(...ratios).toFixed(3)})`, '']
  ]) + `\ntarget: enrichment adds at most 15 % (ratio <= 1.15): ${median(ratios) <= 1.15 ? 'MET' : 'MISSED'}`
}
