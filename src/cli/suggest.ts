/**
 * What yargs's strict mode refuses, said with what was probably meant. yargs only lists the
 * names it does not know (`Unknown arguments: valuse, x`) and suggests commands only
 * (recommendCommands, which then drops the list); a mistyped option deserves the same help.
 */
import type { Command } from './command.js'

/**
 * Edits (insert, delete, replace, swap two neighbours) from `a` to `b`: the optimal string
 * alignment distance, so `--valuse` is one edit from `--values`, as a typo is.
 */
export function editDistance (a: string, b: string): number {
  let before: number[] = []
  let previous = Array.from({ length: b.length + 1 }, (_, j) => j)
  for (let i = 1; i <= a.length; i++) {
    const row = [i]
    for (let j = 1; j <= b.length; j++) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1
      let d = Math.min(previous[j]! + 1, row[j - 1]! + 1, previous[j - 1]! + cost)
      if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1]) d = Math.min(d, before[j - 2]! + 1)
      row.push(d)
    }
    before = previous
    previous = row
  }
  return previous[b.length]!
}

/** The one of `known` nearest to `typed` when it is near enough to be a typo (a third of its letters, at least one). */
export function closest (typed: string, known: Iterable<string>): string | undefined {
  let best: string | undefined
  let bestDistance = Math.max(1, Math.floor(typed.length / 3)) + 1
  for (const name of known) {
    const d = editDistance(typed, name)
    if (d < bestDistance) { best = name; bestDistance = d }
  }
  return best
}

/** The command `argv` names: its first word, when that is a command (undefined before one is named, or for `--help`). */
export function commandOf (argv: readonly string[], commands: readonly Command[]): Command | undefined {
  const word = argv.find(a => !a.startsWith('-'))
  return commands.find(c => c.usage.split(' ')[0] === word)
}

const UNKNOWN = /^Unknown arguments?: (.+)$/

/**
 * yargs's `Unknown argument(s): a, b` made one line naming each as typed, with a suggestion:
 * `unknown option --valuse (did you mean --values?)`, `unknown command 'inspct' (did you mean
 * inspect?)`, `unexpected argument 'extra'`. yargs checks required options before unknown
 * ones, so a mistyped required flag is refused as missing: any other refusal gets the unknown
 * options of the command line after it.
 */
export function explainRefusal (message: string, argv: readonly string[], commands: readonly Command[]): string {
  const listed = UNKNOWN.exec(message)?.[1]
  const command = commandOf(argv, commands)
  if (command === undefined) {
    if (listed === undefined) return message
    const word = argv.find(a => !a.startsWith('-')) ?? listed.split(', ')[0]!
    return withSuggestion(`unknown command '${word}'`, closest(word, commands.map(c => c.usage.split(' ')[0]!)))
  }
  const unknown = unknownFlags(argv, command)
  if (listed === undefined) return [message, ...unknown].join('; ')
  // yargs lists `--no-such-flag` as `such-flag, suchFlag`: names of flags typed are said above.
  const typed = new Set(flagsOf(argv).flatMap(flag => { const name = flag.replace(/^--?(no-)?/, ''); return [name, camelCase(name)] }))
  const strays = listed.split(', ').filter(name => !typed.has(name)).map(name => `unexpected argument '${name}'`)
  return [...unknown, ...strays].join('; ')
}

function withSuggestion (text: string, suggestion: string | undefined): string {
  return suggestion === undefined ? text : `${text} (did you mean ${suggestion}?)`
}

/** `unknown option --valuse (did you mean --values?)` for each flag of argv that `command` does not take, as typed. */
function unknownFlags (argv: readonly string[], command: Command): string[] {
  const names = [...Object.keys(command.options), 'help']
  const known = new Set(['h', 'version', ...names.flatMap(n => [n, `no-${n}`, camelCase(n)])])
  return flagsOf(argv).filter(flag => !known.has(flag.replace(/^--?/, ''))).map(flag => {
    const near = closest(flag.replace(/^--?(no-)?/, ''), names)
    return withSuggestion(`unknown option ${flag}`, near === undefined ? undefined : `--${near}`)
  })
}

/** The flags of argv as typed, without their `=value`, up to `--`; a negative number is a value (`--limit -5`), not a flag. */
function flagsOf (argv: readonly string[]): string[] {
  const end = argv.indexOf('--')
  return (end === -1 ? argv : argv.slice(0, end)).filter(a => /^--?[a-z]/i.test(a)).map(a => a.split('=')[0]!)
}

/** yargs also takes `--min-age` as `--minAge`. */
function camelCase (name: string): string {
  return name.replace(/-([a-z])/g, (_, c: string) => c.toUpperCase())
}
