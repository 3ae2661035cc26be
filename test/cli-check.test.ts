/**
 * Each command's `check` called directly with plain objects, as yargs hands them over: no
 * process, no Redis, no file system (jest-cli's args tests). And main(): every registered
 * command in --help, --help runs nothing, yargs's refusals are usage errors (status 2).
 */
import assert from 'node:assert/strict'
import { test } from 'node:test'
import { UsageError } from '../src/errors.js'
import { EXIT, type Io } from '../src/cli/command.js'
import { addressOf, targetArgs, targetOf } from '../src/cli/common.js'
import { DEFAULTS } from '../src/config/defaults.js'
import { exportCommand, plotCommand, reportCommand } from '../src/cli/export.js'
import { importJsonCommand } from '../src/cli/import-json.js'
import { ingestCommand } from '../src/cli/ingest.js'
import { inspectCommand } from '../src/cli/inspect.js'
import { jsonCommand } from '../src/cli/json.js'
import { COMMANDS, main } from '../src/cli/main.js'
import { redisCommand } from '../src/cli/redis-command.js'
import { removeCommand } from '../src/cli/remove.js'
import { serveCommand } from '../src/cli/serve.js'

const SOCKET = { redis: undefined, unix: '/run/potiron.sock', cluster: undefined }
const CAPTURE = { 'ipv4-only': false, tz: undefined, sensor: undefined, filter: undefined }

function usage (f: () => unknown, message: RegExp): void {
  assert.throws(f, (e: unknown) => e instanceof UsageError && message.test(e.message))
}

test('inspect and json: files as given, selection and zone checked', () => {
  assert.deepEqual(inspectCommand.check({ files: ['a.pcap', 'dir/'], json: true, filter: undefined, 'ipv4-only': true, tz: 'Europe/Luxembourg', 'geoip-db': 'c.mmdb', 'asn-db': undefined }),
    { paths: ['a.pcap', 'dir/'], options: { json: true, selection: 'ipv4-only', zone: 'Europe/Luxembourg', enrich: { geoipDb: 'c.mmdb', asnDb: undefined } } })
  usage(() => inspectCommand.check({ files: ['a.pcap'], json: false, filter: undefined, 'ipv4-only': false, tz: 'Mars/Olympus', 'geoip-db': undefined, 'asn-db': undefined }), /^--tz: unknown time zone 'Mars\/Olympus'/)
  assert.deepEqual(jsonCommand.check({ files: ['a.pcap'], out: 'json/', ...CAPTURE, sensor: 's-1' }),
    { paths: ['a.pcap'], options: { out: 'json/', selection: 'default', zone: undefined, sensor: 's-1' } })
})

const INGEST = {
  files: ['captures/'], ...SOCKET, ...CAPTURE, 'ipv4-only': undefined, threads: undefined, 'combined-keys': undefined, fields: undefined, json: false,
  'json-out': undefined, quiet: false, 'min-age': undefined, force: false, report: undefined, 'dry-run': false, 'geoip-db': undefined, 'asn-db': undefined, isn: undefined, layer2: undefined, queue: undefined, wait: false
}

