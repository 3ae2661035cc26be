/**
 * One sorted set's members while a contribution is merged, kept as numbers: the count tables'
 * values (fields.ts coding) and their counts, packed two in a double, merged and put in
 * ascending order of value by one radix sort when first read. Merging a day's captures this way
 * costs an append per row instead of a member string and a Map entry (the string Maps were
 * most of the coordinator's CPU and ~180 B a member of its memory; a row here takes 8 B, a
 * member in order 16 B), and the members are framed straight into RESP bytes (framed.ts
 * zaddMembers) when their turn to be written comes. bench/RESULTS.md, issue 14's sixth session.
 *
 * Values that print the same are one member, as the original's strings make them: an absent
 * ICMP type is 255, every absent value of a field is its one sentinel, and the IPv6 ids of each
 * table (indexes into that table's own address list) become ids into this set's own list.
 */
import { ENRICH_WORDS, IPV6_BASE, isEnrichField, memberString, type FieldName } from '../aggregate/fields.js'
import type { CountGroup } from '../aggregate/table.js'

/** What a contribution's sorted set holds: member strings and counts (a Map, or MemberCounts). */
export interface Members extends Iterable<[string, number]> {
  readonly size: number
  entries: () => IterableIterator<[string, number]>
}

/** Distinct members in ascending order of value, and their counts. */
export interface Ordered {
  values: Float64Array
  counts: Float64Array
}

export class MemberCounts implements Members {
  readonly field: FieldName
  /** Rows added since the members were last put in order, each a value and its count packed (see PACK_COUNTS). */
  #rows = new Float64Array(64)
  #added = 0
  /** Rows whose value or count does not pack: value → count. */
  #loose = new Map<number, number>()
  /** The distinct members so far in ascending order of value, once put in order. */
  #ordered: Ordered = { values: new Float64Array(0), counts: new Float64Array(0) }
  /** The IPv6 addresses of this set's ids, 16 bytes each, and each address's id. */
  #ipv6 = new Uint8Array(0)
  #ipv6Ids = new Map<string, number>()
  /** What absent values (negative codes) count as. */
  readonly #absent: number

  constructor (field: FieldName) {
    this.field = field
    this.#absent = field === 'icmpcode' || field === 'icmptype' ? 255 : -1
  }

  /** Distinct members (puts them in order). */
  get size (): number {
    return this.inOrder().values.length
  }

