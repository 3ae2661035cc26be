/** Shared helpers for the benchmarks: timing, medians, the machine line and plain tables. */
import { existsSync, readFileSync } from 'node:fs'
import { readFile, rename, writeFile } from 'node:fs/promises'
import { cpus, totalmem } from 'node:os'
import { basename, join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { setFlagsFromString } from 'node:v8'
import { runInNewContext } from 'node:vm'
import { dayToYmd } from '../src/aggregate/days.js'
import { generateCapture } from './gen-capture.js'

/** The CLI's file. */
export const CLI = fileURLToPath(new URL('../src/cli/bin.js', import.meta.url))

/**
 * `node` arguments that run the CLI as a user runs it: the node flags of its first line
 * (`#!/usr/bin/env -S node FLAGS`), then its file.
 */
export const CLI_ARGS = [...readFileSync(CLI, 'utf8').split('\n', 1)[0]!.split(' ').slice(3), CLI]

/** Milliseconds elapsed while `fn` runs. */
export async function timeMs (fn: () => unknown): Promise<number> {
  const start = process.hrtime.bigint()
  await fn()
  return Number(process.hrtime.bigint() - start) / 1e6
}

export function median (values: readonly number[]): number {
  if (values.length === 0) return Number.NaN
  const sorted = [...values].sort((a, b) => a - b)
  const mid = sorted.length >> 1
  return sorted.length % 2 === 1 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2
}

/** One line that says what ran the benchmark: Node version, OS, CPU model, core count, memory. */
export function machineLine (): string {
  const list = cpus()
  const model = list[0]?.model.trim() ?? 'unknown CPU'
  const gib = totalmem() / 2 ** 30
  return `Node ${process.version}, ${process.platform} ${process.arch}, ${model}, ${list.length} cores, ${gib.toFixed(1)} GiB RAM`
}

/**
 * A collector function that works without `--expose-gc` on the command line, so that `npm run`
 * scripts need no flags; a no-op if V8 refuses. It runs a plain major GC: V8's default `gc()`
 * is a memory-reducing one that also throws away compiled code and type feedback, which made
 * the next run of the hot path ~45 % slower than a real one (bench/RESULTS.md).
 */
export function gcFunction (): () => void {
  try {
    setFlagsFromString('--expose-gc')
    const gc = runInNewContext('gc') as unknown
    if (typeof gc === 'function') return () => { (gc as (options: { type: string }) => void)({ type: 'major' }) }
  } catch {}
  return () => {}
}

/** A Markdown table (also readable as plain text); columns whose header starts with '>' are right-aligned. */
export function table (headers: readonly string[], rows: ReadonlyArray<readonly string[]>): string {
  const right = headers.map(h => h.startsWith('>'))
  const names = headers.map(h => h.replace(/^>/, ''))
  const widths = names.map((h, i) => Math.max(h.length, ...rows.map(r => (r[i] ?? '').length)))
  const line = (cells: readonly string[]): string =>
    '| ' + cells.map((c, i) => right[i] ? c.padStart(widths[i]!) : c.padEnd(widths[i]!)).join(' | ') + ' |'
  const rule = '|' + widths.map((w, i) => right[i] ? '-'.repeat(w + 1) + ':' : '-'.repeat(w + 2)).join('|') + '|'
  return [line(names), rule, ...rows.map(line)].join('\n')
}

/** 1234567.8 → '1,234,568' (digits grouped by thousands). */
export function grouped (n: number, digits = 0): string {
  return n.toLocaleString('en-US', { minimumFractionDigits: digits, maximumFractionDigits: digits })
}

export function mib (bytes: number): string {
  return (bytes / 2 ** 20).toFixed(1)
}

/** An integer from an environment variable (underscores allowed: 1_000_000), or the fallback. */
export function envInt (name: string, fallback: number): number {
  const raw = process.env[name]
  if (raw === undefined || raw.trim() === '') return fallback
  const n = Number(raw.replaceAll('_', ''))
  if (!Number.isSafeInteger(n) || n < 0) throw new RangeError(`${name} must be a non-negative integer, got '${raw}'`)
  return n
}

/** Peak resident memory of this process so far, bytes (the one `potiron bench` reports). */
export { peakRss } from '../src/sizing/memory.js'

/**
 * `days` generated captures of one sensor, one day each from `day0` (Unix seconds), named as
 * the original's convention wants (`<sensor>-YYYYMMDD000000.pcap`) in `dir`; files already there are kept.
 */
export async function dailyCaptures (dir: string, sensor: string, day0: number, days: number, packets: number): Promise<string[]> {
  const files: string[] = []
  for (let i = 0; i < days; i++) {
    const start = day0 + i * 86400
    const file = join(dir, `${sensor}-${dayToYmd(Math.floor(start / 86400))}000000.pcap`)
    // Written aside and renamed: a run stopped midway leaves no short capture to be taken for a whole one.
    if (!existsSync(file)) {
      await generateCapture(`${file}.partial`, { packets, seed: i + 1, days: 1, startEpoch: start })
      await rename(`${file}.partial`, file)
    }
    files.push(file)
  }
  return files
}

/**
 * The classic pcap `file` (little-endian, µs, as generateCapture writes it) cut into one capture
 * per hour of its records, named `<sensor>-YYYYMMDDhh0000.pcap` in `dir`: the same traffic as
 * hourly rotated files. Returns their paths in time order; files already there are kept.
 */
export async function hourlyCaptures (file: string, dir: string, sensor: string): Promise<string[]> {
  return await cutCapture(file, seconds => Math.floor(seconds / 3600), hour => join(dir, `${sensor}-${dayToYmd(Math.floor(hour / 24))}${String(hour % 24).padStart(2, '0')}0000.pcap`))
}

/**
 * The classic pcap `file` cut into `parts` captures of as many records each (the last takes
 * the rest), in order, named `<name>.partN` in `dir`: what a worker handing back its counts
 * every `records / parts` packets would hand back. Files already there are kept.
 */
export async function partCaptures (file: string, dir: string, parts: number, records: number): Promise<string[]> {
  const size = Math.ceil(records / parts)
  let n = 0
  return await cutCapture(file, () => Math.min(parts - 1, Math.floor(n++ / size)), part => join(dir, `${basename(file)}.part${part}`))
}

/**
 * Cuts `file` into one capture per number `cutOf` gives its records (from their seconds), named
 * by `pathOf`; returns their paths in the order of those numbers.
 */
async function cutCapture (file: string, cutOf: (seconds: number) => number, pathOf: (cut: number) => string): Promise<string[]> {
  const bytes = await readFile(file)
  const header = bytes.subarray(0, 24)
  const cuts = new Map<number, Buffer[]>()
  for (let o = 24; o + 16 <= bytes.length;) {
    const end = o + 16 + bytes.readUInt32LE(o + 8)
    const cut = cutOf(bytes.readUInt32LE(o))
    let records = cuts.get(cut)
    if (records === undefined) cuts.set(cut, records = [])
    records.push(bytes.subarray(o, end))
    o = end
  }
  const files: string[] = []
  for (const [cut, records] of [...cuts].sort(([a], [b]) => a - b)) {
    const path = pathOf(cut)
    // Written aside and renamed: a run stopped midway leaves no short capture to be taken for a whole one.
    if (!existsSync(path)) {
      await writeFile(`${path}.partial`, Buffer.concat([header, ...records]))
      await rename(`${path}.partial`, path)
    }
    files.push(path)
  }
  return files
}

/** Redis's main-thread CPU time so far (INFO cpu, user + system), ms: its busy time (INFO commandstats counts time Redis spends descheduled, and a script's commands twice). */
export { redisCpuMs } from '../src/sizing/measure.js'

/** A private redis-server on a unix socket in `dir` (no TCP, no persistence): the tests' own. */
export { startPrivateRedis as startServer, type PrivateRedis as Server } from '../test/helpers/private-redis.js'
