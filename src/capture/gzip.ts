/**
 * gzip files: https://www.rfc-editor.org/rfc/rfc1952 (member format: section 2.3). A file is one
 * or more members, each a header, deflate data and a trailer: CRC-32 and ISIZE (the length mod
 * 2^32) of the member's data.
 *
 * Two readers. The fast one streams the file through zlib's gunzip, which checks every member.
 * When gunzip fails it says neither where nor which member, and the output of its failing call
 * (up to one decompressor chunk) never comes out. The salvage then reads the file again member
 * by member, with raw inflate and its own header and trailer checks: it hands the parser the
 * content the fast reader did not, and names the damage at its offset in the compressed file.
 * Damaged files are read twice; sound ones pay nothing for it.
 */

import type { FileHandle } from 'node:fs/promises'
import { Readable } from 'node:stream'
import { constants as zlibConstants, crc32, createGunzip, createInflateRaw } from 'node:zlib'
import { CaptureError } from '../errors.js'
import {
  GZIP_CM_DEFLATE, GZIP_FLG_FCOMMENT, GZIP_FLG_FEXTRA, GZIP_FLG_FHCRC, GZIP_FLG_FNAME, GZIP_FLG_RESERVED,
  GZIP_HEADER_BYTES, GZIP_ID1, GZIP_ID2, GZIP_OFF_CM, GZIP_OFF_FLG, GZIP_TRAILER_BYTES
} from './constants.js'
import { readAt, unreadable } from './io.js'
import { plural } from '../plural.js'

/**
 * Where the readers hand the content they read, with how far into the file (compressed bytes
 * for gzip) the reader had got when it did: a progress measure, not the chunk's exact origin.
 */
export type Push = (chunk: Buffer, read: number) => void

/**
 * Reads the gzip file `fh` into `push`. Returns a TRAILING_GARBAGE warning when bytes other than
 * zeros follow the last member; throws CaptureError CORRUPT_GZIP, at its offset in the
 * compressed file, after pushing everything that decompressed before the damage.
 */
export async function readGzip (fh: FileHandle, path: string, push: Push, readBytes: number, outputBytes: number): Promise<CaptureError | undefined> {
  const fast = await gunzip(fh, path, push, readBytes, outputBytes)
  return fast.failed ? await salvage(fh, path, push, fast.produced) : await trailing(fh, path, fast.consumed)
}

/**
 * Bytes of decompressed data parsed between two returns to the event loop. zlib restarts
 * inflating only from its callback on this thread: parsing a whole 1 MiB chunk at once left it
 * idle meanwhile (bench/RESULTS.md: 256 KiB slices, gzip read + parse 0.76x gunzip's rate vs 0.61x).
 */
const SLICE = 256 * 1024

/** Decompressed bytes waiting for the parser before gunzip is paused: four default chunks. */
const MAX_QUEUED_BYTES = 16 * 1024 * 1024

/** How the fast reader ended: at the end of the last member, or failed after `produced` bytes of output. */
type FastEnd = { failed: false, consumed: number } | { failed: true, produced: number }

/**
 * Streams the file through gunzip. zlib pushes each output chunk before it starts inflating the
 * next one, so parsing inside its 'data' event would serialise the two; instead chunks are
 * queued and parsed from setImmediate, SLICE bytes at a time, letting the thread pool inflate
 * the next chunk while this thread parses (bench/RESULTS.md: gzip read + parse vs gunzip alone).
 * Chunks queued before a failure are still parsed.
 */
async function gunzip (fh: FileHandle, path: string, push: Push, readBytes: number, outputBytes: number): Promise<FastEnd> {
  const source = Readable.from(chunks(fh, path, readBytes), { objectMode: false, highWaterMark: readBytes })
  const inflater = createGunzip({ chunkSize: Math.max(outputBytes, zlibConstants.Z_MIN_CHUNK) })
  try {
    return await new Promise<FastEnd>((resolve, reject) => {
      const queue: Buffer[] = []
      let produced = 0
      /** Bytes of the chunks in `queue`. */
      let queued = 0
      let scheduled = false
      let settled = false
      let outcome: FastEnd | CaptureError | undefined
      const settle = (end: FastEnd | CaptureError | Error): void => {
        if (settled) return
        settled = true
        if (end instanceof Error) reject(end)
        else resolve(end)
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
            push(offset === 0 && end === chunk.length ? chunk : chunk.subarray(offset, end), inflater.bytesWritten)
          } catch (err) {
            settle(err as Error)
            return
          }
          if (end < chunk.length) offset = end
          else { queued -= queue.shift()!.length; offset = 0 }
        }
        if (queue.length === 0 && outcome !== undefined) { settle(outcome); return }
        if (outcome === undefined && queued < MAX_QUEUED_BYTES && inflater.isPaused()) inflater.resume()
        if (queue.length > 0) schedule()
      }
      const schedule = (): void => {
        if (!scheduled) {
          scheduled = true
          setImmediate(drain)
        }
      }
      const finish = (end: FastEnd | CaptureError): void => {
        outcome ??= end
        schedule()
      }
      source.on('error', (err) => { finish(err instanceof CaptureError ? err : unreadable(path, 0, err)) })
      inflater.on('error', () => { finish({ failed: true, produced }) })
      inflater.on('data', (chunk: Buffer) => {
        if (outcome !== undefined) return
        queue.push(chunk)
        queued += chunk.length
        produced += chunk.length
        if (queued >= MAX_QUEUED_BYTES) inflater.pause()
        schedule()
      })
      // gunzip ends its output at the last member and leaves what follows unread when it starts
      // with a zero byte (a non-zero one makes it fail, as the start of a bad member).
      inflater.on('end', () => { finish({ failed: false, consumed: inflater.bytesWritten }) })
      source.pipe(inflater)
    })
  } finally {
    source.unpipe(inflater)
    source.destroy()
    inflater.destroy()
  }
}

