/**
 * The settings stored with the data (PARAMETERS, JSON_FIELDS) as the commands that add counts
 * take them (ingest, its --dry-run, import-json; remove checks them): a flag left out means the
 * database's setting, so the options have no yargs default, and the line that says which stored
 * settings a run counts with.
 */
import type { Redis } from 'ioredis'
import type { Options } from 'yargs'
import { ENRICH_FIELDS, FIELDS, PACKET_FIELDS, type FieldName } from '../aggregate/fields.js'
import { UsageError } from '../errors.js'
import { resolveSettings, type StoredSettings } from '../store/parameters.js'
import { FILTER, filterOf, IPV4_ONLY, selectionOf, zoneOf } from './common.js'
import { printable } from './printable.js'

/** How --help says a setting left out defaults: the one stored with the data (resolveSettings). */
export const STORED = "default: as stored in the database's PARAMETERS, else"

/** The options of the settings: no yargs default, so that a flag left out (the stored setting) is told from one given. */
export const settingOptions = {
  'combined-keys': { type: 'boolean', description: `Count per protocol instead: <sensor>:<proto>:<day>:<field> keys and the PROTOCOLS set, no <sensor>:<day>:<field> keys (the original's -ck; exports and serve add the protocols up); ${STORED} off` },
  fields: { type: 'string', description: `Comma-separated fields to count (default: as stored in the database's JSON_FIELDS, else the original's: ${PACKET_FIELDS.join(', ')}); enrichment adds ${ENRICH_FIELDS.join(', ')} (source/destination AS and country)` },
  filter: { type: 'string', description: `${FILTER}; ${STORED} none ('' says none)` },
  'ipv4-only': { type: 'boolean', description: `${IPV4_ONLY}; ${STORED} IPv4 and IPv6, fields from the outermost IP header` },
  tz: { type: 'string', description: `IANA time zone for days (e.g. Europe/Luxembourg); ${STORED} UTC` },
  isn: { type: 'boolean', description: `ISN format: keep each TCP SYN and SYN-ACK's time, ports, sequence and acknowledgement numbers (<sensor>:<day>:isn and :isn-sport), no field counts; for a database of its own (${STORED} the standard counts)` },
  layer2: { type: 'boolean', description: `Layer-2 format: count ARP requests and replies and their who-has and is-at pairs (<sensor>_<day>_count, <sensor>:<day>:arp-*), no field counts; for a database of its own (${STORED} the standard counts)` }
} as const satisfies Record<string, Options>

/** Parses `--fields dport,ipsrc`, keeping potiron's field order. */
export function fieldsOf (text: string): readonly FieldName[] {
  const wanted = new Set(text.split(',').map(s => s.trim()).filter(s => s !== ''))
  for (const name of wanted) {
    if (!(FIELDS as readonly string[]).includes(name)) throw new UsageError(`--fields: unknown field '${name}'; choose from ${FIELDS.join(',')}`)
  }
  if (wanted.size === 0) throw new UsageError(`--fields: name at least one of ${FIELDS.join(',')}`)
  return FIELDS.filter(f => wanted.has(f))
}

/** The settings given on the command line; those left out are absent (resolveSettings fills them). */
export function givenSettingsOf (argv: { 'combined-keys'?: boolean | undefined, fields?: string | undefined, filter?: string | undefined, 'ipv4-only'?: boolean | undefined, tz?: string | undefined, isn?: boolean | undefined, layer2?: boolean | undefined }): Partial<StoredSettings> {
  const given: Partial<StoredSettings> = {}
  if (argv.isn === true && argv.layer2 === true) throw new UsageError('--isn and --layer2: one format per database, choose one')
  const format = argv.isn === true ? '--isn' : argv.layer2 === true ? '--layer2' : undefined
  if (format !== undefined) {
    if (argv.fields !== undefined) throw new UsageError(`${format} keeps its own values, not counted fields: leave --fields out`)
    given.format = format === '--isn' ? 'isn' : 'layer2'
  }
  if (argv['combined-keys'] !== undefined) given.combinedKeys = argv['combined-keys']
  if (argv.fields !== undefined) given.fields = fieldsOf(argv.fields)
  if (argv.filter !== undefined) given.filter = filterOf(argv.filter)
  if (argv['ipv4-only'] !== undefined) given.selection = selectionOf({ 'ipv4-only': argv['ipv4-only'] })
  const zone = zoneOf(argv)
  if (zone !== undefined) given.zone = zone
  return given
}

const SETTINGS = ['format', 'combinedKeys', 'fields', 'selection', 'zone', 'filter'] as const

/**
 * Resolves the run's settings (resolveSettings) and says, in one line, those taken from the
 * database that change what a run without them would count, as the flags that say them (of
 * `flags`: import-json has no --fields).
 */
export async function settingsFor (redis: Redis, given: Partial<StoredSettings>, err: (line: string) => void, flags: ReadonlyArray<keyof StoredSettings> = SETTINGS): Promise<StoredSettings> {
  const { settings, fromDatabase } = await resolveSettings(redis, given)
  const said = fromDatabase.filter(key => flags.includes(key)).map(key => flagOf(settings, key))
  if (said.length > 0) err(`potiron: using the database's settings: ${printable(said.join(' '))}`)
  return settings
}

/** The flag that sets `key` to its value in `s`, as typed on a command line. */
function flagOf (s: StoredSettings, key: keyof StoredSettings): string {
  switch (key) {
    case 'format': return s.format === 'standard' ? '(standard counts)' : `--${s.format}`
    case 'combinedKeys': return s.combinedKeys ? '--combined-keys' : '--no-combined-keys'
    case 'fields': return `--fields ${s.fields.join(',')}`
    case 'selection': return s.selection === 'ipv4-only' ? '--ipv4-only' : '--no-ipv4-only'
    case 'zone': return `--tz ${s.zone}`
    case 'filter': return `--filter '${s.filter}'`
  }
}
