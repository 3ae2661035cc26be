/** What an ingest prints once its files are counted, here or by the workers of a queue (`--wait`). */
import { stat } from 'node:fs/promises'
import type { IngestSummary } from '../coordinator/run.js'
import { redisText, type RedisName } from './common.js'
import { printable } from './printable.js'
import { named, type ProgressMode } from './progress.js'

/** File sizes for the progress ETA; 0 when unknown (the file's own error comes later). */
export async function sizesOf (files: readonly string[], mode: ProgressMode): Promise<Map<string, number>> {
  if (mode === 'quiet') return new Map(files.map(f => [f, 0]))
  return new Map(await Promise.all(files.map(async f => [f, await stat(f).then(s => s.size, () => 0)] as const)))
}

/** The run's summary; it ends naming the Redis written to (`used`), which its progress has scrolled away. */
export function formatSummary (s: IngestSummary, used: RedisName, minAge = 0): string {
  const seconds = s.elapsedMs / 1000
  const rate = seconds > 0 ? Math.round(s.packets / seconds) : 0
  const unsettled = s.unsettled.length > 0 ? ` ${s.unsettled.length} not settled yet (modified less than ${minAge} s ago),` : ''
  // --force: files already in FILES read again, whose counts stay as they were.
  const recounted = s.replaced > 0 ? ` ${s.replaced} recounted (--force, counts unchanged),` : ''
  const lines = [`files: ${s.ingested - s.replaced} ingested,${recounted} ${s.skipped} skipped (already in FILES),${unsettled} ${s.failed.length} failed`]
  for (const f of s.sameCapture) lines.push(`  same capture: ${printable(`${f.file} is ${f.as}, counted already`)}`)
  for (const f of s.failed) lines.push(`  failed: ${named(f)}`)
  for (const w of s.warnings) lines.push(`  warning: ${named(w)}`)
  const filtered = s.filtered > 0 ? `, ${s.filtered} filtered out (--filter)` : ''
  lines.push(`packets: ${s.packets} read, ${s.counted} counted${filtered}; members: ${s.members}; ${seconds.toFixed(2)} s, ${rate} packets/s`)
  lines.push(`redis: ${redisText(used)}`)
  return lines.join('\n')
}
