/**
 * `potiron bench`'s arithmetic, pure so it is tested with fixed numbers: the sample of whole
 * files, the phase that limits a run, and the projection of the sample's rates onto all of PATH.
 */

/** Sizes as users write them: `1GB` (10^9 bytes), `512MiB` (2^29), `100KB`, `2TB`, or bytes. */
const UNITS: Readonly<Record<string, number>> = { b: 1, kb: 1e3, mb: 1e6, gb: 1e9, tb: 1e12, kib: 2 ** 10, mib: 2 ** 20, gib: 2 ** 30, tib: 2 ** 40 }

/** `1GB` → 1e9; undefined when it is not a size (the caller says which flag). */
export function parseSize (text: string): number | undefined {
  const m = /^(\d+(?:\.\d+)?)\s*([a-z]*)$/i.exec(text.trim())
  if (m === null) return undefined
  const unit = UNITS[(m[2] === '' ? 'b' : m[2]!).toLowerCase()]
  if (unit === undefined) return undefined
  const bytes = Math.round(Number(m[1]) * unit)
  return bytes > 0 ? bytes : undefined
}

/**
 * `1,2,4,max` → [1, 2, 4, cores], ascending, each once; undefined when a term is neither a whole
 * number from 1 to 1024 nor `max`.
 */
export function parseThreads (text: string, cores: number): number[] | undefined {
  const counts = new Set<number>()
  for (const term of text.split(',').map(t => t.trim())) {
    if (term === 'max') counts.add(cores)
    else if (/^\d+$/.test(term) && Number(term) >= 1 && Number(term) <= 1024) counts.add(Number(term))
    else return undefined
  }
  return counts.size === 0 ? undefined : [...counts].sort((a, b) => a - b)
}

/** The default thread counts: 1, then doubling, up to and with the number of cores. */
export function defaultThreads (cores: number): number[] {
  const counts: number[] = []
  for (let t = 1; t < cores; t *= 2) counts.push(t)
  counts.push(Math.max(1, cores))
  return counts
}

/**
 * The sample: whole files adding up to at least `bytes` (all of them when they add up to less),
 * taken evenly across the sorted list rather than its head, so that a year of daily captures is
 * sampled over the year and not in January. Returns indexes into `sizes`, ascending.
 */
export function pickSample (sizes: readonly number[], bytes: number): number[] {
  const total = sizes.reduce((a, b) => a + b, 0)
  if (total <= bytes) return sizes.map((_, i) => i)
  const picked = new Set<number>()
  let sum = 0
  // Halving strides: 0, n/2, n/4, 3n/4, ... so that the files taken at any point are spread out.
  for (let parts = 1; sum < bytes && picked.size < sizes.length; parts *= 2) {
    for (let k = 0; k < parts && sum < bytes; k++) {
      const i = Math.floor(k * sizes.length / parts)
      if (picked.has(i)) continue
      picked.add(i)
      sum += sizes[i]!
    }
  }
  return [...picked].sort((a, b) => a - b)
}

/**
 * The phases of a run, in the order a packet goes through them: three in each worker, then
 * `writing` on the coordinator (merging the files' counts, sending them, waiting for replies),
 * then Redis executing them.
 */
export type Phase = 'reading' | 'parsing' | 'aggregation' | 'writing' | 'redis'

/** One thread's time per phase over the sample, ms: measured apart (measure.ts phaseTimes). */
export interface PhaseTimes {
  /** Reading the files, gunzip, and framing the pcap/pcapng records (a sink that does nothing). */
  reading: number
  /** Decoding each packet's headers, with no field counted. */
  parsing: number
  /** Counting the fields into the count table. */
  aggregation: number
}

/**
 * Redis is the limit once its main thread is busy this share of the wall time: a single-threaded
 * server at 80 % has no room left for the bursts a batch writes.
 */
export const REDIS_BUSY_LIMIT = 0.8

/**
 * The ingest is held back by its writing once it takes this many times the parse's wall time
 * on the same threads while Redis is not the limit: the time added is the coordinator's.
 */
export const WRITING_LIMIT = 1.5

/**
 * The phase that limits a run: Redis when its main-thread CPU reaches REDIS_BUSY_LIMIT of the
 * ingest's wall time (adding threads cannot help then); the coordinator's writing when the
 * ingest takes WRITING_LIMIT times the parse alone or more (`ingestOverParse`); else the
 * worker phase that costs the most (each worker runs all three in turn, so the largest bounds
 * them). Without Redis (--no-redis), only the worker phases.
 */
export function limitingPhase (phases: PhaseTimes, redisBusy: number | undefined, ingestOverParse?: number): Phase {
  if (redisBusy !== undefined && redisBusy >= REDIS_BUSY_LIMIT) return 'redis'
  if (ingestOverParse !== undefined && ingestOverParse >= WRITING_LIMIT) return 'writing'
  const order: Array<'reading' | 'parsing' | 'aggregation'> = ['reading', 'parsing', 'aggregation']
  return order.reduce((a, b) => phases[b] > phases[a] ? b : a)
}

/** What the projection starts from: the sample's measures and the size of all of PATH. */
export interface ProjectionInput {
  /** Bytes on disk of every capture file in PATH. */
  totalBytes: number
  /** Bytes on disk of the sample. */
  sampleBytes: number
  /** The sample's bytes on disk per second at the best thread count (parse on the pool). */
  bytesPerSecond: number
  /** Members written for the sample (undefined without Redis: --no-redis). */
  sampleMembers: number | undefined
  /** Redis's main-thread CPU per member written, ms (undefined without Redis). */
  redisMsPerMember: number | undefined
}

export interface Projection {
  totalBytes: number
  /** Estimated wall time for all of PATH at the best thread count, seconds. */
  wallSeconds: number
  /** Members the whole of PATH would write (undefined without Redis). */
  members: number | undefined
  /** Redis's main-thread CPU for all of them, seconds. */
  redisCpuSeconds: number | undefined
  /** Redis cores needed to keep up with the parse: its CPU over the estimated wall. Above 1, one Redis cannot: the wall is then Redis's CPU time. */
  redisCores: number | undefined
}

/**
 * The sample scaled to PATH by bytes on disk: wall = total ÷ (bytes/s); Redis cores =
 * (Redis CPU per member × members per byte of sample × total bytes) ÷ wall.
 */
export function project (p: ProjectionInput): Projection {
  const wallSeconds = p.totalBytes / p.bytesPerSecond
  if (p.sampleMembers === undefined || p.redisMsPerMember === undefined || p.sampleBytes === 0) {
    return { totalBytes: p.totalBytes, wallSeconds, members: undefined, redisCpuSeconds: undefined, redisCores: undefined }
  }
  const members = p.sampleMembers / p.sampleBytes * p.totalBytes
  const redisCpuSeconds = p.redisMsPerMember * members / 1000
  return { totalBytes: p.totalBytes, wallSeconds, members, redisCpuSeconds, redisCores: redisCpuSeconds / wallSeconds }
}

/** What the projection takes for granted, printed with it. */
export function assumptions (withRedis: boolean): string[] {
  return [
    'the sample is representative of PATH: same capture formats, compression, packet sizes and traffic mix per byte on disk',
    'throughput scales with bytes on disk, at the best thread count measured here, on this machine and its disks (warm page cache for a sample read again)',
    ...withRedis
      ? ['members per byte as in the sample: a longer span of days or more distinct values per day writes more; the same values on the same days, fewer',
          'Redis per-member cost as measured on this server (its CPU main thread, INFO cpu), keys new to it or existing alike']
      : ['no Redis measured (--no-redis): the wall time is the parse alone, Redis not sized']
  ]
}