  /** Adds a count table group's rows; `ipv6` is that table's address list. */
  addGroup (g: CountGroup, ipv6: Uint8Array): void {
    const { values, counts } = g
    if (this.#rows.length < this.#added + values.length) {
      const rows = new Float64Array(Math.max(2 * this.#rows.length, this.#added + values.length))
      rows.set(this.#rows.subarray(0, this.#added))
      this.#rows = rows
    }
    const enrich = isEnrichField(this.field)
    const rows = this.#rows
    let added = this.#added
    for (let i = 0; i < values.length; i++) {
      let v = values[i]!
      const c = counts[i]!
      if (v < 0) {
        // The words of the enrichment fields are members of their own; any other code prints as the sentinel.
        if (!(enrich && v < -1 && ENRICH_WORDS[-v - 1] !== undefined)) v = this.#absent
      } else if (v >= IPV6_BASE) {
        v = this.#addressId(ipv6, v - IPV6_BASE)
      }
      if (v < PACK_LIMIT && c < PACK_COUNTS && c >= 0 && Number.isInteger(v) && Number.isInteger(c)) rows[added++] = (v + PACK_OFFSET) * PACK_COUNTS + c
      else this.#loose.set(v, (this.#loose.get(v) ?? 0) + c)
    }
    this.#added = added
  }

  /** The member string of value `v`, as memberString makes it. */
  memberOf (v: number): string {
    return memberString(this.field, v, this.#ipv6)
  }

  * entries (): IterableIterator<[string, number]> {
    const { values, counts } = this.inOrder()
    for (let i = 0; i < values.length; i++) yield [this.memberOf(values[i]!), counts[i]!]
  }

  [Symbol.iterator] (): IterableIterator<[string, number]> {
    return this.entries()
  }

  /**
   * The members sorted by value, rows of one value added up: Redis adds members given in order
   * for much less of its CPU than in the order files first saw them (bench:ingest, 24 hourly
   * captures: 1.5 s against 2.6 s). One sort of the packed rows both merges and orders them.
   */
  inOrder (): Ordered {
    const steps = this.#sorting()
    while (steps.next().done !== true);
    return this.#ordered
  }

  /**
   * inOrder, letting the event loop turn between the steps of the sort: ordering a key of 1M
   * rows at once held the coordinator ~50 ms, and with it the commands queued on the socket,
   * while Redis waited for them (bench/RESULTS.md, issue 14's seventh session).
   */
  async order (): Promise<Ordered> {
    const steps = this.#sorting()
    while (steps.next().done !== true) await new Promise(resolve => setImmediate(resolve))
    return this.#ordered
  }

  /** Puts the members in order (see inOrder), yielding between steps of ~SORT_STEP rows. */
  * #sorting (): Generator<void> {
    if (this.#added > 0 || this.#loose.size > 0) {
      const rows = yield * sortRows(this.#rows.subarray(0, this.#added))
      const old = this.#ordered
      const before = old.values.length
      const values = new Float64Array(before + rows.length + this.#loose.size)
      const counts = new Float64Array(values.length)
      let n = 0
      let j = 0
      const put = (v: number, c: number): void => {
        if (n > 0 && values[n - 1] === v) counts[n - 1]! += c
        else { values[n] = v; counts[n++] = c }
      }
      // The rows merged into the members already in order, both ascending.
      for (let i = 0; i < rows.length; i++) {
        if (i % SORT_STEP === SORT_STEP - 1) yield
        // Division by a power of two is exact; a floating-point % costs several times more.
        const packed = rows[i]!
        const high = Math.floor(packed / PACK_COUNTS)
        const c = packed - high * PACK_COUNTS
        const v = high - PACK_OFFSET
        while (j < before && old.values[j]! <= v) { put(old.values[j]!, old.counts[j]!); j++ }
        put(v, c)
      }
      while (j < before) { put(old.values[j]!, old.counts[j]!); j++ }
      this.#ordered = { values: values.subarray(0, n), counts: counts.subarray(0, n) }
      this.#added = 0
      this.#rows = new Float64Array(64)
      for (const [v, c] of this.#loose) this.#addLoose(v, c)
      this.#loose.clear()
    }
  }

  /** Adds a member that does not pack to the members in order (rare: a count of a million packets or more in one file). */
  #addLoose (v: number, c: number): void {
    const old = this.#ordered
    let lo = 0
    let hi = old.values.length
    while (lo < hi) {
      const mid = (lo + hi) >>> 1
      if (old.values[mid]! < v) lo = mid + 1
      else hi = mid
    }
    if (old.values[lo] === v) { old.counts[lo]! += c; return }
    const values = new Float64Array(old.values.length + 1)
    const counts = new Float64Array(values.length)
    values.set(old.values.subarray(0, lo))
    counts.set(old.counts.subarray(0, lo))
    values[lo] = v
    counts[lo] = c
    values.set(old.values.subarray(lo), lo + 1)
    counts.set(old.counts.subarray(lo), lo + 1)
    this.#ordered = { values, counts }
  }

  #addressId (ipv6: Uint8Array, id: number): number {
    const bytes = ipv6.subarray(id * 16, id * 16 + 16)
    const text = String.fromCharCode(...bytes)
    let own = this.#ipv6Ids.get(text)
    if (own === undefined) {
      own = this.#ipv6Ids.size
      this.#ipv6Ids.set(text, own)
      if (this.#ipv6.length < (own + 1) * 16) {
        const grown = new Uint8Array(Math.max(256, this.#ipv6.length * 2))
        grown.set(this.#ipv6)
        this.#ipv6 = grown
      }
      this.#ipv6.set(bytes, own * 16)
    }
    return IPV6_BASE + own
  }
}

/**
 * A value and its count packed in one double for sorting: (value + PACK_OFFSET) * PACK_COUNTS +
 * count is exact below 2^53, which values from -PACK_OFFSET (the words) up to PACK_LIMIT (IPv6
 * ids included) and counts below PACK_COUNTS keep.
 */
const PACK_OFFSET = 8
const PACK_COUNTS = 2 ** 20
const PACK_LIMIT = 2 ** 33 - PACK_OFFSET

/** Rows sorted or merged between two turns of the event loop in MemberCounts.order (a few ms). */
const SORT_STEP = 2 ** 18

/**
 * Ascending runs at most for which sortRows merges rather than sorts: each merge pass halves
 * them, so 32 runs take 5 sequential passes against the radix sort's 3-4 scattered ones.
 */
const MERGED_RUNS = 32

/**
 * `rows` in ascending order. The count tables give most rows in ascending runs already (a
 * dense counter's values, the tcpseq log's sorted chunks: a day's 1.06M rows come as ~20
 * runs), and merging them pass by pass reads and writes memory in order, where the radix sort
 * scatters every row four times: rows in few runs are merged, others radix-sorted.
 */
function * sortRows (rows: Float64Array): Generator<void, Float64Array> {
  const starts = [0]
  for (let i = 1; i < rows.length && starts.length <= MERGED_RUNS; i++) if (rows[i]! < rows[i - 1]!) starts.push(i)
  if (starts.length > MERGED_RUNS) return yield * radixSort(rows)
  let from: Float64Array = rows
  let to: Float64Array = new Float64Array(rows.length)
  let runs = starts
  let done = 0
  while (runs.length > 1) {
    const merged = []
    for (let r = 0; r < runs.length; r += 2) {
      const a = runs[r]!
      const b = runs[r + 1] ?? rows.length
      const end = runs[r + 2] ?? rows.length
      merged.push(a)
      let i = a
      let j = b
      let k = a
      while (i < b && j < end) to[k++] = from[i]! <= from[j]! ? from[i++]! : from[j++]!
      while (i < b) to[k++] = from[i++]!
      while (j < end) to[k++] = from[j++]!
      done += end - a
      if (done >= SORT_STEP) { done = 0; yield }
    }
    runs = merged
    const swap = from
    from = to
    to = swap
  }
  return from
}

/**
 * `rows` (packed, so positive: their bit patterns order as their values) in ascending order:
 * a radix sort on 16 bits at a time, several times faster here than the built-in sort
 * (bench:encode). Returns `rows` or a new array; yields between passes over many rows.
 */
function * radixSort (rows: Float64Array): Generator<void, Float64Array> {
  let from: Float64Array = rows
  let to: Float64Array = new Float64Array(rows.length)
  const counts = new Uint32Array(65536)
  for (let pass = 0; pass < 4; pass++) {
    const words = new Uint32Array(from.buffer, from.byteOffset, 2 * from.length)
    // Little-endian: the low word of row i is words[2i].
    const word = pass >> 1
    const shift = (pass & 1) * 16
    counts.fill(0)
    for (let i = 0; i < from.length; i++) counts[(words[2 * i + word]! >>> shift) & 0xffff]!++
    if (from.length > SORT_STEP) yield
    if (counts.includes(from.length)) continue
    let sum = 0
    for (let d = 0; d < 65536; d++) {
      const c = counts[d]!
      counts[d] = sum
      sum += c
    }
    for (let i = 0; i < from.length; i++) to[counts[(words[2 * i + word]! >>> shift) & 0xffff]!++] = from[i]!
    if (from.length > SORT_STEP) yield
    const swap = from
    from = to
    to = swap
  }
  return from
}
