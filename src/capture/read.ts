/**
 * Reads one capture file (pcap, pcapng, or a gzip of either) from disk into a PacketSink, in
 * bounded memory: two read buffers for a plain file, at most MAX_QUEUED_BYTES of decompressed
 * data (plus zlib's own window and chunk) for a gzip one.
 */

import { open, stat } from 'node:fs/promises'
import type { FileHandle } from 'node:fs/promises'
import { constants as zlibConstants, createGunzip } from 'node:zlib'
import { CaptureError } from '../errors.js'
import { GZIP_ID1, GZIP_ID2 } from './constants.js'
import { ContentTracker, type ContentFingerprint } from './fingerprint.js'
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

/** What became of one capture: `error` is fatal (info counts the part read before it), `warning` is not. */
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

/** Where readers hand the content they read: to the parser, past the fingerprint. */
type Push = (chunk: Buffer) => void

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
    if (first >= 2 && buf[0] === GZIP_ID1 && buf[1] === GZIP_ID2) {
      parser.info.gzip = true
      await readGzip(fh, path, push, chunkSize, options.chunkSize ?? DEFAULT_GZIP_CHUNK_BYTES)
    } else {
      await readPlain(fh, path, push, buf, first)
    }
    warning = parser.end()
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

async function readAt (fh: FileHandle, path: string, buf: Buffer, position: number): Promise<number> {
  try {
    const { bytesRead } = await fh.read(buf, 0, buf.length, position)
    return bytesRead
  } catch (err) {
    throw unreadable(path, position, err)
  }
}

/**
 * Bytes of decompressed data parsed between two returns to the event loop. zlib restarts
 * inflating only from its callback on this thread: parsing a whole 1 MiB chunk at once left it
 * idle meanwhile (bench/RESULTS.md: 256 KiB slices, gzip read + parse 0.76x gunzip's rate vs 0.61x).
 */
const SLICE = 256 * 1024

/** Decompressed bytes waiting for the parser before gunzip is paused: four default chunks. */
const MAX_QUEUED_BYTES = 16 * 1024 * 1024

/**
 * Streams the file through gunzip. zlib pushes each output chunk before it starts inflating the
 * next one, so parsing inside its 'data' event would serialise the two; instead chunks are
 * queued and parsed from setImmediate, SLICE bytes at a time, letting the thread pool inflate
 * the next chunk while this thread parses (bench/RESULTS.md: gzip read + parse vs gunzip alone). Chunks queued before a
 * failure are still parsed: they are the readable part of a corrupt or truncated file. Output
 * produced by the very call that hits corrupt data is lost (at most `outputBytes`), and is
 * suspect anyway. (zlib keeps references to its input, so the file stream's fresh buffers suit it.)
 */
async function readGzip (fh: FileHandle, path: string, push: Push, readBytes: number, outputBytes: number): Promise<void> {
  const source = fh.createReadStream({ start: 0, highWaterMark: readBytes, autoClose: false })
  const gunzip = createGunzip({ chunkSize: Math.max(outputBytes, zlibConstants.Z_MIN_CHUNK) })
  try {
    await new Promise<void>((resolve, reject) => {
      const queue: Buffer[] = []
      let produced = 0
      /** Bytes of the chunks in `queue`. */
      let queued = 0
      let scheduled = false
      let settled = false
      let outcome: 'end' | CaptureError | undefined
      const settle = (err?: unknown): void => {
        if (settled) return
        settled = true
        if (err === undefined) resolve()
        else reject(err)
      }
      /** How far the first queued chunk is parsed. */
      let offset = 0
      const drain = (): void => {
        scheduled = false
        if (settled) return
        const chunk = queue[0]
        if (chunk !== undefined) {
          const end = Math.min(chunk.length, offset + SLICE)
          try {
            push(offset === 0 && end === chunk.length ? chunk : chunk.subarray(offset, end))
          } catch (err) {
            settle(err)
            return
          }
          if (end < chunk.length) offset = end
          else { queued -= queue.shift()!.length; offset = 0 }
        }
        if (queue.length === 0 && outcome !== undefined) { settle(outcome === 'end' ? undefined : outcome); return }
        if (outcome === undefined && queued < MAX_QUEUED_BYTES && gunzip.isPaused()) gunzip.resume()
        if (queue.length > 0) schedule()
      }
      const schedule = (): void => {
        if (!scheduled) {
          scheduled = true
          setImmediate(drain)
        }
      }
      const finish = (state: 'end' | CaptureError): void => {
        outcome ??= state
        schedule()
      }
      source.on('error', (err) => { finish(unreadable(path, produced, err)) })
      gunzip.on('error', (err) => {
        finish(new CaptureError('CORRUPT_GZIP', path, produced,
          `gzip stream corrupt or truncated (${err.message}) within its first ${source.bytesRead} compressed bytes`, { cause: err }))
      })
      gunzip.on('data', (chunk: Buffer) => {
        if (outcome !== undefined) return
        queue.push(chunk)
        queued += chunk.length
        produced += chunk.length
        if (queued >= MAX_QUEUED_BYTES) gunzip.pause()
        schedule()
      })
      gunzip.on('end', () => { finish('end') })
      // A sync flush before the final one drains what a truncated stream still holds: the
      // failing Z_FINISH call then has no output of its own to lose.
      source.on('end', () => gunzip.flush(zlibConstants.Z_SYNC_FLUSH, () => gunzip.end()))
      source.pipe(gunzip, { end: false })
    })
  } finally {
    source.unpipe(gunzip)
    source.destroy()
    gunzip.destroy()
  }
}

function unreadable (path: string, offset: number, err: unknown): CaptureError {
  return new CaptureError('UNREADABLE', path, offset, `cannot read: ${describe(err)}`, { cause: err })
}

function describe (err: unknown): string {
  return err instanceof Error ? err.message : String(err)
}
