/**
 * Turns command-line PATHs into the list of files to read: files as given, directories walked
 * recursively for `pattern` (capture extensions by default), anything else as a glob pattern.
 * Sorted, without duplicates, so runs are deterministic.
 */
import { statSync } from 'node:fs'
import { join } from 'node:path'
import fg from 'fast-glob'
import { UsageError } from '../errors.js'

export const CAPTURE_GLOB = '**/*.{pcap,cap,pcapng,pcap.gz,cap.gz,pcapng.gz}'

export async function expandPaths (paths: readonly string[], pattern = CAPTURE_GLOB, what = 'capture files'): Promise<string[]> {
  const found = new Set<string>()
  for (const path of paths) {
    const st = statOrUndefined(path)
    if (st?.isDirectory() === true) {
      const matches = await fg(pattern, { cwd: path, onlyFiles: true, caseSensitiveMatch: false, followSymbolicLinks: true })
      if (matches.length === 0) throw new UsageError(`${path}: no ${what} (${pattern}) in this directory`)
      for (const m of matches) found.add(join(path, m))
    } else if (st !== undefined || !fg.isDynamicPattern(path)) {
      // A file, or a path that does not exist: reading it will report the problem for that file.
      found.add(path)
    } else {
      const matches = await fg(path, { onlyFiles: true })
      if (matches.length === 0) throw new UsageError(`${path}: the pattern matches no file`)
      for (const m of matches) found.add(m)
    }
  }
  return [...found].sort()
}

function statOrUndefined (path: string): ReturnType<typeof statSync> | undefined {
  try {
    return statSync(path)
  } catch {
    return undefined
  }
}
