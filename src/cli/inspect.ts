/** `potiron inspect`: what is in each capture, as text or one JSON object per file. */
import { analyzeFile, type FileResult } from '../aggregate/analyze-file.js'
import type { Selection } from '../aggregate/analyzer.js'
import { civilTime, pad } from '../aggregate/days.js'
import { ABSENT, valueOrder, type FieldName } from '../aggregate/fields.js'
import { memberRows, type MemberRow } from '../aggregate/table.js'
import { DEFAULTS } from '../config/defaults.js'
import { valueLabel } from '../export/labels.js'
import { dashed } from '../export/names.js'
import { LINKTYPE_NAMES } from '../decode/constants.js'
import { isSupportedLinktype } from '../decode/link.js'
import { EXIT, command } from './command.js'
import { captureOptions, givenFilterOf, selectionOf, withFilter, zoneOf } from './common.js'
import { FILES_POSITIONAL, expandPaths } from './files.js'
import { printable } from './printable.js'
import { enrichArgsOf, enrichmentFor, enrichOptions, type EnrichArgs } from './enrich.js'

export interface InspectOptions {
  json: boolean
  selection: Selection
  zone: string | undefined
  /** Only the packets this pcap-filter expression matches are counted (`--filter`). */
  filter?: string | undefined
  /** The user's own enrichment databases (`--geoip-db`, `--asn-db`). */
  enrich?: EnrichArgs | undefined
}

/** The fields inspect counts: its top destination ports, source ASes and countries. */
const INSPECTED: readonly FieldName[] = ['dport', 'sasn', 'scc']

export const inspectCommand = command({
  usage: 'inspect <files..>',
  description: 'Describe captures: format, link types, packets, IPv4/IPv6, protocols, times, anomalies, top destination ports, source ASes and countries',
  positionals: { files: FILES_POSITIONAL },
  options: { json: { type: 'boolean', default: false, description: 'One JSON object per file' }, filter: captureOptions.filter, 'ipv4-only': captureOptions['ipv4-only'], tz: captureOptions.tz, ...enrichOptions },
  examples: [['$0 inspect fixtures/', 'Every capture under fixtures/'], ['$0 inspect --json capture.pcap.gz', 'Machine-readable summary'], ["$0 inspect capture.pcap --filter 'tcp[tcpflags] == tcp-syn'", 'Top destination ports of the bare SYNs only']],
  check: argv => ({ paths: argv.files, options: { json: argv.json, selection: selectionOf(argv), zone: zoneOf(argv), ...withFilter(givenFilterOf(argv)), enrich: enrichArgsOf(argv) } }),
  run: async ({ paths, options }, io) => {
    const failed = await inspect(await expandPaths(paths, io.err), options, io.out, io.err)
    return failed > 0 ? EXIT.failed : EXIT.ok
  }
})

export interface InspectReport {
  file: string
  format: string | null
  gzip: boolean
  precision: string | null
  linktypes: Array<{ linktype: number, name: string, supported: boolean }>
  packets: number
  capturedBytes: number
  ipv4: number
  ipv6: number
  nonIp: number
  unsupportedLink: number
  protocols: Record<string, number>
  first: string | null
  last: string | null
  min: string | null
  max: string | null
  perDay: Record<string, number>
  malformed: number
  snapTruncated: number
  noTimestamp: number
  outOfRange: number
  skippedBlocks: number
  counted: number
  /** Packets the --filter expression did not match (0 without one). */
  filtered: number
  topDestinationPorts: Array<[number, number]>
  /** The most frequent source ASes: AS number (or a word: `private`, `unknown`...), packets, AS name ('' when none). */
  topSourceAsns: Array<[string, number, string]>
  /** The most frequent source countries: ISO 3166 code (or a word), packets, country name. */
  topSourceCountries: Array<[string, number, string]>
  warning: string | null
  error: string | null
}

/**
 * Inspects each file in turn, writing to `out`; returns how many files failed. Warnings and
 * errors go to `err`, once each: the text report leaves them out, and a file of which nothing
 * was read (missing, not a capture) has no report at all, its error says everything.
 */
export async function inspect (files: readonly string[], options: InspectOptions, out: (line: string) => void, err: (line: string) => void): Promise<number> {
  let failed = 0
  const enrich = await enrichmentFor(INSPECTED, options.enrich ?? {})
  for (const file of files) {
    const result = await analyzeFile(file, { fields: INSPECTED, combinedKeys: false, selection: options.selection, zone: options.zone, filter: options.filter, enrich })
    const report = toReport(result)
    if (options.json) out(JSON.stringify(report))
    else if (report.error === null || report.packets > 0) out(renderText(report))
    if (report.warning !== null) err(`potiron: warning: ${printable(report.warning)}`)
    if (report.error !== null) {
      err(`potiron: ${printable(report.error)}`)
      failed++
    }
  }
  return failed
}

