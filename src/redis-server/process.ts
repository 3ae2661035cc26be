/**
 * potiron's own redis-server: one instance per data directory, reachable only through the unix
 * socket `<dir>/redis.sock` (`port 0`: no TCP), append-only file on so counts survive a crash,
 * daemonized so it outlives the `ingest` that started it. `potiron redis stop` shuts it down.
 */
import { spawn } from 'node:child_process'
import { accessSync, constants, mkdirSync, readFileSync, statSync, unlinkSync, writeFileSync } from 'node:fs'
import { open, readFile } from 'node:fs/promises'
import { homedir } from 'node:os'
import { delimiter, join, resolve } from 'node:path'
import { setTimeout as sleep } from 'node:timers/promises'
import { Redis } from 'ioredis'
import { replyCode } from '../redis-errors.js'

export interface ServerPaths {
  dir: string
  socket: string
  config: string
  pidfile: string
  logfile: string
}

/** `$POTIRON_REDIS_DIR`, else `$XDG_DATA_HOME/potiron/redis`, else `~/.local/share/potiron/redis`. */
export function redisDirOf (env: NodeJS.ProcessEnv = process.env): string {
  if (env.POTIRON_REDIS_DIR !== undefined && env.POTIRON_REDIS_DIR !== '') return resolve(env.POTIRON_REDIS_DIR)
  const data = env.XDG_DATA_HOME !== undefined && env.XDG_DATA_HOME !== '' ? env.XDG_DATA_HOME : join(homedir(), '.local', 'share')
  return resolve(data, 'potiron', 'redis')
}

export function serverPaths (dir: string): ServerPaths {
  return { dir, socket: join(dir, 'redis.sock'), config: join(dir, 'redis.conf'), pidfile: join(dir, 'redis.pid'), logfile: join(dir, 'redis.log') }
}

/** The executable `name` found on `env.PATH`, as the shell would run it, or undefined. */
export function findOnPath (name: string, env: NodeJS.ProcessEnv = process.env): string | undefined {
  for (const dir of (env.PATH ?? '').split(delimiter)) {
    if (dir === '') continue
    const path = join(dir, name)
    try {
      accessSync(path, constants.X_OK)
      if (statSync(path).isFile()) return path
    } catch {}
  }
  return undefined
}

export type PingResult = 'pong' | 'loading' | 'down'

/** Does a Redis answer on `socket`? 'loading' while it reads its append-only file. */
export async function ping (socket: string, timeoutMs = 1000): Promise<PingResult> {
  const client = clientOf(socket, timeoutMs)
  try {
    await client.connect()
    await client.ping()
    return 'pong'
  } catch (err) {
    return replyCode(err) === 'LOADING' ? 'loading' : 'down'
  } finally {
    close(client)
  }
}

function clientOf (socket: string, timeoutMs: number): Redis {
  const client = new Redis({ path: socket, lazyConnect: true, connectTimeout: timeoutMs, maxRetriesPerRequest: 0, enableOfflineQueue: false, retryStrategy: () => null })
  client.on('error', () => {})
  return client
}

/** ioredis's disconnect() on a connection that never opened waits 2 s for a 'close' already past. */
function close (client: Redis): void {
  if (client.status !== 'end') client.disconnect()
}

export interface Status { running: boolean, paths: ServerPaths, keys: number | undefined }

export async function serverStatus (dir: string): Promise<Status> {
  const paths = serverPaths(dir)
  const client = clientOf(paths.socket, 1000)
  try {
    await client.connect()
    return { running: true, paths, keys: await client.dbsize() }
  } catch {
    return { running: false, paths, keys: undefined }
  } finally {
    close(client)
  }
}

/** redis.conf quoting (sdssplitargs): paths may hold spaces or quotes, not control characters. */
function quote (path: string): string {
  // eslint-disable-next-line no-control-regex -- finding control characters is the point
  if (/[\x00-\x1f]/.test(path)) throw new Error(`${JSON.stringify(path)}: control characters are not allowed in the data directory`)
  return `"${path.replace(/[\\"]/g, c => '\\' + c)}"`
}

