/** Known counts for the long-timeline tests (range.test.ts, range-browser.test.ts), written with fill (helpers/insights.ts). */
import type { Counts } from './insights.js'

export const RANGE_SENSOR = 'lab-range-1'
/** Three years of one sensor: a few days with data, some without port 23, a Sunday ending a year. */
export const RANGE_COUNTS: Counts = {
  [RANGE_SENSOR]: {
    20220103: { protocol: { 6: 5 }, dport: { 22: 5 } },
    20230101: { protocol: { 6: 4 }, dport: { 22: 3, 23: 1 } },
    20231231: { protocol: { 6: 2 }, dport: { 80: 2 } },
    20240301: { protocol: { 6: 70 }, dport: { 22: 40, 80: 30 } },
    20240302: { protocol: { 6: 20 }, dport: { 22: 20 } },
    20240303: { protocol: { 6: 30 }, dport: { 22: 10, 443: 20 } },
    20240305: { protocol: { 6: 45 }, dport: { 22: 30, 23: 15 } },
    20241231: { protocol: { 6: 1 }, dport: { 22: 1 } }
  }
}
