/**
 * Turns the original's JSON documents (a header, then one object per packet, reference 2.1 and
 * 2.5) into the Contribution a capture's ingest would write, so `import-json` and `ingest` go
 * through the same merge and write path. Values are taken as the documents spell them: strings
 * for present values, the numeric sentinels -1/0/255 for absent ones, which print as the same
 * members ingest writes.
 */
import { FIELDS, type FieldName } from '../aggregate/fields.js'
import type { Selection } from '../aggregate/analyzer.js'
import { combinedKey, fieldKey } from '../store/keys.js'
import { emptyContribution, type Contribution } from '../store/merge.js'
import { protocolName } from '../store/protocols.js'

/** What the header object of a documents file says. */
export interface DocumentsHeader {
  sensorname: string
  /** The capture's basename: the FILES entry, shared with `ingest` of the capture itself. */
  filename: string
  /** The header's json_fields, in the order given. */
  fields: FieldName[]
}

/** Checks the header object; returns it, or the reason it cannot be imported. */
export function parseHeader (element: Record<string, unknown>): DocumentsHeader | string {
  if (element.type !== 1) return 'the first object is not a header (type 1)'
  const { sensorname, filename, format, tshark_filter: filter, json_fields: fields } = element
  if (format !== 'standard') return `format is ${JSON.stringify(format)}: only 'standard' documents can be imported`
  if (typeof sensorname !== 'string' || sensorname === '') return 'the header has no sensorname'
  if (typeof filename !== 'string' || filename === '') return 'the header has no filename'
  // Documents written through a filter (`potiron json --filter`) are not imported: the database
  // would have to record it, which import-json does not do yet; unfiltered counts cannot mix with them.
  if (filter !== '') return `tshark_filter is ${JSON.stringify(filter)}: documents written through a filter cannot be imported`
  if (!Array.isArray(fields) || fields.length === 0) return 'the header has no json_fields'
  for (const f of fields) {
    if (!(FIELDS as readonly unknown[]).includes(f)) return `json_fields: unknown field ${JSON.stringify(f)}`
  }
  if (new Set(fields).size !== fields.length) return 'json_fields names a field twice'
  return { sensorname, filename, fields: fields as FieldName[] }
}

const DATE = /^(\d{4})-(\d{2})-(\d{2})[ T]/

/** Adds up one file's packet documents per key and member, as ingest's count table would. */
export class DocumentCounter {
  readonly #sensor: string
  readonly #fields: readonly FieldName[]
  readonly #combinedKeys: boolean
  readonly #ipv4Only: boolean
  /** Group (day, or protocol name + NUL + day) → per field, member → count. */
  readonly #groups = new Map<string, Array<Map<string, number>>>()
  #lastGroup = ''
  #last: Array<Map<string, number>> = []
  documents = 0

  constructor (sensor: string, fields: readonly FieldName[], combinedKeys: boolean, selection: Selection) {
    this.#sensor = sensor
    this.#fields = fields
    this.#combinedKeys = combinedKeys
    this.#ipv4Only = selection === 'ipv4-only'
  }

  /** Counts one packet object; returns why it cannot be counted, or undefined. */
  add (doc: Record<string, unknown>): string | undefined {
    if (doc.type !== 2) return 'expected a packet object (type 2)'
    const ts = doc.timestamp
    const m = typeof ts === 'string' ? DATE.exec(ts) : null
    if (m === null) return `timestamp ${JSON.stringify(ts)} is not YYYY-MM-DD HH:MM:SS.ffffff`
    let group = m[1]! + m[2]! + m[3]!
    if (this.#combinedKeys) {
      const proto = doc.protocol
      const n = typeof proto === 'number' ? proto : typeof proto === 'string' && /^-?\d+$/.test(proto) ? Number(proto) : Number.NaN
      if (!Number.isInteger(n)) return `protocol ${JSON.stringify(proto)} is not a number`
      group = protocolName(n) + '\0' + group
    }
    let counts = this.#last
    if (group !== this.#lastGroup) {
      counts = this.#groups.get(group) ?? []
      if (counts.length === 0) {
        for (let i = 0; i < this.#fields.length; i++) counts.push(new Map())
        this.#groups.set(group, counts)
      }
      this.#lastGroup = group
      this.#last = counts
    }
    // Check every value before counting any, so a bad packet adds nothing.
    const members: string[] = []
    for (const field of this.#fields) {
      const v = doc[field]
      if (typeof v === 'string') members.push(v)
      else if (typeof v === 'number' && Number.isInteger(v)) members.push(String(v))
      else return `${field} is ${v === undefined ? 'missing' : JSON.stringify(v)}: expected a string or a whole number`
      if (this.#ipv4Only && (field === 'ipsrc' || field === 'ipdst') && members[members.length - 1]!.includes(':')) {
        return `${field} ${JSON.stringify(v)} is IPv6 but the documents are imported as --ipv4-only`
      }
    }
    for (let i = 0; i < members.length; i++) {
      const map = counts[i]!
      map.set(members[i]!, (map.get(members[i]!) ?? 0) + 1)
    }
    this.documents++
    return undefined
  }

  /** The counts in ingest's shape: keys, days and protocol names. */
  contribution (): Contribution {
    const c = emptyContribution(this.#sensor)
    for (const [group, counts] of [...this.#groups].sort((a, b) => a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0)) {
      const cut = group.indexOf('\0')
      const day = cut < 0 ? group : group.slice(cut + 1)
      const proto = cut < 0 ? undefined : group.slice(0, cut)
      if (proto !== undefined) c.protocols.add(proto)
      c.days.add(day)
      this.#fields.forEach((field, i) => {
        const key = proto === undefined ? fieldKey(this.#sensor, day, field) : combinedKey(this.#sensor, proto, day, field)
        c.zsets.set(key, counts[i]!)
      })
    }
    return c
  }
}
