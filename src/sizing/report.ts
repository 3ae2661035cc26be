/**
 * `potiron bench`'s report, made from the measures (pure): the object `--json` prints, and the
 * text of the terminal, both with every rate worked out the same way.
 */
import type { ThreadRow } from './measure.js'
import { assumptions, project, type Phase, type PhaseTimes, type Projection } from './projection.js'
import type { ReferenceRow } from './references.js'

/** Where the run wrote: its own redis-server, an empty database given (--redis/--unix), or nowhere (--no-redis). */
export type RedisUse =
  | { mode: 'private' }
  | { mode: 'given', address: string, keysAfter: number }
  | { mode: 'none' }

export interface BenchMeasures {
  machine: { node: string, cpu: string, cores: number }
  redis: RedisUse
  fields: readonly string[]
  combinedKeys: boolean
  /** The sensor given to every file when their names do not all say theirs. */
  sensor: string | undefined
  /** Every capture file in PATH, and the sample taken of them. */
  total: { files: number, bytes: number }
  sample: { files: number, bytes: number }
  phases: PhaseTimes
  /** The part of the sample the phases were measured on (measure.ts PHASE_SAMPLE_BYTES). */
  phaseSample: { files: number, bytes: number }
  /** Peak memory one worker adds parsing those files one after another, bytes. */
  workerRss: number
  rows: readonly ThreadRow[]
  references: readonly ReferenceRow[]
}

export interface ThreadReport {
  threads: number
  files: number
  filesPerSecond: number
  packets: number
  packetsPerSecond: number
  /** Capture bytes read (decompressed for gzip) per second, 10^6 bytes. */
  mbPerSecond: number
  diskMbPerSecond: number
  cpuMicrosPerPacket: number
  /** Peak resident memory of the process (coordinator and its workers), bytes. */
  peakRss: number
  ingest: { wallMs: number, packetsPerSecond: number, diskMbPerSecond: number, members: number, redisCpuMs: number, redisBusy: number, failedFiles: number } | null
  limit: Phase
}

export interface ReferenceReport {
  tool: string
  command: string
  wallMs: number | null
  filesPerSecond: number | null
  packetsPerSecond: number | null
  diskMbPerSecond: number | null
  failedFiles: number
  note: string
}

export interface BenchReport {
  machine: BenchMeasures['machine']
  redis: { mode: RedisUse['mode'], address: string | null, note: string }
  settings: { fields: readonly string[], combinedKeys: boolean, sensor: string | null }
  path: { files: number, bytes: number }
  sample: { files: number, bytes: number }
  phases: { files: number, bytes: number, readingMs: number, parsingMs: number, aggregationMs: number, workerPeakRss: number }
  threads: ThreadReport[]
  references: ReferenceReport[]
  projection: (Projection & { threads: number, assumptions: string[] }) | null
}

/** The line that says which Redis the run wrote to, and what became of it. */
export function redisNote (r: RedisUse): string {
  switch (r.mode) {
    case 'private': return 'a private redis-server started for this run, stopped after'
    case 'given': return `${r.address}, empty when the run began: the keys each ingest wrote were deleted after it (never FLUSHDB); it holds ${r.keysAfter} ${r.keysAfter === 1 ? 'key' : 'keys'} now`
    case 'none': return 'none (--no-redis): the parse alone is measured, Redis is not sized'
  }
}

export function benchReport (m: BenchMeasures): BenchReport {
  const threads = m.rows.map(threadReport)
  const packets = m.rows[0]?.parse.packets ?? 0
  // The best thread count: the most bytes on disk per second parsed.
  const best = threads.reduce<ThreadReport | undefined>((a, b) => a === undefined || b.diskMbPerSecond > a.diskMbPerSecond ? b : a, undefined)
  const ingests = m.rows.flatMap(r => r.ingest === undefined ? [] : [r.ingest])
  const members = ingests[0]?.members
  const redisMs = ingests.reduce((a, r) => a + r.redisCpuMs, 0)
  const allMembers = ingests.reduce((a, r) => a + r.members, 0)
  const projection = best === undefined || best.diskMbPerSecond === 0
    ? null
    : {
        threads: best.threads,
        ...project({ totalBytes: m.total.bytes, sampleBytes: m.sample.bytes, bytesPerSecond: best.diskMbPerSecond * 1e6, sampleMembers: members, redisMsPerMember: allMembers > 0 ? redisMs / allMembers : undefined }),
        assumptions: assumptions(members !== undefined)
      }
  return {
    machine: m.machine,
    redis: { mode: m.redis.mode, address: m.redis.mode === 'given' ? m.redis.address : null, note: redisNote(m.redis) },
    settings: { fields: m.fields, combinedKeys: m.combinedKeys, sensor: m.sensor ?? null },
    path: m.total,
    sample: m.sample,
    phases: { files: m.phaseSample.files, bytes: m.phaseSample.bytes, readingMs: m.phases.reading, parsingMs: m.phases.parsing, aggregationMs: m.phases.aggregation, workerPeakRss: m.workerRss },
    threads,
    references: m.references.map(r => referenceReport(r, m.sample, packets)),
    projection
  }
}