/**
 * The file from its start, `size` bytes at a time, in fresh buffers (zlib keeps a reference to
 * its input until it is done with it). Positional reads: a file stream would close `fh` when
 * destroyed, and the salvage reads it again.
 */
async function * chunks (fh: FileHandle, path: string, size: number): AsyncGenerator<Buffer> {
  for (let at = 0; ;) {
    const buf = Buffer.allocUnsafe(size)
    const n = await readAt(fh, path, buf, at)
    if (n === 0) return
    at += n
    yield n === size ? buf : buf.subarray(0, n)
  }
}

/**
 * Compressed bytes the salvage reads and inflates at a time, and its output chunk: zlib's
 * failure in deflate data is placed within one such piece, and the output of its failing call
 * (at most one output chunk) is lost.
 */
const PIECE_BYTES = 64 * 1024

/** A piece of zeros, to tell padding from garbage. */
const ZEROS = Buffer.alloc(PIECE_BYTES)

/** What follows the last member, from `from` to the end of the file: nothing, zeros (padding) or garbage. */
async function trailing (fh: FileHandle, path: string, from: number): Promise<CaptureError | undefined> {
  const buf = Buffer.allocUnsafe(ZEROS.length)
  let garbage = false
  let at = from
  for (let n; (n = await readAt(fh, path, buf, at)) > 0; at += n) garbage ||= buf.compare(ZEROS, 0, n, 0, n) !== 0
  return garbage ? new CaptureError('TRAILING_GARBAGE', path, from, `gzip: ${plural(at - from, 'byte')} of trailing garbage after the last member ignored`) : undefined
}

/** Damage found by the salvage, at its offset in the compressed file (an Error: should one ever escape the salvage, it carries a stack). */
class Damage extends Error {
  constructor (readonly offset: number, readonly detail: string) { super(detail) }
}

/**
 * Reads the file again from its start, member by member, pushing the decompressed content past
 * its first `skip` bytes (those the fast reader pushed). Returns what `trailing` says of the
 * bytes after the last sound member; throws CaptureError CORRUPT_GZIP at the damage it finds.
 */
async function salvage (fh: FileHandle, path: string, push: Push, skip: number): Promise<CaptureError | undefined> {
  const file = new Cursor(fh, path)
  let inflated = 0
  try {
    for (let member = 1; ; member++) {
      if (member > 1) {
        // gzip(1) takes what does not start like a member for trailing garbage.
        const magic = await file.peek(2)
        if (magic.length === 0) return undefined
        if (magic.length < 2 || magic[0] !== GZIP_ID1 || magic[1] !== GZIP_ID2) return await trailing(fh, path, file.at)
      }
      const cut = `compressed data cut short inside member ${member}`
      await skipHeader(file, `member ${member} header corrupt`, cut)
      let crc = 0
      let size = 0
      const end = await inflateMember(fh, path, file.at, (chunk, read) => {
        crc = crc32(chunk, crc)
        size += chunk.length
        const from = Math.max(0, skip - inflated)
        inflated += chunk.length
        if (from < chunk.length) push(from === 0 ? chunk : chunk.subarray(from), read)
      })
      if ('cut' in end) throw new Damage(end.cut, cut)
      if ('refused' in end) throw new Damage(end.from, `member ${member} corrupt (${end.refused}) within compressed bytes ${end.from}-${end.to}`)
      file.at = end.end
      const trailer = await file.take(GZIP_TRAILER_BYTES)
      if (trailer.length < GZIP_TRAILER_BYTES) throw new Damage(file.at, cut)
      if (trailer.readUInt32LE(0) !== crc) throw new Damage(end.end, `member ${member} fails its CRC-32 check, its data may be corrupt`)
      if (trailer.readUInt32LE(4) !== size % 2 ** 32) throw new Damage(end.end + 4, `member ${member} fails its length check (ISIZE), its data may be corrupt`)
    }
  } catch (err) {
    if (!(err instanceof Damage)) throw err
    // The fast reader may have got further into a member that zlib then refused.
    throw new CaptureError('CORRUPT_GZIP', path, err.offset, `gzip: ${err.detail} (${plural(Math.max(inflated, skip), 'byte')} decompressed)`)
  }
}

