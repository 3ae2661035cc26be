/** Reads a layer-2 database's day back (layout: keys.ts arpCountKey, arpKey): whole keys, a day's ARP being small. */
import type { Redis } from 'ioredis'
import { arpCountKey, arpKey } from './keys.js'
import { exec } from './replies.js'

export interface ArpDayRead {
  request: number
  reply: number
  /** [target IP, sender IP, sender MAC, requests], by descending count. */
  whoHas: Array<[string, string, string, number]>
  /** [IP, MAC, replies], by descending count. */
  isAt: Array<[string, string, number]>
  /** Per hour 0-23: [requests, replies]. */
  hours: Array<[number, number]>
}

function pairs (flat: string[]): Array<[string, number]> {
  const out: Array<[string, number]> = []
  for (let i = 0; i < flat.length; i += 2) out.push([flat[i]!, Number(flat[i + 1])])
  return out
}

/** The day's ARP of `sensor` (YYYYMMDD `day`), in one round trip. */
export async function readArpDay (redis: Redis, sensor: string, day: string): Promise<ArpDayRead> {
  const [counts, whoHas, isAt, hours] = await exec(redis.pipeline()
    .zrange(arpCountKey(sensor, day), 0, -1, 'WITHSCORES')
    .zrevrange(arpKey(sensor, day, 'who-has'), 0, -1, 'WITHSCORES')
    .zrevrange(arpKey(sensor, day, 'is-at'), 0, -1, 'WITHSCORES')
    .zrange(arpKey(sensor, day, 'hours'), 0, -1, 'WITHSCORES')) as string[][]
  const count = new Map(pairs(counts!))
  const byHour: Array<[number, number]> = Array.from({ length: 24 }, () => [0, 0])
  for (const [member, n] of pairs(hours!)) {
    const [hh, kind] = member.split(' ')
    byHour[Number(hh)]![kind === 'request' ? 0 : 1] = n
  }
  return {
    request: count.get('request') ?? 0,
    reply: count.get('reply') ?? 0,
    whoHas: pairs(whoHas!).map(([m, n]) => { const [target, ip, mac] = m.split(' '); return [target!, ip!, mac!, n] }),
    isAt: pairs(isAt!).map(([m, n]) => { const [ip, mac] = m.split(' '); return [ip!, mac!, n] }),
    hours: byHour
  }
}
