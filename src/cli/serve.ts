/**
 * `potiron serve`: the web dashboard (src/server/) on a node:http server. It connects to Redis,
 * then listens and prints where; it starts even when Redis is down (pages answer 503 until it is
 * back), and runs until SIGINT or SIGTERM, then closes its connections and returns 0.
 */
import { createServer } from 'node:http'
import { DEFAULTS } from '../config/defaults.js'
import { RedisClusterError, UsageError } from '../errors.js'
import { basePathOf, createApp } from '../server/app.js'
import { dashboardClient } from '../server/client.js'
import { allowedHosts } from '../server/hosts.js'
import { connect, nameOf } from '../store/connection.js'
import { isCluster, mastersOf } from '../store/cluster.js'
import { EXIT, command, type ExitStatus, type Io } from './command.js'
import { printable } from './printable.js'
import { wholeNumber } from './numbers.js'
import { addressOf, clusterText, dataElsewhere, ownServerSocket, redisNameOf, redisOptions, redisText, targetOf, type CommandTarget, type Opened } from './common.js'

export interface ServeOptions {
  target: CommandTarget
  host: string
  port: number
  basePath: string
  readOnly: boolean
  /** --allowed-host: Host names answered besides the loopback ones and `host`. */
  allowedHosts: readonly string[]
}

export const serveCommand = command({
  usage: 'serve',
  description: 'Web dashboard on Redis\'s data: top values of each field per sensor and day, evolution of a value, a calendar of packets per day, comparison of periods or sensors, custom queries, settings',
  positionals: {},
  options: {
    ...redisOptions('when it runs'),
    host: { type: 'string', default: DEFAULTS.serveHost, description: 'Address to listen on (loopback unless told otherwise); also a Host answered, unless 0.0.0.0 or ::' },
    'allowed-host': {
      type: 'string', array: true, requiresArg: true, default: [],
      description: 'Host name or address to answer besides localhost, 127.0.0.1, [::1] and --host (repeatable). Requests naming any other Host get 421 (against DNS rebinding)'
    },
    port: { type: 'string', requiresArg: true, defaultDescription: String(DEFAULTS.servePort), description: 'TCP port (0: any free port)' },
    'base-path': { type: 'string', default: '', description: 'URL prefix when served behind a reverse proxy (e.g. /potiron)' },
    'read-only': { type: 'boolean', default: false, description: 'Refuse settings changes (the settings form is hidden)' }
  },
  examples: [
    ['$0 serve --unix /run/redis/potiron.sock', 'http://127.0.0.1:8080/'],
    ['$0 serve --base-path /potiron --allowed-host example.org', 'Behind a proxy passing Host: https://example.org/potiron/'],
    ['$0 serve --host 0.0.0.0 --read-only', 'On every interface, settings read-only (there is no login)']
  ],
  check: argv => {
    const port = argv.port === undefined ? DEFAULTS.servePort : wholeNumber('port', argv.port, 0, 65535)
    const basePath = usage(() => basePathOf(argv['base-path']))
    const options: ServeOptions = { target: targetOf(argv), host: argv.host, port, basePath, readOnly: argv['read-only'], allowedHosts: argv['allowed-host'] }
    // Checked here too, so a bad one is a usage error before Redis is asked anything.
    usage(() => allowedHosts(options.host, options.allowedHosts))
    return options
  },
  run: async (options, io) => await serve(options, io, untilSignal())
})

/** `f()`, its error (a message naming the flag) made a UsageError. */
function usage<T> (f: () => T): T {
  try {
    return f()
  } catch (e) {
    throw new UsageError(e instanceof Error ? e.message : String(e), { cause: e })
  }
}

/** Resolves on the first SIGINT or SIGTERM (then no longer holds them). */
function untilSignal (): Promise<void> {
  return new Promise(resolve => {
    const stop = (): void => { process.off('SIGINT', stop); process.off('SIGTERM', stop); resolve() }
    process.on('SIGINT', stop)
    process.on('SIGTERM', stop)
  })
}

/** Where serve's Redis is, and whether it is a cluster: of how many masters. */
interface Resolved extends Omit<Opened, 'redis'> {
  masters: number | undefined
}

/**
 * The default address falls back to potiron's own redis-server when that one runs and the
 * default does not answer (as the other reading commands do); any address given is used as is.
 * Either is asked once whether it is a Redis Cluster node (its dashboard client is then a
 * cluster's); one that does not answer yet is served anyway (pages answer 503 until it does),
 * as one Redis. A cluster node given by its socket is refused (RedisClusterError), as by connect.
 */
