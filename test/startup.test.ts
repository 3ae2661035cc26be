/**
 * What a command costs around its work, in a process of its own: the modules it loads before it
 * starts (BullMQ's 190 are for the queue commands only) and what it leaves behind that keeps
 * Node from exiting once it is done (a timer of a connection that never opened).
 */
import assert from 'node:assert/strict'
import { execFile } from 'node:child_process'
import { readFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { after, before, test } from 'node:test'
import { fileURLToPath } from 'node:url'
import { promisify } from 'node:util'
import { startRedis, type TestRedis } from './helpers/redis.js'

const run = promisify(execFile)
const MAIN = fileURLToPath(new URL('../src/cli/main.js', import.meta.url))
const CONNECTION = fileURLToPath(new URL('../src/store/connection.js', import.meta.url))

/** A directory that does not exist: potiron's own redis-server is looked for there, and not found. */
const NOWHERE = join(tmpdir(), `potiron-startup-${process.pid}-nowhere`)
let server: TestRedis

before(async () => { server = await startRedis() })
after(async () => { await server.stop() })

/**
 * Runs `body` (an ES module's code) in a fresh Node with potiron's own redis-server looked for in
 * an empty directory; returns what it printed as JSON on stdout.
 */
async function inChild (body: string): Promise<unknown> {
  const env = { ...process.env, POTIRON_REDIS_DIR: NOWHERE, REDIS_URL: '' }
  const { stdout } = await run(process.execPath, ['--input-type=module', '-e', body], { env })
  return JSON.parse(stdout) as unknown
}

/**
 * The code that prints the timers still pending half a second later. A connection closed in
 * good order has one (ioredis's 2 s guard, cleared once the socket has closed, a matter of
 * milliseconds); one that was never open kept its guard for the whole 2 s.
 */
const TIMERS_LEFT = `
await new Promise(resolve => setTimeout(resolve, 500))
console.log(JSON.stringify(process.getActiveResourcesInfo().filter(r => r === 'Timeout').length))`

test('a command that needs no queue loads none of BullMQ, nor fast-glob (no pattern given) nor cli-progress (not on a terminal) until it needs them', async () => {
  const loaded = await inChild(`
import { createRequire } from 'node:module'
await import(${JSON.stringify(MAIN)})
const cache = Object.keys(createRequire(import.meta.url).cache)
console.log(JSON.stringify(['bullmq', 'fast-glob', 'cli-progress'].map(name => cache.filter(file => file.includes('/node_modules/' + name + '/')).length)))`)
  assert.deepEqual(loaded, [0, 0, 0])
})

test('a connection that could not be opened leaves no timer keeping the process alive', async () => {
  const left = await inChild(`
const { connect } = await import(${JSON.stringify(CONNECTION)})
await connect({ socket: ${JSON.stringify(join(NOWHERE, 'redis.sock'))} }).then(() => { throw new Error('connected') }, () => {})
${TIMERS_LEFT}`)
  assert.equal(left, 0)
})

test('a command on a Redis without potiron data (which looks for potiron\'s own redis-server, not running) leaves no timer once done', async () => {
  const left = await inChild(`
const { main } = await import(${JSON.stringify(MAIN)})
const lines = []
const status = await main(['status', '--unix', ${JSON.stringify(server.socket)}], { out: line => { lines.push(line) }, err: line => { lines.push(line) } })
if (status !== 0) throw new Error(lines.join('\\n'))
${TIMERS_LEFT}`)
  assert.equal(left, 0)
})

test('the CLI runs from its first line (`#!/usr/bin/env -S node FLAGS`), and package.json\'s potiron script gives node the same flags', async () => {
  const bin = fileURLToPath(new URL('../src/cli/bin.js', import.meta.url))
  const [interpreter, ...args] = (await readFile(bin, 'utf8')).split('\n', 1)[0]!.slice(2).split(' ')
  assert.deepEqual([interpreter, ...args], ['/usr/bin/env', '-S', 'node', '--initial-old-space-size=64'])
  const { stdout } = await run(interpreter!, [...args, bin, '--version'])
  const { version, scripts } = JSON.parse(await readFile(fileURLToPath(new URL('../../package.json', import.meta.url)), 'utf8')) as { version: string, scripts: Record<string, string> }
  assert.equal(stdout, `${version}\n`)
  assert.equal(scripts.potiron, `${args.slice(1).join(' ')} dist/src/cli/bin.js`)
})