test('ingest: the options it runs with, every flag checked', () => {
  assert.deepEqual(ingestCommand.check(INGEST), {
    paths: ['captures/'],
    settings: {
      target: { socket: '/run/potiron.sock' }, threads: undefined, given: {}, sensor: undefined,
      json: false, quiet: false, jsonOut: undefined, force: false, minAge: 0, report: undefined, dryRun: false, enrich: { geoipDb: undefined, asnDb: undefined }
    }
  })
  const checked = ingestCommand.check({ ...INGEST, unix: undefined, redis: 'redis://db:6379/1', threads: '4', fields: ' dport, ipsrc ,', 'combined-keys': true, 'ipv4-only': false, tz: 'UTC', 'min-age': '120' })
  assert.deepEqual([checked.settings.target, checked.settings.threads, checked.settings.given, checked.settings.minAge],
    [{ url: 'redis://db:6379/1' }, 4, { combinedKeys: true, fields: ['ipsrc', 'dport'], selection: 'default', zone: 'UTC' }, 120])
  usage(() => ingestCommand.check({ ...INGEST, redis: 'redis://db' }), /^--redis and --unix are exclusive/)
  // Neither: the default address, read from the environment only when connecting.
  const byDefault = ingestCommand.check({ ...INGEST, unix: undefined }).settings.target
  assert.deepEqual(byDefault, { fallback: true })
  assert.deepEqual([addressOf(byDefault, {}), addressOf(byDefault, { REDIS_URL: 'redis://db:6380' })], [{ url: DEFAULTS.redisUrl }, { url: 'redis://db:6380' }])
  // Back to flags, for a hint naming the same Redis: a password is not repeated.
  assert.deepEqual([byDefault, { socket: '/run/potiron.sock' }, { url: 'redis://db:6379/1' }, { url: 'redis://u:s3cret@db:6379/1' }].map(targetArgs),
    [[], ['--unix', '/run/potiron.sock'], ['--redis', 'redis://db:6379/1'], ['--redis', 'redis://u:PASSWORD@db:6379/1']])
  for (const threads of ['0', '1.5', '2000', 'four', '-2', '']) usage(() => ingestCommand.check({ ...INGEST, threads }), new RegExp(`^--threads: expected a whole number from 1 to 1024, got '${threads}'$`))
  usage(() => ingestCommand.check({ ...INGEST, fields: 'dport,nope' }), /^--fields: unknown field 'nope'/)
  usage(() => ingestCommand.check({ ...INGEST, fields: ' , ' }), /^--fields: name at least one/)
  for (const age of ['-1', 'soon', '1e3']) usage(() => ingestCommand.check({ ...INGEST, 'min-age': age }), new RegExp(`^--min-age: expected a number of seconds, 0 or more, got '${age}'$`))
  assert.equal(ingestCommand.check({ ...INGEST, 'min-age': '1.5' }).settings.minAge, 1.5)
  // --wait follows the jobs of a queue: without one there is nothing to wait for.
  usage(() => ingestCommand.check({ ...INGEST, wait: true }), /^--wait: only with --queue NAME/)
  assert.deepEqual([ingestCommand.check({ ...INGEST, queue: 'q', wait: true }).settings.queue, ingestCommand.check({ ...INGEST, queue: 'q', wait: true }).settings.wait], ['q', true])
})

test('import-json and remove: settings given are kept, those left out stay unset', () => {
  assert.deepEqual(importJsonCommand.check({ files: ['json/'], ...SOCKET, 'combined-keys': true, 'ipv4-only': true, tz: 'UTC', json: false }),
    { paths: ['json/'], settings: { target: { socket: '/run/potiron.sock' }, given: { combinedKeys: true, selection: 'ipv4-only', zone: 'UTC' }, json: false } })
  assert.deepEqual(importJsonCommand.check({ files: ['json/'], ...SOCKET, 'combined-keys': undefined, 'ipv4-only': undefined, tz: undefined, json: false }).settings.given, {})
  const remove = { files: ['a.pcap'], ...SOCKET, threads: undefined, sensor: undefined, 'combined-keys': undefined, fields: undefined, 'ipv4-only': undefined, tz: undefined, filter: undefined, json: false, 'geoip-db': undefined, 'asn-db': undefined }
  assert.deepEqual(removeCommand.check(remove).settings.given, {})
  assert.deepEqual(removeCommand.check({ ...remove, 'combined-keys': false, fields: 'dport', 'ipv4-only': false, tz: 'UTC' }).settings.given,
    { combinedKeys: false, fields: ['dport'], selection: 'default', zone: 'UTC' })
  usage(() => removeCommand.check({ ...remove, tz: 'Nowhere/Else' }), /^--tz: /)
})

