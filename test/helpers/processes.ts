/**
 * CLI processes and private redis-servers a test file starts (workers, ingests), each killed or
 * stopped at the end whatever happened, and the waits the queue tests share.
 */
import assert from 'node:assert/strict'
import type { ChildProcess } from 'node:child_process'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { setTimeout as sleep } from 'node:timers/promises'
import { copyFileSync, mkdirSync, readdirSync, writeFileSync } from 'node:fs'
import { FIXTURES } from './shared.js'
import { startPrivateRedis, type PrivateRedis } from './private-redis.js'
import { spawnPotiron, type Exit } from './spawned.js'
import { within } from './teardown.js'

// Commands look at potiron's own redis-server to say when it holds the data: never the user's.
const ENV = { ...process.env, POTIRON_REDIS_DIR: join(tmpdir(), `potiron-tests-no-own-redis-${process.pid}`) }

/** Every process started by `cli`: kill them in the file's `after` (killAll). */
const children = new Set<ChildProcess>()

/** Starts `potiron ARGS` with `env` over the tests' own environment. */
export function cli (args: string[], env: NodeJS.ProcessEnv = {}): ReturnType<typeof spawnPotiron> {
  const started = spawnPotiron(args, { ...ENV, ...env })
  children.add(started.child)
  return started
}

/** Runs `potiron ARGS` to its end, 120 s at most. */
export async function run (args: string[], env: NodeJS.ProcessEnv = {}): Promise<Exit> {
  return await within(120_000, `potiron ${args.join(' ')}`, cli(args, env).done)
}

/** Every server started by `server`: stop them in the file's `after` (killAll). */
const servers: PrivateRedis[] = []

/** A private redis-server in `root`/`name` (a directory made here). */
export async function server (root: string, name: string): Promise<PrivateRedis> {
  const dir = join(root, name)
  mkdirSync(dir)
  const started = await startPrivateRedis(dir, { durable: false })
  servers.push(started)
  return started
}

/** Teardown steps that kill every process still running and stop every server. */
export function killAll (): Array<() => void | Promise<void>> {
  return [
    ...[...children].map(child => () => { if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL') }),
    ...servers.map(started => async () => { await started.stop() })
  ]
}

/** Polls `check` every `ms` until it holds; fails after `limit` ms. */
export async function until (what: string, check: () => Promise<boolean> | boolean, limit = 60_000, ms = 50): Promise<void> {
  const deadline = Date.now() + limit
  while (!await check()) {
    if (Date.now() > deadline) throw new Error(`${what}: not within ${limit} ms`)
    await sleep(ms)
  }
}

/** Stops a worker with SIGTERM: it must exit 0 within 30 s. */
export async function stop (worker: { child: ChildProcess, done: Promise<Exit> }): Promise<Exit> {
  worker.child.kill('SIGTERM')
  const exit = await within(30_000, 'a worker stopped with SIGTERM', worker.done)
  assert.equal(exit.code, 0, exit.stderr)
  return exit
}

/** A worker on queue `idle` of `target` (its --redis or --unix flags), taking jobs; then `gone` takes its Redis away: how the worker ended. */
export async function workerWhenGone (target: string[], gone: () => Promise<void>): Promise<Exit> {
  const worker = cli(['worker', '--queue', 'idle', ...target, '--threads', '1'], { POTIRON_HOST: 'a' })
  // Taking jobs (BullMQ blocks on the queue) once it said so.
  let said = ''
  worker.child.stderr!.on('data', (b: Buffer) => { said += b.toString() })
  await until('the worker started', () => said.includes('potiron: worker a on queue idle'))
  await gone()
  return await within(30_000, 'the worker, its Redis gone', worker.done)
}

/** `root`/captures: the fixtures and a damaged capture (text named like one, which ingest fails); the damaged one's path. */
export function fixturesWithDamaged (root: string): { captures: string, damaged: string } {
  const captures = join(root, 'captures')
  mkdirSync(captures)
  for (const f of readdirSync(FIXTURES)) copyFileSync(join(FIXTURES, f), join(captures, f))
  // lab-truncated-* is a warning for ingest (its readable records counted), not a failure: garbage is.
  const damaged = join(captures, 'lab-damaged-1-20200101000000.pcap')
  writeFileSync(damaged, 'this is not a capture, only text named like one\n'.repeat(20))
  return { captures, damaged }
}
