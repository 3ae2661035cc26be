/**
 * `potiron export csv`, `potiron plot month` and `potiron report`: tables and charts read back
 * from Redis. They only read (potiron's own redis-server is used when it runs, never started).
 */
import { resolve } from 'node:path'
import type { Options } from 'yargs'
import type { Redis } from 'ioredis'
import { daysFromCivil } from '../aggregate/days.js'
import { DEFAULTS } from '../config/defaults.js'
import { UsageError } from '../errors.js'
import { plural } from '../plural.js'
import { writeCsv } from '../export/csv.js'
import { LIST_CAP, checkField, findSensors, hasSensor, readLayout, sensorDays } from '../store/read.js'
import { readMonth, readPages, readRange, readTables, type TopScope } from '../store/report-data.js'
import { MAX_POINTS, monthCount, monthsPeriod } from '../export/range.js'
import { rangeLines, writeRange, type RangePlot } from '../export/range-page.js'
import type { SitePlan } from '../export/site.js'
import { compactOf, dashed } from '../export/names.js'
import { parseSpec, planPlot, planReport, writePlot, writeReport, writeReports, type ReportsJob, type SiteResult } from '../export/report.js'
import { EXIT, command, type ExitStatus, type Io } from './command.js'
import { redisOptions, targetOf, withRedis, type CommandTarget } from './common.js'
import { wholeNumber } from './numbers.js'
import { printable } from './printable.js'
import { exportArp, formatOf, isnPlotOf, needFormat, plotIsn, reportIsn } from './modes.js'

export const exportOptions = {
  ...redisOptions('when it runs'),
  sensor: { type: 'string', description: 'Sensor name (default: the only sensor in the data)' },
  limit: { type: 'string', requiresArg: true, defaultDescription: String(DEFAULTS.reportLimit), description: 'Values per table or chart (top N)' },
  skip: { type: 'string', array: true, defaultDescription: 'the field\'s "not set" value: -1, 0 for iptos, 255 for icmptype and icmpcode, unknown for sasn, dasn, scc and dcc', description: 'Values to leave out; --skip with no value keeps all' },
  out: { type: 'string', default: 'out', description: 'Output directory (created if missing)' },
  exact: { type: 'boolean', default: false, description: `Sum every value of a month (or of the protocols) when its first ${LIST_CAP} of each day do not prove the top; by default such a table says how far it holds` }
} as const satisfies Record<string, Options>

/** `YYYY-MM-DD` → `YYYYMMDD`, `YYYY-MM` → `YYYYMM`; anything else, or a day that does not exist, is a usage error (naming `--<flag>`). */
export function compactDate (text: string, allowDay = true, flag = 'date'): string {
  const compact = compactOf(text, allowDay ? 'day or month' : 'month')
  if (compact !== undefined) return compact
  const m = /^(\d{4})-(\d{2})(?:-(\d{2}))?$/.exec(text)
  const [year, month] = [Number(m?.[1]), Number(m?.[2])]
  // Well formed, but not in the calendar: say so, rather than repeat the format it follows.
  if (m !== null && (month < 1 || month > 12)) throw new UsageError(`--${flag}: ${text} does not exist (there is no month ${m[2]!})`)
  if (m?.[3] !== undefined && allowDay) throw new UsageError(`--${flag}: ${text} does not exist (${m[1]!}-${m[2]!} has ${daysFromCivil(year, month + 1, 1) - daysFromCivil(year, month, 1)} days)`)
  throw new UsageError(`--${flag}: expected ${allowDay ? 'YYYY-MM-DD or ' : ''}YYYY-MM, got '${text}'`)
}

export function limitOf (text: string | undefined): number {
  return text === undefined ? DEFAULTS.reportLimit : wholeNumber('limit', text, 1, 100_000)
}

/** The values given to --skip; undefined when it is not given: each field's "not set" value. */
function skipOf (values: ReadonlyArray<string | number> | undefined): Set<string> | undefined {
  return values === undefined ? undefined : new Set(values.map(String).filter(v => v !== ''))
}

/** The sensor named, which must have data, else every sensor in the data (at least one). */
async function sensorsOf (redis: Redis, given: string | undefined): Promise<string[]> {
  if (given !== undefined) {
    if (!await hasSensor(redis, given)) {
      const known = await findSensors(redis)
      throw new UsageError(`no data for sensor '${given}' (sensors: ${known.length > 0 ? known.join(', ') : 'none'})`)
    }
    return [given]
  }
  const sensors = await findSensors(redis)
  if (sensors.length === 0) throw new UsageError('this database holds no sensor data (no <sensor>_DAYS set)')
  return sensors
}

