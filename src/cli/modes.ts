/**
 * The commands' parts for ISN and layer-2 databases (`ingest --isn`, `--layer2`): `plot isn`
 * and `export arp` here, called by export.ts's `plot` and `export`; and the check every reading command makes that the
 * database holds the format it reads.
 */
import type { Redis } from 'ioredis'
import { join, resolve } from 'node:path'
import { writeFile } from 'node:fs/promises'
import { UsageError } from '../errors.js'
import { isnFileName, isnIndex, writeIsnPlot } from '../export/isn.js'
import { arpWarnings, writeArpDay } from '../export/arp.js'
import { readArpDay } from '../store/arp-read.js'
import { readIsn } from '../store/isn-read.js'
import { PARAMETERS } from '../store/keys.js'
import { settingsOf } from '../store/parameters.js'
import { dashed } from '../export/names.js'
import { INDEX } from '../export/report.js'
import { ASSETS } from '../export/page.js'
import { sensorDays } from '../store/read.js'
import type { Io } from './command.js'
import { wholeNumber } from './numbers.js'
import { printable } from './printable.js'

/** What each format is, and the commands that read it, for the refusal's message. */
const FORMAT_READERS: Readonly<Record<string, string>> = {
  standard: 'field counts: export csv, plot month, report, serve',
  isn: "TCP SYN records (ingest --isn): 'plot isn'",
  layer2: "ARP requests and replies (ingest --layer2): 'export arp'"
}

/**
 * Throws a UsageError when the database holds another format than `format` (its PARAMETERS
 * format, 'standard' when it has none): a command that reads one format finds nothing it knows in
 * another, and says what to run instead.
 */
export async function needFormat (redis: Redis, format: 'standard' | 'isn' | 'layer2'): Promise<string> {
  const settings = settingsOf(await redis.hgetall(PARAMETERS))
  if (settings.format !== format) throw new UsageError(`this database holds ${FORMAT_READERS[settings.format] ?? `format '${settings.format}'`}, not ${FORMAT_READERS[format]!.split(':')[0]!}`)
  return settings.zone
}

/** The database's format (PARAMETERS `format`, 'standard' when it has none). */
export async function formatOf (redis: Redis): Promise<string> {
  return settingsOf(await redis.hgetall(PARAMETERS)).format
}

export interface IsnPlotOptions {
  /** YYYYMMDD. */
  day: string
  hour: number | undefined
  sports: [number, number] | undefined
  points: number | undefined
}

/** `plot isn`'s own options, checked (pure). */
export function isnPlotOf (argv: { date?: string | undefined, hour?: string | undefined, sports?: string | undefined, points?: string | undefined }, compactDay: (text: string) => string): IsnPlotOptions {
  if (argv.date === undefined) throw new UsageError('plot isn needs --date YYYY-MM-DD')
  const day = compactDay(argv.date)
  if (day.length !== 8) throw new UsageError(`plot isn: --date names a day, YYYY-MM-DD, not ${argv.date}`)
  let sports: [number, number] | undefined
  if (argv.sports !== undefined) {
    const m = /^(\d+)(?:-(\d+))?$/.exec(argv.sports)
    if (m === null) throw new UsageError(`--sports: expected a port or a range LOW-HIGH (e.g. 1024-65535), got '${argv.sports}'`)
    sports = [wholeNumber('sports', m[1]!, 0, 65535), wholeNumber('sports', m[2] ?? m[1]!, 0, 65535)]
    if (sports[0] > sports[1]) throw new UsageError(`--sports: ${argv.sports} is empty (the low port first)`)
  }
  return {
    day,
    hour: argv.hour === undefined ? undefined : wholeNumber('hour', argv.hour, 0, 23),
    sports,
    points: argv.points === undefined ? undefined : wholeNumber('points', argv.points, 1, 100_000_000)
  }
}

/** Reads and writes `plot isn` for `sensor`. */
export async function plotIsn (redis: Redis, sensor: string, options: IsnPlotOptions, out: string, io: Io): Promise<void> {
  const zone = await needFormat(redis, 'isn')
  const read = await readIsn(redis, { sensor, day: options.day, hour: options.hour, sports: options.sports, limit: options.points }, zone)
  if (read.cut) io.err(`potiron: warning: more than ${read.records.length} records: only the first are drawn (--points)`)
  if (read.uncounted > 0) io.err(`potiron: warning: ${read.uncounted} records of files whose ingest has not finished left out (run it again to finish it)`)
  const path = await writeIsnPlot({ sensor, day: dashed(options.day), hour: options.hour, zone, read }, out)
  io.out(printable(`${read.records.length} records drawn; open ${resolve(path)}`))
}

/** Reads and writes `export arp` of `sensor`'s day (YYYYMMDD). */
export async function exportArp (redis: Redis, sensor: string, day: string, out: string, io: Io): Promise<void> {
  await needFormat(redis, 'layer2')
  const read = await readArpDay(redis, sensor, day)
  if (read.request + read.reply === 0) throw new UsageError(`no ARP for sensor ${sensor} on ${dashed(day)}`)
  const { files, pairs } = await writeArpDay(sensor, dashed(day), read, out)
  for (const line of arpWarnings(pairs)) io.err(`potiron: warning: ${printable(line)}`)
  io.out(printable(`${files.length} files written under ${out}: ${read.request} requests, ${read.reply} replies, ${pairs.length} IP-MAC pairs (${pairs.filter(p => p.flag !== '').length} flagged); open ${resolve(out, files[files.length - 1]!)}`))
}

/**
 * `report` of an ISN database: the plot isn page of each day of `sensor`'s `month` (YYYYMM, or
 * its latest), and an index.html linking them.
 */
export async function reportIsn (redis: Redis, sensor: string, month: string | undefined, out: string, io: Io): Promise<void> {
  const zone = await needFormat(redis, 'isn')
  const all = await sensorDays(redis, sensor)
  const chosen = month ?? all[all.length - 1]?.slice(0, 6) ?? ''
  const days = all.filter(d => d.startsWith(chosen))
  if (days.length === 0) throw new UsageError(`no ISN records for sensor ${sensor} in ${dashed(chosen)}`)
  const pages: Array<{ day: string, records: number, page: string }> = []
  for (const day of days) {
    const read = await readIsn(redis, { sensor, day }, zone)
    await writeIsnPlot({ sensor, day: dashed(day), zone, read }, out)
    pages.push({ day: dashed(day), records: read.records.length, page: isnFileName({ sensor, day: dashed(day) }) })
  }
  await writeFile(join(out, INDEX), isnIndex(sensor, pages, ASSETS))
  io.out(printable(`${pages.length + 1} files written under ${out}; open ${resolve(out, INDEX)}`))
}
