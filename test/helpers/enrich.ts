/**
 * Known counts of the four enrichment fields (issue 17), written with ZADD into a private
 * redis-server as ingest would write them: one sensor over two days of January 2024, countries
 * and ASes with the words (`private`, `link-local`, `unknown`), and the AS names' hash.
 */
import type { Redis } from 'ioredis'
import { ASN_NAMES } from '../../src/store/keys.js'
import { fill, type Counts } from './insights.js'

export const ENRICH_SENSOR = 'lab-enr-1'
export const ENRICH_FIELDS = ['protocol', 'sasn', 'dasn', 'scc', 'dcc']
export const ENRICH_COUNTS: Counts = {
  [ENRICH_SENSOR]: {
    20240105: {
      protocol: { 6: 100, 17: 20 },
      sasn: { 13335: 50, 3215: 30, 64512: 5, private: 25, unknown: 10 },
      dasn: { private: 120 },
      scc: { US: 50, FR: 30, SG: 5, private: 25, 'link-local': 4, unknown: 6 },
      dcc: { private: 120 }
    },
    20240106: {
      protocol: { 6: 40 },
      sasn: { 13335: 10, 16509: 30 },
      dasn: { private: 40 },
      scc: { US: 10, DE: 30 },
      dcc: { private: 40 }
    }
  }
}

/** AS number → name, as ingest fills it (64512, a private-use AS, has none). */
export const AS_NAMES: Readonly<Record<string, string>> = {
  13335: 'Cloudflare, Inc.',
  3215: 'Orange S.A.',
  16509: 'Amazon.com, Inc.'
}

export async function fillEnriched (client: Redis): Promise<void> {
  await fill(client, ENRICH_COUNTS, ENRICH_FIELDS)
  await client.hset(ASN_NAMES, AS_NAMES)
}
