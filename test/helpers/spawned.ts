/** The CLI as a process of its own (node dist/src/cli/bin.js), as a user or a second host runs it. */
import { spawn, type ChildProcess } from 'node:child_process'
import { BIN } from './shared.js'

/** How a CLI process ended, and what it printed. */
export interface Exit { code: number | null, signal: NodeJS.Signals | null, stdout: string, stderr: string }

/** Starts `potiron ARGS` with `env`; `done` settles once it closed, with its whole output. */
export function spawnPotiron (args: readonly string[], env: NodeJS.ProcessEnv = process.env): { child: ChildProcess, done: Promise<Exit> } {
  const child = spawn(process.execPath, [BIN, ...args], { stdio: ['ignore', 'pipe', 'pipe'], env })
  let stdout = ''
  let stderr = ''
  child.stdout.on('data', (b: Buffer) => { stdout += b.toString() })
  child.stderr.on('data', (b: Buffer) => { stderr += b.toString() })
  const done = new Promise<Exit>(resolve => child.once('close', (code, signal) => { resolve({ code, signal, stdout, stderr }) }))
  return { child, done }
}
