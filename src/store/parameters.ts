/**
 * The run configuration stored with the data (PARAMETERS, FIELDS, JSON_FIELDS), as the
 * original's potiron_parameters.py kept it: the first run writes it, later runs must agree,
 * because counts made with other settings cannot be added up meaningfully.
 */
import type { Redis } from 'ioredis'
import type { Selection } from '../aggregate/analyzer.js'
import { FIELDS as FIELD_NAMES, PACKET_FIELDS, type FieldName } from '../aggregate/fields.js'
import { DEFAULTS } from '../config/defaults.js'
import { ParameterConflictError } from '../errors.js'
import { FIELDS, JSON_FIELDS, PARAMETERS, TSHARK_COLUMNS } from './keys.js'
import { isCluster } from './cluster.js'
import { exec } from './replies.js'
import type { DatabaseInfo } from '../enrich/databases.js'
import { FORMATS, type Format } from '../aggregate/modes.js'
import { compileFilter, FilterError } from '../filter/filter.js'

export interface RunParameters {
  /** PARAMETERS `format`: the standard counts, or ISN records, or ARP pairs (aggregate/modes.ts); 'standard' when left out. */
  format?: Format | undefined
  combinedKeys: boolean
  fields: readonly FieldName[]
  selection: string
  /** IANA zone of the days, 'UTC' by default. */
  zone: string
  /** The pcap-filter expression packets were counted through (`--filter`), '' or undefined for none: PARAMETERS `tshark_filter`. */
  filter?: string | undefined
  /** The databases of the enrichment fields, when `fields` has some. */
  databases?: Databases | undefined
  /**
   * Databases other than the stored ones are taken (`ingest --force`): each is added to the
   * stored list (`A + B`) rather than refused. Only files not counted yet are counted with it.
   */
  addDatabases?: boolean | undefined
}

/** The databases enrichment fields are worked out with: what PARAMETERS' `asn_db` and `country_db` name. */
export interface Databases {
  asn: DatabaseInfo
  country: DatabaseInfo
}

/** The PARAMETERS fields naming the databases, each `<name> <build date>`, or several joined by DATABASES_JOIN. */
const DATABASE_KEYS = ['asn_db', 'country_db'] as const
const DATABASES_JOIN = ' + '

/** `ip-location-db/asn 2026-06-17`: a database as PARAMETERS names it. */
function databaseText (d: DatabaseInfo): string {
  return `${d.name} ${d.built}`
}

/**
 * `ck`, whether counts are split per protocol (RunParameters.combinedKeys, `--combined-keys`), in
 * the original's Python spelling. Read and written here only.
 */
const CK = { on: 'True', off: 'False' } as const

/**
 * PARAMETERS as written. `format`, `ck` and `tshark_filter` mean the same as in the original
 * (`tshark_filter` holds the user's filter, '' for none: a pcap-filter expression here, where
 * the original's was a tshark display filter); `selection` and `tz` are potiron's own: they
 * change which packets and days are counted, so they must match too.
 */
export function parameterHash (p: RunParameters): Record<string, string> {
  const hash: Record<string, string> = { format: p.format ?? 'standard', ck: p.combinedKeys ? CK.on : CK.off, tshark_filter: p.filter ?? '', selection: p.selection, tz: p.zone }
  if (p.databases !== undefined) {
    hash.asn_db = databaseText(p.databases.asn)
    hash.country_db = databaseText(p.databases.country)
  }
  return hash
}

/**
 * The databases of `p` that are not the ones the stored data was last enriched with, as
 * `asn_db is 'A' in Redis but 'B' here`; none on a database without enrichment fields.
 */
export async function otherDatabases (redis: Redis, p: RunParameters): Promise<string[]> {
  if (p.databases === undefined) return []
  const stored = await storedDatabases(redis)
  const wanted = parameterHash(p)
  const lines: string[] = []
  for (const key of DATABASE_KEYS) {
    const have = stored[key]?.split(DATABASES_JOIN).at(-1)
    if (have !== undefined && have !== wanted[key]) lines.push(`${key} is '${have}' in Redis but '${wanted[key]!}' here`)
  }
  return lines
}