async function resolveTarget (target: CommandTarget, io: Io): Promise<Resolved> {
  const address = addressOf(target)
  try {
    const probe = await connect(address, 1000)
    const masters = isCluster(probe) ? mastersOf(probe).length : undefined
    probe.disconnect()
    return { target: address, fellBack: false, masters }
  } catch (e) {
    if (e instanceof RedisClusterError) throw e
    if (!('fallback' in target)) return { target: address, fellBack: false, masters: undefined }
    const socket = await ownServerSocket()
    if (socket === undefined) return { target: address, fellBack: false, masters: undefined }
    io.err(`potiron serve: no Redis at ${printable(nameOf(address))}; using potiron's own redis-server`)
    return { target: { socket }, fellBack: true, masters: undefined }
  }
}

/** Serves until `stop` resolves; 0 after a clean close, 1 when the port cannot be used or Redis is a cluster node given by its socket (a UsageError for a bad allowed host). */
export async function serve (options: ServeOptions, io: Io, stop: Promise<void>): Promise<ExitStatus> {
  const hosts = usage(() => allowedHosts(options.host, options.allowedHosts))
  let resolved: Resolved
  try {
    resolved = await resolveTarget(options.target, io)
  } catch (e) {
    if (!(e instanceof RedisClusterError)) throw e
    io.err(`potiron: ${printable(e.message)}`)
    return EXIT.failed
  }
  const where = redisText(redisNameOf(resolved.target))
  io.err(`potiron: redis ${where}${clusterText(resolved.masters)}`)
  const redis = dashboardClient(resolved.target, {}, undefined, { cluster: resolved.masters !== undefined })
  let up = false
  let closing = false
  redis.on('ready', () => { io.err('potiron serve: connected to Redis'); up = true })
  redis.on('close', () => { if (up && !closing) io.err(`potiron serve: lost Redis at ${where}: pages answer 503 until it is back`); up = false })
  // Connected before "listening" is printed, so the first request does not meet a connection
  // still being made (503); a Redis that does not answer is retried in the background.
  let cause: unknown
  const noteCause = (e: unknown): void => { cause = e }
  redis.on('error', noteCause)
  try {
    await redis.connect()
    const elsewhere = await dataElsewhere({ redis, ...resolved })
    if (elsewhere !== undefined) io.err(`potiron: ${printable(elsewhere)}`)
  } catch (e) {
    // The rejection only says "Connection is closed."; the error event before it says why.
    const why = cause ?? e
    io.err(`potiron serve: cannot reach Redis yet (${why instanceof Error ? why.message : String(why)}): pages answer 503 until it answers`)
  }
  redis.off('error', noteCause)
  const server = createServer(createApp(redis, { basePath: options.basePath, readOnly: options.readOnly, allowedHosts: hosts, log: io.err }))
  try {
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject)
      server.listen(options.port, options.host, () => { server.off('error', reject); resolve() })
    })
  } catch (e) {
    redis.disconnect()
    io.err(`potiron serve: cannot listen on ${options.host}:${options.port}: ${e instanceof Error ? e.message : String(e)}`)
    return EXIT.failed
  }
  const address = server.address()
  const port = typeof address === 'object' && address !== null ? address.port : options.port
  const host = options.host.includes(':') ? `[${options.host}]` : options.host
  io.out(`potiron serve: listening on http://${host}:${port}${options.basePath}/${options.readOnly ? ' (read-only)' : ''}; Ctrl-C to stop`)
  if (!isLoopback(options.host)) {
    io.err(`potiron serve: warning: listening on ${options.host}, which other machines may reach; potiron serve has no login: anyone who reaches it reads the data and, without --read-only, changes the settings`)
  }
  await stop
  closing = true
  await new Promise<void>(resolve => { server.close(() => { resolve() }); server.closeAllConnections() })
  redis.disconnect()
  return EXIT.ok
}

/** Whether `host` (as given to --host) is reachable from this machine only: localhost, 127.0.0.0/8, ::1. */
function isLoopback (host: string): boolean {
  const bare = host.replace(/^\[(.*)\]$/, '$1').toLowerCase()
  return bare === 'localhost' || /^127\.\d+\.\d+\.\d+$/.test(bare) || bare === '::1' || bare === '0:0:0:0:0:0:0:1'
}
