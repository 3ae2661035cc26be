/**
 * value → count for the fields read from 8 or 16 bits (ports, length, TTL, TOS, protocol, ICMP),
 * with storage that grows with the values held. Indexing an array by value is the fastest way
 * to count (bench/RESULTS.md), but a 16-bit array costs 256 KiB whether it holds one value or
 * 60,000: with one such array per field, day and protocol, a capture spanning 3,000 days took
 * 2.7 GB. So the array covers only a prefix of the values, as long as DENSE_BYTES_PER_VALUE
 * times the distinct values held pays for it, and the values past it go to a small hash table.
 * Common values are small (lengths under 1,514, TCP and UDP, TTLs, ICMP types), so the prefix
 * soon holds nearly every packet; random ports fill the whole array after ~4,000 values.
 */
import type { Rows } from './counter.js'

/** The array never costs more than this per distinct value held. */
export const DENSE_BYTES_PER_VALUE = 64

/** A 32-bit count that reaches this has wrapped to 0 in its array: 2^32 goes to a map. */
const WRAP = 0x100000000
const NO_ARRAY = new Uint32Array(0)
/** The hash table's first size: 8 slots of (key, count). */
const FIRST_BITS = 3

/**
 * Counts values from -1 (absent) to `max` at index value + 1, and past `max` too (a length past
 * 65,535): index i < the array's length in the array, the others in an open-addressing table of
 * (i + 1, 32-bit count) pairs. A 32-bit count that wraps carries 2^32 into a map.
 */
export class DirectCounter {
  #dense = NO_ARRAY
  #slots = new Uint32Array(2 << FIRST_BITS)
  #shift = 32 - FIRST_BITS
  #mask = (2 << FIRST_BITS) - 1
  #size = 0
  /** Distinct values known: every value the table took, including those moved to the array since. */
  #held = 0
  /** The #held at which a longer array pays (the first: 16 entries for one value). */
  #widenAt = 1
  #wrapped: Map<number, number> | null = null
  /** The array's full length: indexes 0 to max + 1. */
  readonly #full: number

  /** `max`: the largest value the array may hold (255 or 65,535). */
  constructor (max: number) {
    this.#full = max + 2
  }

  /** Bytes of the typed arrays held. */
  get bytes (): number {
    return this.#dense.byteLength + this.#slots.byteLength
  }

  /** The array: index value + 1 of a value it covers is its count. It changes as the counter widens. */
  get dense (): Uint32Array {
    return this.#dense
  }

  /** The aggregator inlines this with the array it keeps (aggregator.ts `count`). */
  add (value: number): void {
    const i = value + 1
    const dense = this.#dense
    if (i < dense.length) {
      if (++dense[i]! === WRAP) this.carry(i)
    } else {
      this.addOutside(i)
    }
  }

  /** A count of the array that wrapped: 2^32 more for index i. */
  carry (i: number): void {
    this.#carry(i, WRAP)
  }

