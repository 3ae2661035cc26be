/** Reading a database file whole, for typed arrays over it. */
import { closeSync, fstatSync, openSync, readSync } from 'node:fs'

/** A file's bytes in a buffer of their own, so that the typed arrays over it are aligned. */
export function readWhole (path: string): Uint8Array {
  const fd = openSync(path, 'r')
  try {
    const bytes = new Uint8Array(fstatSync(fd).size)
    for (let at = 0; at < bytes.length;) {
      const n = readSync(fd, bytes, at, bytes.length - at, at)
      if (n === 0) return bytes.subarray(0, at)
      at += n
    }
    return bytes
  } finally {
    closeSync(fd)
  }
}
