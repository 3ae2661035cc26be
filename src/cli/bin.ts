#!/usr/bin/env node
import { main } from './main.js'

// Output read by a program that stopped reading (`potiron inspect ... | head -1`): nobody is left
// to tell anything to, so potiron ends quietly, as Unix tools do, instead of with a stack.
process.stdout.on('error', (err: NodeJS.ErrnoException) => {
  if (err.code !== 'EPIPE') throw err
  process.exit(process.exitCode ?? 0)
})

main().then(code => { process.exitCode = code }, (err: unknown) => {
  process.stderr.write(`potiron: internal error: ${err instanceof Error ? err.stack ?? err.message : String(err)}\n`)
  process.exitCode = 70
})