  /** Counts index i, which the array does not cover, in the table; the array may grow. */
  addOutside (i: number): void {
    const key = i + 1 // 0 marks an empty slot
    const slots = this.#slots
    let j = (Math.imul(key, 0x9e3779b1) >>> this.#shift) << 1
    for (;;) {
      const cur = slots[j]
      if (cur === key) {
        if (++slots[j + 1]! === WRAP) this.#carry(key - 1, WRAP)
        return
      }
      if (cur === 0) break
      j = (j + 2) & this.#mask
    }
    slots[j] = key
    slots[j + 1] = 1
    this.#size++
    if (++this.#held >= this.#widenAt) this.#widen()
    else if (this.#size * 8 > this.#mask * 3) this.#rehash(this.#slots, 34 - this.#shift)
  }

  /**
   * Doubles the array as often as the values held pay for it (16 entries at first, the full
   * length at last), moving the table's values that it now covers; the table keeps the others.
   */
  #widen (): void {
    let length = this.#dense.length
    while (length < this.#full && this.#held * DENSE_BYTES_PER_VALUE >= this.#longer(length) * 4) length = this.#longer(length)
    this.#widenAt = length === this.#full ? Infinity : Math.ceil(this.#longer(length) * 4 / DENSE_BYTES_PER_VALUE)
    const dense = new Uint32Array(length)
    dense.set(this.#dense)
    const slots = this.#slots
    for (let j = 0; j < slots.length; j += 2) {
      const i = slots[j]! - 1
      if (i >= 0 && i < dense.length) {
        dense[i] = slots[j + 1]!
        slots[j] = 0
        this.#size--
      }
    }
    this.#dense = dense
    let bits = FIRST_BITS
    while (this.#size * 8 > ((2 << bits) - 1) * 3) bits += 2
    this.#rehash(slots, bits)
  }

  #longer (length: number): number {
    return Math.min(Math.max(16, length * 2), this.#full)
  }

  /** Puts the table's entries into a new table of 2^bits slots. */
  #rehash (old: Uint32Array, bits: number): void {
    const slots = new Uint32Array(2 << bits)
    const mask = (2 << bits) - 1
    const shift = 32 - bits
    for (let k = 0; k < old.length; k += 2) {
      const key = old[k]!
      if (key === 0) continue
      let j = (Math.imul(key, 0x9e3779b1) >>> shift) << 1
      while (slots[j] !== 0) j = (j + 2) & mask
      slots[j] = key
      slots[j + 1] = old[k + 1]!
    }
    this.#slots = slots
    this.#shift = shift
    this.#mask = mask
  }

  #carry (i: number, n: number): void {
    const wrapped = this.#wrapped ??= new Map()
    wrapped.set(i, (wrapped.get(i) ?? 0) + n)
  }

  /** The (value, count) rows, each value once: the array's in ascending order, then the table's. */
  take (): Rows {
    const dense = this.#dense
    const slots = this.#slots
    // Counts past 2^32 (4 billion packets of one value): in practice, never.
    const wrapped = this.#wrapped
    // One scan of the array, its rows written into room and copied out at their number: a scan
    // to count them first cost as much again (an array a quarter full mispredicts every other
    // branch; bench/RESULTS.md, issue 14's twelfth session).
    const most = dense.length + this.#size + (wrapped?.size ?? 0)
    const { values, counts } = roomFor(most)
    let at = 0
    for (let i = 0; i < dense.length; i++) {
      const count = dense[i]!
      if (count !== 0) {
        values[at] = i - 1
        counts[at++] = count
      }
    }
    for (let j = 0; j < slots.length; j += 2) {
      if (slots[j] !== 0) {
        values[at] = slots[j]! - 2
        counts[at++] = slots[j + 1]!
      }
    }
    if (wrapped !== null) {
      for (let k = 0; k < at; k++) {
        const carried = wrapped.get(values[k]! + 1)
        if (carried === undefined) continue
        counts[k] = counts[k]! + carried
        wrapped.delete(values[k]! + 1)
      }
      // Counts left in `wrapped` wrapped to 0 exactly.
      for (const [i, carried] of wrapped) {
        values[at] = i - 1
        counts[at++] = carried
      }
    }
    this.#dense = NO_ARRAY
    this.#slots = NO_ARRAY
    return { values: values.slice(0, at), counts: counts.slice(0, at) }
  }
}

/**
 * take()'s room, kept by the thread between takes up to ROOM_ROWS rows (a 16-bit field's whole
 * array and some table: 1 MiB); a larger take gets room of its own, left with it.
 */
const ROOM_ROWS = 65538 + 2048
let room: { values: Float64Array, counts: Float64Array } | undefined

function roomFor (rows: number): { values: Float64Array, counts: Float64Array } {
  if (rows > ROOM_ROWS) return { values: new Float64Array(rows), counts: new Float64Array(rows) }
  return (room ??= { values: new Float64Array(ROOM_ROWS), counts: new Float64Array(ROOM_ROWS) })
}
