/**
 * bench:enrich — what the enrichment databases cost (issue 17): building the ASN index on first
 * use, preparing and loading the databases (Enricher.bytes and this process's RSS growth), then
 * looking up BENCH_IPV4 (1,000,000) distinct random public IPv4 addresses and BENCH_IPV6 (200,000)
 * IPv6 ones, in random order, through asn + country: ns per address on the first pass (every
 * record decoded for the first time, as on a thread's first day) and on a second (records
 * memoized, as on later days). IPv6 addresses are drawn inside the ASN CSV's ranges. Uses the
 * packaged databases and the user's cache directory. Then what enrichment adds to a day's ingest
 * wall time (bench/enrich-ingest.ts: BENCH_PACKETS distinct sources, BENCH_ROUNDS rounds), as one
 * capture and as 24 hourly ones.
 */
import { once } from 'node:events'
import { readFileSync } from 'node:fs'
import { createRequire } from 'node:module'
import { Worker } from 'node:worker_threads'
import { loadEnricher, prepareEnrichment, type EnrichSpec } from '../src/enrich/databases.js'
import { buildRangesIndex } from '../src/enrich/ranges.js'
import { special4, special6 } from '../src/enrich/special.js'
import { Rng } from './gen-capture.js'
import { envInt, gcFunction, grouped, machineLine, mib, table, timeMs } from './util.js'
import { enrichIngest, enrichIngestTable } from './enrich-ingest.js'
import { mkdirSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'

/** murmur3's finalizer: a bijection of uint32, so distinct inputs give distinct, well-spread addresses. */
function mix (h: number): number {
  h = Math.imul(h ^ (h >>> 16), 0x85ebca6b)
  h = Math.imul(h ^ (h >>> 13), 0xc2b2ae35)
  return (h ^ (h >>> 16)) >>> 0
}

/** `n` distinct public IPv4 addresses (no special range), in random order. */
function ipv4Addresses (n: number): Uint32Array {
  const out = new Uint32Array(n)
  for (let i = 0, k = 0; k < n; i++) {
    const addr = mix(i)
    if (special4(addr) === 0) out[k++] = addr
  }
  return out
}

/**
 * `n` random IPv6 addresses, 16 bytes each, in networks that exist: each in a random range of the
 * ASN CSV (random 128-bit addresses would almost all be unallocated, unlike a capture's).
 */
function ipv6Addresses (n: number, csv: string): Uint8Array {
  const rng = new Rng(17)
  const ranges = readFileSync(csv, 'utf8').split('\n').filter(line => line !== '').map(line => line.split(',', 2).map(BigInt) as [bigint, bigint])
  const out = new Uint8Array(16 * n)
  const view = new DataView(out.buffer)
  for (let k = 0; k < n;) {
    const [start, end] = rng.pick(ranges)
    const random = (BigInt(rng.u32()) << 96n) | (BigInt(rng.u32()) << 64n) | (BigInt(rng.u32()) << 32n) | BigInt(rng.u32())
    const addr = start + random % (end - start + 1n)
    for (let w = 0; w < 4; w++) view.setUint32(16 * k + 4 * w, Number((addr >> BigInt(96 - 32 * w)) & 0xffffffffn))
    if (special6(out, 16 * k) === 0) k++
  }
  return out
}

/** What loading the databases adds to a fresh worker thread: Enricher.bytes, RSS growth and the time loadEnricher takes. */
async function loadInWorker (spec: EnrichSpec): Promise<{ bytes: number, rss: number, ms: number }> {
  const url = new URL('../src/enrich/databases.js', import.meta.url).href
  const worker = new Worker(`
    const { parentPort, workerData } = require('node:worker_threads')
    import(${JSON.stringify(url)}).then(({ loadEnricher }) => {
      const rss = process.memoryUsage().rss
      const start = process.hrtime.bigint()
      const { bytes } = loadEnricher(workerData)
      const ms = Number(process.hrtime.bigint() - start) / 1e6
      parentPort.postMessage({ bytes, rss: process.memoryUsage().rss - rss, ms })
    })`, { eval: true, workerData: spec })
  const [message] = await Promise.all([once(worker, 'message'), once(worker, 'exit')])
  return message[0] as { bytes: number, rss: number, ms: number }
}

const gc = gcFunction()
const v4count = envInt('BENCH_IPV4', 1_000_000)
const v6count = envInt('BENCH_IPV6', 200_000)
const require = createRequire(import.meta.url)

const ASN_CSV6 = require.resolve('@ip-location-db/asn/asn-ipv6-num.csv')

const buildMs = await timeMs(() => buildRangesIndex(require.resolve('@ip-location-db/asn/asn-ipv4-num.csv'), ASN_CSV6))
let spec = await prepareEnrichment({})
const prepareMs = await timeMs(async () => { spec = await prepareEnrichment({}) })
const loaded = await loadInWorker(spec)
const e = loadEnricher(spec)
const v4 = ipv4Addresses(v4count)
const v6 = ipv6Addresses(v6count, ASN_CSV6)
gc()
const rss0 = process.memoryUsage().rss
const rows: string[][] = []
/** ns per address of `lookup` over `n` addresses, twice (first and memoized pass), and the share of `unknown` answers. */
function measure (name: string, n: number, lookup: (i: number) => number): void {
  const ns: string[] = []
  let unknown = 0
  for (let pass = 0; pass < 2; pass++) {
    unknown = 0
    const start = process.hrtime.bigint()
    for (let i = 0; i < n; i++) if (lookup(i) === -1) unknown++
    ns.push(grouped(Number(process.hrtime.bigint() - start) / n, 0))
  }
  rows.push([name, grouped(n), ...ns, name.includes('+') ? '' : `${(100 * unknown / n).toFixed(1)} %`])
}

measure('IPv4 asn4', v4count, i => e.asn4(v4[i]!))
measure('IPv4 country4', v4count, i => e.country4(v4[i]!))
measure('IPv6 asn6', v6count, i => e.asn6(v6, 16 * i))
measure('IPv6 country6', v6count, i => e.country6(v6, 16 * i))
measure('IPv4 asn4 + country4', v4count, i => e.asn4(v4[i]!) + e.country4(v4[i]!))
measure('IPv6 asn6 + country6', v6count, i => e.asn6(v6, 16 * i) + e.country6(v6, 16 * i))
const rssAfter = process.memoryUsage().rss

console.log(machineLine())
console.log(`databases: ${spec.asnInfo.name} ${spec.asnInfo.built}, ${spec.countryInfo.name} ${spec.countryInfo.built}`)
console.log(`ASN index build (first use, not cached): ${grouped(buildMs)} ms; prepare, index cached: ${grouped(prepareMs)} ms`)
console.log(`loadEnricher in a fresh worker thread (once per thread): ${grouped(loaded.ms)} ms, Enricher.bytes ${mib(loaded.bytes)} MiB, the thread's RSS +${mib(loaded.rss)} MiB`)
console.log(`RSS +${mib(rssAfter - rss0)} MiB over the lookups below (records memoized per data pointer)`)
console.log(table(['lookup', '>addresses', '>ns/address, first pass', '>again', '>unknown'], rows))

// The ingest of a day, plain and enriched, alternating (each a CLI process of its own).
const packets = envInt('BENCH_PACKETS', 1_000_000)
const dir = join(tmpdir(), 'potiron-bench-enrich')
mkdirSync(dir, { recursive: true })
const rounds = envInt('BENCH_ROUNDS', 3)
console.log(enrichIngestTable(await enrichIngest(dir, packets, rounds), packets))
// As archives mostly hold a day: in hourly captures.
console.log(enrichIngestTable(await enrichIngest(dir, packets, rounds, true), packets, true))
