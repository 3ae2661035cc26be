/**
 * The few error classes potiron raises. Each names what went wrong and where; the CLI prints
 * `message` as is, so messages start with the file name when there is one.
 */

/** What a capture error is: a reason code stable enough for tests and JSON output. */
export type CaptureErrorCode =
  | 'EMPTY'           // zero-byte file
  | 'BAD_MAGIC'       // neither pcap, pcapng nor gzip
  | 'BAD_HEADER'      // a file/section header we cannot use (version, reserved bits, lengths)
  | 'BAD_RECORD'      // a record or block whose length fields make no sense
  | 'RECORD_TOO_BIG'  // a record longer than MAX_RECORD_BYTES
  | 'TOO_MANY_INTERFACES' // a pcapng section declaring more interfaces than potiron keeps
  | 'BAD_TRAILER'     // pcapng block whose trailing length disagrees with its leading one
  | 'CORRUPT_GZIP'    // the decompressor gave up
  | 'NOT_A_FILE'      // a directory or another non-regular path
  | 'UNREADABLE'      // open/read failed (permissions, vanished file, I/O error)
  | 'TRUNCATED'       // the file ends in the middle of a record (a warning, not a failure)
  | 'TRAILING_GARBAGE' // bytes other than zeros after a gzip file's last member (a warning)

/**
 * A capture file that cannot be read (further). `offset` is the byte offset in the capture
 * stream (after decompression for gzip files) where the problem starts; for the gzip container
 * itself (CORRUPT_GZIP, TRAILING_GARBAGE, UNREADABLE) it is the offset in the compressed file.
 */
export class CaptureError extends Error {
  override name = 'CaptureError'
  readonly file: string
  readonly offset: number
  readonly code: CaptureErrorCode

  constructor (code: CaptureErrorCode, file: string, offset: number, detail: string, options?: { cause?: unknown }) {
    super(`${file}: ${detail} (at byte offset ${offset})`, options)
    this.code = code
    this.file = file
    this.offset = offset
  }
}

/** A command line that cannot work: the CLI prints the message and exits with status 2. */
export class UsageError extends Error {
  override name = 'UsageError'
}

/** Redis cannot be reached: the run stops with this one line. */
export class RedisUnreachableError extends Error {
  override name = 'RedisUnreachableError'
}

/**
 * A Redis Cluster that cannot be used as asked: `--cluster` given a single Redis, a cluster
 * reached by socket, or a command that does not work on a cluster yet. Refused on connecting,
 * before anything is read or written, with one line and exit status 1.
 */
export class RedisClusterError extends Error {
  override name = 'RedisClusterError'
}

/**
 * A master of a Redis Cluster stopped answering and no replica took over in time
 * (store/cluster.ts throughFailover): said as the connection lost, in its own words.
 */
export class RedisFailoverError extends Error {
  override name = 'RedisFailoverError'
}

/** A write was refused by Redis; `batch` is the 0-based batch of the file where it happened. */
export class RedisWriteError extends Error {
  override name = 'RedisWriteError'
  readonly batch: number

  constructor (message: string, batch: number, options?: { cause?: unknown }) {
    super(message, options)
    this.batch = batch
  }
}

/** The database already holds data counted with other settings than those given: the run is refused. */
export class ParameterConflictError extends Error {
  override name = 'ParameterConflictError'
}

/**
 * Redis did not answer a command within `timeoutMs` (a server that hangs without closing the
 * connection: stopped, swapping). Raised by potiron's own command timer (src/redis-errors.ts),
 * because ioredis's timeout error has no class or code of its own.
 */
export class RedisTimeoutError extends Error {
  override name = 'RedisTimeoutError'
  readonly timeoutMs: number

  constructor (timeoutMs: number, command: string) {
    super(`Redis did not answer ${command} within ${timeoutMs / 1000} s`)
    this.timeoutMs = timeoutMs
  }
}
