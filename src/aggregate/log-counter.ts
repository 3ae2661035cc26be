/**
 * value → count for TCP sequence numbers, the field where almost every packet brings a new
 * value (a SYN scan picks them at random). Hashing a million random keys misses the cache on
 * every probe; appending them to a log is sequential. The log is sorted and run-length
 * compacted into (value, count) arrays when full, so memory follows the distinct values plus one
 * bounded log. bench/RESULTS.md compares it with the hash table on a SYN-scan capture.
 */
import type { Rows } from './counter.js'

const FIRST_LOG = 256
const MAX_LOG = 1 << 22 // 16 MiB of pending values at most

/**
 * Each full log becomes one sorted chunk of (value, count) runs, exact-sized (a chunk's counts
 * fit 32 bits: it holds at most MAX_LOG values). A value seen in two chunks gives two rows,
 * which readers of a count table add up. What is held follows the distinct values, not the
 * packets (a value repeated a billion times is one run):
 * - the log doubles only while the chunks hold at least as many runs as it has room for, so a
 *   log of values that repeat stays small (it is compacted again and again instead);
 * - while counting, the runs held stay within three times the largest chunk, itself at most
 *   the distinct values: when a new chunk breaks that, all chunks are merged into one. Random
 *   values (a SYN scan) do not get there: each log doubles the last, so the chunks' sizes form
 *   a geometric series (twice the largest; with 2 there, a few repeated values made every new
 *   chunk merge: 70 MiB of merging in bench:parse's 1 GB capture). The last log's chunk, made
 *   by take(), is not merged: the rows leave.
 */
export class LogCounter {
  #log = new Uint32Array(FIRST_LOG)
  #pending = 0
  #absent = 0
  #chunks: Rows[] = []
  /** Runs in the chunks, and the largest chunk's. */
  #runs = 0
  #largest = 0

