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
import { LIST_CAP, findSensors, hasSensor, sensorDays } from '../store/read.js'
import { readMonth, readPages, readTables, type TopScope } from '../store/report-data.js'
import type { SitePlan } from '../export/site.js'
import { compactOf, dashed } from '../export/names.js'
import { planPlot, planReport, writePlot, writeReport, writeReports, type ReportsJob, type SiteResult } from '../export/report.js'
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

/** `YYYY-MM-DD` → `YYYYMMDD`, `YYYY-MM` → `YYYYMM`; anything else, or a day that does not exist, is a usage error. */
export function compactDate (text: string, allowDay = true): string {
  const compact = compactOf(text, allowDay ? 'day or month' : 'month')
  if (compact !== undefined) return compact
  const m = /^(\d{4})-(\d{2})(?:-(\d{2}))?$/.exec(text)
  const [year, month] = [Number(m?.[1]), Number(m?.[2])]
  // Well formed, but not in the calendar: say so, rather than repeat the format it follows.
  if (m !== null && (month < 1 || month > 12)) throw new UsageError(`--date: ${text} does not exist (there is no month ${m[2]!})`)
  if (m?.[3] !== undefined && allowDay) throw new UsageError(`--date: ${text} does not exist (${m[1]!}-${m[2]!} has ${daysFromCivil(year, month + 1, 1) - daysFromCivil(year, month, 1)} days)`)
  throw new UsageError(`--date: expected ${allowDay ? 'YYYY-MM-DD or ' : ''}YYYY-MM, got '${text}'`)
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
  description: 'Write a month timeline of some values (Plotly, opens offline), with the day charts its points link to; or, from an ISN database (ingest --isn), the TCP sequence and acknowledgement numbers of a day or an hour',
  positionals: { chart: { choices: ['month', 'isn'], demandOption: true, description: 'Chart kind' } },
  options: {
    ...exportOptions,
    field: { type: 'string', description: 'month: the field (e.g. dport)' },
    values: { type: 'string', array: true, description: 'month: 22 (all protocols), 22-tcp (one protocol), 22-* (each protocol and the total)' },
    date: { type: 'string', description: 'month: YYYY-MM (default: the month of the latest day); isn: the day, YYYY-MM-DD' },
    hour: { type: 'string', requiresArg: true, description: 'isn: that hour of the day only (0-23, in the database\'s zone)' },
    sports: { type: 'string', requiresArg: true, description: 'isn: the records from these source ports only (22, or 1024-65535)' },
    points: { type: 'string', requiresArg: true, description: 'isn: records drawn at most (default 1000000)' }
  },
  examples: [
    ['$0 plot month --sensor hp-1 --field dport --values 22 23', 'Ports 22 and 23 over the latest month: out/hp-1_<YYYY-MM>_..._22_23.html'],
    ['$0 plot month --field dport --values 22-* --date 2024-03', 'Port 22 per protocol and in total (combined keys)'],
    ['$0 plot isn --sensor hp-1 --date 2024-03-05 --hour 13', 'SYNs of 13:00-14:00: out/isn_hp-1_2024-03-05_13.html']
  ],
  check: argv => {
    if (argv.chart === 'isn') {
      if (argv.field !== undefined || argv.values !== undefined) throw new UsageError('plot isn draws every SYN record: leave --field and --values out')
      return { isn: isnPlotOf(argv, text => compactDate(text)), reading: readingOf(argv), month: undefined, field: '', values: [] }
    }
    if (argv.hour !== undefined || argv.sports !== undefined || argv.points !== undefined) throw new UsageError('--hour, --sports and --points are for plot isn')
    if (argv.field === undefined) throw new UsageError('Missing required argument: field')
    if (argv.values === undefined) throw new UsageError('Missing required argument: values')
    return { isn: undefined, month: givenMonth(argv.date), reading: readingOf(argv), field: argv.field, values: argv.values.map(String) }
  },
  run: async (options, io) => await reading(options.reading, io, async (redis, shared) => {
    const sensor = await sensorOf(redis, options.reading.sensor)
    if (options.isn !== undefined) { await plotIsn(redis, sensor, options.isn, shared.out, io); return }
    await needFormat(redis, 'standard')
    const month = await readMonth(redis, sensor, await monthOf(redis, sensor, options.month), [options.field])
    const planned = planPlot(month, options.field, options.values)
    await readPages(redis, month, shared, planned.plan)
    printSite(io, shared.out, await writePlot(planned, { out: shared.out }))
  })
})

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
