/** `potiron json`: the original's normalized JSON documents, one file per capture. */
import { analyzeFile } from '../aggregate/analyze-file.js'
import type { Selection } from '../aggregate/analyzer.js'
import { sensorOf } from '../capture/filename.js'
import { statError } from '../capture/io.js'
import { EXIT, command } from './command.js'
import { captureOptions, givenFilterOf, selectionOf, zoneOf, withFilter } from './common.js'
import { FILES_POSITIONAL, expandPaths } from './files.js'
import { printable } from './printable.js'
import { plural } from '../plural.js'

export interface JsonOptions {
  out: string
  selection: Selection
  zone: string | undefined
  sensor: string | undefined
  /** Only the packets this pcap-filter expression matches are written (`--filter`). */
  filter?: string | undefined
}

export const jsonCommand = command({
  usage: 'json <files..>',
  description: "Write the original potiron's normalized JSON documents (OUT/YYYY/MM/DD/<name>.json)",
  positionals: { files: FILES_POSITIONAL },
  options: { out: { type: 'string', demandOption: true, description: 'Root directory of the documents' }, ...captureOptions },
  examples: [['$0 json captures/ --out json/', 'One JSON file per capture under json/YYYY/MM/DD/'], ["$0 json captures/ --out json/ --filter 'udp port 53'", 'The DNS packets only']],
  check: argv => ({ paths: argv.files, options: { out: argv.out, selection: selectionOf(argv), zone: zoneOf(argv), sensor: argv.sensor, ...withFilter(givenFilterOf(argv)) } }),
  run: async ({ paths, options }, io) => {
    const failed = await writeJson(await expandPaths(paths, io.err), options, io.err)
    return failed > 0 ? EXIT.failed : EXIT.ok
  }
})

/**
 * Writes the documents of each file; returns how many files failed. The directory day comes
 * from the file name, else from the first packet (the file is renamed into place at the end).
 */
export async function writeJson (files: readonly string[], options: JsonOptions, log: (line: string) => void): Promise<number> {
  let failed = 0
  for (const file of files) {
    const named = sensorOf(file, options.sensor)
    if (named instanceof Error) {
      // A file that is not there is that problem first: its name is then beside the point.
      log(`potiron: ${printable((await statError(file) ?? named).message)}`)
      failed++
      continue
    }
    const result = await analyzeFile(file, { fields: [], combinedKeys: false, selection: options.selection, zone: options.zone, filter: options.filter }, { dir: options.out, sensor: named.sensor, day: named.day })
    const json = result.json!
    if (json.failed !== undefined) {
      log(`potiron: ${printable(file)}: ${printable(json.failed)}`)
      failed++
      continue
    }
    if (result.error !== undefined) {
      log(`potiron: ${printable(result.error.message)}; ${plural(json.documents, 'document')} kept in ${printable(json.path)}`)
      failed++
      continue
    }
    if (result.warning !== undefined) log(`potiron: warning: ${printable(result.warning.message)}`)
    log(`${printable(file)}: ${plural(json.documents, 'document')} → ${printable(json.path)}`)
  }
  return failed
}