  /** Bytes of the typed arrays held. */
  get bytes (): number {
    let bytes = this.#log.byteLength
    for (const chunk of this.#chunks) bytes += chunk.values.byteLength + chunk.counts.byteLength
    return bytes
  }

  /** Counts one value in [-1, 2^32). */
  add (value: number): void {
    if (value < 0) {
      this.#absent++
      return
    }
    if (this.#pending === this.#log.length) this.#makeRoom()
    this.#log[this.#pending++] = value
  }

  /** The counted rows: the absent count first, then one ascending chunk per log (the counter is spent). */
  take (): Rows[] {
    this.#compact()
    this.#log = new Uint32Array(0)
    const rows = this.#chunks
    this.#chunks = []
    if (this.#absent > 0) rows.unshift({ values: Float64Array.of(-1), counts: Float64Array.of(this.#absent) })
    return rows
  }

  #makeRoom (): void {
    // A bigger log lends its room to the sort of this one first: no scratch array to throw away.
    const next = this.#log.length < MAX_LOG && this.#runs >= this.#log.length ? new Uint32Array(this.#log.length * 2) : undefined
    this.#compact(next)
    if (next !== undefined) this.#log = next
    if (this.#runs > 3 * this.#largest) {
      const merged = this.#chunks.reduce(mergeRuns)
      this.#chunks = [merged]
      this.#runs = this.#largest = merged.values.length
    }
  }

  /** Sorts the pending log into a chunk of (value, count) runs; `scratch`, if given, is the sort's room. */
  #compact (scratch?: Uint32Array): void {
    const n = this.#pending
    if (n === 0) return
    const log = sortU32(this.#log.subarray(0, n), scratch)
    let runs = 1
    for (let i = 1; i < n; i++) if (log[i] !== log[i - 1]) runs++
    const values = new Uint32Array(runs)
    const counts = new Uint32Array(runs)
    let k = 0
    values[0] = log[0]!
    counts[0] = 1
    for (let i = 1; i < n; i++) {
      const v = log[i]!
      if (v === values[k]) counts[k]!++
      else {
        values[++k] = v
        counts[k] = 1
      }
    }
    this.#pending = 0
    this.#chunks.push({ values, counts })
    this.#runs += runs
    this.#largest = Math.max(this.#largest, runs)
  }
}

/** One ascending chunk of the runs of two: a value in both gets the sum of its counts (32-bit counts while they fit). */
function mergeRuns (a: Rows, b: Rows): Rows {
  const [av, ac, bv, bc] = [a.values, a.counts, b.values, b.counts]
  let n = 0
  let wide = false
  for (let i = 0, j = 0; i < av.length || j < bv.length; n++) {
    if (j === bv.length || (i < av.length && av[i]! < bv[j]!)) i++
    else if (i === av.length || bv[j]! < av[i]!) j++
    else if (ac[i++]! + bc[j++]! > 0xffffffff) wide = true
  }
  const values = new Uint32Array(n)
  const counts = wide ? new Float64Array(n) : new Uint32Array(n)
  for (let i = 0, j = 0, k = 0; k < n; k++) {
    if (j === bv.length || (i < av.length && av[i]! < bv[j]!)) {
      values[k] = av[i]!
      counts[k] = ac[i++]!
    } else if (i === av.length || bv[j]! < av[i]!) {
      values[k] = bv[j]!
      counts[k] = bc[j++]!
    } else {
      values[k] = av[i]!
      counts[k] = ac[i++]! + bc[j++]!
    }
  }
  return { values, counts }
}

/** Below this, the built-in sort; from it, three 11-bit passes; from WIDE_RADIX_MIN, two 16-bit ones (bench/RESULTS.md). */
const RADIX_MIN = 1 << 11
const WIDE_RADIX_MIN = 1 << 18

/** The radix sorts' histograms, made once per thread and cleared for each sort. */
let histograms: Uint32Array | undefined
let narrowHistograms: Uint32Array | undefined

/**
 * Sorts unsigned 32-bit values ascending: an LSD radix sort for all but small arrays, in three
 * 11-bit passes up to WIDE_RADIX_MIN values and in two 16-bit passes from there (whose 64K-bucket
 * histograms only pay on large arrays); the built-in sort below RADIX_MIN (past a few thousand
 * values above 2^30, which it handles as heap numbers, it is 4x slower than the radix sort).
 * Returns the sorted array (the input). `scratch`, when it has room for `a`, is used instead of
 * a new array (its content is lost).
 */
export function sortU32 (a: Uint32Array, scratch?: Uint32Array): Uint32Array {
  const n = a.length
  if (n < RADIX_MIN) return a.sort()
  const tmp = scratch !== undefined && scratch.length >= n ? scratch.subarray(0, n) : new Uint32Array(n)
  if (n < WIDE_RADIX_MIN) return sortNarrow(a, tmp)
  histograms = histograms?.fill(0) ?? new Uint32Array(2 * 65536)
  const low = histograms.subarray(0, 65536)
  const high = histograms.subarray(65536)
  for (let i = 0; i < n; i++) {
    const v = a[i]!
    low[v & 0xffff]!++
    high[v >>> 16]!++
  }
  prefixSums(low)
  prefixSums(high)
  for (let i = 0; i < n; i++) {
    const v = a[i]!
    tmp[low[v & 0xffff]!++] = v
  }
  for (let i = 0; i < n; i++) {
    const v = tmp[i]!
    a[high[v >>> 16]!++] = v
  }
  return a
}

/** sortU32's three passes of 11 bits (the last 10), through `tmp` (as long as `a`) and back. */
function sortNarrow (a: Uint32Array, tmp: Uint32Array): Uint32Array {
  const n = a.length
  narrowHistograms = narrowHistograms?.fill(0) ?? new Uint32Array(3 * 2048)
  const low = narrowHistograms.subarray(0, 2048)
  const mid = narrowHistograms.subarray(2048, 4096)
  const high = narrowHistograms.subarray(4096)
  for (let i = 0; i < n; i++) {
    const v = a[i]!
    low[v & 0x7ff]!++
    mid[(v >>> 11) & 0x7ff]!++
    high[v >>> 22]!++
  }
  prefixSums(low)
  prefixSums(mid)
  prefixSums(high)
  for (let i = 0; i < n; i++) {
    const v = a[i]!
    tmp[low[v & 0x7ff]!++] = v
  }
  for (let i = 0; i < n; i++) {
    const v = tmp[i]!
    a[mid[(v >>> 11) & 0x7ff]!++] = v
  }
  for (let i = 0; i < n; i++) {
    const v = a[i]!
    tmp[high[v >>> 22]!++] = v
  }
  a.set(tmp)
  return a
}

function prefixSums (counts: Uint32Array): void {
  let sum = 0
  for (let i = 0; i < counts.length; i++) {
    const c = counts[i]!
    counts[i] = sum
    sum += c
  }
}
