/**
 * A cheap fingerprint of a capture's content: the decompressed stream of a gzip file, the bytes
 * of any other. `x.pcap` and `x.pcap.gz` of one capture get the same one.
 *
 * Definition: with `bytes` the content's length, `head` its first min(4096, bytes) bytes and
 * `tail` its last min(4096, bytes) bytes (the two overlap when bytes < 8192, and are both the
 * whole content when bytes <= 4096), the fingerprint is the first 32 hex digits (128 bits) of
 * SHA-256 over the decimal digits of `bytes`, a newline (0x0a), `head`, then `tail`.
 *
 * It tells contents apart by length, head and tail only: a change in the middle that keeps the
 * length is not seen. That is the price of reading 8 KiB of a plain file instead of all of it.
 */
import { createHash } from 'node:crypto'
import { open } from 'node:fs/promises'
import { CaptureError } from '../errors.js'
import { readAt, unreadable } from './io.js'

/** Bytes taken from each end of the content. */
export const FINGERPRINT_EDGE = 4096
const FINGERPRINT_HEX_DIGITS = 32

export interface ContentFingerprint {
  /** Length of the content. */
  bytes: number
  /** See the module comment. */
  fingerprint: string
}

function digest (bytes: number, head: Buffer, tail: Buffer): ContentFingerprint {
  const hash = createHash('sha256').update(`${bytes}\n`).update(head).update(tail)
  return { bytes, fingerprint: hash.digest('hex').slice(0, FINGERPRINT_HEX_DIGITS) }
}

/** The fingerprint of content held in one buffer. */
export function fingerprintOf (content: Buffer): ContentFingerprint {
  const edge = Math.min(FINGERPRINT_EDGE, content.length)
  return digest(content.length, content.subarray(0, edge), content.subarray(content.length - edge))
}

/**
 * The fingerprint of a file's bytes taken as content (so of a plain capture, not of a gzip one,
 * whose content is known only by inflating it), from two positional reads. Throws CaptureError
 * UNREADABLE when the file cannot be read or shrinks meanwhile.
 */
export async function fingerprintOfPlainFile (path: string): Promise<ContentFingerprint> {
  const fh = await open(path, 'r').catch((err: unknown) => { throw unreadable(path, 0, err) })
  try {
    const { size } = await fh.stat().catch((err: unknown) => { throw unreadable(path, 0, err) })
    const edge = Math.min(FINGERPRINT_EDGE, size)
    const read = async (position: number): Promise<Buffer> => {
      const buf = Buffer.alloc(edge)
      const n = await readAt(fh, path, buf, position)
      if (n !== edge) throw new CaptureError('UNREADABLE', path, position + n, `cannot read: the file shrank below its ${size} bytes while read`)
      return buf
    }
    return digest(size, await read(0), await read(size - edge))
  } finally {
    await fh.close().catch(() => {})
  }
}

/**
 * Fingerprints content that arrives in chunks: keeps the head and a rolling copy of the last
 * FINGERPRINT_EDGE bytes, so a chunk costs at most two copies of 4 KiB, whatever its size.
 */
export class ContentTracker {
  #bytes = 0
  readonly #head = Buffer.alloc(FINGERPRINT_EDGE)
  #headLength = 0
  readonly #tail = Buffer.alloc(FINGERPRINT_EDGE)
  #tailLength = 0

  update (chunk: Buffer): void {
    const n = chunk.length
    if (this.#headLength < FINGERPRINT_EDGE) this.#headLength += chunk.copy(this.#head, this.#headLength, 0, FINGERPRINT_EDGE - this.#headLength)
    if (n >= FINGERPRINT_EDGE) {
      chunk.copy(this.#tail, 0, n - FINGERPRINT_EDGE)
      this.#tailLength = FINGERPRINT_EDGE
    } else {
      const keep = Math.min(this.#tailLength, FINGERPRINT_EDGE - n)
      this.#tail.copyWithin(0, this.#tailLength - keep, this.#tailLength)
      chunk.copy(this.#tail, keep)
      this.#tailLength = keep + n
    }
    this.#bytes += n
  }

  /** The fingerprint of everything passed to `update`. */
  result (): ContentFingerprint {
    return digest(this.#bytes, this.#head.subarray(0, this.#headLength), this.#tail.subarray(0, this.#tailLength))
  }
}