function perSecond (n: number, ms: number): number {
  return ms > 0 ? n / ms * 1000 : 0
}

function threadReport (r: ThreadRow): ThreadReport {
  const p = r.parse
  const i = r.ingest
  return {
    threads: r.threads,
    files: p.files,
    filesPerSecond: perSecond(p.files, p.wallMs),
    packets: p.packets,
    packetsPerSecond: perSecond(p.packets, p.wallMs),
    mbPerSecond: perSecond(p.bytes, p.wallMs) / 1e6,
    diskMbPerSecond: perSecond(p.diskBytes, p.wallMs) / 1e6,
    cpuMicrosPerPacket: p.packets > 0 ? p.cpuMs * 1000 / p.packets : 0,
    peakRss: p.peakRss,
    ingest: i === undefined
      ? null
      : { wallMs: i.wallMs, packetsPerSecond: perSecond(i.packets, i.wallMs), diskMbPerSecond: perSecond(p.diskBytes, i.wallMs) / 1e6, members: i.members, redisCpuMs: i.redisCpuMs, redisBusy: r.redisBusy ?? 0, failedFiles: i.failed.length },
    limit: r.limit
  }
}

function referenceReport (r: ReferenceRow, sample: { files: number, bytes: number }, packets: number): ReferenceReport {
  const ms = r.wallMs
  return {
    tool: r.tool,
    command: r.command,
    wallMs: ms ?? null,
    filesPerSecond: ms === undefined ? null : perSecond(sample.files, ms),
    packetsPerSecond: ms === undefined ? null : perSecond(packets, ms),
    diskMbPerSecond: ms === undefined ? null : perSecond(sample.bytes, ms) / 1e6,
    failedFiles: r.failedFiles,
    note: r.note
  }
}

/** A plain table; columns whose header starts with '>' are right-aligned. */
export function table (headers: readonly string[], rows: ReadonlyArray<readonly string[]>): string {
  const right = headers.map(h => h.startsWith('>'))
  const names = headers.map(h => h.replace(/^>/, ''))
  const widths = names.map((h, i) => Math.max(h.length, ...rows.map(r => (r[i] ?? '').length)))
  const line = (cells: readonly string[]): string => cells.map((c, i) => right[i] ? c.padStart(widths[i]!) : c.padEnd(widths[i]!)).join('  ').trimEnd()
  return [line(names), ...rows.map(line)].join('\n')
}

/** 1234567.8 → '1,234,568'. */
export function grouped (n: number, digits = 0): string {
  return n.toLocaleString('en-US', { minimumFractionDigits: digits, maximumFractionDigits: digits })
}

/** Bytes as people read sizes: `280.4 KB`, `3.00 TB` (powers of 10, as --sample takes them). */
export function size (bytes: number): string {
  const units = ['B', 'KB', 'MB', 'GB', 'TB', 'PB']
  let u = 0
  let n = bytes
  while (n >= 1000 && u < units.length - 1) { n /= 1000; u++ }
  return u === 0 ? `${n} B` : `${n.toFixed(n >= 100 ? 0 : n >= 10 ? 1 : 2)} ${units[u]!}`
}

/** Seconds as a duration: `0.42 s`, `12 min 5 s`, `3 h 20 min`, `2 d 4 h`. */
export function duration (seconds: number): string {
  if (seconds < 60) return `${seconds.toFixed(seconds < 10 ? 2 : 1)} s`
  const s = Math.round(seconds)
  if (s < 3600) return `${Math.floor(s / 60)} min ${s % 60} s`
  if (s < 86400) return `${Math.floor(s / 3600)} h ${Math.floor(s % 3600 / 60)} min`
  return `${Math.floor(s / 86400)} d ${Math.floor(s % 86400 / 3600)} h`
}