test('redis: the action and directory as given', () => {
  assert.deepEqual(redisCommand.check({ action: 'status', dir: undefined }), { action: 'status', dir: undefined })
})

const EXPORT = { ...SOCKET, sensor: 'lab-gen-1', limit: '10', skip: ['-1'], out: 'out', exact: false }

test('export, plot and report: dates, limits and fields checked before Redis is asked anything', () => {
  const csv = { ...EXPORT, format: 'csv' as const, field: 'dport', date: '2024-03', 'each-day': true, protocols: false }
  assert.deepEqual(exportCommand.check(csv), {
    reading: { target: { socket: '/run/potiron.sock' }, sensor: 'lab-gen-1', shared: { limit: 10, skip: new Set(['-1']), out: 'out', exact: false } },
    arp: false, field: 'dport', date: '202403', eachDay: true, protocols: false
  })
  const arp = { ...EXPORT, format: 'arp' as const, field: undefined, date: '2024-03-05', 'each-day': false, protocols: false }
  assert.deepEqual([exportCommand.check(arp).arp, exportCommand.check(arp).date], [true, '20240305'])
  usage(() => exportCommand.check({ ...arp, date: '2024-03' }), /^export arp: --date names a day, YYYY-MM-DD, not 2024-03$/)
  usage(() => exportCommand.check({ ...arp, field: 'dport' }), /^export arp writes a day's ARP: --field, --each-day and --protocols are for export csv$/)
  usage(() => exportCommand.check({ ...csv, field: undefined }), /^Missing required argument: field$/)
  assert.deepEqual(exportCommand.check({ ...csv, 'each-day': false, date: '2024-03-05', skip: [''] }).reading.shared.skip, new Set())
  usage(() => exportCommand.check({ ...csv, date: '2024-03-05' }), /^--each-day needs --date YYYY-MM$/)
  usage(() => exportCommand.check({ ...csv, date: '2024-02-30' }), /^--date: 2024-02-30 does not exist \(2024-02 has 29 days\)$/)
  usage(() => exportCommand.check({ ...csv, limit: '0' }), /^--limit: expected a whole number from 1 to 100000, got '0'$/)
  assert.equal(exportCommand.check({ ...csv, limit: undefined }).reading.shared.limit, DEFAULTS.reportLimit)
  const plot = { ...EXPORT, chart: 'month' as const, field: 'dport', values: ['22', '22-tcp'], date: undefined, from: undefined, to: undefined, calendar: undefined, hour: undefined, sports: undefined, points: undefined }
  assert.deepEqual([plotCommand.check(plot).month, plotCommand.check(plot).values], [undefined, ['22', '22-tcp']])
  usage(() => plotCommand.check({ ...plot, date: '2024-03-05' }), /^--date: expected YYYY-MM, got '2024-03-05'$/)
  usage(() => plotCommand.check({ ...plot, hour: '3' }), /^--hour, --sports and --points are for plot isn$/)
  usage(() => plotCommand.check({ ...plot, values: undefined }), /^Missing required argument: values$/)
  const isn = { ...plot, chart: 'isn' as const, field: undefined, values: undefined, date: '2024-03-05', hour: '7', sports: '1024-65535' }
  assert.deepEqual(plotCommand.check(isn).isn, { day: '20240305', hour: 7, sports: [1024, 65535], points: undefined })
  usage(() => plotCommand.check({ ...isn, date: '2024-03' }), /^plot isn: --date names a day, YYYY-MM-DD, not 2024-03$/)
  usage(() => plotCommand.check({ ...isn, date: undefined }), /^plot isn needs --date YYYY-MM-DD$/)
  usage(() => plotCommand.check({ ...isn, hour: '24' }), /^--hour: expected a whole number from 0 to 23, got '24'$/)
  usage(() => plotCommand.check({ ...isn, sports: '80-22' }), /^--sports: 80-22 is empty \(the low port first\)$/)
  usage(() => plotCommand.check({ ...isn, field: 'dport' }), /^plot isn draws every SYN record: leave --field and --values out$/)
  const report = { ...EXPORT, date: '2024-03', fields: ' dport , ipsrc' }
  assert.deepEqual([reportCommand.check(report).month, reportCommand.check(report).fields], ['202403', ['dport', 'ipsrc']])
  usage(() => reportCommand.check({ ...report, fields: ' , ' }), /^--fields: name at least one field/)
})

const SERVE = { ...SOCKET, host: '127.0.0.1', 'allowed-host': [], port: '8080', 'base-path': '', 'read-only': false }

test('serve: port, base path and allowed hosts checked', () => {
  assert.deepEqual(serveCommand.check({ ...SERVE, 'base-path': '/potiron/', 'allowed-host': ['potiron.lan'], 'read-only': true }),
    { target: { socket: '/run/potiron.sock' }, host: '127.0.0.1', port: 8080, basePath: '/potiron', readOnly: true, allowedHosts: ['potiron.lan'] })
  for (const port of ['-1', '65536', '1.5', 'http']) usage(() => serveCommand.check({ ...SERVE, port }), new RegExp(`^--port: expected a whole number from 0 to 65535, got '${port}'$`))
  assert.equal(serveCommand.check({ ...SERVE, port: undefined }).port, DEFAULTS.servePort)
  usage(() => serveCommand.check({ ...SERVE, 'base-path': '/a b' }), /^--base-path: /)
  usage(() => serveCommand.check({ ...SERVE, 'allowed-host': ['potiron.example:8080'] }), /^--allowed-host: /)
})

/** main() in-process with its output collected. */
async function run (...args: string[]): Promise<{ status: number, out: string, err: string }> {
  const out: string[] = []
  const err: string[] = []
  const io: Io = { out: t => { out.push(t) }, err: t => { err.push(t) } }
  return { status: await main(args, io), out: out.join('\n'), err: err.join('\n') }
}

test('main: --help names every command; a command\'s --help runs nothing; what yargs refuses is a usage error', async () => {
  const help = await run('--help')
  assert.equal(help.status, EXIT.ok)
  for (const c of COMMANDS) assert.ok(help.out.includes(`potiron ${c.usage}`), c.usage)
  // Would fail (no such file, no Redis) if it ran.
  const ingestHelp = await run('ingest', '/no/such/capture.pcap', '--unix', '/no/such.sock', '--help')
  assert.deepEqual([ingestHelp.status, ingestHelp.err], [EXIT.ok, ''])
  assert.match(ingestHelp.out, /--min-age/)
  for (const [args, command] of [[['ingest'], 'ingest'], [['redis', 'bogus'], 'redis'], [['redis', 'start', '--bogus'], 'redis start'], [['inspect', 'x.pcap', '--no-such-flag'], 'inspect'], [['serve', '--allowed-host'], 'serve'], [['bogus'], '']] as const) {
    const refused = await run(...args)
    assert.equal(refused.status, EXIT.usage, args.join(' '))
    assert.ok(refused.err.startsWith('potiron: '), refused.err)
    assert.ok(refused.err.endsWith(`\nRun 'potiron ${command === '' ? '' : `${command} `}--help' for usage.`), refused.err)
  }
})

test('--cluster: kept by targetOf with the address it is for, and given back by targetArgs in a hint', () => {
  assert.deepEqual(targetOf({ redis: 'redis://h:7000', unix: undefined, cluster: true }), { url: 'redis://h:7000', cluster: true })
  assert.deepEqual(targetOf({ redis: undefined, unix: undefined, cluster: true }), { fallback: true, cluster: true })
  assert.deepEqual(targetArgs({ url: 'redis://:secret@h:7000', cluster: true }), ['--redis', 'redis://:PASSWORD@h:7000', '--cluster'])
  assert.deepEqual(targetArgs({ fallback: true, cluster: true }), ['--cluster'])
  assert.deepEqual(targetArgs({ fallback: true }), [])
})
