/**
 * Known counts for the insights tests, written with ZADD into a private redis-server: two
 * sensors, one with a day gap (2024-03-04) and a day in another year, so every sparkline,
 * new-today set, comparison row and calendar cell can be checked by hand.
 */
import type { Redis } from 'ioredis'
import { JSON_FIELDS, PARAMETERS, daysKey, fieldKey } from '../../src/store/keys.js'

/** sensor → day → field → value → packets. Each day's dport counts add up to its protocol counts. */
export type Counts = Record<string, Record<string, Record<string, Record<string, number>>>>
export const COUNTS: Counts = {
  'lab-ins-1': {
    20231231: { protocol: { 6: 7 } },
    20240301: { protocol: { 6: 100, 17: 20 }, dport: { 22: 40, 80: 30, 4444: 5, '-1': 45 } },
    20240302: { protocol: { 6: 50 }, dport: { 22: 20, 80: 25, 443: 5 } },
    // 2024-03-04: no capture at all (not in lab-ins-1_DAYS).
    20240303: { protocol: { 6: 30, 1: 5 }, dport: { 22: 10, 443: 20, 8080: 5 } },
    20240305: { protocol: { 6: 70, 17: 10 }, dport: { 22: 30, 4444: 15, 23: 15, 443: 10, '-1': 10 } }
  },
  'lab-ins-2': {
    20240305: { protocol: { 17: 12 }, dport: { 22: 3, 53: 9 } }
  }
}

export async function fill (client: Redis, counts: Counts, fields: string[]): Promise<void> {
  const m = client.multi().hset(PARAMETERS, 'format', 'standard', 'ck', 'False').rpush(JSON_FIELDS, ...fields)
  for (const [sensor, days] of Object.entries(counts)) {
    m.sadd(daysKey(sensor), ...Object.keys(days))
    for (const [day, byField] of Object.entries(days)) {
      for (const [field, values] of Object.entries(byField)) m.zadd(fieldKey(sensor, day, field), ...Object.entries(values).flatMap(([v, n]) => [n, v]))
    }
  }
  await m.exec()
}
