/**
 * `potiron ingest --dry-run`: what the same ingest would read, skip (and why) and fail, and the
 * sensors and days it would write, without parsing a capture (each is read up to its first packet,
 * to tell a capture) and without writing anything: it only reads Redis, never starts potiron's
 * own redis-server, and writes no --json-out or --report file.
 */
import { planIngest, type IngestPlan } from '../coordinator/plan.js'
import { checkParameters, type StoredSettings } from '../store/parameters.js'
import { EXIT, type ExitStatus } from './command.js'
import { withRedis, type CommandTarget } from './common.js'
import { named } from './progress.js'
import { printable } from './printable.js'
import { daySpan } from './status.js'
import { settingsFor } from './settings.js'

/** What a dry run needs of the ingest's options: the options of both (IngestArgs adds the rest). */
export interface DryRunArgs {
  files: readonly string[]
  target: CommandTarget
  /** The settings given; the others are the database's (settingsFor). */
  given: Partial<StoredSettings>
  sensor: string | undefined
  json: boolean
  /** Leave files modified less than this many seconds ago (`--min-age`). */
  minAge?: number | undefined
  /** Count files already in FILES again (`--force`). */
  force?: boolean | undefined
}

/** Prints the plan; exit status 1 when a file would fail (as the ingest's), or the settings would be refused. */
export async function dryRun (args: DryRunArgs, out: (text: string) => void, err: (text: string) => void): Promise<ExitStatus> {
  return await withRedis(args.target, err, { start: false }, async redis => {
    await checkParameters(redis, await settingsFor(redis, args.given, err))
    const plan = await planIngest(args.files, redis, { sensor: args.sensor, minAge: args.minAge, force: args.force })
    out(args.json ? JSON.stringify(plan) : formatPlan(plan))
    return plan.failed.length > 0 ? EXIT.failed : EXIT.ok
  })
}

export function formatPlan (plan: IngestPlan): string {
  const lines = [
    'dry run: nothing is parsed or written',
    `files: ${plan.read.length} to read, ${plan.skipped.length} to skip, ${plan.failed.length} would fail`
  ]
  for (const r of plan.read) lines.push(`  read${r.again ? ' again (--force: in FILES, its counts stay as they are)' : ''}: ${printable(r.file)}`)
  for (const s of plan.skipped) lines.push(`  skip: ${named(s)}`)
  for (const f of plan.failed) lines.push(`  fail: ${named(f)}`)
  const sensors = Object.entries(plan.days)
  if (sensors.length > 0) lines.push('days to write (those of the file names; the packets may add others):')
  for (const [sensor, days] of sensors) lines.push(`  ${printable(sensor)}: ${days.length === 0 ? 'known once read' : daySpan(days.length, days[0]!, days[days.length - 1]!)}`)
  return lines.join('\n')
}