function config (p: ServerPaths): string {
  return [
    '# Written by potiron at each start of its own redis-server; edits are overwritten.',
    'port 0',
    `unixsocket ${quote(p.socket)}`,
    'unixsocketperm 700',
    `dir ${quote(p.dir)}`,
    'daemonize yes',
    `pidfile ${quote(p.pidfile)}`,
    `logfile ${quote(p.logfile)}`,
    'appendonly yes',
    'appendfsync everysec',
    // The append-only file is the one copy: no RDB snapshots besides it.
    'save ""',
    ''
  ].join('\n')
}

export interface StartOptions {
  /** redis-server to run (default: found on PATH). */
  server?: string | undefined
  /** How long to wait for the first PONG. */
  timeoutMs?: number
}

/** Starts the instance of `dir` unless it already answers; resolves once it answers PING. */
export async function startServer (dir: string, options: StartOptions = {}): Promise<{ already: boolean, paths: ServerPaths }> {
  const paths = serverPaths(dir)
  const timeoutMs = options.timeoutMs ?? 5000
  if (await ping(paths.socket) === 'pong') return { already: true, paths }
  // Linux allows 107 bytes in a socket path (sun_path), macOS 103.
  if (Buffer.byteLength(paths.socket) > 103) throw new Error(`socket path ${paths.socket} is too long for a unix socket; set POTIRON_REDIS_DIR to a shorter directory`)
  const server = options.server ?? findOnPath('redis-server')
  if (server === undefined) throw new Error('redis-server is not on PATH: install redis-server (apt-get install redis-server)')
  mkdirSync(dir, { recursive: true, mode: 0o700 })
  const deadline = Date.now() + timeoutMs
  // Two ingests auto-starting at once must not both start a server on one directory.
  const lock = await takeLock(join(dir, 'start.lock'), paths.socket, deadline)
  if (lock === 'started-by-other') return { already: true, paths }
  try {
    if (await ping(paths.socket) === 'pong') return { already: true, paths }
    writeFileSync(paths.config, config(paths), { mode: 0o600 })
    await launch(server, paths.config)
    for (;;) {
      const state = await ping(paths.socket, 500)
      if (state === 'pong') return { already: false, paths }
      if (Date.now() >= deadline) {
        const why = state === 'loading' ? 'is still loading its append-only file' : `did not answer within ${timeoutMs / 1000} s`
        throw new Error(`redis-server ${why} (see ${paths.logfile}${await lastLogLine(paths.logfile)})`)
      }
      await sleep(50)
    }
  } finally {
    try { unlinkSync(join(dir, 'start.lock')) } catch {}
  }
}

/** Runs redis-server, which forks the daemon and exits; rejects with its complaint if it fails. */
async function launch (server: string, configFile: string): Promise<void> {
  const child = spawn(server, [configFile], { stdio: ['ignore', 'pipe', 'pipe'] })
  let output = ''
  child.stdout.on('data', (b: Buffer) => { output += b.toString() })
  child.stderr.on('data', (b: Buffer) => { output += b.toString() })
  const code = await new Promise<number | null>((resolve, reject) => {
    child.once('error', reject)
    child.once('close', resolve)
  })
  if (code !== 0) {
    const reason = output.split('\n').map(l => l.trim()).filter(l => l !== '' && !l.startsWith('***')).join('; ')
    throw new Error(`redis-server exited with status ${String(code)}${reason === '' ? '' : `: ${reason}`}`)
  }
}

/** 'mine' once the lock is ours; 'started-by-other' when its holder brought the server up. */
async function takeLock (path: string, socket: string, deadline: number): Promise<'mine' | 'started-by-other'> {
  for (;;) {
    try {
      await (await open(path, 'wx')).close()
      return 'mine'
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err
    }
    if (await ping(socket, 500) === 'pong') return 'started-by-other'
    // A holder that died mid-start leaves its lock: older than any start may take, it is stale.
    try { if (Date.now() - statSync(path).mtimeMs > 30_000) unlinkSync(path) } catch {}
    if (Date.now() >= deadline) throw new Error(`another potiron is starting redis-server (${path}); try again, or remove that file if none is`)
    await sleep(50)
  }
}