const MIB = 2 ** 20

/** The report as the terminal shows it. */
export function formatReport (r: BenchReport): string {
  const lines: string[] = []
  const sampled = r.sample.files === r.path.files ? 'all of it' : `${r.sample.files} ${r.sample.files === 1 ? 'file' : 'files'}, ${size(r.sample.bytes)}`
  lines.push(`PATH: ${r.path.files} capture ${r.path.files === 1 ? 'file' : 'files'}, ${size(r.path.bytes)} on disk; sample: ${sampled}`)
  lines.push(`Redis: ${r.redis.note}`)
  lines.push(`fields: ${r.settings.fields.join(',')}${r.settings.combinedKeys ? ', combined keys' : ''}${r.settings.sensor === null ? '' : `; sensor ${r.settings.sensor} for every file (their names do not all say theirs)`}`)
  lines.push(`machine: Node ${r.machine.node}, ${r.machine.cpu}, ${r.machine.cores} cores`)
  lines.push('')
  const ph = r.phases
  const part = ph.files === r.sample.files ? "the sample's files" : `${ph.files} of the sample's files (${size(ph.bytes)})`
  lines.push(`One worker, ${part} one after another: reading ${grouped(ph.readingMs, 1)} ms (disk or page cache, gunzip, records), parsing ${grouped(ph.parsingMs, 1)} ms (headers), aggregation ${grouped(ph.aggregationMs, 1)} ms (counting); peak memory ${(ph.workerPeakRss / MIB).toFixed(1)} MiB`)
  lines.push('')
  const headers = ['>threads', '>files/s', '>packets/s', '>MB/s raw', '>MB/s disk', '>CPU µs/packet', '>peak MiB', '>ingest packets/s', '>Redis busy', 'limit']
  lines.push(table(headers, r.threads.map(t => [
    String(t.threads), grouped(t.filesPerSecond, 1), grouped(t.packetsPerSecond), grouped(t.mbPerSecond, 1), grouped(t.diskMbPerSecond, 1),
    grouped(t.cpuMicrosPerPacket, 2), (t.peakRss / MIB).toFixed(1),
    t.ingest === null ? '-' : grouped(t.ingest.packetsPerSecond), t.ingest === null ? '-' : `${Math.round(t.ingest.redisBusy * 100)} %`, t.limit
  ])))
  lines.push('')
  if (r.references.length === 0) lines.push('Reference points: not measured (--no-references)')
  else {
    lines.push('Reference points, not potiron (the same sample, one process per file, output discarded):')
    lines.push(table(['tool', '>files/s', '>packets/s', '>MB/s disk', 'command'], r.references.map(x => x.wallMs === null
      ? [x.tool, '-', '-', '-', x.note]
      : [x.tool, grouped(x.filesPerSecond!, 1), grouped(x.packetsPerSecond!), grouped(x.diskMbPerSecond!, 1), `${x.command}${x.failedFiles > 0 ? ` (exit status not 0 on ${x.failedFiles} ${x.failedFiles === 1 ? 'file' : 'files'})` : ''}`])))
  }
  lines.push('')
  const p = r.projection
  if (p === null) lines.push('Projection: none (nothing was parsed)')
  else {
    lines.push(`Projection for PATH (${size(p.totalBytes)} on disk) at ${p.threads} ${p.threads === 1 ? 'thread' : 'threads'}:`)
    lines.push(`  estimated wall: ${duration(p.wallSeconds)}`)
    if (p.redisCores !== undefined) {
      const keep = p.redisCores <= 1 ? 'one Redis keeps up' : `one Redis cannot keep up: the ingest would take at least ${duration(p.redisCpuSeconds!)}`
      lines.push(`  Redis: about ${grouped(p.members!)} members, ${duration(p.redisCpuSeconds!)} of its CPU: ${grouped(p.redisCores, 2)} cores to keep up (${keep})`)
    }
    lines.push('Assumptions:')
    for (const a of p.assumptions) lines.push(`  - ${a}`)
  }
  return lines.join('\n')
}
