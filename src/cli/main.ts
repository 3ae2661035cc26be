/**
 * The `potiron` command line. `main(argv)` takes its arguments and returns the exit status, so
 * tests call it without spawning a process: 0 success, 1 when any file failed, 2 for usage errors.
 */
import yargs, { type Argv } from 'yargs'
import { raiseInliningBudget } from '../aggregate/inlining.js'
import { UsageError } from '../errors.js'
import { captureOptions, selectionOf, targetOf, zoneOf } from './common.js'
import { expandPaths } from './files.js'
import { fieldsOf, ingest, ingestOptions, minAgeOf, threadsOf } from './ingest.js'
import { IMPORT_JSON_DESCRIPTION, importJsonBuilder, importJsonMain } from './import-json.js'
import { inspect } from './inspect.js'
import { removeCommand } from './remove.js'
import { exportCommand, plotCommand, reportCommand } from './export.js'
import { serveCommand } from './serve.js'
import { redisBuilder, redisCommand } from './redis-command.js'
import { writeJson } from './json.js'

export interface Io {
  out: (text: string) => void
  err: (text: string) => void
}

const processIo: Io = {
  out: text => { process.stdout.write(text.endsWith('\n') ? text : text + '\n') },
  err: text => { process.stderr.write(text.endsWith('\n') ? text : text + '\n') }
}

export async function main (argv: readonly string[] = process.argv.slice(2), io: Io = processIo): Promise<number> {
  // Before any capture is read, here or on the worker pool (V8 flags are per process).
  raiseInliningBudget()
  let status = 0
  const run = (job: () => Promise<number>) => async (): Promise<void> => { status = await job() }
  const parser: Argv = yargs()
    .scriptName('potiron')
    .usage('$0 <command> [options]\n\nNormalize, index and visualize network captures (pcap, pcapng, gzip).')
    .command('inspect <files..>', 'Describe captures: format, link types, packets, IPv4/IPv6, protocols, times, anomalies, top destination ports',
      y => y.positional('files', { type: 'string', array: true, demandOption: true, description: 'Capture files, directories or glob patterns' })
        .options({ json: { type: 'boolean', default: false, description: 'One JSON object per file' }, 'ipv4-only': captureOptions['ipv4-only'], tz: captureOptions.tz })
        .example('$0 inspect fixtures/', 'Every capture under fixtures/')
        .example('$0 inspect --json capture.pcap.gz', 'Machine-readable summary'),
      async args => {
        await run(async () => {
          const files = await expandPaths(args.files, io.err)
          const failed = await inspect(files, { json: args.json, selection: selectionOf(args), zone: zoneOf(args) }, io.out, io.err)
          return failed > 0 ? 1 : 0
        })()
      })
    .command('json <files..>', "Write the original potiron's normalized JSON documents (OUT/YYYY/MM/DD/<name>.json)",
      y => y.positional('files', { type: 'string', array: true, demandOption: true, description: 'Capture files, directories or glob patterns' })
        .options({ out: { type: 'string', demandOption: true, description: 'Root directory of the documents' }, ...captureOptions })
        .example('$0 json captures/ --out json/', 'One JSON file per capture under json/YYYY/MM/DD/'),
      async args => {
        await run(async () => {
          const files = await expandPaths(args.files, io.err)
          const failed = await writeJson(files, { out: args.out, selection: selectionOf(args), zone: zoneOf(args), sensor: args.sensor }, io.err)
          return failed > 0 ? 1 : 0
        })()
      })
    .command('ingest <files..>', "Count captures into Redis in the original potiron's layout (<sensor>:<day>:<field> sorted sets); files already counted are skipped",
      y => y.positional('files', { type: 'string', array: true, demandOption: true, description: 'Capture files, directories or glob patterns' })
        .options({ ...ingestOptions, ...captureOptions })
        .example('$0 ingest captures/ --unix /run/redis/potiron.sock', 'Every capture under captures/, one thread per core')
        .example('$0 ingest \'2024/**/*.pcap.gz\' --redis redis://db:6379/1 --combined-keys --ipv4-only', "Per-protocol keys, the original's packet selection")
        .example('$0 ingest captures/ --report site/', 'Then write site/index.html: a report per sensor and month ingested'),
      async args => {
        await run(async () => {
          const options = { target: targetOf(args), threads: threadsOf(args), fields: fieldsOf(args), selection: selectionOf(args), zone: zoneOf(args) }
          const files = await expandPaths(args.files, io.err)
          return await ingest({ ...options, files, combined: args['combined-keys'], sensor: args.sensor, json: args.json, quiet: args.quiet, jsonOut: args['json-out'], force: args.force, minAge: minAgeOf(args), report: args.report }, io.out, io.err)
        })()
      })
    .command('redis <action>', "Start, stop or check potiron's own redis-server (unix socket in its data directory, append-only file)", redisBuilder, async args => { await run(async () => await redisCommand(args, io.out, io.err))() })
    .command('import-json <files..>', IMPORT_JSON_DESCRIPTION, importJsonBuilder, async args => { await run(async () => await importJsonMain(args, io))() })
    .command(removeCommand(io, code => { status = code }))
    .command(exportCommand(io, code => { status = code }))
    .command(plotCommand(io, code => { status = code }))
    .command(reportCommand(io, code => { status = code }))
    .command(serveCommand(io, code => { status = code }))
    .demandCommand(1, 'Name a command.')
    .strict()
    .help()
    .alias('h', 'help')
    .version()
    .wrap(Math.min(110, process.stdout.columns ?? 110))
    .exitProcess(false)
    .fail((message, error) => { throw error ?? new UsageError(message) })
  try {
    const output = await new Promise<string>((resolve, reject) => {
      parser.parseAsync([...argv], {}, (err, _args, text) => { if (err !== null && err !== undefined) reject(err instanceof Error ? err : new Error(String(err))); else resolve(text) })
        .catch(reject)
    })
    if (output !== '') io.out(output)
    return status
  } catch (err) {
    if (err instanceof UsageError || (err instanceof Error && err.name === 'YError')) {
      io.err(`potiron: ${err.message}\nRun 'potiron --help' for usage.`)
      return 2
    }
    throw err
  }
}