/** The sensor named, which must have data, or the only one there is. */
async function sensorOf (redis: Redis, given: string | undefined): Promise<string> {
  const sensors = await sensorsOf(redis, given)
  if (sensors.length === 1) return sensors[0]!
  throw new UsageError(`name one with --sensor: ${sensors.join(', ')}`)
}

/** --date YYYY-MM checked, before Redis is asked anything; undefined when not given. */
function givenMonth (date: string | undefined): string | undefined {
  return date === undefined ? undefined : compactDate(date, false)
}

/** The given month (givenMonth), or the month of the sensor's latest day. */
async function monthOf (redis: Redis, sensor: string, given: string | undefined): Promise<string> {
  if (given !== undefined) return given
  const days = await sensorDays(redis, sensor)
  return days[days.length - 1]!.slice(0, 6)
}

/** The options every export command takes (exportOptions), checked. */
interface Shared { limit: number, skip: ReadonlySet<string> | undefined, out: string, exact: boolean }

/** Where the data is, and the options every export command takes, checked (pure). */
interface Reading { target: CommandTarget, sensor: string | undefined, shared: Shared }

function readingOf (argv: { redis?: string | undefined, unix?: string | undefined, sensor?: string | undefined, limit?: string | undefined, skip?: ReadonlyArray<string | number> | undefined, out: string, exact: boolean }): Reading {
  return { target: targetOf(argv), sensor: argv.sensor, shared: { limit: limitOf(argv.limit), skip: skipOf(argv.skip), out: argv.out, exact: argv.exact } }
}

/**
 * Runs `job` on Redis. A UsageError found there (unknown sensor, field, a date without data)
 * is exit status 2, printed without the --help hint: the command line is well formed, the data
 * says no, and the message names what the data holds.
 */
async function reading (options: Reading, io: Io, job: (redis: Redis, shared: Shared) => Promise<void>): Promise<ExitStatus> {
  let usage: UsageError | undefined
  const status = await withRedis(options.target, io.err, { start: false }, async redis => {
    try {
      await job(redis, options.shared)
      return EXIT.ok
    } catch (e) {
      if (!(e instanceof UsageError)) throw e
      usage = e
      return EXIT.usage
    }
  })
  // Its message may name sensors and fields found in the data.
  if (usage !== undefined) io.err(`potiron: ${printable(usage.message)}`)
  return status
}

export function printSite (io: Io, out: string, result: SiteResult): void {
  for (const note of result.notes) io.err(`potiron: ${printable(note)}`)
  io.out(printable(`${plural(result.files.length, 'file')} written under ${out}; open ${resolve(out, result.entry)}`))
}

export const exportCommand = command({
  usage: 'export <format>',
  description: 'Write top-N tables of a field from Redis (CSV); or, from a layer-2 database (ingest --layer2), a day\'s ARP: its IP-MAC pairs (flagged when an IP has several MACs or a MAC several IPs), its requests (CSV) and a chart of them per hour',
  positionals: { format: { choices: ['csv', 'arp'], demandOption: true, description: 'csv: a field\'s top values; arp: a day\'s ARP' } },
  options: {
    ...exportOptions,
    field: { type: 'string', description: 'csv: the field (e.g. dport, ipsrc, protocol)' },
    date: { type: 'string', demandOption: true, description: 'YYYY-MM-DD (one day) or, for csv, YYYY-MM (the month\'s totals)' },
    'each-day': { type: 'boolean', default: false, description: 'With --date YYYY-MM: one file per day that has data' },
    protocols: { type: 'boolean', default: false, description: 'One file per protocol plus their total (needs data ingested with --combined-keys)' }
  },
  examples: [
    ['$0 export csv --sensor hp-1 --field dport --date 2024-03-05', 'out/hp-1_destination-port_2024-03-05.csv'],
    ['$0 export csv --field ipsrc --date 2024-03 --each-day', 'One file per day of March 2024 that has data'],
    ['$0 export csv --field dport --date 2024-03 --protocols', 'Per protocol: ..._with-protocols_2024-03_tcp.csv, and the total'],
    ['$0 export arp --sensor lan-1 --date 2024-03-05', 'out/lan-1_arp_2024-03-05.csv (flagged IP-MAC pairs), .html, ...']
  ],
  check: argv => {
    const date = compactDate(argv.date)
    if (argv.format === 'arp') {
      if (date.length !== 8) throw new UsageError(`export arp: --date names a day, YYYY-MM-DD, not ${argv.date}`)
      if (argv.field !== undefined || argv['each-day'] || argv.protocols) throw new UsageError('export arp writes a day\'s ARP: --field, --each-day and --protocols are for export csv')
      return { arp: true, reading: readingOf(argv), field: '', date, eachDay: false, protocols: false }
    }
    if (argv.field === undefined) throw new UsageError('Missing required argument: field')
    if (argv['each-day'] && date.length === 8) throw new UsageError('--each-day needs --date YYYY-MM')
    return { arp: false, reading: readingOf(argv), field: argv.field, date, eachDay: argv['each-day'], protocols: argv.protocols }
  },
  run: async (options, io) => await reading(options.reading, io, async (redis, shared) => {
    const sensor = await sensorOf(redis, options.reading.sensor)
    if (options.arp) { await exportArp(redis, sensor, options.date, shared.out, io); return }
    await needFormat(redis, 'standard')
    const { field, protocols } = options
    const tables = await readTables(redis, { sensor, field, date: options.date, eachDay: options.eachDay, protocols, ...shared })
    const files = await writeCsv(tables, { sensor, field, protocols, out: shared.out }, line => { io.err(`potiron: ${printable(line)}`) })
    io.out(printable(`${plural(files.length, 'file')} written under ${shared.out}`))
  })
})

