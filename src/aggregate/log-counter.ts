/**
 * value → count for TCP sequence numbers, the field where almost every packet brings a new
 * value (a SYN scan picks them at random). Hashing a million random keys misses the cache on
 * every probe; appending them to a log is sequential. The log is sorted and run-length
 * compacted into (value, count) arrays when full, so memory follows the distinct values plus one
 * bounded log. bench/RESULTS.md compares it with the hash table on a SYN-scan capture.
 */
import type { Rows } from './counter.js'

const FIRST_LOG = 1 << 16
const MAX_LOG = 1 << 22 // 16 MiB of pending values at most

export class LogCounter {
  #log = new Uint32Array(FIRST_LOG)
  #pending = 0
  #absent = 0
  #values = new Uint32Array(0)
  #counts = new Float64Array(0)

  /** Counts one value in [-1, 2^32). */
  add (value: number): void {
    if (value < 0) {
      this.#absent++
      return
    }
    if (this.#pending === this.#log.length) this.#makeRoom()
    this.#log[this.#pending++] = value
  }

  /** The (value, count) pairs, ascending; hands over the compacted arrays (the counter is spent). */
  take (): Rows {
    this.#compact()
    this.#log = new Uint32Array(0)
    const n = this.#values.length + (this.#absent > 0 ? 1 : 0)
    if (this.#absent === 0) return { values: this.#values, counts: this.#counts }
    // -1 sorts first: one copy with it in front (only when some packets had no TCP header)
    const values = new Float64Array(n)
    const counts = new Float64Array(n)
    values[0] = -1
    counts[0] = this.#absent
    values.set(this.#values, 1)
    counts.set(this.#counts, 1)
    return { values, counts }
  }

  #makeRoom (): void {
    if (this.#log.length < MAX_LOG) {
      const grown = new Uint32Array(this.#log.length * 2)
      grown.set(this.#log)
      this.#log = grown
    } else {
      this.#compact()
    }
  }

  /** Sorts the pending log, counts its runs and merges them into the compacted arrays. */
  #compact (): void {
    const n = this.#pending
    if (n === 0) return
    const log = sortU32(this.#log.subarray(0, n))
    let runs = 1
    for (let i = 1; i < n; i++) if (log[i] !== log[i - 1]) runs++
    const oldValues = this.#values
    const oldCounts = this.#counts
    const values = new Uint32Array(oldValues.length + runs)
    const counts = new Float64Array(oldValues.length + runs)
    let i = 0 // log
    let j = 0 // old
    let k = 0 // out
    while (i < n || j < oldValues.length) {
      const next = i < n ? log[i]! : Infinity
      const old = j < oldValues.length ? oldValues[j]! : Infinity
      if (old < next) {
        values[k] = old
        counts[k++] = oldCounts[j++]!
        continue
      }
      let run = 0
      while (i < n && log[i] === next) { i++; run++ }
      values[k] = next
      counts[k] = run
      if (old === next) counts[k]! += oldCounts[j++]!
      k++
    }
    this.#values = values.subarray(0, k)
    this.#counts = counts.subarray(0, k)
    this.#pending = 0
  }
}

const RADIX_MIN = 1 << 14

/**
 * Sorts unsigned 32-bit values ascending: an LSD radix sort in two 16-bit passes for large
 * arrays (several times faster than TypedArray#sort on a million values, bench/RESULTS.md),
 * the built-in sort for small ones. Returns the sorted array (the input, or a new one).
 */
export function sortU32 (a: Uint32Array): Uint32Array {
  const n = a.length
  if (n < RADIX_MIN) return a.sort()
  const tmp = new Uint32Array(n)
  const low = new Uint32Array(65536)
  const high = new Uint32Array(65536)
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

function prefixSums (counts: Uint32Array): void {
  let sum = 0
  for (let i = 0; i < counts.length; i++) {
    const c = counts[i]!
    counts[i] = sum
    sum += c
  }
}
