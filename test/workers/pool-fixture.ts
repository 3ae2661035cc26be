/**
 * Task handlers for test/pool.test.ts, run by the real pool (createPool) through `run(task,
 * { filename, name })`: the production worker wrapped so the test can see what it kept, a handler
 * that throws, a slow one. Module state is per thread; the tests use one thread where they read it.
 */
import { setTimeout as sleep } from 'node:timers/promises'
import { Piscina } from 'piscina'
import parseCapture, { type ParseTask } from '../../workers/parse-capture.js'
import type { FileResult } from '../../src/aggregate/analyze-file.js'

/** The buffers of the last result this thread returned, still referenced here after posting it. */
let sent: ArrayBuffer[] = []

/** Every ArrayBuffer under `value` that a typed array or DataView views, found by walking it. */
function buffersIn (value: unknown, into = new Set<ArrayBuffer>()): Set<ArrayBuffer> {
  if (ArrayBuffer.isView(value)) into.add(value.buffer as ArrayBuffer)
  else if (value instanceof ArrayBuffer) into.add(value)
  else if (typeof value === 'object' && value !== null) for (const v of Object.values(value)) buffersIn(v, into)
  return into
}

/**
 * workers/parse-capture.ts's default export, remembering every buffer in its result (found by
 * walking the result, not from the transfer list the worker builds, so a buffer it forgot counts).
 */
export async function parse (task: ParseTask): Promise<FileResult> {
  const moved = await parseCapture(task)
  const result = (moved as unknown as Record<symbol, FileResult>)[Piscina.valueSymbol]
  if (result === undefined) throw new Error('parse-capture returned no Piscina.move() wrapper: its result would be cloned')
  sent = [...buffersIn(result)]
  return moved
}

/** The byte lengths of the buffers `parse` returned last: all 0 once they were transferred. */
export function sentByteLengths (): number[] {
  return sent.map(b => b.byteLength)
}

/** Throws a TypeError with the task's message, as a handler with a bug would. */
export function fail (task: { message: string }): never {
  throw new TypeError(task.message)
}

/** Answers `task.value` after `task.ms` milliseconds. */
export async function slow (task: { ms: number, value: string }): Promise<string> {
  await sleep(task.ms)
  return task.value
}

/** The value, at once. */
export function echo (task: { value: string }): string {
  return task.value
}