export const plotCommand = command({
  usage: 'plot <chart>',
  description: 'Write a timeline of some values (Plotly, opens offline): a month with the day charts its points link to, or any months with weekly or monthly sums and year calendars; or, from an ISN database (ingest --isn), the TCP sequence and acknowledgement numbers of a day or an hour',
  positionals: { chart: { choices: ['month', 'range', 'isn'], demandOption: true, description: 'Chart kind: month (--date), range (--from, --to) or isn (--date YYYY-MM-DD)' } },
  options: {
    ...exportOptions,
    field: { type: 'string', description: 'month, range: the field (e.g. dport)' },
    values: { type: 'string', array: true, description: 'month, range: 22 (all protocols), 22-tcp (one protocol), 22-* (each protocol and the total)' },
    date: { type: 'string', description: 'plot month: YYYY-MM (default: the month of the latest day); plot isn: the day, YYYY-MM-DD' },
    from: { type: 'string', requiresArg: true, description: `plot range: the first month, YYYY-MM (a point per day up to ${MAX_POINTS} days, then per ISO week, then per month)` },
    to: { type: 'string', requiresArg: true, description: 'plot range: the last month, YYYY-MM (default: the month of the latest day)' },
    calendar: { type: 'string', requiresArg: true, description: 'plot range: also a calendar heatmap of each value over the year YYYY (written for each year the range holds whole; without --from/--to, the range is that year)' },
    hour: { type: 'string', requiresArg: true, description: 'plot isn: that hour of the day only (0-23, in the database\'s zone)' },
    sports: { type: 'string', requiresArg: true, description: 'plot isn: the records from these source ports only (22, or 1024-65535)' },
    points: { type: 'string', requiresArg: true, description: 'plot isn: records drawn at most (default 1000000)' }
  },
  examples: [
    ['$0 plot month --sensor hp-1 --field dport --values 22 23', 'Ports 22 and 23 over the latest month: out/hp-1_<YYYY-MM>_..._22_23.html'],
    ['$0 plot month --field dport --values 22-* --date 2024-03', 'Port 22 per protocol and in total (combined keys)'],
    ['$0 plot range --field dport --values 22 23 --from 2022-01', 'From 2022 to the latest month, weekly; a calendar per port and whole year'],
    ['$0 plot range --field dport --values 22 --calendar 2024', 'Port 22 over 2024 (a point per day) and its calendar of 2024'],
    ['$0 plot isn --sensor hp-1 --date 2024-03-05 --hour 13', 'SYNs of 13:00-14:00: out/isn_hp-1_2024-03-05_13.html']
  ],
  check: argv => {
    const reading = readingOf(argv)
    if (argv.chart === 'isn') {
      if (argv.field !== undefined || argv.values !== undefined) throw new UsageError('plot isn draws every SYN record: leave --field and --values out')
      const misplaced = (['from', 'to', 'calendar'] as const).find(flag => argv[flag] !== undefined)
      if (misplaced !== undefined) throw new UsageError(`--${misplaced} is for plot range; plot isn takes --date YYYY-MM-DD`)
      return { chart: 'isn' as const, isn: isnPlotOf(argv, text => compactDate(text)), reading }
    }
    if (argv.hour !== undefined || argv.sports !== undefined || argv.points !== undefined) throw new UsageError('--hour, --sports and --points are for plot isn')
    if (argv.field === undefined) throw new UsageError('Missing required argument: field')
    if (argv.values === undefined) throw new UsageError('Missing required argument: values')
    const { field } = argv
    const values = argv.values.map(String)
    if (argv.chart === 'month') {
      const misplaced = (['from', 'to', 'calendar'] as const).find(flag => argv[flag] !== undefined)
      if (misplaced !== undefined) throw new UsageError(`--${misplaced} is for plot range; plot month takes --date YYYY-MM`)
      return { chart: 'month' as const, month: givenMonth(argv.date), reading, field, values }
    }
    if (argv.date !== undefined) throw new UsageError('--date is for plot month; plot range takes --from YYYY-MM --to YYYY-MM')
    return { chart: 'range' as const, ...rangeOf(argv.from, argv.to, argv.calendar), reading, field, values }
  },
  run: async (options, io) => await reading(options.reading, io, async (redis, shared) => {
    const sensor = await sensorOf(redis, options.reading.sensor)
    if (options.chart === 'isn') { await plotIsn(redis, sensor, options.isn, shared.out, io); return }
    await needFormat(redis, 'standard')
    if (options.chart === 'range') {
      printSite(io, shared.out, await writeRange(await readRangePlot(redis, sensor, options), shared.out))
      return
    }
    const month = await readMonth(redis, sensor, await monthOf(redis, sensor, options.month), [options.field])
    const planned = planPlot(month, options.field, options.values)
    await readPages(redis, month, shared, planned.plan)
    printSite(io, shared.out, await writePlot(planned, { out: shared.out }))
  })
})