/**
 * Moves `file` past the member header there (section 2.3: fixed fields, then FEXTRA, FNAME,
 * FCOMMENT and FHCRC as its flags say, the magic already checked); throws Damage `corrupt` at
 * its start when it is unusable, `cut` at the end of the file when the file ends inside it.
 */
async function skipHeader (file: Cursor, corrupt: string, cut: string): Promise<void> {
  const start = file.at
  let crc = 0
  const take = async (n: number): Promise<Buffer> => {
    const bytes = await file.take(n)
    if (bytes.length < n) throw new Damage(file.at, cut)
    crc = crc32(bytes, crc)
    return bytes
  }
  const fixed = await take(GZIP_HEADER_BYTES)
  const method = fixed[GZIP_OFF_CM]!
  const flags = fixed[GZIP_OFF_FLG]!
  if (method !== GZIP_CM_DEFLATE) throw new Damage(start, `${corrupt}: unknown compression method ${method}`)
  if ((flags & GZIP_FLG_RESERVED) !== 0) throw new Damage(start, `${corrupt}: reserved flags set (0x${flags.toString(16)})`)
  if ((flags & GZIP_FLG_FEXTRA) !== 0) {
    for (let left = (await take(2)).readUInt16LE(0); left > 0;) left -= (await take(Math.min(left, PIECE_BYTES))).length
  }
  for (const field of [GZIP_FLG_FNAME, GZIP_FLG_FCOMMENT]) {
    if ((flags & field) === 0) continue
    // Zero-terminated, of any length.
    for (let done = false; !done;) {
      const bytes = await file.peek(PIECE_BYTES)
      const zero = bytes.indexOf(0)
      done = zero >= 0
      await take(done ? zero + 1 : Math.max(bytes.length, 1))
    }
  }
  if ((flags & GZIP_FLG_FHCRC) !== 0) {
    const expected = crc & 0xffff
    if ((await take(2)).readUInt16LE(0) !== expected) throw new Damage(start, `${corrupt}: header CRC-16 mismatch`)
  }
}

/** How the deflate data of a member ended: at `end`, refused by zlib within [from, to), or cut by the end of the file at `cut`. */
type DeflateEnd = { end: number } | { refused: string, from: number, to: number } | { cut: number }

/**
 * Inflates the raw deflate data that starts at file offset `start` into `output` (with the file
 * offset read so far), PIECE_BYTES at a time. When the file ends first, what zlib still holds
 * is output before it says so.
 */
async function inflateMember (fh: FileHandle, path: string, start: number, output: (chunk: Buffer, read: number) => void): Promise<DeflateEnd> {
  const inflater = createInflateRaw({ chunkSize: PIECE_BYTES })
  try {
    return await new Promise<DeflateEnd>((resolve, reject) => {
      let settled = false
      let from = start
      let to = start
      const settle = (end: DeflateEnd | Error): void => {
        if (settled) return
        settled = true
        if (end instanceof Error) reject(end)
        else resolve(end)
      }
      inflater.on('data', (chunk: Buffer) => {
        if (settled) return
        try {
          output(chunk, to)
        } catch (err) {
          settle(err as Error)
        }
      })
      // Raw inflate ends its output at the end of the deflate data and leaves the rest unread.
      inflater.on('end', () => { settle({ end: start + inflater.bytesWritten }) })
      inflater.on('error', (err) => { settle({ refused: err.message, from, to }) })
      const next = (): void => {
        // A fresh buffer each time: zlib keeps a reference to its input until it is done with it.
        const piece = Buffer.allocUnsafe(PIECE_BYTES)
        readAt(fh, path, piece, to).then((n) => {
          if (settled) return
          if (n === 0) {
            inflater.flush(zlibConstants.Z_SYNC_FLUSH, () => { settle({ cut: to }) })
            return
          }
          from = to
          to += n
          inflater.write(piece.subarray(0, n), () => { if (!settled) next() })
        }, settle)
      }
      next()
    })
  } finally {
    inflater.destroy()
  }
}

/** Sequential reads over a file, through one window of PIECE_BYTES. */
class Cursor {
  /** File offset of the next byte. */
  at = 0
  readonly #fh: FileHandle
  readonly #path: string
  readonly #window = Buffer.allocUnsafe(PIECE_BYTES)
  #base = 0
  #length = 0

  constructor (fh: FileHandle, path: string) {
    this.#fh = fh
    this.#path = path
  }

  /** Up to `n` (<= PIECE_BYTES) bytes from `at`, fewer only at the end of the file; valid until the next call. */
  async peek (n: number): Promise<Buffer> {
    if (this.at < this.#base || this.at + n > this.#base + this.#length) {
      this.#base = this.at
      this.#length = await readAt(this.#fh, this.#path, this.#window, this.at)
    }
    const from = this.at - this.#base
    return this.#window.subarray(from, Math.min(this.#length, from + n))
  }

  /** peek(n), then moves past what it returned. */
  async take (n: number): Promise<Buffer> {
    const bytes = await this.peek(n)
    this.at += bytes.length
    return bytes
  }
}
