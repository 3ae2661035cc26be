/**
 * The enrichment databases as the commands take them (`--geoip-db`, `--asn-db`): the packaged
 * defaults unless a user's own MaxMind files are given, prepared once per run on the
 * coordinator (src/enrich/), then named in PARAMETERS.
 */
import type { Options } from 'yargs'
import { isEnrichField, type FieldName } from '../aggregate/fields.js'
import { prepareEnrichment, type EnrichSpec } from '../enrich/databases.js'
import type { Databases } from '../store/parameters.js'
import { UsageError } from '../errors.js'

/** Said in --help and docs: why an old archive wants an old database. */
const DATABASE_DATE = "a database describes the Internet of its build date, not the capture's: for old archives pass a snapshot of their time (docs/enrichment.md)"

export const enrichOptions = {
  'geoip-db': { type: 'string', requiresArg: true, description: `MaxMind GeoLite2/GeoIP2 Country or City .mmdb for scc and dcc (default: the packaged ip-location-db geo-whois-asn-country); ${DATABASE_DATE}` },
  'asn-db': { type: 'string', requiresArg: true, description: 'MaxMind GeoLite2/GeoIP2 ASN .mmdb for sasn and dasn (default: the packaged ip-location-db asn)' }
} as const satisfies Record<string, Options>

export interface EnrichArgs {
  geoipDb?: string | undefined
  asnDb?: string | undefined
}

export function enrichArgsOf (argv: { 'geoip-db'?: string | undefined, 'asn-db'?: string | undefined }): EnrichArgs {
  return { geoipDb: argv['geoip-db'], asnDb: argv['asn-db'] }
}

/** The databases for `fields`: undefined when they have no enrichment field. */
export async function enrichmentFor (fields: readonly FieldName[], args: EnrichArgs): Promise<EnrichSpec | undefined> {
  if (!fields.some(isEnrichField)) return undefined
  try {
    return await prepareEnrichment(args)
  } catch (err) {
    throw new UsageError(err instanceof Error ? err.message : String(err))
  }
}

/** What PARAMETERS says of the databases in `spec`. */
export function databasesOf (spec: EnrichSpec): Databases {
  return { asn: spec.asnInfo, country: spec.countryInfo }
}
