/**
 * Piscina task entry: one capture file in, its FileResult out, with the count table's buffers
 * transferred rather than cloned. Kept thin on purpose: every thread pays for each import at
 * startup, so nothing here reaches ioredis, yargs or the CLI.
 */
import { Piscina } from 'piscina'
import { analyzeFile, type FileResult, type JsonOut } from '../src/aggregate/analyze-file.js'
import type { AnalyzeOptions } from '../src/aggregate/analyzer.js'
import { tableBuffers } from '../src/aggregate/table.js'

export interface ParseTask {
  file: string
  options: AnalyzeOptions
  /** Also write the capture's JSON documents (`ingest --json-out`). */
  jsonOut?: JsonOut | undefined
}

export default async function parseCapture (task: ParseTask): Promise<FileResult> {
  const result = await analyzeFile(task.file, task.options, task.jsonOut)
  // A Transferable wrapper: piscina sends the value and moves every buffer the table owns.
  const movable = { [Piscina.transferableSymbol]: tableBuffers(result.table), [Piscina.valueSymbol]: result }
  return Piscina.move(movable as unknown as Parameters<typeof Piscina.move>[0]) as unknown as FileResult
}
