/**
 * A gate between potiron and a real redis-server: a unix socket that passes every byte both ways
 * and reads the commands clients send (RESP arrays of bulk strings, as ioredis writes them) until
 * `shut(command, connection)` says so; from then on nothing more any client sends reaches Redis,
 * while Redis's answers still come back. A test can so stop a run at an exact point of its
 * writes (after the k-th file's EXEC, inside a transaction before its EXEC) however fast or slow
 * the machine is, instead of killing it after a guessed delay. Not a mock: Redis runs every
 * command that passed, as it would have.
 */
import { once } from 'node:events'
import { connect, createServer, type Server, type Socket } from 'node:net'

/** One client connection as the gate saw it. */
export interface GateConnection {
  /** Between a MULTI and its EXEC / DISCARD (included): the commands queued so far. */
  queued: string[][] | undefined
}

export interface RedisGate {
  socket: string
  /** Resolves once the gate has shut (on the command that shut it, which did pass). */
  shut: Promise<void>
  /** Every command that passed, in order, with its connection's index. */
  passed: Array<{ connection: number, command: string[] }>
  /**
   * Closes every connection to Redis once Redis has run all that passed (it reads them before
   * the end of the stream), then the gate's socket.
   */
  close: () => Promise<void>
}

/**
 * Opens the gate at `socket`, in front of the redis-server at `redis`. `shut` is called after
 * each command has been passed on; when it returns true, the gate shuts.
 */
export async function openGate (socket: string, redis: string, shut: (command: string[], connection: GateConnection) => boolean): Promise<RedisGate> {
  let closed = false
  let resolveShut: () => void = () => {}
  const shutP = new Promise<void>(resolve => { resolveShut = resolve })
  const passed: RedisGate['passed'] = []
  const upstreams: Socket[] = []
  const clients: Socket[] = []
  let connections = 0
  const server: Server = createServer(client => {
    const index = connections++
    const state: GateConnection = { queued: undefined }
    const upstream = connect(redis)
    upstreams.push(upstream)
    clients.push(client)
    upstream.on('data', (b: Buffer) => { if (!client.destroyed) client.write(b) })
    upstream.on('error', () => { client.destroy() })
    client.on('error', () => {})
    // The client gone (killed): Redis keeps what passed; the upstream is ended in close().
    let pending: Buffer = Buffer.alloc(0)
    client.on('data', (b: Buffer) => {
      if (closed) return
      pending = pending.length === 0 ? b : Buffer.concat([pending, b])
      let at = 0
      for (;;) {
        const parsed = parseCommand(pending, at)
        if (parsed === undefined) break
        upstream.write(pending.subarray(at, parsed.end))
        at = parsed.end
        passed.push({ connection: index, command: parsed.command })
        const name = parsed.command[0]!.toUpperCase()
        const ends = name === 'EXEC' || name === 'DISCARD'
        if (name === 'MULTI') state.queued = []
        else if (!ends) state.queued?.push(parsed.command)
        // An EXEC or DISCARD is shown with the queue it ends, then the queue goes.
        const shuts = shut(parsed.command, state)
        if (ends) state.queued = undefined
        if (shuts) {
          closed = true
          resolveShut()
          return
        }
      }
      pending = pending.subarray(at)
    })
  })
  server.listen(socket)
  await once(server, 'listening')
  return {
    socket,
    shut: shutP,
    passed,
    close: async () => {
      for (const c of clients) c.destroy()
      await Promise.all(upstreams.map(async u => {
        if (u.destroyed) return
        const ended = once(u, 'close')
        u.end()
        await ended
      }))
      await new Promise<void>(resolve => server.close(() => { resolve() }))
    }
  }
}

/** The command starting at `at` (`*N\r\n` then N `$len\r\n...\r\n`), or undefined when not all there. */
function parseCommand (b: Buffer, at: number): { command: string[], end: number } | undefined {
  const line = (from: number): { value: number, next: number } | undefined => {
    const cr = b.indexOf('\r\n', from)
    if (cr === -1) return undefined
    return { value: Number(b.toString('latin1', from + 1, cr)), next: cr + 2 }
  }
  if (at >= b.length) return undefined
  if (b[at] !== 0x2a) throw new Error(`redis gate: expected a RESP array, got ${JSON.stringify(b.toString('latin1', at, at + 20))}`)
  const head = line(at)
  if (head === undefined) return undefined
  const command: string[] = []
  let p = head.next
  for (let i = 0; i < head.value; i++) {
    const bulk = p < b.length ? line(p) : undefined
    if (bulk === undefined) return undefined
    if (bulk.next + bulk.value + 2 > b.length) return undefined
    command.push(b.toString('latin1', bulk.next, bulk.next + bulk.value))
    p = bulk.next + bulk.value + 2
  }
  return { command, end: p }
}
