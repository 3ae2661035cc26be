/**
 * Open-addressing hash counters for the hot loop: numeric keys, typed arrays, linear probing,
 * load factor at most 1/2. No per-packet allocation; memory grows with distinct values only.
 */

/** (value, count) pairs handed out of a counter; the counter is spent afterwards. */
export interface Rows {
  values: Float64Array | Uint32Array
  counts: Float64Array | Uint32Array
}

const EMPTY = 0
/** Stored keys are value + KEY_BIAS so that the smallest value, -1 ("absent"), is never EMPTY. */
const KEY_BIAS = 2
const MIN_BITS = 4

/**
 * value → count, for integer values in [-1, 2^53 - 2] (stored as value + 2, which must stay
 * exact). Keys and counts are interleaved in one Float64Array so that a probe touches one cache
 * line; the slot comes from the high bits of a multiplicative hash of the key's low 32 bits
 * (values that differ only above bit 31, IPv6 ids past 2^32, still differ there).
 * See bench/RESULTS.md for the comparison with separate key and count arrays.
 */
export class NumberCounter {
  #slots: Float64Array
  #shift: number
  #mask: number
  #size = 0

  constructor (capacity = 64) {
    let bits = MIN_BITS
    while ((1 << bits) < capacity * 2) bits++
    this.#slots = new Float64Array(2 << bits)
    this.#shift = 32 - bits
    this.#mask = (2 << bits) - 1
  }

  get size (): number {
    return this.#size
  }

  /** Bytes of the typed arrays held. */
  get bytes (): number {
    return this.#slots.byteLength
  }

  add (value: number, n: number): void {
    const key = value + KEY_BIAS
    const slots = this.#slots
    const mask = this.#mask
    let i = (Math.imul(key | 0, 0x9e3779b1) >>> this.#shift) << 1
    for (;;) {
      const cur = slots[i]
      if (cur === key) {
        slots[i + 1]! += n
        return
      }
      if (cur === EMPTY) {
        slots[i] = key
        slots[i + 1] = n
        if (++this.#size * 4 > mask) this.#grow()
        return
      }
      i = (i + 2) & mask
    }
  }

  /** Calls fn for every (value, count), in table order. */
  forEach (fn: (value: number, count: number) => void): void {
    const slots = this.#slots
    for (let i = 0; i < slots.length; i += 2) {
      const key = slots[i]!
      if (key !== EMPTY) fn(key - KEY_BIAS, slots[i + 1]!)
    }
  }

  /** Writes (value, count) pairs into `values`/`counts` from index `at`; returns the next index. */
  writeRows (values: Float64Array, counts: Float64Array, at: number): number {
    const slots = this.#slots
    for (let i = 0; i < slots.length; i += 2) {
      const key = slots[i]!
      if (key === EMPTY) continue
      values[at] = key - KEY_BIAS
      counts[at++] = slots[i + 1]!
    }
    return at
  }

  #grow (): void {
    const old = this.#slots
    const bits = 33 - this.#shift
    this.#slots = new Float64Array(2 << bits)
    this.#shift = 32 - bits
    this.#mask = (2 << bits) - 1
    this.#size = 0
    for (let i = 0; i < old.length; i += 2) {
      const key = old[i]!
      if (key !== EMPTY) this.add(key - KEY_BIAS, old[i + 1]!)
    }
  }
}

/**
 * value → count for 32-bit values: IPv4 addresses, TCP acknowledgment numbers. Keys and counts
 * are interleaved in one Uint32Array (8 bytes a slot, up to 3/4 full: half the cache footprint
 * of NumberCounter, see bench/RESULTS.md). 0 marks an empty slot, so the values 0 and -1
 * (absent) are counted aside, as are the rare counts that outgrow 32 bits; values past 2^32
 * (IPv6 address ids) go to a NumberCounter made when the first one comes.
 */
export class Uint32Counter {
  #slots: Uint32Array
  #shift: number
  #mask: number
  #size = 0
  #zero = 0
  #absent = 0
  #overflow: Map<number, number> | null = null
  #wide: NumberCounter | null = null

  constructor () {
    this.#slots = new Uint32Array(2 << MIN_BITS)
    this.#shift = 32 - MIN_BITS
    this.#mask = (2 << MIN_BITS) - 1
  }

  get size (): number {
    return this.#size + (this.#zero > 0 ? 1 : 0) + (this.#absent > 0 ? 1 : 0) + (this.#wide?.size ?? 0)
  }

  /** Bytes of the typed arrays held. */
  get bytes (): number {
    return this.#slots.byteLength + (this.#wide?.bytes ?? 0)
  }

  /**
   * The hot path is kept small so that the optimizing compiler inlines it at each of the
   * aggregator's call sites; everything rare is out of line (bench/RESULTS.md, inlining budget).
   */
  add (value: number, n: number): void {
    if (value > 0 && value <= 0xffffffff) {
      const slots = this.#slots
      let i = (Math.imul(value, 0x9e3779b1) >>> this.#shift) << 1
      for (;;) {
        const cur = slots[i]
        if (cur === value) {
          const count = slots[i + 1]! + n
          if (count > 0xffffffff) return this.#carry(value, i, count)
          slots[i + 1] = count
          return
        }
        if (cur === EMPTY) return this.#insert(value, i, n)
        i = (i + 2) & this.#mask
      }
    }
    this.#addAside(value, n)
  }

  /** 0, -1 (absent) and IPv6 address ids, which the 32-bit slots cannot hold. */
  #addAside (value: number, n: number): void {
    if (value === 0) this.#zero += n
    else if (value < 0) this.#absent += n
    else (this.#wide ??= new NumberCounter(8)).add(value, n)
  }

  #insert (value: number, i: number, n: number): void {
    this.#slots[i] = value
    this.#slots[i + 1] = n
    if (++this.#size * 8 > this.#mask * 3) this.#grow()
  }

  /** A count past 2^32 keeps its low 32 bits in the slot and the rest in the overflow map. */
  #carry (value: number, i: number, count: number): void {
    const overflow = this.#overflow ??= new Map()
    overflow.set(value, (overflow.get(value) ?? 0) + 0x100000000)
    this.#slots[i + 1] = count - 0x100000000
  }