/** The most months a range may span: a point each is then still at most MAX_POINTS. */
export const MAX_RANGE_MONTHS = MAX_POINTS

/** The months of `plot range` as given (YYYYMM; `to` undefined: the latest month with data), checked as far as they go without Redis (pure). */
export interface RangeGiven { from: string, to: string | undefined, calendar: number | undefined }

export function rangeOf (fromText: string | undefined, toText: string | undefined, calendarText: string | undefined): RangeGiven {
  if (calendarText !== undefined && !/^\d{4}$/.test(calendarText)) throw new UsageError(`--calendar: expected a year YYYY, got '${calendarText}'`)
  const calendar = calendarText === undefined ? undefined : Number(calendarText)
  if (fromText === undefined && toText === undefined && calendarText !== undefined) return { from: `${calendarText}01`, to: `${calendarText}12`, calendar }
  if (fromText === undefined) throw new UsageError('plot range needs --from YYYY-MM (--to defaults to the latest month with data), or --calendar YYYY alone')
  const given = { from: compactDate(fromText, false, 'from'), to: toText === undefined ? undefined : compactDate(toText, false, 'to'), calendar }
  if (given.to !== undefined) rangeMonths(given.from, given.to, calendar)
  return given
}

/** A range's months (YYYYMM) checked, and the years of its calendars: each year it holds whole, and `calendar`, which must be one of its years. */
export function rangeMonths (from: string, to: string, calendar: number | undefined): { from: string, to: string, calendars: number[] } {
  const months = monthCount(from, to)
  if (months < 1) throw new UsageError(`--from ${dashed(from)} is after --to ${dashed(to)}`)
  if (months > MAX_RANGE_MONTHS) throw new UsageError(`--from ${dashed(from)} --to ${dashed(to)} is ${months} months, at most ${MAX_RANGE_MONTHS}`)
  const [first, last] = [Number(from.slice(0, 4)), Number(to.slice(0, 4))]
  // The years it holds whole: the calendar of each; a calendar asked must overlap the range, whose data is read.
  const [wholeFirst, wholeLast] = [from.endsWith('01') ? first : first + 1, to.endsWith('12') ? last : last - 1]
  const calendars = Array.from({ length: Math.max(0, wholeLast - wholeFirst + 1) }, (_, i) => wholeFirst + i)
  if (calendar !== undefined) {
    if (calendar < first || calendar > last) throw new UsageError(`--calendar ${calendar}: not a year of --from ${dashed(from)} --to ${dashed(to)}`)
    if (!calendars.includes(calendar)) calendars.push(calendar)
  }
  return { from, to, calendars }
}

