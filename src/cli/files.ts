/**
 * Turns command-line PATHs into the list of files to read: files as given, directories walked
 * recursively for one kind of file (captures by default), anything else as a glob pattern.
 * Sorted, each file once (two paths to the same file, by device and inode: the first found), so
 * runs are deterministic.
 *
 * Directories are walked here, not by fast-glob: following symbolic links, it does not see
 * loops, so `a/loop -> ..` made it walk without end and `up -> ..` listed a capture once per
 * link the kernel resolves (41 times). This walk follows links as `find -L` does, but walks each
 * real directory once and says where a link loops back.
 */
import { readdirSync, readlinkSync, statSync, type BigIntStats, type Dirent } from 'node:fs'
import { basename, join } from 'node:path'
import type { PositionalOptions } from 'yargs'
import { UsageError } from '../errors.js'
import { printable } from './printable.js'

/** The files a directory is searched for: names ending in `.<extension>`, in any case. */
export interface FileKind {
  what: string
  extensions: readonly string[]
}

export const CAPTURE_FILES: FileKind = { what: 'capture files', extensions: ['pcap', 'cap', 'pcapng', 'pcap.gz', 'cap.gz', 'pcapng.gz'] }

/** The `<files..>` of the commands that read captures. */
export const FILES_POSITIONAL = { type: 'string', array: true, demandOption: true, description: 'Capture files, directories or glob patterns' } as const satisfies PositionalOptions

/** The kind as a glob, for messages: `**\/*.{pcap,cap}`. */
export function globOf (kind: FileKind): string {
  return kind.extensions.length === 1 ? `**/*.${kind.extensions[0]!}` : `**/*.{${kind.extensions.join(',')}}`
}

/**
 * fast-glob, loaded when a path is not a file or directory (~40 ms of every command's start
 * otherwise, for files and directories that never need it).
 */
async function fastGlob (): Promise<typeof import('fast-glob')> {
  return (await import('fast-glob')).default
}

/** `warn` receives one line per link not followed or directory not read (`potiron: warning: ...`). */
export async function expandPaths (paths: readonly string[], warn: (line: string) => void, kind: FileKind = CAPTURE_FILES): Promise<string[]> {
  const list = new Listing(kind, warn)
  for (const path of paths) {
    const st = statOf(path)
    if (!(st instanceof Error) && st.isDirectory()) {
      // Given twice, or inside a directory given before: its files are listed already.
      if (list.walked(st)) continue
      if (list.walk(path, st) === 0) throw new UsageError(`${printable(path)}: no ${kind.what} (${globOf(kind)}) in this directory`)
    } else if (!(st instanceof Error) || !(await fastGlob()).isDynamicPattern(path)) {
      // A file, or a path that does not exist: reading it will report the problem for that file.
      list.add(path, st instanceof Error ? undefined : st)
    } else if (await list.glob(path) === 0) {
      throw new UsageError(`${printable(path)}: the pattern matches no file`)
    }
  }
  return list.sorted()
}

/** A symbolic link met in a walk, followed once the real directories are listed. */
interface Link {
  path: string
  /** Identities of the directories the walk went through to reach it (a loop goes back to one). */
  chain: readonly string[]
}

class Listing {
  /** Identity → the path listed. */
  readonly #files = new Map<string, string>()
  /** Identity → the path a directory was walked under. */
  readonly #dirs = new Map<string, string>()
  readonly #suffixes: readonly string[]
  readonly #print: (line: string) => void

  constructor (kind: FileKind, print: (line: string) => void) {
    this.#print = print
    this.#suffixes = kind.extensions.map(e => `.${e.toLowerCase()}`)
  }

