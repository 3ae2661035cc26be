/** `potiron redis start|stop|status`: potiron's own redis-server (see src/redis-server/process.ts). */
import { resolve } from 'node:path'
import { redisDirOf, serverStatus, startServer, stopServer } from '../redis-server/process.js'
import { EXIT, command, type ExitStatus } from './command.js'
import { commandLine } from './invocation.js'
import { plural } from '../plural.js'

export const REDIS_ACTIONS = ['start', 'stop', 'status'] as const
export type RedisAction = typeof REDIS_ACTIONS[number]

export const redisCommand = command({
  usage: 'redis <action>',
  description: "Start, stop or check potiron's own redis-server (unix socket in its data directory, append-only file)",
  positionals: { action: { choices: REDIS_ACTIONS, demandOption: true, description: 'start it (if not running), stop it (SHUTDOWN, the append-only file is saved), or show its state' } },
  options: { dir: { type: 'string', description: 'Data directory (default $POTIRON_REDIS_DIR or ~/.local/share/potiron/redis)' } },
  examples: [
    ['$0 redis start', 'Start it; ingest without --redis or --unix then uses it'],
    ['$0 redis status', 'running or stopped, its socket and number of keys']
  ],
  check: argv => ({ action: argv.action, dir: argv.dir }),
  run: async (options, io) => await ownRedis(options, io.out, io.err)
})

/** Returns the exit status: 0 done (or running, for status), 1 failed (or stopped, for status). */
export async function ownRedis (args: { action: RedisAction, dir?: string | undefined }, out: (text: string) => void, err: (text: string) => void, env: NodeJS.ProcessEnv = process.env): Promise<ExitStatus> {
  const dir = args.dir === undefined ? redisDirOf(env) : resolve(args.dir)
  const stop = `'${commandLine(args.dir === undefined ? ['redis', 'stop'] : ['redis', 'stop', '--dir', dir])}'`
  try {
    switch (args.action) {
      case 'start': {
        const { already, paths } = await startServer(dir)
        out(already ? `potiron's redis-server is already running on ${paths.socket}` : `potiron's redis-server started on ${paths.socket} (data in ${dir}); stop it with ${stop}`)
        return EXIT.ok
      }
      case 'stop': {
        const { wasRunning, paths } = await stopServer(dir)
        out(wasRunning ? `potiron's redis-server on ${paths.socket} stopped (append-only file saved in ${dir})` : `potiron's redis-server is not running (${paths.socket})`)
        return EXIT.ok
      }
      case 'status': {
        const s = await serverStatus(dir)
        out(s.running ? `running on ${s.paths.socket}, ${plural(s.keys ?? 0, 'key')} (data in ${dir})` : `stopped (${s.paths.socket}, data in ${dir})`)
        return s.running ? EXIT.ok : EXIT.failed
      }
    }
  } catch (e) {
    err(`potiron: redis ${args.action}: ${e instanceof Error ? e.message : String(e)}`)
    return EXIT.failed
  }
}
