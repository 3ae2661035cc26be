/**
 * What a potiron command is, the same for every one: a name with its positionals, a description,
 * an options table (yargs `Options`, data), examples for `--help`, a pure `check` that turns the
 * parsed command line into the command's typed options (or throws UsageError naming the flag),
 * and `run`, which does the work and returns the exit status. main.ts registers them all alike.
 */
import type { Argv, InferredOptionType, InferredOptionTypes, Options, PositionalOptions } from 'yargs'

/** Where a command writes: `out` for results (stdout), `err` for progress and problems (stderr). */
export interface Io {
  out: (text: string) => void
  err: (text: string) => void
}

/**
 * The exit statuses (README "Exit status and bad input"): 0 success, 1 when any file (or Redis)
 * failed, 2 for a usage error, 130 when Ctrl-C stopped `ingest --queue --wait`. bin.ts adds 70 for an internal error.
 */
export const EXIT = { ok: 0, failed: 1, usage: 2, interrupted: 130 } as const
export type ExitStatus = typeof EXIT[keyof typeof EXIT]

export type PositionalTable = Readonly<Record<string, PositionalOptions>>
export type OptionTable = Readonly<Record<string, Options>>

/** A command line as yargs gives it once it has parsed and validated it against the tables. */
export type Parsed<P extends PositionalTable, O extends OptionTable> = { [K in keyof P]: InferredOptionType<P[K]> } & InferredOptionTypes<O>

export interface CommandSpec<P extends PositionalTable, O extends OptionTable, T> {
  /** yargs's command string: the name, then the positionals (`ingest <files..>`). */
  usage: string
  description: string
  positionals: P
  options: O
  examples: ReadonlyArray<readonly [command: string, description: string]>
  /** Pure (no I/O): the command line to the command's options; throws UsageError on a bad one. */
  check: (argv: Parsed<P, O>) => T
  run: (options: T, io: Io) => Promise<ExitStatus>
}

/** A command with its option type hidden, so commands of every type sit in one list. */
export interface Command {
  usage: string
  description: string
  examples: CommandSpec<PositionalTable, OptionTable, unknown>['examples']
  /** Its tables: main.ts suggests the nearest option to a mistyped flag, and names the chart or format in its --help hint. */
  positionals: PositionalTable
  options: OptionTable
  /** Declares the positionals, options and examples on the command's yargs instance. */
  build: (y: Argv) => Argv
  /** Checks the command line yargs parsed (a UsageError rejects), then runs the command. */
  execute: (argv: Readonly<Record<string, unknown>>, io: Io) => Promise<ExitStatus>
}

/**
 * The Examples block of `--help`, as an epilog rather than yargs's two-column examples: there a
 * long command line wraps into the description column. Here each command line stands whole on
 * its own line, to copy as it is, and its description below it, indented (yargs lays the block
 * out with each line's indentation kept, and wraps a long description under itself).
 */
export function examplesText (examples: CommandSpec<PositionalTable, OptionTable, unknown>['examples']): string {
  return ['Examples:', ...examples.flatMap(([line, description]) => [`  ${line}`, `      ${description}`])].join('\n')
}

/** The spec made a Command; its own `check` and `run` stay reachable, typed (for tests). */
export function command<const P extends PositionalTable, const O extends OptionTable, T> (spec: CommandSpec<P, O, T>): Command & CommandSpec<P, O, T> {
  return {
    ...spec,
    build: y => {
      let built = y
      for (const [name, positional] of Object.entries(spec.positionals)) built = built.positional(name, positional)
      return built.options(spec.options).epilog(examplesText(spec.examples))
    },
    // yargs parsed argv against exactly these tables (types, choices, demanded options): it has their shape.
    execute: async (argv, io) => await spec.run(spec.check(argv as Parsed<P, O>), io)
  }
}
