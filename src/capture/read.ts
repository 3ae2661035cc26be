/**
 * Reads one capture file (pcap, pcapng, or a gzip of either) from disk into a PacketSink, in
 * bounded memory: two read buffers for a plain file, at most 16 MiB of decompressed data (plus
 * zlib's own window and chunk) for a gzip one (gzip.ts).
 */

import { open, stat } from 'node:fs/promises'
import type { FileHandle } from 'node:fs/promises'
import { CaptureError } from '../errors.js'
import { GZIP_ID1, GZIP_ID2 } from './constants.js'
import { ContentTracker, type ContentFingerprint } from './fingerprint.js'
import { readGzip, type Push } from './gzip.js'
import { readAt, unreadable } from './io.js'
import { CaptureParser } from './parser.js'
import type { CaptureInfo, PacketSink } from './types.js'

/** Read size for plain and compressed files. */
export const DEFAULT_CHUNK_BYTES = 1024 * 1024

/**
 * Output size of the decompressor. zlib hands each output chunk to this thread before it
 * inflates the next, so every chunk costs a round trip through the event loop; 4 MiB chunks
 * instead of 1 MiB made gzip read + parse ~12 % faster, while gunzip alone did not change
 * (bench/RESULTS.md).
 */
export const DEFAULT_GZIP_CHUNK_BYTES = 4 * 1024 * 1024

/**
 * What became of one capture: `error` is fatal (info counts the part read before it), `warning`
 * is not (a capture cut short inside its last record, or garbage after a gzip file's last
 * member; the latter is told when both are).
 */
export interface ReadResult {
  info: CaptureInfo
  warning: CaptureError | undefined
  error: CaptureError | undefined
  /**
   * Fingerprint of the content read (see fingerprint.ts): the decompressed stream of a gzip
   * file, the bytes of any other; all of it when the file was read to its end, else the part
   * read before the error.
   */
  content: ContentFingerprint
}

/**
 * Streams the capture at `path` into `sink`. Never throws for capture problems (they come back
 * in `error`); exceptions thrown by the sink propagate unchanged. `chunkSize`, when given, sets
 * both the read size and the decompressor's output size (tests use tiny ones).
 */
export async function readCapture (path: string, sink: PacketSink, options: { chunkSize?: number } = {}): Promise<ReadResult> {
  const chunkSize = options.chunkSize ?? DEFAULT_CHUNK_BYTES
  if (!Number.isSafeInteger(chunkSize) || chunkSize < 1) throw new RangeError(`chunkSize must be a positive integer, got ${chunkSize}`)
  const parser = new CaptureParser(path, sink)
  const content = new ContentTracker()
  const push: Push = (chunk) => {
    content.update(chunk)
    parser.push(chunk)
  }
  let warning: CaptureError | undefined
  let error: CaptureError | undefined
  let fh: FileHandle | undefined
  try {
    const st = await stat(path).catch((err: unknown) => { throw unreadable(path, 0, err) })
    if (!st.isFile()) throw new CaptureError('NOT_A_FILE', path, 0, st.isDirectory() ? 'is a directory' : 'is not a regular file')
    fh = await open(path, 'r').catch((err: unknown) => { throw unreadable(path, 0, err) })
    // At least the two bytes of the gzip magic, whatever the chunk size (found by fuzzing).
    const buf = Buffer.allocUnsafe(Math.max(chunkSize, 2))
    const first = await readAt(fh, path, buf, 0)
    let garbage: CaptureError | undefined
    if (first >= 2 && buf[0] === GZIP_ID1 && buf[1] === GZIP_ID2) {
      parser.info.gzip = true
      garbage = await readGzip(fh, path, push, chunkSize, options.chunkSize ?? DEFAULT_GZIP_CHUNK_BYTES)
    } else {
      await readPlain(fh, path, push, buf, first)
    }
    const truncated = parser.end()
    warning = garbage ?? truncated
  } catch (err) {
    if (!(err instanceof CaptureError)) throw err
    error = err
  } finally {
    await fh?.close().catch(() => {})
  }
  return { info: parser.info, warning, error, content: content.result() }
}

/**
 * Reads into two reused buffers in turn: the next read runs in the thread pool while the parser
 * works on the current chunk, and the parser copies whatever it keeps.
 */
async function readPlain (fh: FileHandle, path: string, push: Push, first: Buffer, firstBytes: number): Promise<void> {
  let current: Buffer = first
  let spare: Buffer = Buffer.allocUnsafe(first.length)
  let n = firstBytes
  let position = firstBytes
  while (n > 0) {
    const pending = readAt(fh, path, spare, position)
    try {
      push(n === current.length ? current : current.subarray(0, n))
    } catch (err) {
      await pending.catch(() => {})
      throw err
    }
    n = await pending
    position += n
    const done = current
    current = spare
    spare = done
  }
}
