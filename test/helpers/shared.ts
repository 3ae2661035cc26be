/** Paths and loaders for the shared corpus next to the checkout (../shared, read-only). */
import { existsSync, readFileSync } from 'node:fs'
import { fileURLToPath } from 'node:url'
import { join } from 'node:path'
import { describe, test, type TestContext } from 'node:test'

/** The repository root (tests run from dist/test/...). */
export const ROOT = fileURLToPath(new URL('../../../', import.meta.url))
export const SHARED = process.env.POTIRON_SHARED ?? join(ROOT, '..', 'shared')
export const PUBLIC = join(SHARED, 'captures', 'public')

/**
 * Whether the corpus is there. Suites never read it at import time: they ask `describeShared` or
 * `needsShared` first, so a clone without ../shared runs every other test.
 */
export const HAVE_SHARED = existsSync(join(PUBLIC, 'MANIFEST.tsv'))
/** CI sets POTIRON_REQUIRE_SHARED=1 (.ci/run): there a missing corpus fails, nothing hides by skipping. */
export const REQUIRE_SHARED = process.env.POTIRON_REQUIRE_SHARED === '1'
/** The one line a skipped corpus test or suite prints. */
export const NO_SHARED = `no shared corpus at ${SHARED}: set POTIRON_SHARED=/path/to/shared to run this`

function missingShared (): Error {
  return new Error(`POTIRON_REQUIRE_SHARED=1 but ${NO_SHARED}`)
}

/**
 * A suite that needs the corpus; its body may read it to make its tests. Without the corpus it is
 * one skipped line naming POTIRON_SHARED (its body does not run), or, under
 * POTIRON_REQUIRE_SHARED=1, one failing test.
 */
export function describeShared (name: string, fn: () => void): void {
  if (HAVE_SHARED) describe(name, fn)
  else if (REQUIRE_SHARED) test(name, () => { throw missingShared() })
  else describe(name, { skip: NO_SHARED }, () => {})
}

/**
 * First line of a single test that reads the corpus: `if (!needsShared(t)) return`. Without the
 * corpus it skips the test (one line naming POTIRON_SHARED) and returns false, or throws under
 * POTIRON_REQUIRE_SHARED=1.
 */
export function needsShared (t: TestContext): boolean {
  if (HAVE_SHARED) return true
  if (REQUIRE_SHARED) throw missingShared()
  t.skip(NO_SHARED)
  return false
}

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
