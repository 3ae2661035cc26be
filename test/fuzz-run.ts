/**
 * Command-line fuzzing: `npm run fuzz -- --cases 20000 --seed 7`, or replay one case with
 * `node dist/test/fuzz-run.js --seed 7 --case 1234` and one kept input with `--replay FILE`.
 * Prints progress and a summary; exits 1 when a case failed (its input stays in --dir).
 */
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { parseArgs } from 'node:util'
import { DEFAULT_TIMEOUT_MS, FuzzFailure, checkFile, describeFailure, fuzz } from './fuzz.js'

const USAGE = 'usage: fuzz-run [--cases N] [--seed S] [--case K] [--dir DIR] [--timeout MS] [--memory MIB] [--replay FILE [--chunk N]]'

async function main (): Promise<number> {
  const { values } = parseArgs({
    options: {
      cases: { type: 'string', default: '3000' },
      seed: { type: 'string', default: '1' },
      case: { type: 'string' },
      dir: { type: 'string' },
      timeout: { type: 'string', default: String(DEFAULT_TIMEOUT_MS) },
      memory: { type: 'string', default: '512' },
      replay: { type: 'string' },
      chunk: { type: 'string', default: '7' },
      help: { type: 'boolean', short: 'h', default: false }
    }
  })
  if (values.help) {
    console.log(USAGE)
    return 0
  }
  const int = (name: string, text: string): number => {
    const n = Number(text)
    if (!Number.isSafeInteger(n) || n < 0) throw new Error(`--${name} must be a non-negative integer, got '${text}'\n${USAGE}`)
    return n
  }

  if (values.replay !== undefined) {
    const { code, problems } = await checkFile(values.replay, Math.max(1, int('chunk', values.chunk)), undefined)
    console.log(`${values.replay}: ${code ?? 'read to its end'}`)
    for (const p of problems) console.log(`  - ${p}`)
    return problems.length === 0 ? 0 : 1
  }

  const seed = int('seed', values.seed)
  const one = values.case === undefined ? undefined : int('case', values.case)
  const cases = one === undefined ? int('cases', values.cases) : 1
  const dir = values.dir ?? mkdtempSync(join(tmpdir(), 'potiron-fuzz-'))
  const started = Date.now()
  console.log(`fuzz: ${cases} case(s) of seed ${seed}${one === undefined ? '' : ` from case ${one}`}, files in ${dir}`)
  try {
    const result = await fuzz({
      cases, seed, dir, timeoutMs: int('timeout', values.timeout), memoryMiB: int('memory', values.memory), log: s => console.log(s), ...(one === undefined ? {} : { first: one })
    })
    const seconds = (Date.now() - started) / 1000
    console.log(`fuzz: ${result.cases} cases (${result.hostile} hostile) in ${seconds.toFixed(1)} s, ${result.parsed} read to the end, errors ${JSON.stringify(result.failedTyped)}, ` +
      `largest memory growth of a case ${result.peakMemoryMiB} MiB`)
    console.log(`${result.cases} passed, 0 failed`)
    if (values.dir === undefined) rmSync(dir, { recursive: true, force: true })
    return 0
  } catch (err) {
    if (!(err instanceof FuzzFailure)) throw err
    const seconds = (Date.now() - started) / 1000
    console.log(`fuzz: ${err.result.cases} cases (${err.result.hostile} hostile) in ${seconds.toFixed(1)} s, errors ${JSON.stringify(err.result.failedTyped)}, ` +
      `largest memory growth of a case ${err.result.peakMemoryMiB} MiB`)
    console.log(`failing inputs kept in ${dir}:`)
    for (const f of err.failures.slice(0, 20)) console.log(describeFailure(f))
    if (err.failures.length > 20) console.log(`  ... and ${err.failures.length - 20} more: cases ${err.failures.slice(20).map(f => f.case).join(' ')}`)
    console.log(`replay: node dist/test/fuzz-run.js --seed ${seed} --case N  (or --replay FILE)`)
    console.log(`${err.result.cases - err.failures.length} passed, ${err.failures.length} failed`)
    return 1
  }
}

main().then(code => { process.exitCode = code }, (err: unknown) => {
  console.error(err instanceof Error ? err.message : err)
  process.exitCode = 2
})
