/**
 * Piscina task entry: one capture file in, its FileResult out, with the count table's buffers
 * transferred rather than cloned. Kept thin on purpose: every thread pays for each import at
 * startup, so nothing here reaches ioredis, yargs or the CLI.
 */
import type { MessagePort } from 'node:worker_threads'
import { Piscina } from 'piscina'
import { analyzeFile, type FileResult, type JsonOut } from '../src/aggregate/analyze-file.js'
import type { AnalyzeOptions } from '../src/aggregate/analyzer.js'
import { tableBuffers } from '../src/aggregate/table.js'
import { modeBuffers } from '../src/aggregate/modes.js'

export interface ParseTask {
  file: string
  options: AnalyzeOptions
  /** Also write the capture's JSON documents (`ingest --json-out`). */
  jsonOut?: JsonOut | undefined
  /**
   * Where to post `[bytes, packets]` while the file is read (at most a few times a second, see
   * readCapture's ReadProgress), then `null` once the task ends, transferred with the task. A
   * port rather than a SharedArrayBuffer: at that pace its messages cost nothing, they carry
   * byte counts past 2^32 as plain numbers (Atomics would need BigInt64 or halves that can
   * tear), and the coordinator hears of news instead of polling for it.
   */
  progress?: MessagePort | undefined
}

export default async function parseCapture (task: ParseTask): Promise<FileResult> {
  const { progress } = task
  let result: FileResult
  try {
    result = await analyzeFile(task.file, task.options, task.jsonOut, progress === undefined ? undefined : (bytes, packets) => { progress.postMessage([bytes, packets]) })
  } finally {
    // The result goes back on another port and may arrive first: this says there is no more.
    // (Closing the port would not: under piscina the close reaches the other end only when the
    // thread exits.)
    progress?.postMessage(null)
    progress?.close()
  }
  // A Transferable wrapper: piscina sends the value and moves every buffer the table owns.
  const movable = { [Piscina.transferableSymbol]: [...tableBuffers(result.table), ...modeBuffers(result.mode)], [Piscina.valueSymbol]: result }
  return Piscina.move(movable as unknown as Parameters<typeof Piscina.move>[0]) as unknown as FileResult
}
