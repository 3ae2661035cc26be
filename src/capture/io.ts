/** File reads shared by the capture readers, with failures turned into CaptureError UNREADABLE. */
import { stat, type FileHandle } from 'node:fs/promises'
import { CaptureError } from '../errors.js'

export function unreadable (path: string, offset: number, err: unknown): CaptureError {
  return new CaptureError('UNREADABLE', path, offset, `cannot read: ${err instanceof Error ? err.message : String(err)}`, { cause: err })
}

/**
 * The error reading `path` meets first (no such file, no permission), as readCapture says it;
 * undefined when the file can be looked at. Said before anything about the file's name.
 */
export async function statError (path: string): Promise<CaptureError | undefined> {
  try {
    await stat(path)
    return undefined
  } catch (err) {
    return unreadable(path, 0, err)
  }
}

/** Reads into buf[0, length) from file offset `position`; returns the bytes read (fewer only at the end of the file). */
export async function readAt (fh: FileHandle, path: string, buf: Buffer, position: number, length = buf.length): Promise<number> {
  try {
    const { bytesRead } = await fh.read(buf, 0, length, position)
    return bytesRead
  } catch (err) {
    throw unreadable(path, position, err)
  }
}
