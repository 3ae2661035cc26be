/**
 * Whether the CLI starts its pool's first thread ahead (bin.ts, coordinator/pool.ts startAhead)
 * for these arguments (`process.argv` from the command on): for the commands that parse captures
 * here, unless an option says they parse none (help, a dry run, files put on a queue) or want a
 * pool of another size (`--threads`). Started and destroyed for nothing, the pool cost `ingest
 * --help` 0.04 s of wall and 0.13 s of CPU (bench/RESULTS.md, issue 14's eleventh session).
 */
const PARSING = new Set(['ingest', 'remove'])

/** Options after which nothing is parsed here, or not on the default pool. */
const NOT_AHEAD = /^(--(help|version|dry-run|queue|threads)(=.*)?|-h)$/

export function startsPoolAhead (args: readonly string[]): boolean {
  const [command, ...rest] = args
  return PARSING.has(command ?? '') && !rest.some(arg => NOT_AHEAD.test(arg))
}
