/**
 * `--filter EXPR`: a pcap-filter expression compiled once per worker thread into a Predicate
 * over the decoded packet (parse.ts), memoized by its text, since every file of a run is
 * analysed with the same one.
 */
import { compileFilter } from './parse.js'
import type { Predicate } from './predicates.js'

export { FilterError } from './lex.js'
export type { Predicate } from './predicates.js'
export { compileFilter }

const compiled = new Map<string, Predicate>()

/** The Predicate of `text`, compiled on its first use in this thread. Throws FilterError. */
export function filterOf (text: string): Predicate {
  let p = compiled.get(text)
  if (p === undefined) {
    p = compileFilter(text)
    compiled.set(text, p)
  }
  return p
}
