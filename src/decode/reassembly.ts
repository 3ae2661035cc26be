/**
 * IPv4 reassembly as the original saw it. tshark (ip.defragment on by default) dissects a
 * fragmented datagram's transport header only in the frame that completes it; the other
 * fragments carry no ports. Only `firstIpv4` facts (the original's view) use this; by default
 * potiron takes the ports from the first fragment, statelessly.
 *
 * Only the head of the first fragment's payload is kept (enough for every header potiron
 * reads), and at most MAX_PENDING datagrams are tracked, oldest dropped first.
 */

const KEPT_PAYLOAD = 256
const MAX_PENDING = 4096

interface Datagram {
  /** Covered byte ranges of the payload, [start, end) pairs, unsorted. */
  ranges: number[]
  /** Payload length, known once the last fragment (MF clear) is seen; -1 before. */
  total: number
  head: Uint8Array | undefined
  /** A fragment was cut by the snap length: tshark cannot reassemble it either. */
  damaged: boolean
  done: boolean
}

export class Ipv4Reassembly {
  readonly #pending = new Map<string, Datagram>()

  /**
   * Adds one fragment (payload bytes buf[off, off + captured), `length` announced by the IP
   * header). Returns the head of the reassembled payload when this fragment completes the
   * datagram, undefined otherwise.
   */
  add (key: string, offset: number, moreFragments: boolean, buf: Uint8Array, off: number, captured: number, length: number): Uint8Array | undefined {
    let d = this.#pending.get(key)
    if (d === undefined) {
      d = { ranges: [], total: -1, head: undefined, damaged: false, done: false }
      this.#pending.set(key, d)
      if (this.#pending.size > MAX_PENDING) this.#pending.delete(this.#pending.keys().next().value!)
    }
    if (d.done) return undefined
    if (captured < length) d.damaged = true
    // A copy: Buffer#slice would be a view into the reader's reused chunk.
    if (offset === 0) d.head = Uint8Array.prototype.slice.call(buf, off, off + Math.min(captured, KEPT_PAYLOAD))
    if (!moreFragments) d.total = offset + length
    d.ranges.push(offset, offset + length)
    if (d.damaged || d.total < 0 || d.head === undefined || !covers(d.ranges, d.total)) return undefined
    d.done = true
    return d.head
  }
}

function covers (ranges: number[], total: number): boolean {
  const pairs: Array<[number, number]> = []
  for (let i = 0; i < ranges.length; i += 2) pairs.push([ranges[i]!, ranges[i + 1]!])
  pairs.sort((a, b) => a[0] - b[0])
  let reached = 0
  for (const [start, end] of pairs) {
    if (start > reached) return false
    if (end > reached) reached = end
  }
  return reached >= total
}