/**
 * How the stored databases differ from `databases` (`asn_db is 'A + B' in Redis but 'B' here`):
 * taking counts back out needs exactly the databases that made them, a forced mix of two none.
 */
export async function sameDatabases (redis: Redis, databases: Databases): Promise<string[]> {
  const stored = await storedDatabases(redis)
  const wanted = { asn_db: databaseText(databases.asn), country_db: databaseText(databases.country) }
  return DATABASE_KEYS.filter(key => stored[key] !== wanted[key]).map(key => `${key} is '${stored[key] ?? '(none)'}' in Redis but '${wanted[key]}' here`)
}

/**
 * The databases PARAMETERS says enriched the data, `asn_db` and `country_db` as stored: several
 * joined by ` + ` when an ingest was forced onto another one. Empty when the data has no
 * enrichment fields.
 */
export async function storedDatabases (redis: Redis): Promise<Partial<Record<typeof DATABASE_KEYS[number], string>>> {
  const [asn, country] = await redis.hmget(PARAMETERS, ...DATABASE_KEYS)
  return { ...(asn === null ? {} : { asn_db: asn }), ...(country === null ? {} : { country_db: country }) }
}

/** The original's FIELDS: `timestamp`, then the tshark column(s) behind each indexed field. */
export function tsharkFields (fields: readonly FieldName[]): string[] {
  const columns = ['timestamp']
  for (const f of fields) columns.push(...(TSHARK_COLUMNS[f] ?? [f]))
  return columns
}

/** The original's data has no `selection`/`tz`: it counted IPv4 only, in UTC for this corpus. */
const IMPLIED: Readonly<Record<string, string>> & { selection: string, tz: string } = { selection: 'ipv4-only', tz: 'UTC', format: 'standard' }

/**
 * The fields an ISN or layer-2 database names in FIELDS and JSON_FIELDS: the packet values of
 * its records that are potiron fields (the ports and TCP numbers; ARP's sender and target IP
 * addresses, which the original's layer-2 documents call ipsrc and ipdst).
 */
export const FORMAT_FIELDS: Readonly<Record<Exclude<Format, 'standard'>, readonly FieldName[]>> = { isn: ['sport', 'dport', 'tcpseq', 'tcpack'], layer2: ['ipsrc', 'ipdst'] }

/** The settings a stored PARAMETERS hash says, with the original's missing ones implied. */
export function settingsOf (stored: Record<string, string>): { format: string, combinedKeys: boolean, selection: string, zone: string, filter: string } {
  return { format: stored.format ?? 'standard', combinedKeys: stored.ck === CK.on, selection: stored.selection ?? IMPLIED.selection, zone: stored.tz ?? IMPLIED.tz, filter: stored.tshark_filter ?? '' }
}

/** Whether the stored data splits counts per protocol: `ck` alone (one HGET, for readers). */
export async function storedCombined (redis: Redis): Promise<boolean> {
  return await redis.hget(PARAMETERS, 'ck') === CK.on
}

/** The stored settings a file was counted with. */
export interface StoredSettings {
  format: Format
  combinedKeys: boolean
  fields: readonly FieldName[]
  selection: Selection
  zone: string
  /** The pcap-filter expression packets were counted through, '' for none (PARAMETERS `tshark_filter`). */
  filter: string
}

/**
 * Reads PARAMETERS and JSON_FIELDS (to count a file again as it was counted: `potiron remove`);
 * undefined on a database nothing was ingested into. Throws ParameterConflictError when they
 * cannot say how the data was counted.
 */
export async function storedSettings (redis: Redis): Promise<StoredSettings | undefined> {
  const stored = await readSettings(redis)
  if (stored === undefined) return undefined
  if (stored.fields === undefined) throw new ParameterConflictError(`${JSON_FIELDS} is missing: which fields were counted is unknown, so nothing can be taken back`)
  return { ...stored, fields: stored.fields }
}

