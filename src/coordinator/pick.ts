/**
 * What an ingest decides about a file before parsing it, and how it tells a capture's twin
 * counted already: one place for the run (run.ts) and its dry run (plan.ts), so that the dry run
 * says what the run does.
 */
import { stat } from 'node:fs/promises'
import { basename } from 'node:path'
import type { Redis } from 'ioredis'
import { fingerprintOfPlainFile } from '../capture/fingerprint.js'
import { fileState, type FileState } from '../store/write.js'
import { plural } from '../plural.js'

/** A file on disk as the run first saw it. */
export interface OnDisk {
  size: number
  mtimeMs: number
  /** Fingerprint of its bytes on disk (capture/fingerprint.ts). */
  disk: string
}

/** Looks at `file`; undefined when it is no readable regular file (parsing it says why). */
async function onDisk (file: string): Promise<OnDisk | undefined> {
  try {
    const st = await stat(file)
    if (!st.isFile()) return undefined
    const { fingerprint } = await fingerprintOfPlainFile(file)
    return { size: st.size, mtimeMs: st.mtimeMs, disk: fingerprint }
  } catch {
    return undefined
  }
}

/** The name of the same capture compressed (`x.pcap` → `x.pcap.gz`) or not (`x.pcap.gz` → `x.pcap`). */
export function twinOf (name: string): string {
  return /\.gz$/i.test(name) ? name.slice(0, -3) : `${name}.gz`
}

/**
 * A file before it is parsed: to read (`again`: it is in FILES and --force reads it again;
 * `batch`: a batch of a run that stopped midway, or is running, claimed it: finishing that
 * batch counts it), or not, with the reason: modified too recently (--min-age), counted with
 * other content, counted.
 */
export type Pick =
  | { kind: 'read', seen: OnDisk | undefined, again: boolean, batch?: string | undefined }
  | { kind: 'unsettled' | 'changed' | 'counted', reason: string }

export async function pick (file: string, redis: Redis, options: { minAge?: number | undefined, force?: boolean | undefined }): Promise<Pick> {
  const seen = await onDisk(file)
  if (seen !== undefined && Date.now() - seen.mtimeMs < (options.minAge ?? 0) * 1000) return { kind: 'unsettled', reason: `not settled yet (modified less than ${options.minAge} s ago)` }
  const state = await fileState(redis, basename(file))
  if (!state.counted) return { kind: 'read', seen, again: false, batch: state.batch }
  const was = state.identity
  if (was !== undefined && seen !== undefined && (was.size !== seen.size || was.disk !== seen.disk)) {
    return { kind: 'changed', reason: `${basename(file)} was counted when it was ${plural(was.size, 'byte')}; it is now ${plural(seen.size, 'byte')}, with other content: not counted again (its earlier counts stay)` }
  }
  if (options.force === true) return { kind: 'read', seen, again: true }
  return { kind: 'counted', reason: 'already in FILES' }
}

/**
 * Whether a capture whose content has `fingerprint` is its twin `twin`, counted already: a
 * compressed copy (or the original of one) holds the same packets. Without a stored fingerprint
 * (counted by the original potiron), the names alone say so.
 */
export function sameCapture (twin: FileState, fingerprint: string): boolean {
  return twin.counted && (twin.identity === undefined || twin.identity.content === fingerprint)
}
