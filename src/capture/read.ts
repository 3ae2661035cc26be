/**
 * Reads one capture file (pcap, pcapng, or a gzip of either) from disk into a PacketSink, in
 * bounded memory: two read buffers for a plain file, at most 16 MiB of decompressed data (plus
 * zlib's own window and chunk) for a gzip one (gzip.ts).
 */

import { open, stat } from 'node:fs/promises'
import type { FileHandle } from 'node:fs/promises'
import { CaptureError } from '../errors.js'
import { GZIP_ID1, GZIP_ID2 } from './constants.js'
import { ContentTracker, fingerprintOfPlainFile, type ContentFingerprint } from './fingerprint.js'
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

/** Shortest time between two progress reports (the last one excepted): a few a second. */
export const PROGRESS_EVERY_MS = 250

/** How far a read has got, told while it reads (ingest's progress bars). */
export interface ReadProgress {
  /**
   * Bytes of the file read so far (of the compressed file for gzip: what a file's size on disk
   * measures), never decreasing: at the first chunk, then at most every `everyMs`, and once
   * when the read ends.
   */
  report: (bytes: number) => void
  /** Default PROGRESS_EVERY_MS. */
  everyMs?: number
  /** The clock of that pace (default Date.now). */
  now?: () => number
}

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
 * both the read size and the decompressor's output size (tests use tiny ones). `progress`, when
 * given, is told how far the read has got (ReadProgress).
 */
export async function readCapture (path: string, sink: PacketSink, options: { chunkSize?: number, progress?: ReadProgress | undefined } = {}): Promise<ReadResult> {
  const chunkSize = options.chunkSize ?? DEFAULT_CHUNK_BYTES
  if (!Number.isSafeInteger(chunkSize) || chunkSize < 1) throw new RangeError(`chunkSize must be a positive integer, got ${chunkSize}`)
  const parser = new CaptureParser(path, sink)
  const content = new ContentTracker()
  const pacer = options.progress === undefined ? undefined : new Pacer(options.progress)
  const push: Push = (chunk, read) => {
    content.update(chunk)
    parser.push(chunk)
    pacer?.tick(read)
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
    if (isGzip(buf, first)) {
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
  pacer?.end()
  return { info: parser.info, warning, error, content: content.result() }
}

/** Whether the first `n` bytes read into `buf` start with the gzip magic: gzip is recognised by content, never by name. */
function isGzip (buf: Buffer, n: number): boolean {
  return n >= 2 && buf[0] === GZIP_ID1 && buf[1] === GZIP_ID2
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
      push(n === current.length ? current : current.subarray(0, n), position)
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

/** Bytes read (and, for gzip, decompressed) at a time while probing: a header and a first record fit. */
const PROBE_BYTES = 64 * 1024

/** Thrown by the probe's sink to stop at the first packet: the file is a capture. */
const FIRST_PACKET = new Error('first packet reached')

/**
 * Reads `path` only up to its first packet: the problem readCapture would report when it reads
 * no packet at all (missing, not a file, empty, not a capture, cut inside its header), or
 * undefined once one packet is there (or the capture holds none, soundly). Parses no more.
 */
export async function probeCapture (path: string): Promise<CaptureError | undefined> {
  try {
    const { error, warning } = await readCapture(path, { packet: () => { throw FIRST_PACKET } }, { chunkSize: PROBE_BYTES })
    return error ?? warning
  } catch (err) {
    if (err !== FIRST_PACKET) throw err
    return undefined
  }
}

/**
 * The fingerprint of a capture's content (fingerprint.ts) without parsing it: a plain file's
 * edges, or a gzip file inflated whole (bounded memory); of a damaged gzip, the part before the damage.
 */
export async function contentFingerprint (path: string): Promise<ContentFingerprint> {
  const fh = await open(path, 'r').catch((err: unknown) => { throw unreadable(path, 0, err) })
  try {
    const head = Buffer.alloc(2)
    if (!isGzip(head, await readAt(fh, path, head, 0))) return await fingerprintOfPlainFile(path)
    const content = new ContentTracker()
    await readGzip(fh, path, chunk => { content.update(chunk) }, DEFAULT_CHUNK_BYTES, DEFAULT_GZIP_CHUNK_BYTES).catch((err: unknown) => { if (!(err instanceof CaptureError)) throw err })
    return content.result()
  } finally {
    await fh.close().catch(() => {})
  }
}

/**
 * Paces a ReadProgress. It is ticked once per chunk pushed (256 KiB to 1 MiB of capture), so one
 * clock read per chunk costs nothing beside parsing it, and the packet loop never sees a clock.
 */
class Pacer {
  readonly #progress: ReadProgress
  readonly #everyMs: number
  readonly #now: () => number
  /** The furthest byte told by the readers: the gzip salvage reads the file again from its start. */
  #bytes = 0
  #due = -Infinity

  constructor (progress: ReadProgress) {
    this.#progress = progress
    this.#everyMs = progress.everyMs ?? PROGRESS_EVERY_MS
    this.#now = progress.now ?? Date.now
  }

  tick (bytes: number): void {
    if (bytes > this.#bytes) this.#bytes = bytes
    const now = this.#now()
    if (now < this.#due) return
    this.#due = now + this.#everyMs
    this.#progress.report(this.#bytes)
  }

  end (): void {
    this.#progress.report(this.#bytes)
  }
}
