/**
 * The `potiron` command line. `main(argv)` takes its arguments and returns the exit status, so
 * tests call it without spawning a process: 0 success, 1 when any file failed, 2 for usage errors.
 *
 * yargs only parses: it checks the command line against each command's tables and prints
 * `--help` and `--version`. Then the chosen command's `check` makes its options and its `run`
 * returns the exit status; a UsageError, from yargs, `check` or `run`, is status 2.
 */
import yargs, { type Argv } from 'yargs'
import { raiseInliningBudget } from '../aggregate/inlining.js'
import { UsageError } from '../errors.js'
import { benchCommand } from './bench.js'
import { EXIT, type Command, type ExitStatus, type Io } from './command.js'
import { exportCommand, plotCommand, reportCommand } from './export.js'
import { importJsonCommand } from './import-json.js'
import { ingestCommand } from './ingest.js'
import { inspectCommand } from './inspect.js'
import { commandLine, invocation } from './invocation.js'
import { jsonCommand } from './json.js'
import { printable } from './printable.js'
import { queueCommand, workerCommand } from './queue.js'
import { redisCommand } from './redis-command.js'
import { removeCommand } from './remove.js'
import { serveCommand } from './serve.js'
import { statusCommand } from './status.js'
import { commandOf, explainRefusal } from './suggest.js'

export type { Io } from './command.js'

/** In `potiron --help` order. */
export const COMMANDS: readonly Command[] = [
  inspectCommand, jsonCommand, ingestCommand, workerCommand, queueCommand, benchCommand, statusCommand, redisCommand, importJsonCommand, removeCommand,
  exportCommand, plotCommand, reportCommand, serveCommand
]

const processIo: Io = {
  out: text => { process.stdout.write(text.endsWith('\n') ? text : text + '\n') },
  err: text => { process.stderr.write(text.endsWith('\n') ? text : text + '\n') }
}

export async function main (argv: readonly string[] = process.argv.slice(2), io: Io = processIo): Promise<ExitStatus> {
  // Before any capture is read, here or on the worker pool (V8 flags are per process).
  raiseInliningBudget()
  let chosen: { command: Command, argv: Readonly<Record<string, unknown>> } | undefined
  let parser: Argv = yargs()
    // Usage lines and examples as the user runs potiron, to copy as they are (invocation.ts).
    .scriptName(invocation())
    .usage('$0 <command> [options]\n\nNormalize, index and visualize network captures (pcap, pcapng, gzip).')
  for (const c of COMMANDS) parser = parser.command(c.usage, c.description, c.build, argv => { chosen = { command: c, argv } })
  parser = parser
    .demandCommand(1, 'Name a command.')
    .strict()
    .help()
    .alias('h', 'help')
    .version()
    // 80 columns (fewer on a narrower terminal): lines that fit any terminal, readable in a pipe.
    .wrap(Math.min(80, process.stdout.columns ?? 80))
    .exitProcess(false)
    // Whatever yargs refuses (an unknown option, a missing value, its own YError) is a usage error.
    .fail((message: string | null | undefined, error: Error | undefined) => {
      throw new UsageError(explainRefusal(message ?? error?.message ?? 'bad command line', argv, COMMANDS), { cause: error })
    })
  skipHelpCache(parser)
  try {
    const output = await new Promise<string>((resolve, reject) => {
      parser.parseAsync([...argv], {}, (err, _args, text) => { if (err !== null && err !== undefined) reject(err instanceof Error ? err : new Error(String(err))); else resolve(text) })
        .catch(reject)
    })
    // --help and --version print and run nothing.
    if (output !== '') { io.out(output); return EXIT.ok }
    return chosen === undefined ? EXIT.ok : await chosen.command.execute(chosen.argv, io)
  } catch (err) {
    if (!(err instanceof UsageError)) throw err
    // Line by line: some of yargs's messages span lines ("Invalid values:\n  Argument: ...").
    io.err(`potiron: ${err.message.split('\n').map(printable).join('\n')}\n${helpHint(argv, chosen?.command ?? commandOf(argv, COMMANDS))}`)
    return EXIT.usage
  }
}

/**
 * yargs builds the whole help text of a command whenever it runs the command's handler, in case
 * its own failure handling shows it later: 0.1-0.15 s of every start (string widths of every
 * option), for a text potiron never shows then (a usage error points to --help: helpHint).
 * Skipped through yargs's internals when they are as expected, else left as it is.
 */
function skipHelpCache (parser: Argv): void {
  const internals = (parser as unknown as { getInternalMethods?: () => { getUsageInstance?: () => { cacheHelpMessage?: unknown } } }).getInternalMethods?.()
  const usage = internals?.getUsageInstance?.()
  if (usage !== undefined && typeof usage.cacheHelpMessage === 'function') usage.cacheHelpMessage = () => {}
}

/**
 * Where a usage error sends the user: the --help of the command named, with its chart or
 * format when one of them follows (`potiron plot month --help`), else potiron's.
 */
function helpHint (argv: readonly string[], command: Command | undefined): string {
  if (command === undefined) return `Run '${commandLine(['--help'])}' for usage.`
  const name = command.usage.split(' ')[0]!
  const next = argv[argv.indexOf(name) + 1]
  const choices = Object.values(command.positionals)[0]?.choices
  const words = Array.isArray(choices) && choices.includes(next) ? [name, next!] : [name]
  return `Run '${commandLine([...words, '--help'])}' for usage.`
}