async function lastLogLine (logfile: string): Promise<string> {
  try {
    const last = (await readFile(logfile, 'utf8')).trimEnd().split('\n').at(-1)
    return last === undefined || last === '' ? '' : `: ${last}`
  } catch {
    return ''
  }
}

/** SHUTDOWN (Redis flushes and fsyncs the append-only file), then waits for the process to end. */
export async function stopServer (dir: string, timeoutMs = 10_000): Promise<{ wasRunning: boolean, paths: ServerPaths }> {
  const paths = serverPaths(dir)
  if (await ping(paths.socket) === 'down') return { wasRunning: false, paths }
  const pid = await readPid(paths.pidfile)
  const client = clientOf(paths.socket, 1000)
  try {
    await client.connect()
    await client.shutdown()
  } catch (err) {
    // Success closes the connection without a reply; a refusal is a reply (e.g. AOF not writable).
    if (replyCode(err) !== undefined) throw new Error(`redis-server refused SHUTDOWN: ${(err as Error).message} (see ${paths.logfile})`)
  } finally {
    close(client)
  }
  const deadline = Date.now() + timeoutMs
  // eslint-disable-next-line no-unmodified-loop-condition -- pid is fixed; the loop waits for that process to end
  while (await ping(paths.socket, 500) !== 'down' || (pid !== undefined && alive(pid))) {
    if (Date.now() >= deadline) throw new Error(`redis-server did not stop within ${timeoutMs / 1000} s (see ${paths.logfile})`)
    await sleep(50)
  }
  return { wasRunning: true, paths }
}

async function readPid (pidfile: string): Promise<number | undefined> {
  try {
    const pid = Number((await readFile(pidfile, 'utf8')).trim())
    return Number.isInteger(pid) && pid > 0 ? pid : undefined
  } catch {
    return undefined
  }
}

function alive (pid: number): boolean {
  try {
    process.kill(pid, 0)
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM'
  }
  // A daemon that exited stays a zombie until init reaps it, which some inits do late.
  try {
    return !/^\d+ \(.*\) Z/.test(readFileSync(`/proc/${pid}/stat`, 'utf8'))
  } catch {
    return true
  }
}

/** A throwaway redis-server of one run (`potiron bench`): its socket and how to stop it. */
export interface PrivateServer {
  socket: string
  /** SIGTERM, then waits for the process to end (nothing is saved: it has no persistence). */
  stop: () => Promise<void>
}

/**
 * Starts `server` as a child process on `<dir>/redis.sock`, flags as the tests' own private
 * servers: no TCP port, no RDB snapshots, no append-only file, so it holds nothing of anyone's
 * and leaves nothing behind. Not daemonized: it ends with the run that stops it (and is killed
 * if that process exits first).
 */
export async function startPrivateServer (dir: string, server: string, timeoutMs = 5000): Promise<PrivateServer> {
  const socket = join(dir, 'redis.sock')
  if (Buffer.byteLength(socket) > 103) throw new Error(`socket path ${socket} is too long for a unix socket`)
  const child = spawn(server, ['--port', '0', '--unixsocket', socket, '--unixsocketperm', '700', '--save', '', '--appendonly', 'no', '--dir', dir], { stdio: 'ignore' })
  let failed: Error | undefined
  const exited = new Promise<void>(resolve => {
    child.once('exit', () => { resolve() })
    // Could not be run at all (ENOENT, EACCES): no 'exit' follows.
    child.once('error', e => { failed = e; resolve() })
  })
  const kill = (): void => { child.kill('SIGKILL') }
  process.once('exit', kill)
  const stop = async (): Promise<void> => {
    process.removeListener('exit', kill)
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM')
    await exited
  }
  const deadline = Date.now() + timeoutMs
  for (;;) {
    if (await ping(socket, 500) === 'pong') return { socket, stop }
    if (failed !== undefined || child.exitCode !== null || Date.now() >= deadline) {
      await stop()
      if (failed !== undefined) throw new Error(`${server} could not be run: ${failed.message}`)
      throw new Error(`${server} did not answer on ${socket} within ${timeoutMs / 1000} s`)
    }
    await sleep(50)
  }
}
