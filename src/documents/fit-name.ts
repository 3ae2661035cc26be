/**
 * Output file names within what file systems take (ext4, XFS, btrfs, tmpfs: 255 bytes per path
 * component). Apart from names.ts, which loads the label tables, so that the workers writing
 * JSON documents need not.
 */
import { createHash } from 'node:crypto'

/** What file systems take in one name (one path component), counted in UTF-8 bytes. */
export const NAME_BYTES = 255

/**
 * `name` when it fits in `max` UTF-8 bytes. Else its start and its end (in export names, the
 * field and the date), cut between characters, around 8 hex digits of the SHA-256 of the whole name:
 * `<start>-<hash>-<end>`, the same each run and told apart from names that differ in between.
 */
export function fitName (name: string, max = NAME_BYTES): string {
  const bytes = Buffer.from(name)
  if (bytes.length <= max) return name
  const keep = max - '-01234567-'.length
  // UTF-8 continuation bytes (10xxxxxx) never start a character: cut before one, never after.
  let head = Math.ceil(keep / 2)
  while ((bytes[head]! & 0xc0) === 0x80) head--
  let tail = bytes.length - Math.floor(keep / 2)
  while ((bytes[tail]! & 0xc0) === 0x80) tail++
  const hash = createHash('sha256').update(name).digest('hex').slice(0, 8)
  return `${bytes.subarray(0, head).toString()}-${hash}-${bytes.subarray(tail).toString()}`
}
