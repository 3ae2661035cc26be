/** `potiron json`: the original's normalized JSON documents, one file per capture. */
import { basename } from 'node:path'
import { analyzeFile } from '../aggregate/analyze-file.js'
import type { Selection } from '../aggregate/analyzer.js'
import { DayClock, dayToYmd } from '../aggregate/days.js'
import { stem } from '../capture/filename.js'
import { JsonDocumentWriter } from '../export/json-documents.js'
import { sensorOf } from '../capture/filename.js'

export interface JsonOptions {
  out: string
  selection: Selection
  zone: string | undefined
  sensor: string | undefined
}

/**
 * Writes the documents of each file; returns how many files failed. The directory day comes
 * from the file name, else from the first packet (the file is renamed into place at the end).
 */
export async function writeJson (files: readonly string[], options: JsonOptions, log: (line: string) => void): Promise<number> {
  let failed = 0
  const clock = new DayClock(options.zone)
  for (const file of files) {
    const named = sensorOf(file, options.sensor)
    if (named instanceof Error) {
      log(`potiron: ${named.message}`)
      failed++
      continue
    }
    let writer: JsonDocumentWriter | undefined
    const open = (sec: number): JsonDocumentWriter => {
      const day = named.day ?? (Number.isNaN(sec) ? undefined : String(dayToYmd(clock.day(sec))))
      return new JsonDocumentWriter(options.out, stem(file), day, { sensorname: named.sensor, filename: basename(file) }, clock)
    }
    const result = await analyzeFile(file, {
      fields: [], splitProtocols: false, selection: options.selection, zone: options.zone,
      observer: (facts, buf, sec, nsec) => { (writer ??= open(sec)).packet(facts, buf, sec, nsec) }
    })
    writer ??= open(Number.NaN)
    if (result.error !== undefined) {
      writer.abort()
      log(`potiron: ${result.error.message}; ${writer.packets} documents kept in ${writer.path}.partial`)
      failed++
      continue
    }
    writer.close()
    if (result.warning !== undefined) log(`potiron: warning: ${result.warning.message}`)
    log(`${file}: ${writer.packets} documents → ${writer.path}`)
  }
  return failed
}
