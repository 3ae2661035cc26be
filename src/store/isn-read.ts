/**
 * Reads an ISN database's records back (layout: keys.ts isnKey): a day, an hour of it, a source
 * port range, or both, each one ZRANGEBYSCORE on the key that answers it, never a key scan.
 */
import type { Redis } from 'ioredis'
import { DayClock, daysFromCivil } from '../aggregate/days.js'
import { FILES, isnKey } from './keys.js'
import { parseIsnMember, type IsnRecord } from './modes.js'
import { exec } from './replies.js'

/** Records per ZRANGEBYSCORE round trip. */
const PAGE = 50_000
/** Records read at most by default: a million points is what a WebGL scatter still draws smoothly. */
export const ISN_READ_LIMIT = 1_000_000

export interface IsnQuery {
  sensor: string
  /** YYYYMMDD. */
  day: string
  /** 0-23, in the database's zone: that hour of the day only. */
  hour?: number | undefined
  /** Inclusive source port range. */
  sports?: readonly [number, number] | undefined
  /** Records read at most (ISN_READ_LIMIT). */
  limit?: number | undefined
}

export interface IsnRead {
  /** In time order, or in source port order when only a port range was asked. */
  records: IsnRecord[]
  /** More records matched than the limit: `records` are the first of them (in the order of the key read). */
  cut: boolean
  /** Records left out because their file is not in FILES (an ingest stopped midway: the next run finishes it). */
  uncounted: number
}

/** The epoch seconds [from, to) of `day`'s hour `hour` (or the whole day) in `zone`. */
export function timeRange (day: string, zone: string, hour?: number): [number, number] {
  const utc = daysFromCivil(Number(day.slice(0, 4)), Number(day.slice(4, 6)), Number(day.slice(6, 8))) * 86400
  // The local midnight: the zone's offset there (a day that starts in a DST change is off by that hour).
  const start = utc - new DayClock(zone).offsetAt(utc)
  return hour === undefined ? [start, start + 86400] : [start + hour * 3600, start + (hour + 1) * 3600]
}

/**
 * Reads the records of `q` from whichever of the time and port keys holds fewer of them (both
 * counted first with ZCOUNT), up to the limit, and keeps those of counted files only.
 */
export async function readIsn (redis: Redis, q: IsnQuery, zone: string): Promise<IsnRead> {
  const time = q.hour === undefined ? undefined : timeRange(q.day, zone, q.hour)
  const byTime = isnKey(q.sensor, q.day, 'time')
  const byPort = isnKey(q.sensor, q.day, 'sport')
  const timeArgs: [string, string] = time === undefined ? ['-inf', '+inf'] : [String(time[0]), `(${time[1]}`]
  const portArgs: [string, string] = q.sports === undefined ? ['-inf', '+inf'] : [String(q.sports[0]), String(q.sports[1])]
  const [inTime, inPorts] = await exec(redis.pipeline().zcount(byTime, ...timeArgs).zcount(byPort, ...portArgs)) as [number, number]
  const usePorts = q.sports !== undefined && inPorts < inTime
  const [key, [min, max], matched] = usePorts ? [byPort, portArgs, inPorts] : [byTime, timeArgs, inTime]
  const limit = q.limit ?? ISN_READ_LIMIT
  const members: string[] = []
  for (let offset = 0; offset < Math.min(matched, limit); offset += PAGE) {
    members.push(...await redis.zrangebyscore(key, min, max, 'LIMIT', offset, Math.min(PAGE, limit - offset)))
  }
  let records = members.map(parseIsnMember).filter(r => r !== undefined)
  if (usePorts && time !== undefined) records = records.filter(r => Number(r.time) >= time[0] && Number(r.time) < time[1])
  if (!usePorts && q.sports !== undefined) records = records.filter(r => r.sport >= q.sports![0] && r.sport <= q.sports![1])
  const files = [...new Set(records.map(r => r.file))]
  const pipeline = redis.pipeline()
  for (const file of files) pipeline.sismember(FILES, file)
  const replies = files.length === 0 ? [] : await exec(pipeline)
  const counted = new Set(files.filter((_, i) => replies[i] === 1))
  const kept = records.filter(r => counted.has(r.file))
  return { records: kept, cut: matched > limit, uncounted: records.length - kept.length }
}
