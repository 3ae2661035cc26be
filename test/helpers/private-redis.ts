/**
 * A private redis-server on a unix socket in a directory the test owns, which can be stopped and
 * started again on the same data: with `durable`, every write is in the append-only file before
 * Redis answers (appendfsync always), so a restart finds exactly what clients were told was
 * written. Never a TCP port, so no Redis someone else uses is touched.
 */
import { spawn, type ChildProcess } from 'node:child_process'
import { join } from 'node:path'
import { setTimeout as sleep } from 'node:timers/promises'
import { Redis } from 'ioredis'

export interface PrivateRedis {
  socket: string
  /** An admin connection of the test's own. */
  client: Redis
  /** SIGTERM and wait for the exit. */
  stop: () => Promise<void>
  /** Resolves when the server process has exited, however it was stopped. */
  exited: Promise<void>
  /** The server's process id (to send it signals). */
  pid: number
}

/**
 * Servers still running. A test that fails before its `after` hook stops them, or a test file the
 * runner ends (SIGTERM when it hits --test-timeout), must not leave
 * redis-servers behind: they are killed as the test process goes.
 */
const running = new Set<ChildProcess>()
function killRunning (): void {
  for (const server of running) server.kill('SIGKILL')
}
process.once('exit', killRunning)
process.once('SIGTERM', () => {
  killRunning()
  process.exit(143)
})

/** Kills `server` if the test process goes first; resolves once it has exited. */
export async function killedWithTests (server: ChildProcess): Promise<void> {
  running.add(server)
  return await new Promise<void>(resolve => server.once('exit', () => { running.delete(server); resolve() }))
}

export async function startPrivateRedis (dir: string, options: { durable: boolean } = { durable: false }): Promise<PrivateRedis> {
  const socket = join(dir, 'redis.sock')
  const persistence = options.durable ? ['--appendonly', 'yes', '--appendfsync', 'always'] : ['--appendonly', 'no']
  const server: ChildProcess = spawn('redis-server', ['--port', '0', '--unixsocket', socket, '--save', '', ...persistence, '--dir', dir], { stdio: 'ignore' })
  const exited = killedWithTests(server)
  const client = new Redis({ path: socket, lazyConnect: true, retryStrategy: () => null, maxRetriesPerRequest: 0 })
  client.on('error', () => {})
  for (let i = 0; ; i++) {
    try {
      await client.connect()
      // A durable server answers LOADING while it replays its append-only file.
      await client.ping()
      break
    } catch (err) {
      if (i >= 100 || server.exitCode !== null) {
        server.kill('SIGKILL')
        throw new Error(`redis-server did not start on ${socket}`, { cause: err })
      }
      client.disconnect()
      await sleep(50)
    }
  }
  return {
    socket,
    client,
    exited,
    pid: server.pid!,
    stop: async () => {
      client.disconnect()
      if (server.exitCode === null && server.signalCode === null) server.kill('SIGTERM')
      await exited
    }
  }
}