/**
 * What PARAMETERS and JSON_FIELDS say, `fields` undefined when JSON_FIELDS is missing; undefined
 * on a database nothing was ingested into. Throws ParameterConflictError for values potiron
 * cannot count with.
 */
async function readSettings (redis: Redis): Promise<(Omit<StoredSettings, 'fields'> & { fields: readonly FieldName[] | undefined }) | undefined> {
  const [stored, json] = await Promise.all([redis.hgetall(PARAMETERS), redis.lrange(JSON_FIELDS, 0, -1)])
  if (Object.keys(stored).length === 0 && json.length === 0) return undefined
  const unknown = json.filter(f => !(FIELD_NAMES as readonly string[]).includes(f))
  if (unknown.length > 0) throw new ParameterConflictError(`${JSON_FIELDS} holds fields potiron does not know: ${unknown.join(',')}`)
  const { format, combinedKeys, selection, zone, filter } = settingsOf(stored)
  if (!(FORMATS as readonly string[]).includes(format)) throw new ParameterConflictError(`${PARAMETERS} format '${format}' is not one potiron knows`)
  if (selection !== 'default' && selection !== 'ipv4-only') throw new ParameterConflictError(`${PARAMETERS} selection '${selection}' is not one potiron knows`)
  if (filter !== '') {
    // The original stored tshark display filters there: counting more files needs the same filter, as potiron reads it.
    try {
      compileFilter(filter)
    } catch (err) {
      if (!(err instanceof FilterError)) throw err
      throw new ParameterConflictError(`${PARAMETERS} tshark_filter '${filter}' is not a filter potiron can apply (${err.message})`)
    }
  }
  return { format: format as Format, combinedKeys, fields: json.length > 0 ? json as FieldName[] : undefined, selection, zone, filter }
}

/** The settings of a run on an empty database when none is given (README, ingest's --help). */
export const DEFAULT_SETTINGS: StoredSettings = { format: 'standard', combinedKeys: false, fields: PACKET_FIELDS, selection: 'default', zone: DEFAULTS.zone, filter: '' }

/**
 * The settings of a run that adds counts (ingest, import-json): each one as given, else as
 * stored, else its default (DEFAULT_SETTINGS). A database's settings are the only ones its counts
 * add up with, so leaving a flag out means "as before", not "the default". A given one that
 * contradicts the stored one is refused (ParameterConflictError naming both values) before the
 * run says anything else. `fromDatabase` lists the settings taken from the database that differ
 * from the defaults, so the run can say it counts with them.
 */
export async function resolveSettings (redis: Redis, given: Partial<StoredSettings>): Promise<{ settings: StoredSettings, fromDatabase: Array<keyof StoredSettings> }> {
  const stored = await readSettings(redis)
  const fromDatabase: Array<keyof StoredSettings> = []
  const pick = <K extends keyof StoredSettings>(key: K): StoredSettings[K] => {
    // stored's type lets `fields` be undefined, which the ?? chain already covers.
    const value = (given[key] ?? stored?.[key] ?? DEFAULT_SETTINGS[key]) as StoredSettings[K]
    if (given[key] === undefined && String(value) !== String(DEFAULT_SETTINGS[key])) fromDatabase.push(key)
    return value
  }
  const format = pick('format')
  const combinedKeys = pick('combinedKeys')
  // An ISN or layer-2 database's fields are its format's: a given --fields differs (refused below).
  const fields = format === 'standard' || given.fields !== undefined ? pick('fields') : FORMAT_FIELDS[format]
  const settings = { format, combinedKeys, fields, selection: pick('selection'), zone: pick('zone'), filter: pick('filter') }
  if (stored !== undefined) {
    // Without JSON_FIELDS (import-json takes them from the first header), no fields to contradict.
    const fields = stored.fields ?? settings.fields
    const conflict = conflictWith(parameterHash(settings), settings.fields, tsharkFields(settings.fields), parameterHash({ ...stored, fields }), tsharkFields(fields), [...fields])
    if (conflict !== undefined) throw conflict
  }
  return { settings, fromDatabase }
}

