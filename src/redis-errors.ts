/**
 * How ioredis's failures are recognised: by class or code, never by their message text. This is
 * the one module that knows how ioredis reports them.
 *
 * - A Redis error reply is a ReplyError whose message starts with the protocol's error code
 *   (`LOADING Redis is loading...`, `BUSY ...`, `ERR ...`): the first word is the code, the rest
 *   free text (https://redis.io/docs/latest/develop/reference/protocol-spec/#simple-errors).
 *   replyCode() reads it; callers compare codes.
 * - ioredis's command timeout (`commandTimeout`) rejects with a plain `Error("Command timed out")`
 *   (ioredis 5, built/Command.js), with no class or code, so it can only be told by its message.
 *   Rather than match that text, potiron times commands itself in TimedRedis and fails them with
 *   its own RedisTimeoutError.
 * - A closed connection ("Connection is closed.", "Stream isn't writeable ...") is a plain Error
 *   too; whoever needs to know asks the connection's state instead (`status`, `stream.writable`).
 */
import { Redis, ReplyError, type Command, type RedisOptions } from 'ioredis'
import type { WriteableStream } from 'ioredis/built/types.js'
import { RedisFailoverError, RedisTimeoutError } from './errors.js'

/** The error code of a Redis error reply (`LOADING`, `BUSY`, `ERR`...), undefined for any other error. */
export function replyCode (err: unknown): string | undefined {
  if (!(err instanceof ReplyError)) return undefined
  const message = (err as Error).message
  const space = message.indexOf(' ')
  return space === -1 ? message : message.slice(0, space)
}

/**
 * A Redis client whose commands, unanswered after `timeoutMs`, fail with RedisTimeoutError.
 * Every command (alone, in a pipeline or in MULTI) passes through sendCommand, which is where
 * ioredis starts its own timer too; a command may pass more than once (resent after a
 * reconnection), and keeps its first timer, as ioredis's does. Don't also set `commandTimeout`.
 */
export class TimedRedis extends Redis {
  // TS-private, not #private: TypeScript forbids #private fields in a class whose constructor
  // calls super conditionally (TS2401), and ioredis's constructors differ by argument types.
  // eslint-disable-next-line no-restricted-syntax
  private readonly timeoutMs: number
  // eslint-disable-next-line no-restricted-syntax
  private readonly timed: WeakSet<Command>

  /** `target`: a URL (`redis://host:port/db`, which ioredis parses) or full options. */
  constructor (timeoutMs: number, target: string | RedisOptions, options: RedisOptions = {}) {
    if (typeof target === 'string') super(target, options)
    else super({ ...target, ...options })
    this.timeoutMs = timeoutMs
    this.timed = new WeakSet()
  }

  override sendCommand (command: Command, stream?: WriteableStream): unknown {
    timeCommand(command, this.timeoutMs, this.timed)
    return super.sendCommand(command, stream)
  }

  /**
   * ioredis's own, except on a connection already ended (it never opened, or was lost): there
   * ioredis waits 2 s for a 'close' event already past, on a timer that keeps the process alive.
   */
  override disconnect (reconnect = false): void {
    if (this.status === 'end' && !reconnect) return
    super.disconnect(reconnect)
  }

  /** The same, timed alike (ioredis's duplicate would make a plain Redis). */
  override duplicate (override?: Partial<RedisOptions>): TimedRedis {
    return new TimedRedis(this.timeoutMs, { ...this.options, ...override })
  }
}

/**
 * Starts `command`'s timer unless `timed` says it has one: unanswered after `timeoutMs`, it
 * fails with RedisTimeoutError (TimedRedis, and store/cluster.ts's TimedCluster).
 */
export function timeCommand (command: Command, timeoutMs: number, timed: WeakSet<Command>): void {
  if (timed.has(command)) return
  timed.add(command)
  const timer = setTimeout(() => { command.reject(new RedisTimeoutError(timeoutMs, command.name.toUpperCase())) }, timeoutMs)
  const clear = (): void => { clearTimeout(timer) }
  command.promise.then(clear, clear)
}

/** What a Redis Cluster answers while a slot's master fails over or moves (a replica being promoted, a resharding). */
const FAILOVER_CODES = new Set(['CLUSTERDOWN', 'TRYAGAIN', 'MOVED', 'ASK', 'MASTERDOWN', 'LOADING'])

/**
 * Whether `err`, met on a Redis Cluster, may be a master failing over: one of its answers
 * (FAILOVER_CODES), or its connection gone (ioredis's AbortError "Command aborted due to
 * connection close", or a plain Error once the node's connection is closed). A timeout or any
 * other error reply is not: it is no reason to wait.
 */
export function failoverError (err: unknown): boolean {
  const code = replyCode(err)
  if (code !== undefined) return FAILOVER_CODES.has(code)
  // A RedisFailoverError has waited already (a step within a step).
  return err instanceof Error && !(err instanceof RedisTimeoutError) && !(err instanceof RedisFailoverError)
}
