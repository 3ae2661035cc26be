/**
 * Reference points for `potiron bench`: tshark extracting potiron's fields (what the original
 * potiron ran per capture) and `tcpdump -r` printing every packet, timed over the same sample,
 * one file after another (each is one process, single-threaded), output thrown away. They are
 * not potiron: they say how fast the usual tools read the same bytes on the same machine.
 */
import { spawn } from 'node:child_process'
import { createReadStream } from 'node:fs'
import { createGunzip } from 'node:zlib'
import type { FieldName } from '../aggregate/fields.js'
import { findOnPath } from '../redis-server/process.js'

/** The tshark fields behind each of potiron's (the original's -e list: sport and dport from TCP and UDP). */
export const TSHARK_FIELDS: Readonly<Record<string, readonly string[]>> = {
  length: ['frame.len'],
  protocol: ['ip.proto'],
  ipsrc: ['ip.src'],
  ipdst: ['ip.dst'],
  ipttl: ['ip.ttl'],
  iptos: ['ip.dsfield'],
  sport: ['tcp.srcport', 'udp.srcport'],
  dport: ['tcp.dstport', 'udp.dstport'],
  tcpseq: ['tcp.seq_raw'],
  tcpack: ['tcp.ack_raw'],
  icmpcode: ['icmp.code'],
  icmptype: ['icmp.type']
}

/** `tshark -r FILE -T fields -e frame.time_epoch -e ...`: the arguments for one file. */
export function tsharkArgs (file: string, fields: readonly FieldName[]): string[] {
  const columns = ['frame.time_epoch', ...fields.flatMap(f => TSHARK_FIELDS[f] ?? [])]
  return ['-r', file, '-n', '-T', 'fields', ...columns.flatMap(c => ['-e', c])]
}

export interface ReferenceRow {
  tool: 'tshark' | 'tcpdump'
  /** The command line of one file, as shown (FILE for the file). */
  command: string
  /** Wall time over the sample, ms; undefined when the tool is not installed. */
  wallMs: number | undefined
  /** Files the tool ended with a non-zero status (a capture it calls damaged): their time still counts. */
  failedFiles: number
  /** Why there is no measure (not installed), else ''. */
  note: string
}

/** Both references over `files`, each skipped with a note when not on PATH. */
export async function referenceRows (files: readonly string[], fields: readonly FieldName[], env: NodeJS.ProcessEnv = process.env): Promise<ReferenceRow[]> {
  const tshark = findOnPath('tshark', env)
  const tcpdump = findOnPath('tcpdump', env)
  const tsharkShown = `tshark ${tsharkArgs('FILE', fields).join(' ')}`
  return [
    tshark === undefined
      ? { tool: 'tshark', command: tsharkShown, wallMs: undefined, failedFiles: 0, note: 'tshark is not installed (apt-get install tshark): skipped' }
      : { tool: 'tshark', command: tsharkShown, ...await timed(files, f => ({ command: tshark, args: tsharkArgs(f, fields) })), note: '' },
    tcpdump === undefined
      ? { tool: 'tcpdump', command: 'tcpdump -r FILE -nn', wallMs: undefined, failedFiles: 0, note: 'tcpdump is not installed (apt-get install tcpdump): skipped' }
      // tcpdump does not read gzip: a .gz file is decompressed into its standard input (`-r -`).
      : { tool: 'tcpdump', command: 'tcpdump -r FILE -nn', ...await timed(files, f => ({ command: tcpdump, args: ['-r', isGzipName(f) ? '-' : f, '-nn'], stdin: isGzipName(f) ? f : undefined })), note: '' }
  ]
}

function isGzipName (file: string): boolean {
  return file.toLowerCase().endsWith('.gz')
}

interface Invocation { command: string, args: string[], stdin?: string | undefined }

/** Runs the invocation of each file in turn, output to nowhere; the wall time of them all. */
async function timed (files: readonly string[], of: (file: string) => Invocation): Promise<{ wallMs: number, failedFiles: number }> {
  let failedFiles = 0
  const start = performance.now()
  for (const file of files) if (await runQuiet(of(file)) !== 0) failedFiles++
  return { wallMs: performance.now() - start, failedFiles }
}

async function runQuiet (inv: Invocation): Promise<number> {
  const child = spawn(inv.command, inv.args, { stdio: [inv.stdin === undefined ? 'ignore' : 'pipe', 'ignore', 'ignore'] })
  if (inv.stdin !== undefined && child.stdin !== null) {
    const stdin = child.stdin
    stdin.on('error', () => {})
    createReadStream(inv.stdin).on('error', () => { stdin.end() }).pipe(createGunzip()).on('error', () => { stdin.end() }).pipe(stdin)
  }
  return await new Promise<number>(resolve => {
    child.once('error', () => { resolve(-1) })
    child.once('close', code => { resolve(code ?? -1) })
  })
}