/**
 * Writes the parameters on a fresh database, or checks them against the stored ones and throws
 * ParameterConflictError naming every difference. Settings missing in Redis are added, in the
 * same transaction that proves the reads were one state.
 */
export async function ensureParameters (redis: Redis, p: RunParameters): Promise<void> {
  const wanted = parameterHash(p)
  const fields = tsharkFields(p.fields)
  if (isCluster(redis)) { await ensureOnCluster(redis, p, wanted, fields); return }
  for (;;) {
    // WATCHed: two runs starting at once on a fresh database must not both write (RPUSH would
    // list the fields twice), and the three reads below must be one state, not one key read
    // before another run's first write and the next after it.
    await redis.watch(PARAMETERS, FIELDS, JSON_FIELDS)
    const [stored, storedFields, storedJson] = await Promise.all([
      redis.hgetall(PARAMETERS), redis.lrange(FIELDS, 0, -1), redis.lrange(JSON_FIELDS, 0, -1)
    ])
    const fresh = Object.keys(stored).length === 0 && storedFields.length === 0 && storedJson.length === 0
    const added = p.addDatabases === true ? addedDatabases(wanted, stored) : {}
    const conflict = fresh ? undefined : conflictWith(without(wanted, added), p.fields, fields, stored, storedFields, storedJson)
    const missing = Object.fromEntries(Object.entries(wanted).filter(([name]) => stored[name] === undefined))
    const transaction = redis.multi()
    if (fresh) transaction.hset(PARAMETERS, wanted).rpush(FIELDS, ...fields).rpush(JSON_FIELDS, ...p.fields)
    else if (conflict === undefined && Object.keys({ ...missing, ...added }).length > 0) transaction.hset(PARAMETERS, { ...missing, ...added })
    // null: a watched key changed since WATCH (on a fresh database, the other run wrote first),
    // so the reads may straddle its write: read again before concluding anything.
    const replies = await transaction.exec()
    if (replies === null) continue
    const failed = replies.find(([err]) => err !== null)
    if (failed !== undefined) throw new Error(`cannot write ${PARAMETERS}: ${failed[0]?.message ?? 'transaction aborted'}`)
    if (conflict !== undefined) throw conflict
    return
  }
}

/**
 * LISTs set only when absent, in one step: two runs on a fresh cluster must not both RPUSH.
 * One key a call, so it runs on a cluster, where PARAMETERS, FIELDS and JSON_FIELDS lie in
 * three slots and cannot be WATCHed together.
 */
const LIST_IF_ABSENT = `if redis.call('EXISTS', KEYS[1]) == 0 then redis.call('RPUSH', KEYS[1], unpack(ARGV)) end
return redis.call('LRANGE', KEYS[1], 0, -1)`

/**
 * ensureParameters on a Redis Cluster: PARAMETERS is written first, field by field with HSETNX
 * (a value another run wrote first stays, and is then the one compared), then each list only
 * if absent (LIST_IF_ABSENT); what is stored afterwards is compared with what this run wants.
 */
async function ensureOnCluster (redis: Redis, p: RunParameters, wanted: Record<string, string>, fields: readonly string[]): Promise<void> {
  const before = await redis.hgetall(PARAMETERS)
  const added = p.addDatabases === true ? addedDatabases(wanted, before) : {}
  const fresh = Object.keys(before).length === 0
  // A conflict found before anything is written leaves the stored settings as they are.
  if (!fresh) await checkParameters(redis, p)
  const setting = fresh ? wanted : Object.fromEntries(Object.entries(wanted).filter(([name]) => before[name] === undefined))
  const pipeline = redis.pipeline()
  for (const [name, value] of Object.entries(setting)) pipeline.hsetnx(PARAMETERS, name, value)
  await exec(pipeline)
  if (Object.keys(added).length > 0) await redis.hset(PARAMETERS, added)
  const [stored, storedFields, storedJson] = await Promise.all([
    redis.hgetall(PARAMETERS),
    redis.eval(LIST_IF_ABSENT, 1, FIELDS, ...fields) as Promise<string[]>,
    redis.eval(LIST_IF_ABSENT, 1, JSON_FIELDS, ...p.fields) as Promise<string[]>
  ])
  const conflict = conflictWith(without(wanted, added), p.fields, fields, stored, storedFields, storedJson)
  if (conflict !== undefined) throw conflict
}

