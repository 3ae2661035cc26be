/**
 * Reads a file holding one JSON array of objects, element by element, in bounded memory: the
 * original's documents are a single line that can be gigabytes long, so JSON.parse of the
 * whole file is not an option. The scanner only finds where each element ends (depth and
 * string state over the bytes), then JSON.parse reads that one element; elements are small.
 */
import { createReadStream } from 'node:fs'

/** An element longer than this means a damaged file (an unterminated string), not a document. */
export const MAX_ELEMENT_BYTES = 1 << 20

/** The file is not a well-formed array of objects; `offset` is the byte where it goes wrong. */
export class JsonArrayError extends Error {
  override name = 'JsonArrayError'
  readonly offset: number

  constructor (file: string, offset: number, detail: string) {
    super(`${file}: ${detail} (at byte offset ${offset})`)
    this.offset = offset
  }
}

/** Gets each element and its byte offset; returning false stops reading (no error). */
export type ElementHandler = (element: Record<string, unknown>, offset: number) => boolean | undefined | void

const enum State { Start, BeforeFirst, BeforeNext, InElement, AfterElement, End }

const OPEN_BRACE = 0x7b
const CLOSE_BRACE = 0x7d
const OPEN_BRACKET = 0x5b
const CLOSE_BRACKET = 0x5d
const QUOTE = 0x22
const BACKSLASH = 0x5c
const COMMA = 0x2c

function isSpace (b: number): boolean {
  return b === 0x20 || b === 0x0a || b === 0x0d || b === 0x09
}

/**
 * Calls `onElement` for every element of the array in `file`, in order. Throws JsonArrayError
 * for anything but `[ {...}, {...} ]` (whitespace allowed), including a file cut short.
 */
export async function readJsonArray (file: string, onElement: ElementHandler, chunkBytes = 1 << 20): Promise<void> {
  const stream = createReadStream(file, { highWaterMark: chunkBytes })
  let state = State.Start as State
  let base = 0 // file offset of chunk[0]
  let depth = 0
  let inString = false
  let escaped = false
  let start = 0 // file offset of the current element
  let carry: Buffer[] = [] // bytes of the current element from earlier chunks
  let carried = 0
  const fail = (offset: number, detail: string): never => { throw new JsonArrayError(file, offset, detail) }
  let inHandler = false
  try {
    for await (const chunk of stream as AsyncIterable<Buffer>) {
      let from = 0 // where the current element starts in this chunk, while InElement
      for (let i = 0; i < chunk.length; i++) {
        const b = chunk[i]!
        if (state === State.InElement) {
          if (inString) {
            if (escaped) escaped = false
            else if (b === BACKSLASH) escaped = true
            else if (b === QUOTE) inString = false
            continue
          }
          if (b === QUOTE) inString = true
          else if (b === OPEN_BRACE || b === OPEN_BRACKET) depth++
          else if (b === CLOSE_BRACE || b === CLOSE_BRACKET) {
            if (--depth > 0) continue
            const bytes = carried === 0 ? chunk.subarray(from, i + 1) : Buffer.concat([...carry, chunk.subarray(from, i + 1)])
            carry = []
            carried = 0
            let element: unknown
            try {
              element = JSON.parse(bytes.toString('utf8'))
            } catch (err) {
              fail(start, `invalid JSON element: ${err instanceof Error ? err.message : String(err)}`)
            }
            inHandler = true
            if (onElement(element as Record<string, unknown>, start) === false) return
            inHandler = false
            state = State.AfterElement
          }
          continue
        }
        if (isSpace(b)) continue
        switch (state) {
          case State.Start:
            if (b !== OPEN_BRACKET) fail(base + i, "expected '[' (a JSON array of documents)")
            state = State.BeforeFirst
            break
          case State.BeforeFirst:
          case State.BeforeNext:
            if (b === CLOSE_BRACKET && state === State.BeforeFirst) { state = State.End; break }
            if (b !== OPEN_BRACE) fail(base + i, 'expected an object')
            state = State.InElement
            depth = 1
            start = base + i
            from = i
            break
          case State.AfterElement:
            if (b === COMMA) state = State.BeforeNext
            else if (b === CLOSE_BRACKET) state = State.End
            else fail(base + i, "expected ',' or ']' after an element")
            break
          case State.End:
            fail(base + i, 'unexpected data after the array')
        }
      }
      if (state === State.InElement) {
        const rest = chunk.subarray(from)
        carried += rest.length
        if (carried > MAX_ELEMENT_BYTES) fail(start, `element longer than ${MAX_ELEMENT_BYTES} bytes (an unterminated string or object?)`)
        // Copy: the stream may reuse its buffers.
        carry.push(Buffer.from(rest))
      }
      base += chunk.length
    }
  } catch (err) {
    // The handler's own errors are its caller's business: passed on untouched.
    if (err instanceof JsonArrayError || inHandler) throw err
    const reason = err instanceof Error ? err.message : String(err)
    throw new JsonArrayError(file, base, `cannot read: ${reason}`)
  } finally {
    stream.destroy()
  }
  if (state === State.Start) fail(base, base === 0 ? 'empty file' : "no '[' (not a JSON array)")
  if (state !== State.End) fail(state === State.InElement ? start : base, 'the file ends inside the array (truncated?)')
}
