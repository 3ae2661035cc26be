/**
 * Every Redis key name of the original potiron's V3 "standard" layout, in one place
 * (../shared/docs/potiron-reference.md §3.3). Nothing else in potiron spells a key.
 */

/** Hash: the run configuration (format, ck, tshark_filter, ... and potiron's own settings). */
export const PARAMETERS = 'PARAMETERS'
/** List: the original's tshark-derived column names, in order. */
export const FIELDS = 'FIELDS'
/** List: the indexed field names, in order. */
export const JSON_FIELDS = 'JSON_FIELDS'
/** Set: basenames of the capture files already counted. */
export const FILES = 'FILES'
/** Set: protocol names seen (combined keys only). */
export const PROTOCOLS = 'PROTOCOLS'
/** Set: the fields the dashboard's overview shows (absent: all of them), as the original's web UI kept it. */
export const ENFIELDS = 'ENFIELDS'

/**
 * Hash, potiron's own: AS number → its name in the database that enriched the data (the labels of
 * the `sasn`/`dasn` members), filled by ingest for every AS it counts.
 */
export const ASN_NAMES = 'potiron:asn-names'

/**
 * Hash, potiron's own: capture basename → what the file was when it was counted (its size on
 * disk and fingerprints, JSON: see FileIdentity), so that the same name with other content is
 * never taken for the file counted, and when it was counted (`counted`, for `potiron status`).
 * FILES stays the original's set.
 */
export const FILES_INFO = 'potiron:files'

/**
 * Hash, potiron's own, while a capture's counts are being written in several transactions:
 * `plan` → the number of groups, and one field per group written. It goes away in the
 * transaction that adds the file to FILES.
 */
export function writtenGroupsKey (name: string): string {
  return `potiron:part:${name}`
}

/**
 * As writtenGroupsKey on a Redis Cluster, one hash per slot the file writes to: `tag` is a hash
 * tag of that slot (store/cluster.ts tagOf), so the hash lies beside the keys its groups write
 * (docs/cluster.md). It stays a while after the file is counted (SLOT_MARKER_SECONDS).
 */
export function writtenSlotKey (name: string, tag: string): string {
  return `potiron:part:{${tag}}:${name}`
}

/** As writtenGroupsKey, for the groups taken back out by `potiron remove`. */
export function removedGroupsKey (name: string): string {
  return `potiron:unpart:${name}`
}

/**
 * As removedGroupsKey on a Redis Cluster, one hash per slot, as writtenSlotKey. The one in FILES's
 * slot also says when every group is out (`undone`), and goes in the transaction that takes the
 * file out of FILES; the others go just before.
 */
export function removedSlotKey (name: string, tag: string): string {
  return `potiron:unpart:{${tag}}:${name}`
}

/**
 * Hash, potiron's own, of a batch: several captures counted together (store/batch.ts). It holds
 * `state` (`staging`, then `committed`), the files with what FILES_INFO gets for each, the
 * sensor, the days and the protocols; it goes away in the script that adds the files to FILES.
 */
export function batchKey (id: string): string {
  return `potiron:batch:${id}`
}

/** Set, potiron's own: the sorted sets a batch adds to (each staged under stagedKey). */
export function batchKeysKey (id: string): string {
  return `potiron:batch:${id}:keys`
}

/** Zset, potiron's own: a batch's counts for `key`, until they are added to it. */
export function stagedKey (id: string, key: string): string {
  return `${stagePrefix(id)}${key}`
}

/** What stagedKey puts before the key (the scripts make the names themselves). */
export function stagePrefix (id: string): string {
  return `potiron:stage:${id}:`
}

/**
 * String, potiron's own, on a Redis Cluster: who is counting a capture not yet in FILES, beside
 * FILES (`home`: a tag of FILES's slot, store/cluster.ts tagOf): a batch's id (store/
 * batch-cluster.ts), or `file` while it is written alone (write.ts writeBySlot). It goes in the
 * transaction that adds the file to FILES.
 */
export function claimSlotKey (name: string, home: string): string {
  return `potiron:claim:{${home}}:${name}`
}

/**
 * A batch's keys on a Redis Cluster (store/batch-cluster.ts), each in the slot its `tag` names:
 * `batch` its hash beside FILES (as batchKey), `keys` the sorted sets of one slot it adds to (as
 * batchKeysKey), `slot` that slot's hash of staged chunks and progress.
 */
export function batchSlotKey (id: string, tag: string, part: 'batch' | 'keys' | 'slot'): string {
  return part === 'batch' ? `potiron:batch:{${tag}}:${id}` : `potiron:batch:{${tag}}:${id}:${part}`
}

/** As stagedKey on a Redis Cluster: in `key`'s own slot (`tag`), for the scripts that add it there. */
export function stagedSlotKey (id: string, tag: string, key: string): string {
  return `potiron:stage:{${tag}}:${id}:${key}`
}

/** Set: the days (YYYYMMDD) a sensor has data for. */
export function daysKey (sensor: string): string {
  return `${sensor}_DAYS`
}

/** SCAN pattern matching every sensor's day set. */
export const DAYS_KEY_PATTERN = daysKey('*')

/** The sensor whose day set `key` is (a key DAYS_KEY_PATTERN matched). */
export function sensorOfDaysKey (key: string): string {
  return key.slice(0, key.length - daysKey('').length)
}

/** Zset: value → packet count of one field on one day. */
export function fieldKey (sensor: string, ymd: string, field: string): string {
  return `${sensor}:${ymd}:${field}`
}

/** Zset: as fieldKey, for the packets of one protocol (the original's combined keys, `-ck`). */
export function combinedKey (sensor: string, protocol: string, ymd: string, field: string): string {
  return `${sensor}:${protocol}:${ymd}:${field}`
}

/**
 * Zsets of an ISN database (`ingest --isn`), one record per TCP SYN or SYN-ACK packet, the
 * same members in both (store/modes.ts isnMember): scored by time (epoch seconds with µs) in
 * `<sensor>:<day>:isn`, by source port in `<sensor>:<day>:isn-sport`, so that an hour or a port
 * range is one ZRANGEBYSCORE (the original: one hash per packet, found with KEYS).
 */
export function isnKey (sensor: string, ymd: string, by: 'time' | 'sport'): string {
  return fieldKey(sensor, ymd, by === 'time' ? 'isn' : 'isn-sport')
}

/** Zset of a layer-2 database: ARP `request` and `reply` counts of a day (the original's key). */
export function arpCountKey (sensor: string, ymd: string): string {
  return `${sensor}_${ymd}_count`
}

/**
 * Zsets of a layer-2 database, a day's ARP pairs with their packet counts: `who-has` members
 * `<target IP> <sender IP> <sender MAC>` (requests), `is-at` members `<IP> <MAC>` (replies),
 * `hours` members `<HH> request` / `<HH> reply`.
 */
export function arpKey (sensor: string, ymd: string, what: 'who-has' | 'is-at' | 'hours'): string {
  return fieldKey(sensor, ymd, `arp-${what}`)
}

/**
 * The `<sensor>:<day>:<name>` key every day of a format has, which tells `remove`'s cleanup
 * (cleanup-script.ts, which takes them as its fields) whether a day still has data.
 */
export const FORMAT_DAY_KEYS = { isn: ['isn'], layer2: ['arp-hours'] } as const

/**
 * The tshark column names behind each indexed field: the original's FIELDS holds these, and
 * sport/dport each came from a TCP and a UDP column.
 */
export const TSHARK_COLUMNS: Readonly<Record<string, readonly string[]>> = {
  sport: ['tsport', 'usport'],
  dport: ['tdport', 'udport']
}
