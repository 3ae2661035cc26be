#!/usr/bin/env node
import { main } from './main.js'

main().then(code => { process.exitCode = code }, (err: unknown) => {
  process.stderr.write(`potiron: internal error: ${err instanceof Error ? err.stack ?? err.message : String(err)}\n`)
  process.exitCode = 70
})
