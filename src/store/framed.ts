/**
 * Commands of many members framed as RESP here, once, instead of argument by argument by
 * ioredis: bench:encode measures 774 ns of client CPU a member through `pipeline.zadd(key,
 * ...pairs)` against 343 ns for the same bytes framed by hand, beside Redis's ~940 ns, so the
 * client would cost as much as Redis. A FramedCommand is still an ioredis Command (its reply,
 * errors, timeout and pipeline slot are ioredis's); only its bytes are made here.
 */
import { Command, type ChainableCommander, type Pipeline } from 'ioredis'
import { IPV6_BASE, NUMERIC_FIELDS } from '../aggregate/fields.js'
import type { MemberCounts } from './members.js'

class FramedCommand extends Command {
  readonly #text: string | Buffer

  constructor (name: string, key: string, text: string | Buffer) {
    // The key alone as arguments: what ioredis reads of them (a cluster slot, debug output).
    super(name, [key], { replyEncoding: 'utf8' })
    this.#text = text
  }

  override toWritable (): string | Buffer {
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

/** Bytes a (score, member) pair takes at most: two bulk strings of at most 45 bytes (an IPv6 address) and their framing. */
const PAIR_BYTES = 2 * (1 + 2 + 2 + 45 + 2)

/**
 * `ZADD key count member ...` of members `from` to `from + n - 1` of `members`, written
 * straight into bytes: no member string is made for numbers and IPv4 addresses. The same
 * bytes as zaddCommand (test/members.test.ts); ~65 ms for a day's 1.06M members
 * (bench/RESULTS.md, issue 14's sixth and eleventh sessions). `plus`, when given, holds what
 * to add to each count (a member's score before, store/write.ts countsBefore): the ZADD then
 * sets the sums.
 */
export function zaddMembers (key: string, members: MemberCounts, from: number, n: number, plus?: ArrayLike<number>): Command {
  const head = `*${2 + 2 * n}\r\n$4\r\nZADD\r\n${bulk(key)}`
  const buf = scratch(Buffer.byteLength(head) + n * PAIR_BYTES)
  let o = buf.write(head, 0, 'utf8')
  const { values, counts } = members.inOrder()
  const writer = memberWriter(members)
  for (let i = from; i < from + n; i++) {
    o = writeBulkDecimal(buf, o, plus === undefined ? counts[i]! : counts[i]! + plus[i - from]!)
    o = writer(buf, o, values[i]!)
  }
  return new FramedCommand('zadd', key, Buffer.from(buf.subarray(0, o)))
}

/** `ZMSCORE key member ...` of members `from` to `from + n - 1` of `members`, framed as zaddMembers frames them. */
export function zmscoreMembers (key: string, members: MemberCounts, from: number, n: number): Command {
  const head = `*${2 + n}\r\n$7\r\nZMSCORE\r\n${bulk(key)}`
  const buf = scratch(Buffer.byteLength(head) + n * PAIR_BYTES / 2)
  let o = buf.write(head, 0, 'utf8')
  const { values } = members.inOrder()
  const writer = memberWriter(members)
  for (let i = from; i < from + n; i++) o = writer(buf, o, values[i]!)
  return new FramedCommand('zmscore', key, Buffer.from(buf.subarray(0, o)))
}

/** Where commands are framed before their bytes are copied out at their size (see scratch). */
let framing = Buffer.allocUnsafeSlow(0)

/**
 * A buffer of at least `bytes` to frame one command in, the same one each time: a command's
 * bytes are then copied out at their own size. Each command in a buffer of its most (a pair's
 * 104 bytes at most, ~25 written) cost the coordinator four times the memory its bytes need,
 * never touched, yet counted by V8 as external memory: ~110 MiB a day's million members, and a
 * full collection each time such allocations add up past V8's limit (bench/RESULTS.md, issue
 * 14's tenth session).
 */
function scratch (bytes: number): Buffer {
  if (framing.length < bytes) framing = Buffer.allocUnsafeSlow(Math.max(bytes, 2 * framing.length))
  return framing
}

/** Writes the member of value `v` as a bulk string: digits and dotted IPv4 addresses straight into bytes, others from their string. */
function memberWriter (members: MemberCounts): (buf: Buffer, o: number, v: number) => number {
  const decimal = NUMERIC_FIELDS.has(members.field)
  const address = members.field === 'ipsrc' || members.field === 'ipdst'
  return (buf, o, v) => {
    if (v >= 0 && v < IPV6_BASE && Number.isInteger(v) && (decimal || address)) return decimal ? writeBulkDecimal(buf, o, v) : writeBulkAddress(buf, o, v)
    const text = members.memberOf(v)
    o = writeLength(buf, o, Buffer.byteLength(text))
    o += buf.write(text, o, 'utf8')
    return crlf(buf, o)
  }
}

/**
 * `SET key <chunk> EX seconds`: a staged chunk of members (store/batch.ts), its bytes as given
 * (packMembers, packPairs).
 */
export function setChunk (key: string, chunk: Buffer, seconds: number): Command {
  const ttl = String(seconds)
  const head = Buffer.from(`*5\r\n$3\r\nSET\r\n${bulk(key)}$${chunk.length}\r\n`)
  const tail = Buffer.from(`\r\n$2\r\nEX\r\n${bulk(ttl)}`)
  return new FramedCommand('set', key, Buffer.concat([head, chunk, tail]))
}

/** Bytes a member and its count take at most in a chunk: a str16 of at most 45 bytes, a float64. */
const PACKED_PAIR_BYTES = 3 + 45 + 9

/**
 * Members `from` to `from + n - 1` of `members` and their counts as one MessagePack array
 * (member, count, member, count, ...), which a script reads with `cmsgpack.unpack`: a staged
 * chunk costs Redis a string's copy, not a sorted set's inserts (bench/RESULTS.md, issue 14's
 * seventh session). Members as zaddMembers writes them (test/batch.test.ts).
 */
export function packMembers (members: MemberCounts, from: number, n: number): Buffer {
  const buf = scratch(5 + n * PACKED_PAIR_BYTES)
  let o = writeArrayHead(buf, 2 * n)
  const { values, counts } = members.inOrder()
  const decimal = NUMERIC_FIELDS.has(members.field)
  const address = members.field === 'ipsrc' || members.field === 'ipdst'
  for (let i = from; i < from + n; i++) {
    const v = values[i]!
    if (v >= 0 && v < IPV6_BASE && Number.isInteger(v) && decimal) {
      const d = digits(v)
      buf[o++] = 0xa0 | d
      o = writeDigits(buf, o, v, d)
    } else if (v >= 0 && v < IPV6_BASE && Number.isInteger(v) && address) {
      o = writePackedAddress(buf, o, v)
    } else {
      o = writePackedString(buf, o, members.memberOf(v))
    }
    o = writePackedCount(buf, o, counts[i]!)
  }
  return Buffer.from(buf.subarray(0, o))
}

/** `pairs` (member, count) as packMembers packs them. */
export function packPairs (pairs: ReadonlyArray<readonly [string, number]>): Buffer {
  let bytes = 5
  for (const [member] of pairs) bytes += 5 + Buffer.byteLength(member) + 9
  const buf = Buffer.allocUnsafe(bytes)
  let o = writeArrayHead(buf, 2 * pairs.length)
  for (const [member, count] of pairs) o = writePackedCount(buf, writePackedString(buf, o, member), count)
  return buf.subarray(0, o)
}

function writeArrayHead (buf: Buffer, length: number): number {
  buf[0] = 0xdd
  buf.writeUInt32BE(length, 1)
  return 5
}

/** A MessagePack string: fixstr, str8, str16 or str32 by its length in bytes. */
function writePackedString (buf: Buffer, o: number, text: string): number {
  const length = Buffer.byteLength(text)
  if (length < 32) buf[o++] = 0xa0 | length
  else if (length < 256) { buf[o++] = 0xd9; buf[o++] = length } else if (length < 65536) { buf[o++] = 0xda; o = buf.writeUInt16BE(length, o) } else { buf[o++] = 0xdb; o = buf.writeUInt32BE(length, o) }
  return o + buf.write(text, o, 'utf8')
}

/** A dotted IPv4 address as a MessagePack fixstr. */
function writePackedAddress (buf: Buffer, o: number, v: number): number {
  buf[o] = 0xa0 | dottedLength(v)
  return writeDotted(buf, o + 1, v)
}

/** A count: a uint32 when it is one, else a float64 (exact for the integers counts are). */
function writePackedCount (buf: Buffer, o: number, count: number): number {
  if (Number.isInteger(count) && count >= 0 && count < 2 ** 32) {
    buf[o] = 0xce
    return buf.writeUInt32BE(count, o + 1)
  }
  buf[o] = 0xcb
  return buf.writeDoubleBE(count, o + 1)
}

/** Digits of a non-negative integer below 2^53: comparisons, not a division per digit. */
function digits (n: number): number {
  if (n < 1e5) return n < 10 ? 1 : n < 100 ? 2 : n < 1e3 ? 3 : n < 1e4 ? 4 : 5
  if (n < 1e10) return n < 1e6 ? 6 : n < 1e7 ? 7 : n < 1e8 ? 8 : n < 1e9 ? 9 : 10
  let d = 10
  while (n >= 1e10) { n = Math.floor(n / 10); d++ }
  return d
}

/** "00" to "99" as ASCII: writeDigits writes two digits a step. */
const DIGIT_PAIRS = Uint8Array.from({ length: 200 }, (_, i) => 48 + (i & 1 ? (i >> 1) % 10 : Math.floor((i >> 1) / 10)))

/**
 * Writes non-negative integer `n` in `d` digits at `o`; returns the offset after it. Below 2^32
 * (counts, ports, sequence numbers) two digits a step by unsigned integer division, which V8
 * turns into a multiplication: framing a day's members took 103 ms with a floating-point
 * division a digit, 63 ms so (bench/RESULTS.md, issue 14's eleventh session).
 */
function writeDigits (buf: Buffer, o: number, n: number, d: number): number {
  let i = o + d
  while (n >= 4294967296) {
    const q = Math.floor(n / 10)
    buf[--i] = 48 + (n - 10 * q)
    n = q
  }
  let u = n >>> 0
  while (u >= 100) {
    const q = (u / 100) >>> 0
    const r = (u - 100 * q) << 1
    buf[--i] = DIGIT_PAIRS[r + 1]!
    buf[--i] = DIGIT_PAIRS[r]!
    u = q
  }
  if (u >= 10) {
    buf[--i] = DIGIT_PAIRS[2 * u + 1]!
    buf[--i] = DIGIT_PAIRS[2 * u]!
  } else {
    buf[--i] = 48 + u
  }
  return o + d
}

function crlf (buf: Buffer, o: number): number {
  buf[o] = 13
  buf[o + 1] = 10
  return o + 2
}

/** `$<length>\r\n`. */
function writeLength (buf: Buffer, o: number, length: number): number {
  buf[o] = 36
  return crlf(buf, writeDigits(buf, o + 1, length, digits(length)))
}

/** A bulk string of an integer (a count, or a decimal member): its sign if negative, then its digits. */
function writeBulkDecimal (buf: Buffer, o: number, n: number): number {
  if (!Number.isInteger(n)) {
    const text = String(n)
    o = writeLength(buf, o, text.length)
    return crlf(buf, o + buf.write(text, o, 'latin1'))
  }
  const negative = n < 0
  if (negative) n = -n
  const d = digits(n)
  o = writeLength(buf, o, d + (negative ? 1 : 0))
  if (negative) buf[o++] = 45
  return crlf(buf, writeDigits(buf, o, n, d))
}

/** A bulk string of a dotted IPv4 address. */
function writeBulkAddress (buf: Buffer, o: number, v: number): number {
  return crlf(buf, writeDotted(buf, writeLength(buf, o, dottedLength(v)), v))
}

/** Bytes of IPv4 address `v` dotted. */
function dottedLength (v: number): number {
  return digits(v >>> 24) + digits((v >>> 16) & 255) + digits((v >>> 8) & 255) + digits(v & 255) + 3
}

/** IPv4 address `v` dotted at `o`; returns the offset after it. */
function writeDotted (buf: Buffer, o: number, v: number): number {
  o = writeDigits(buf, o, v >>> 24, digits(v >>> 24))
  buf[o++] = 46
  o = writeDigits(buf, o, (v >>> 16) & 255, digits((v >>> 16) & 255))
  buf[o++] = 46
  o = writeDigits(buf, o, (v >>> 8) & 255, digits((v >>> 8) & 255))
  buf[o++] = 46
  return writeDigits(buf, o, v & 255, digits(v & 255))
}

/** Queues `command` in `pipeline` (a Pipeline: ioredis types what `pipeline()` returns as less). */
export function queue (pipeline: ChainableCommander, command: Command): ChainableCommander {
  return (pipeline as unknown as Pipeline).sendCommand(command) as ChainableCommander
}
