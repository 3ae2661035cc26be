/**
 * V8's optimizing compiler inlines callees into a function only until their bytecode adds up to
 * a budget (`--max-inlined-bytecode-size-cumulative`, 920 in Node 20). The per-packet path, from
 * Analyzer.packet through the Ethernet, IPv4 and TCP decoders, is larger than that, so with the
 * default the IPv4 and transport decoders stay separate calls that each re-check the shape of
 * the facts object. A budget of 3000 inlines the whole common path: bench:parse's analysis runs
 * ~20 % faster (bench/RESULTS.md, bench:parse); 6000 gains nothing more.
 */
import { setFlagsFromString } from 'node:v8'

const INLINING_BUDGET = 3000

let raised = false

/**
 * Raises the budget for this process: V8 flags are process-wide, so worker threads started
 * later share it. Compilations that start afterwards use it, so the CLI calls it first thing
 * (src/cli/main.ts), before any capture is read or any worker exists; the benchmarks that parse
 * do the same, to measure what potiron runs.
 */
export function raiseInliningBudget (): void {
  if (raised) return
  raised = true
  setFlagsFromString(`--max-inlined-bytecode-size-cumulative=${INLINING_BUDGET}`)
}