/** What `plot range` draws, read: the range's days and the calendars' whole years. */
async function readRangePlot (redis: Redis, sensor: string, given: RangeGiven & { field: string, values: readonly string[] }): Promise<RangePlot> {
  const options = { ...given, ...rangeMonths(given.from, given.to ?? await monthOf(redis, sensor, undefined), given.calendar) }
  const layout = await readLayout(redis)
  checkField(layout, options.field)
  const specs = options.values.map(v => parseSpec(v, layout))
  const lines = rangeLines(specs, layout)
  const { first, last } = monthsPeriod(options.from, options.to)
  const years = options.calendars
  const read = await readRange(redis, layout, sensor, [first, ...years.map(y => `${y}0101`)].sort()[0]!, [last, ...years.map(y => `${y}1231`)].sort().at(-1)!, options.field, lines.map(l => l.line))
  return { sensor, field: options.field, specs, from: options.from, to: options.to, calendars: years, lines, ...read }
}

export const reportCommand = command({
  usage: 'report',
  description: 'Write the offline site of a sensor\'s month: index.html (per field, a heatmap of the top values per day and the month\'s treemap), top-values charts of the month and of each day, month timelines, CSV files; without --sensor, of every sensor under one index',
  positionals: {},
  options: {
    ...exportOptions,
    sensor: { type: 'string', description: 'Sensor name (default: every sensor in the data; with several, each in OUT/<sensor>/<YYYY-MM>/ under one OUT/index.html)' },
    date: { type: 'string', description: 'YYYY-MM (default: the month of the latest day; of each sensor\'s latest day without --sensor)' },
    fields: { type: 'string', description: 'Comma-separated fields (default: every field in the data)' }
  },
  examples: [
    ['$0 report --sensor hp-1 --date 2024-03 --out site/', 'site/index.html and everything it links'],
    ['$0 report --fields dport,ipsrc --out site/', 'Two fields, the latest month of each sensor, under site/index.html']
  ],
  check: argv => {
    const month = givenMonth(argv.date)
    const fields = argv.fields?.split(',').map(f => f.trim()).filter(f => f !== '')
    if (fields?.length === 0) throw new UsageError('--fields: name at least one field (e.g. --fields dport,ipsrc), or leave it out for all')
    return { month, fields, reading: readingOf(argv) }
  },
  run: async (options, io) => await reading(options.reading, io, async (redis, shared) => {
    if (await formatOf(redis) === 'isn') { await reportIsn(redis, await sensorOf(redis, options.reading.sensor), options.month, shared.out, io); return }
    await needFormat(redis, 'standard')
    const sensors = await sensorsOf(redis, options.reading.sensor)
    if (sensors.length > 1) {
      printSite(io, shared.out, await writeReportSites(redis, await reportMonthsOf(redis, sensors, options.month), { ...shared, fields: options.fields }))
      return
    }
    const sensor = sensors[0]!
    const report = await readReport(redis, sensor, await monthOf(redis, sensor, options.month), shared, options.fields)
    printSite(io, shared.out, await writeReport(report, { fields: options.fields, ...shared }))
  })
})

/** Each sensor's month to report: the one given (sensors without data in it left out), else its latest. */
async function reportMonthsOf (redis: Redis, sensors: readonly string[], given: string | undefined): Promise<Array<{ sensor: string, month: string }>> {
  const months: Array<{ sensor: string, month: string }> = []
  for (const sensor of sensors) {
    const days = await sensorDays(redis, sensor, given)
    if (days.length > 0) months.push({ sensor, month: days[days.length - 1]!.slice(0, 6) })
  }
  if (months.length === 0) throw new UsageError(`no sensor has data in ${dashed(given ?? '')} (sensors: ${sensors.join(', ')})`)
  return months
}

/** Everything a report of `sensor`'s `month` shows, read (planReport), to write with writeReport. */
async function readReport (redis: Redis, sensor: string, month: string, scope: TopScope, fields?: readonly string[]): Promise<SitePlan> {
  const read = await readMonth(redis, sensor, month, fields)
  const plan = planReport(read, fields)
  await readPages(redis, read, scope, plan)
  return plan
}

/**
 * The report of each of `months` (a sensor and a month, see reportMonths), read one after the
 * other, then written under `out` with one index (writeReports): `ingest --report`, and `report`
 * on data of several sensors.
 */
export async function writeReportSites (redis: Redis, months: ReadonlyArray<{ sensor: string, month: string }>, job: ReportsJob & TopScope): Promise<SiteResult> {
  const reports: SitePlan[] = []
  for (const { sensor, month } of months) reports.push(await readReport(redis, sensor, month, job, job.fields))
  return await writeReports(reports, job)
}
