/**
 * Commands of many members framed as RESP here, once, instead of argument by argument by
 * ioredis: bench:encode measures 774 ns of client CPU a member through `pipeline.zadd(key,
 * ...pairs)` against 343 ns for the same bytes framed by hand, beside Redis's ~940 ns, so the
 * client would cost as much as Redis. A FramedCommand is still an ioredis Command (its reply,
 * errors, timeout and pipeline slot are ioredis's); only its bytes are made here.
 */
import { Command, type ChainableCommander, type Pipeline } from 'ioredis'

class FramedCommand extends Command {
  readonly #text: string

  constructor (name: string, key: string, text: string) {
    // The key alone as arguments: what ioredis reads of them (a cluster slot, debug output).
    super(name, [key], { replyEncoding: 'utf8' })
    this.#text = text
  }

  override toWritable (): string {
    return this.#text
  }
}

function bulk (text: string): string {
  return `$${Buffer.byteLength(text)}\r\n${text}\r\n`
}

/** `ZADD key count member ...` of `pairs` (at least one), as one Command to send or queue in a pipeline. */
export function zaddCommand (key: string, pairs: ReadonlyArray<readonly [string, number]>): Command {
  // One flat string: a rope built with += costs more to flatten and collect than it saves.
  const parts = [`*${2 + 2 * pairs.length}\r\n$4\r\nZADD\r\n${bulk(key)}`]
  for (const [member, count] of pairs) {
    const score = String(count)
    parts.push(`$${score.length}\r\n${score}\r\n${bulk(member)}`)
  }
  return new FramedCommand('zadd', key, parts.join(''))
}

/** Queues `command` in `pipeline` (a Pipeline: ioredis types what `pipeline()` returns as less). */
export function queue (pipeline: ChainableCommander, command: Command): ChainableCommander {
  return (pipeline as unknown as Pipeline).sendCommand(command) as ChainableCommander
}
