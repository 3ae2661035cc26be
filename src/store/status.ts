/**
 * What a database holds, for `potiron status`: the stored settings, each sensor's days, the
 * files counted and the memory Redis uses. Only reads, in bounded steps: sensors from one SCAN
 * (findSensors), files by SSCAN and HMGET in batches, never KEYS.
 */
import type { Redis } from 'ioredis'
import { FILES, FILES_INFO, JSON_FIELDS, PARAMETERS } from './keys.js'
import { settingsOf } from './parameters.js'
import { findSensors, sensorDays } from './read.js'
import { isCluster, mastersOf } from './cluster.js'
import { recordOf } from './write.js'

/** The settings PARAMETERS and JSON_FIELDS say the data was counted with. */
export interface StatusSettings {
  /** PARAMETERS format: `standard`, `isn` or `layer2`. */
  format: string
  combinedKeys: boolean
  /** JSON_FIELDS; empty when it is missing. */
  fields: string[]
  selection: string
  zone: string
  /** The pcap-filter expression the packets were counted through (PARAMETERS tshark_filter), when there is one. */
  filter?: string
  /** The enrichment databases (PARAMETERS asn_db, country_db), when the data has enrichment fields. */
  databases?: { asn: string, country: string }
}

export interface SensorSpan {
  sensor: string
  /** YYYYMMDD. */
  first: string
  last: string
  days: number
}

/** A counted file; size and time are undefined for files counted before potiron kept them (or by import-json). */
export interface CountedFile {
  name: string
  size: number | undefined
  counted: string | undefined
}

export interface DatabaseStatus {
  /** Undefined on a database nothing was ingested into (no PARAMETERS). */
  settings: StatusSettings | undefined
  sensors: SensorSpan[]
  files: number
  /** Every counted file by name, when asked for. */
  list: CountedFile[] | undefined
  /**
   * INFO memory's used_memory (bytes) and used_memory_human; on a cluster, the masters' total
   * (human written as Redis writes it) and how many they are.
   */
  memory: { bytes: number, human: string, masters?: number }
}

/** FILES members and FILES_INFO entries read per round trip. */
const BATCH = 1000

export async function readStatus (redis: Redis, { files }: { files: boolean }): Promise<DatabaseStatus> {
  const [parameters, fields, count, ...infos] = await Promise.all([
    redis.hgetall(PARAMETERS), redis.lrange(JSON_FIELDS, 0, -1), redis.scard(FILES), ...mastersOf(redis).map(async node => await node.info('memory'))
  ])
  const { asn_db: asn, country_db: country } = parameters
  const { filter, ...stored } = settingsOf(parameters)
  const settings = Object.keys(parameters).length === 0 ? undefined : { ...stored, ...(filter === '' ? {} : { filter }), fields, ...(asn === undefined || country === undefined ? {} : { databases: { asn, country } }) }
  const sensors: SensorSpan[] = []
  for (const sensor of await findSensors(redis)) {
    const days = await sensorDays(redis, sensor)
    if (days.length > 0) sensors.push({ sensor, first: days[0]!, last: days[days.length - 1]!, days: days.length })
  }
  return { settings, sensors, files: count, list: files ? await countedFiles(redis) : undefined, memory: memoryOf(infos, isCluster(redis)) }
}

/** Every name in FILES with what FILES_INFO says of it, sorted by name. */
async function countedFiles (redis: Redis): Promise<CountedFile[]> {
  const names = new Set<string>()
  let cursor = '0'
  do {
    const [next, some] = await redis.sscan(FILES, cursor, 'COUNT', BATCH)
    for (const name of some) names.add(name)
    cursor = next
  } while (cursor !== '0')
  const sorted = [...names].sort()
  const list: CountedFile[] = []
  for (let i = 0; i < sorted.length; i += BATCH) {
    const batch = sorted.slice(i, i + BATCH)
    const stored = await redis.hmget(FILES_INFO, ...batch)
    batch.forEach((name, j) => {
      const { identity, counted } = recordOf(stored[j])
      list.push({ name, size: identity?.size, counted })
    })
  }
  return list
}

/** used_memory and used_memory_human out of INFO memory's `name:value` lines; of a cluster's masters, their sum. */
function memoryOf (infos: readonly string[], cluster: boolean): { bytes: number, human: string, masters?: number } {
  const field = (info: string, name: string): string => new RegExp(`^${name}:(.*?)\\r?$`, 'm').exec(info)?.[1] ?? ''
  if (!cluster) return { bytes: Number(field(infos[0]!, 'used_memory')), human: field(infos[0]!, 'used_memory_human') }
  const bytes = infos.reduce((sum, info) => sum + Number(field(info, 'used_memory')), 0)
  return { bytes, human: humanBytes(bytes), masters: infos.length }
}

/** Bytes as Redis writes used_memory_human (its bytesToHuman): `980B`, `1.57M`, `2.00G`. */
function humanBytes (bytes: number): string {
  const units = ['B', 'K', 'M', 'G', 'T', 'P']
  let unit = 0
  while (unit < units.length - 1 && bytes >= 1024 ** (unit + 1)) unit++
  return unit === 0 ? `${bytes}B` : `${(bytes / 1024 ** unit).toFixed(2)}${units[unit]!}`
}