/**
 * Throws ParameterConflictError when the stored settings differ from `p`; writes nothing, so a
 * run can refuse before it parses anything and still leave an empty database empty. The reads
 * are not one state: ensureParameters checks again when the run first writes.
 */
export async function checkParameters (redis: Redis, p: RunParameters): Promise<void> {
  const [stored, storedFields, storedJson] = await Promise.all([
    redis.hgetall(PARAMETERS), redis.lrange(FIELDS, 0, -1), redis.lrange(JSON_FIELDS, 0, -1)
  ])
  if (Object.keys(stored).length === 0 && storedFields.length === 0 && storedJson.length === 0) return
  const wanted = parameterHash(p)
  const conflict = conflictWith(p.addDatabases === true ? without(wanted, addedDatabases(wanted, stored)) : wanted, p.fields, tsharkFields(p.fields), stored, storedFields, storedJson)
  if (conflict !== undefined) throw conflict
}

/**
 * The database fields of `wanted` whose database is not the last one stored, as the stored list
 * with it added: what a forced ingest onto other databases writes (RunParameters.addDatabases).
 */
function addedDatabases (wanted: Record<string, string>, stored: Record<string, string>): Record<string, string> {
  const added: Record<string, string> = {}
  for (const key of DATABASE_KEYS) {
    const now = wanted[key]
    const have = stored[key]
    if (now !== undefined && have !== undefined && have.split(DATABASES_JOIN).at(-1) !== now) added[key] = have + DATABASES_JOIN + now
  }
  return added
}

function without (hash: Record<string, string>, keys: Record<string, string>): Record<string, string> {
  return Object.fromEntries(Object.entries(hash).filter(([key]) => !(key in keys)))
}

/** A ParameterConflictError naming every difference between the wanted and stored settings, if any. */
function conflictWith (wanted: Record<string, string>, json: readonly string[], fields: readonly string[], stored: Record<string, string>, storedFields: string[], storedJson: string[]): ParameterConflictError | undefined {
  const differences: string[] = []
  for (const [name, value] of Object.entries(wanted)) {
    // A database list (`A + B`) is the data of a forced ingest: the last one is the one in use.
    const have = (DATABASE_KEYS as readonly string[]).includes(name) ? stored[name]?.split(DATABASES_JOIN).at(-1) : stored[name] ?? IMPLIED[name]
    if (have !== undefined && have !== value) differences.push(`${name} is '${have}' in Redis but '${value}' here${hint(name)}`)
  }
  if (storedJson.join(',') !== json.join(',')) differences.push(`fields are ${storedJson.join(',') || '(none)'} in Redis but ${json.join(',')} here (--fields)`)
  else if (storedFields.join(',') !== fields.join(',')) differences.push(`${FIELDS} is ${storedFields.join(',') || '(none)'} in Redis but ${fields.join(',')} here`)
  if (differences.length === 0) return undefined
  return new ParameterConflictError(`this database holds data counted with other settings: ${differences.join('; ')}. Leave the option out to use the stored setting, or use another database`)
}

function hint (name: string): string {
  switch (name) {
    case 'format': return ' (--isn, --layer2: one format per database)'
    case 'ck': return ' (--combined-keys)'
    case 'selection': return ' (--ipv4-only)'
    case 'tz': return ' (--tz)'
    case 'tshark_filter': return ' (--filter)'
    case 'asn_db': return ' (--asn-db; ingest --force counts new files with it)'
    case 'country_db': return ' (--geoip-db; ingest --force counts new files with it)'
    default: return ''
  }
}
