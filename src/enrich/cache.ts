/**
 * Where the ASN index lives between runs: built once (a few seconds of CSV parsing), then read by
 * every run and every worker thread. The file's name carries the CSV package's version and the
 * index format, so a new database or a new layout gets a new file and an old one is never misread.
 */
import { randomBytes } from 'node:crypto'
import { mkdir, rename, rm, writeFile } from 'node:fs/promises'
import { homedir, tmpdir } from 'node:os'
import { join } from 'node:path'
import { buildRangesIndex, checkRangesIndex, INDEX_FORMAT } from './ranges.js'
import { readWhole } from './read-whole.js'

/** `$POTIRON_CACHE_DIR`, else `$XDG_CACHE_HOME/potiron`, else `~/.cache/potiron`. */
export function cacheDir (): string {
  const own = process.env.POTIRON_CACHE_DIR
  if (own !== undefined && own !== '') return own
  const xdg = process.env.XDG_CACHE_HOME
  return join(xdg !== undefined && xdg !== '' ? xdg : join(homedir(), '.cache'), 'potiron')
}

function usable (path: string): boolean {
  try {
    return checkRangesIndex(readWhole(path)) === undefined
  } catch {
    return false
  }
}

/**
 * Writes `bytes` as `path` all at once: into a temporary file of its own, renamed over `path`.
 * Two runs building at the same time each rename a whole file; a reader never sees half of one.
 */
async function writeAtomically (dir: string, path: string, bytes: Uint8Array): Promise<void> {
  await mkdir(dir, { recursive: true })
  const temporary = `${path}.${process.pid}-${randomBytes(4).toString('hex')}.tmp`
  try {
    await writeFile(temporary, bytes)
    await rename(temporary, path)
  } catch (error) {
    await rm(temporary, { force: true })
    throw error
  }
}

/**
 * The path of a usable index of the two CSV files of package `version`: the cached one, or one
 * built now and cached (in the cache directory, or os.tmpdir() when that cannot be written). A
 * file that fails its checks (truncated, corrupt, another format) is rebuilt over.
 */
export async function rangesIndexFile (csv4: string, csv6: string, version: string): Promise<string> {
  const name = `asn-ranges-${version}-f${INDEX_FORMAT}.bin`
  const dirs = [cacheDir(), tmpdir()]
  for (const dir of dirs) if (usable(join(dir, name))) return join(dir, name)
  const bytes = await buildRangesIndex(csv4, csv6)
  let failure: unknown
  for (const dir of dirs) {
    try {
      await writeAtomically(dir, join(dir, name), bytes)
      return join(dir, name)
    } catch (error) {
      failure ??= error
    }
  }
  throw new Error(`cannot cache the ASN index in ${dirs.join(' or ')}`, { cause: failure })
}
