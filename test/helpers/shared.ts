/** Paths and loaders for the shared corpus next to the checkout (../shared, read-only). */
import { readFileSync } from 'node:fs'
import { fileURLToPath } from 'node:url'
import { join } from 'node:path'

/** The repository root (tests run from dist/test/...). */
export const ROOT = fileURLToPath(new URL('../../../', import.meta.url))
export const SHARED = process.env.POTIRON_SHARED ?? join(ROOT, '..', 'shared')
export const PUBLIC = join(SHARED, 'captures', 'public')
/** The bundled captures. */
export const FIXTURES = join(ROOT, 'fixtures', 'captures')
/** The built CLI, for tests that run it as its own process. */
export const BIN = join(ROOT, 'dist', 'src', 'cli', 'bin.js')

export interface ManifestRow {
  file: string
  format: string
  linktype: string
  packets: number
  notes: string
}

export function manifest (): ManifestRow[] {
  const lines = readFileSync(join(PUBLIC, 'MANIFEST.tsv'), 'utf8').trim().split('\n').slice(1)
  return lines.map(line => {
    const cols = line.split('\t')
    return { file: cols[0]!, format: cols[5]!, linktype: cols[6]!, packets: Number(cols[7]), notes: cols[8] ?? '' }
  })
}

export function readJson<T> (path: string): T {
  return JSON.parse(readFileSync(path, 'utf8')) as T
}

/** IP protocol number → the original's name (its doc/protocols table). */
export function originalProtocolNames (): Map<number, string> {
  const names = new Map<number, string>()
  for (const line of readFileSync(join(SHARED, 'docs', 'potiron-data', 'protocols'), 'utf8').split('\n')) {
    const cols = line.split('\t')
    if (cols.length >= 2 && cols[1] !== '' && !Number.isNaN(Number(cols[1]))) names.set(Number(cols[1]), cols[0]!.toLowerCase())
  }
  return names
}