  sorted (): string[] {
    return [...this.#files.values()].sort()
  }

  walked (st: BigIntStats): boolean {
    return this.#dirs.has(idOf(st))
  }

  /** Lists `path` unless the same file is listed already (a path that cannot be read is its own identity). */
  add (path: string, st: BigIntStats | undefined): void {
    const id = st === undefined ? `?${path}` : idOf(st)
    if (!this.#files.has(id)) this.#files.set(id, path)
  }

  /** Walks the directory `root`; returns the number of matching files found (listed now or before). */
  walk (root: string, st: BigIntStats): number {
    const links: Link[] = []
    let found = this.#tree(root, st, [], undefined, links)
    // Links come after the real directories, so a file reached both ways keeps its own path.
    // Following one may find more links: they join the end of the queue.
    for (let i = 0; i < links.length; i++) {
      const link = links[i]!
      const target = this.#target(link.path)
      if (target?.isDirectory() === true) found += this.#tree(link.path, target, link.chain, link.path, links)
      else if (target !== undefined) found += this.#file(link.path, target)
    }
    return found
  }

  /** The files a glob matches. Links to directories are not followed, as a shell's `**` does not follow them. */
  async glob (pattern: string): Promise<number> {
    const entries = await (await fastGlob())(pattern, { onlyFiles: false, followSymbolicLinks: false, objectMode: true })
    let found = 0
    for (const { path, dirent } of entries.sort((a, b) => compare(a.path, b.path))) {
      const st = dirent.isSymbolicLink() ? this.#target(path) : dirent.isFile() ? statOf(path) : undefined
      if (st instanceof Error) this.#unreadable(path, st)
      else if (st?.isFile() === true) { this.add(path, st); found++ }
    }
    return found
  }

  /**
   * Lists the matching files under the directory `path`, entered through `chain`; its real
   * subdirectories are walked at once, its links queued. `via` is the last link on the way.
   */
  #tree (path: string, st: BigIntStats, chain: readonly string[], via: string | undefined, links: Link[]): number {
    const id = idOf(st)
    if (chain.includes(id)) {
      this.#warn(`${via ?? path}: a symbolic link loop (${path} is ${this.#dirs.get(id)!}), not walked again`)
      return 0
    }
    // Reached by another way already, which listed its files.
    if (this.#dirs.has(id)) return 0
    this.#dirs.set(id, path)
    let entries: Dirent[]
    try {
      entries = readdirSync(path, { withFileTypes: true })
    } catch (e) {
      this.#unreadable(path, e as Error)
      return 0
    }
    const inner = [...chain, id]
    let found = 0
    // Hidden entries are left out, as fast-glob's `**/*.pcap` leaves them out.
    for (const entry of entries.filter(e => !e.name.startsWith('.')).sort((a, b) => compare(a.name, b.name))) {
      const child = join(path, entry.name)
      if (entry.isSymbolicLink()) links.push({ path: child, chain: inner })
      else if (entry.isDirectory() || (entry.isFile() && this.#matches(entry.name))) {
        const cst = statOf(child)
        if (cst instanceof Error) this.#unreadable(child, cst)
        else found += cst.isDirectory() ? this.#tree(child, cst, inner, via, links) : this.#file(child, cst)
      }
    }
    return found
  }

  #file (path: string, st: BigIntStats): number {
    if (!st.isFile() || !this.#matches(basename(path))) return 0
    this.add(path, st)
    return 1
  }

  #matches (name: string): boolean {
    const lower = name.toLowerCase()
    return this.#suffixes.some(s => lower.endsWith(s))
  }

  /** What the link `path` leads to; undefined, said, when it leads nowhere. */
  #target (path: string): BigIntStats | undefined {
    const st = statOf(path)
    if (!(st instanceof Error)) return st
    const to = linkText(path)
    if (codeOf(st) === 'ENOENT') this.#warn(`${path}: a symbolic link to ${to}, which does not exist; skipped`)
    else this.#warn(`${path}: a symbolic link to ${to} that cannot be followed (${codeOf(st)}); skipped`)
    return undefined
  }

  #unreadable (path: string, e: Error): void {
    this.#warn(`${path}: cannot be read (${codeOf(e)}); skipped`)
  }

  /** Paths and link texts are names from the file system: printed escaped. */
  #warn (text: string): void {
    this.#print(`potiron: warning: ${printable(text)}`)
  }
}

/** Device and inode: the same file under any path (links, hard links, `..`). */
function idOf (st: BigIntStats): string {
  return `${st.dev}:${st.ino}`
}

function statOf (path: string): BigIntStats | Error {
  try {
    return statSync(path, { bigint: true })
  } catch (e) {
    return e as Error
  }
}

function linkText (path: string): string {
  try {
    return readlinkSync(path)
  } catch {
    return '?'
  }
}

function codeOf (e: Error): string {
  return (e as NodeJS.ErrnoException).code ?? e.message
}

function compare (a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0
}