export function toReport (r: FileResult): InspectReport {
  const rows = memberRows(r.table, false)
  const ports = top(rows, 'dport').filter(([port]) => port !== ABSENT.dport)
  const names = new Map((r.asnNames ?? []).map(([asn, name]) => [String(asn), name]))
  const s = r.stats
  return {
    file: r.file,
    format: r.info.format ?? null,
    gzip: r.info.gzip,
    precision: r.info.precision ?? null,
    linktypes: r.info.linktypes.map(linktype => ({ linktype, name: LINKTYPE_NAMES[linktype] ?? String(linktype), supported: isSupportedLinktype(linktype) })),
    packets: s.packets,
    capturedBytes: r.info.capturedBytes,
    ipv4: s.ipv4,
    ipv6: s.ipv6,
    nonIp: s.nonIp,
    unsupportedLink: s.unsupportedLink,
    protocols: s.protocols,
    first: time(s.first),
    last: time(s.last),
    min: time(s.min),
    max: time(s.max),
    perDay: s.perDay,
    malformed: s.malformed,
    snapTruncated: r.info.snapTruncated,
    noTimestamp: s.noTimestamp,
    outOfRange: s.outOfRange,
    skippedBlocks: r.info.skippedBlocks,
    counted: s.counted,
    filtered: s.filtered,
    topDestinationPorts: ports.slice(0, DEFAULTS.topPorts).map(([port, count]) => [Number(port), count]),
    topSourceAsns: top(rows, 'sasn').slice(0, DEFAULTS.topPorts).map(([asn, count]) => [asn, count, names.get(asn) ?? '']),
    topSourceCountries: top(rows, 'scc').slice(0, DEFAULTS.topPorts).map(([cc, count]) => [cc, count, valueLabel('scc', cc)]),
    warning: r.warning?.message ?? null,
    error: r.error?.message ?? null
  }
}

/** A field's values by count, ties as in every top of potiron (export csv, report, the dashboard). */
function top (rows: readonly MemberRow[], field: FieldName): Array<[string, number]> {
  const counts = new Map<string, number>()
  for (const row of rows) if (row.field === field) counts.set(row.member, (counts.get(row.member) ?? 0) + row.count)
  const order = valueOrder(field)
  return [...counts].sort((a, b) => b[1] - a[1] || order(a[0], b[0]))
}

/** `2013-05-30T22:45:17.270862000Z` (any year), from whole seconds and nanoseconds. */
export function time (t: [number, number] | null): string | null {
  if (t === null) return null
  const c = civilTime(t[0])
  return `${pad(c.year, 4)}-${pad(c.month)}-${pad(c.day)}T${pad(c.hour)}:${pad(c.minute)}:${pad(c.second)}.${pad(t[1], 9)}Z`
}

function renderText (r: InspectReport): string {
  const n = (x: number): string => x.toLocaleString('en-US')
  const lines = [printable(r.file)]
  const row = (label: string, value: string): void => { lines.push(`  ${label.padEnd(12)}${value}`) }
  row('format', r.format === null ? 'unknown' : `${r.format}${r.precision !== null ? ` (${r.precision})` : ''}${r.gzip ? ', gzip' : ''}`)
  row('link types', r.linktypes.length === 0 ? 'none' : r.linktypes.map(l => `${l.linktype} ${l.name}${l.supported ? '' : ' (not decoded)'}`).join(', '))
  row('packets', `${n(r.packets)} (IPv4 ${n(r.ipv4)}, IPv6 ${n(r.ipv6)}, other ${n(r.nonIp + r.unsupportedLink)}), ${n(r.capturedBytes)} bytes captured`)
  const protos = Object.entries(r.protocols).sort((a, b) => b[1] - a[1]).map(([p, c]) => `${named(p)}: ${n(c)}`)
  row('protocols', protos.length === 0 ? 'none' : protos.join(', '))
  row('first, last', r.first === null ? 'no timestamps' : `${r.first}, ${r.last ?? ''}`)
  if (r.min !== r.first || r.max !== r.last) row('earliest', `${r.min ?? ''}, latest ${r.max ?? ''}`)
  const days = Object.entries(r.perDay)
  row('days', days.length === 0 ? 'none' : days.map(([d, c]) => `${dashed(d)}: ${n(c)}`).join(', '))
  if (r.filtered > 0) row('filtered', `${n(r.filtered)} not matching --filter, ${n(r.packets - r.filtered)} matching`)
  row('anomalies', `${n(r.malformed)} malformed, ${n(r.snapTruncated)} cut by the snap length, ${n(r.noTimestamp)} without timestamp, ${n(r.outOfRange)} with a time beyond year 9999`)
  row('top dports', r.topDestinationPorts.length === 0 ? 'none' : r.topDestinationPorts.map(([p, c]) => `${p} (${n(c)})`).join(', '))
  const labelled = (tops: Array<[string, number, string]>): string => tops.length === 0 ? 'none' : tops.map(([v, c, label]) => `${v}${label === '' || label === v ? '' : ` ${label}`} (${n(c)})`).join(', ')
  row('top src AS', labelled(r.topSourceAsns))
  row('top src cc', labelled(r.topSourceCountries))
  return lines.join('\n') + '\n'
}

/** `6 tcp`: a protocol number with its name, when it has one. */
function named (protocol: string): string {
  const name = valueLabel('protocol', protocol)
  return name === '' ? protocol : `${protocol} ${name}`
}
