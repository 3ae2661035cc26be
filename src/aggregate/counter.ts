/**
 * Open-addressing hash counters for the hot loop: numeric keys, typed arrays, linear probing,
 * load factor at most 1/2. No per-packet allocation; memory grows with distinct values only.
 */

const EMPTY = 0
/** Stored keys are value + KEY_BIAS so that the smallest value, -1 ("absent"), is never EMPTY. */
const KEY_BIAS = 2
const TWO_32 = 4294967296

function hash (key: number): number {
  return Math.imul((key | 0) ^ ((key / TWO_32) | 0), 0x9e3779b1) ^ (key >>> 16)
}

/** value → count, for integer values in [-1, 2^53 - 2] (stored as value + 2, which must stay exact). */
export class NumberCounter {
  #keys: Float64Array
  #counts: Float64Array
  #mask: number
  #size = 0

  constructor (capacity = 64) {
    let cap = 16
    while (cap < capacity * 2) cap *= 2
    this.#keys = new Float64Array(cap)
    this.#counts = new Float64Array(cap)
    this.#mask = cap - 1
  }

  get size (): number {
    return this.#size
  }

  add (value: number, n: number): void {
    const key = value + KEY_BIAS
    const keys = this.#keys
    const mask = this.#mask
    let i = hash(key) & mask
    for (;;) {
      const cur = keys[i]
      if (cur === key) {
        this.#counts[i]! += n
        return
      }
      if (cur === EMPTY) {
        keys[i] = key
        this.#counts[i] = n
        if (++this.#size * 2 > mask) this.#grow()
        return
      }
      i = (i + 1) & mask
    }
  }

  /** Calls fn for every (value, count), in table order. */
  forEach (fn: (value: number, count: number) => void): void {
    const keys = this.#keys
    for (let i = 0; i < keys.length; i++) {
      const key = keys[i]!
      if (key !== EMPTY) fn(key - KEY_BIAS, this.#counts[i]!)
    }
  }

  #grow (): void {
    const oldKeys = this.#keys
    const oldCounts = this.#counts
    const cap = oldKeys.length * 2
    this.#keys = new Float64Array(cap)
    this.#counts = new Float64Array(cap)
    this.#mask = cap - 1
    this.#size = 0
    for (let i = 0; i < oldKeys.length; i++) {
      const key = oldKeys[i]!
      if (key !== EMPTY) this.add(key - KEY_BIAS, oldCounts[i]!)
    }
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

  /** The id of the address at buf[off, off + 16), adding it when new. */
  intern (buf: Uint8Array, off: number): number {
    const w0 = word(buf, off); const w1 = word(buf, off + 4); const w2 = word(buf, off + 8); const w3 = word(buf, off + 12)
    let i = (Math.imul(w0 ^ Math.imul(w1, 0x85ebca6b) ^ Math.imul(w2, 0xc2b2ae35) ^ Math.imul(w3, 0x27d4eb2f), 0x9e3779b1) >>> 7) & this.#mask
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
      let i = (Math.imul(word(bytes, at) ^ Math.imul(word(bytes, at + 4), 0x85ebca6b) ^ Math.imul(word(bytes, at + 8), 0xc2b2ae35) ^ Math.imul(word(bytes, at + 12), 0x27d4eb2f), 0x9e3779b1) >>> 7) & this.#mask
      while (this.#slots[i] !== 0) i = (i + 1) & this.#mask
      this.#slots[i] = id + 1
    }
  }
}

function word (buf: Uint8Array, off: number): number {
  return (buf[off]! << 24) | (buf[off + 1]! << 16) | (buf[off + 2]! << 8) | buf[off + 3]!
}
