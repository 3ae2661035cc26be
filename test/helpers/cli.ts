/** The command line run in-process through main(argv), its output collected line by line. */
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { main, type Io } from '../../src/cli/main.js'

// Commands look at potiron's own redis-server (~/.local/share/potiron/redis) to say when it
// holds the data instead: tests never see the one of whoever runs them, only one they start.
process.env.POTIRON_REDIS_DIR ??= join(tmpdir(), `potiron-tests-no-own-redis-${process.pid}`)

export interface Run { status: number, out: string[], err: string[] }

export async function potiron (...args: string[]): Promise<Run> {
  const out: string[] = []
  const err: string[] = []
  const io: Io = { out: t => { out.push(t) }, err: t => { err.push(t) } }
  return { status: await main(args, io), out, err }
}