  /** The (value, count) pairs, in exact-size arrays; the counter is spent afterwards. */
  take (): Rows {
    const n = this.size
    const rows = { values: new Float64Array(n), counts: new Float64Array(n) }
    this.#writeRows(rows.values, rows.counts, 0)
    this.#slots = new Uint32Array(0)
    this.#wide = null
    return rows
  }

  #writeRows (values: Float64Array, counts: Float64Array, at: number): number {
    if (this.#absent > 0) { values[at] = -1; counts[at++] = this.#absent }
    if (this.#zero > 0) { values[at] = 0; counts[at++] = this.#zero }
    const slots = this.#slots
    const overflow = this.#overflow
    for (let i = 0; i < slots.length; i += 2) {
      const value = slots[i]!
      if (value === EMPTY) continue
      values[at] = value
      counts[at++] = slots[i + 1]! + (overflow?.get(value) ?? 0)
    }
    return this.#wide === null ? at : this.#wide.writeRows(values, counts, at)
  }

  /** Grows 4x at a time: a SYN scan's table reaches millions of slots, and each rehash costs. */
  #grow (): void {
    const old = this.#slots
    const bits = 34 - this.#shift
    const slots = new Uint32Array(2 << bits)
    const mask = (2 << bits) - 1
    const shift = 32 - bits
    for (let j = 0; j < old.length; j += 2) {
      const value = old[j]!
      if (value === EMPTY) continue
      let i = (Math.imul(value, 0x9e3779b1) >>> shift) << 1
      while (slots[i] !== EMPTY) i = (i + 2) & mask
      slots[i] = value
      slots[i + 1] = old[j + 1]!
    }
    this.#slots = slots
    this.#shift = shift
    this.#mask = mask
  }
}

/**
 * Interns 16-byte IPv6 addresses into small ids (0, 1, 2, ...). The addresses themselves are
 * kept in one growing byte array, 16 bytes per id, which is what crosses threads.
 */
export class Ipv6Table {
  #slots: Int32Array  // id + 1 per slot, 0 = empty
  #mask: number
  #bytes = new Uint8Array(16 * 64)
  #count = 0

  constructor () {
    this.#slots = new Int32Array(256)
    this.#mask = 255
  }

  get count (): number {
    return this.#count
  }

  /** Bytes of the typed arrays held. */
  get bytes (): number {
    return this.#slots.byteLength + this.#bytes.byteLength
  }

  /** The id of the address at buf[off, off + 16), adding it when new. */
  intern (buf: Uint8Array, off: number): number {
    const w0 = word(buf, off); const w1 = word(buf, off + 4); const w2 = word(buf, off + 8); const w3 = word(buf, off + 12)
    let i = hash128(w0, w1, w2, w3) & this.#mask
    const bytes = this.#bytes
    for (;;) {
      const slot = this.#slots[i]!
      if (slot === 0) break
      const at = (slot - 1) * 16
      if (word(bytes, at) === w0 && word(bytes, at + 4) === w1 && word(bytes, at + 8) === w2 && word(bytes, at + 12) === w3) return slot - 1
      i = (i + 1) & this.#mask
    }
    const id = this.#count++
    if ((id + 1) * 16 > this.#bytes.length) {
      const grown = new Uint8Array(this.#bytes.length * 2)
      grown.set(this.#bytes)
      this.#bytes = grown
    }
    this.#bytes.set(buf.subarray(off, off + 16), id * 16)
    this.#slots[i] = id + 1
    if (this.#count * 2 > this.#mask) this.#rehash()
    return id
  }

  /** A compact copy of the interned addresses (16 bytes per id), owning its buffer. */
  toBytes (): Uint8Array {
    return this.#bytes.slice(0, this.#count * 16)
  }

  #rehash (): void {
    const cap = (this.#mask + 1) * 2
    this.#slots = new Int32Array(cap)
    this.#mask = cap - 1
    const bytes = this.#bytes
    for (let id = 0; id < this.#count; id++) {
      const at = id * 16
      let i = hash128(word(bytes, at), word(bytes, at + 4), word(bytes, at + 8), word(bytes, at + 12)) & this.#mask
      while (this.#slots[i] !== 0) i = (i + 1) & this.#mask
      this.#slots[i] = id + 1
    }
  }
}

/** A 25-bit hash of a 16-byte address given as four big-endian words. */
function hash128 (w0: number, w1: number, w2: number, w3: number): number {
  return Math.imul(w0 ^ Math.imul(w1, 0x85ebca6b) ^ Math.imul(w2, 0xc2b2ae35) ^ Math.imul(w3, 0x27d4eb2f), 0x9e3779b1) >>> 7
}

function word (buf: Uint8Array, off: number): number {
  return (buf[off]! << 24) | (buf[off + 1]! << 16) | (buf[off + 2]! << 8) | buf[off + 3]!
}
