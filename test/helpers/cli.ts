/** The command line run in-process through main(argv), its output collected line by line. */
import { main, type Io } from '../../src/cli/main.js'

export interface Run { status: number, out: string[], err: string[] }

export async function potiron (...args: string[]): Promise<Run> {
  const out: string[] = []
  const err: string[] = []
  const io: Io = { out: t => { out.push(t) }, err: t => { err.push(t) } }
  return { status: await main(args, io), out, err }
}
