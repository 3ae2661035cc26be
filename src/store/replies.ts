/** A pipeline's replies, the first error thrown: what every reader and writer of the store waits for. */
import type { Redis } from 'ioredis'
import { RedisWriteError } from '../errors.js'

/** Runs a pipeline and returns its replies, throwing the first error. */
export async function exec (pipeline: ReturnType<Redis['pipeline']>): Promise<unknown[]> {
  const replies = await pipeline.exec()
  if (replies === null) throw new RedisWriteError('pipeline: no reply', 0)
  return replies.map(([err, reply]) => {
    if (err !== null) throw err
    return reply
  })
}
