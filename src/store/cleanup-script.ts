/**
 * Runs after a removed file's counts went down, before it leaves FILES, a few days per call
 * (each call is atomic, and running one again changes nothing). A removed file's days
 * and protocols are taken out of `<sensor>_DAYS` and PROTOCOLS only when nothing else needs them,
 * so that removing the last file of a day or protocol restores the database exactly as it was
 * before that file, and a day or protocol another file still uses is never lost:
 * - a day stays while any `<sensor>:<day>:<field>` (combined: `<sensor>:<proto>:<day>:<field>`,
 *   proto from PROTOCOLS) key exists, or while a file still in FILES carries that day in its name
 *   (the original lists a file's name day even without data): the caller reads FILES, under
 *   WATCH, and passes those days (namedDays), so the file-name rule is capture/filename.ts's
 *   alone. Until it has (`named` false), a day without keys is not removed but returned, which
 *   keeps FILES unread in the usual case where every day still has keys.
 * - a protocol stays while any `*:<proto>:<YYYYMMDD>:*` key exists: this sensor's remaining days
 *   are checked first (cheap, usually decisive); only when they have none is the keyspace SCANned,
 *   which blocks Redis for a time proportional to the number of keys, once per protocol that
 *   this file was the last to use on its sensor: rare, and only on remove.
 * Key names are not spelled here: cleanupArguments passes keys.ts's own, with slots for the day,
 * field and protocol that the script fills in. They are passed as ARGV, not KEYS: fine on a
 * single Redis, which is the original's layout; a Redis Cluster could not hold this layout's
 * transactions anyway.
 */
import type { Contribution } from './merge.js'
import { PROTOCOLS, combinedKey, daysKey, fieldKey } from './keys.js'
import { parseCaptureName } from '../capture/filename.js'

/** What `remove`'s cleanup needs to know of the stored settings. */
export interface Cleanup {
  /** The fields counted (JSON_FIELDS): the keys a day can have. */
  fields: readonly string[]
  combinedKeys: boolean
  /** True when the sensor came from the file name (no --sensor): see CLEANUP on name days. */
  sensorFromName: boolean
}

/**
 * Slots in the key templates. NUL cannot occur in a sensor, day, field or protocol name (they
 * come from file names, arguments and the field list, none of which can hold it).
 */
const SLOT = { protocol: '\0p', day: '\0d', field: '\0f' } as const

/** A string as a Lua literal, every byte a decimal escape: safe for any content. */
function lua (text: string): string {
  return '"' + [...Buffer.from(text)].map(b => `\\${b}`).join('') + '"'
}

/**
 * ARGV: `<sensor>_DAYS`, the field key template, the combined key template, the SCAN pattern
 * template, combined ('1'/'0'), named ('1' once namedDays were read), #fields, fields...,
 * #days, days..., #namedDays, namedDays..., protocols... Returns the days left undecided
 * (no key left, FILES not read yet), or an empty list when done.
 */
export const CLEANUP = `
local P, D, F = ${lua(SLOT.protocol)}, ${lua(SLOT.day)}, ${lua(SLOT.field)}
local daysKey, dayTemplate, combinedTemplate, scanTemplate = ARGV[1], ARGV[2], ARGV[3], ARGV[4]
local combinedKeys, named = ARGV[5] == '1', ARGV[6] == '1'
local i = 7
local fields = {}
for j = 1, tonumber(ARGV[i]) do fields[j] = ARGV[i + j] end
i = i + #fields + 1
local days = {}
for j = 1, tonumber(ARGV[i]) do days[j] = ARGV[i + j] end
i = i + #days + 1
local nameDays = {}
for j = 1, tonumber(ARGV[i]) do nameDays[ARGV[i + j]] = true end
i = i + tonumber(ARGV[i]) + 1
local protocols = {}
for j = i, #ARGV do protocols[#protocols + 1] = ARGV[j] end
-- The template with each slot replaced (plain text, no pattern: names may hold any character).
local function fill (template, slot, value)
  local from, to = string.find(template, slot, 1, true)
  if from == nil then return template end
  return string.sub(template, 1, from - 1) .. value .. string.sub(template, to + 1)
end
local function key (proto, day, field)
  if proto == nil then return fill(fill(dayTemplate, D, day), F, field) end
  return fill(fill(fill(combinedTemplate, P, proto), D, day), F, field)
end
local all = combinedKeys and redis.call('SMEMBERS', ${lua(PROTOCOLS)}) or {}
local function exists (k) return redis.call('EXISTS', k) == 1 end
local function dayHasKeys (day)
  for _, f in ipairs(fields) do
    if combinedKeys then
      for _, p in ipairs(all) do if exists(key(p, day, f)) then return true end end
    elseif exists(key(nil, day, f)) then return true end
  end
  return false
end
local undecided = {}
for _, day in ipairs(days) do
  if not dayHasKeys(day) and not nameDays[day] then
    if named then redis.call('SREM', daysKey, day) else undecided[#undecided + 1] = day end
  end
end
if #undecided > 0 then return undecided end
local function protocolHasKeys (p)
  for _, day in ipairs(redis.call('SMEMBERS', daysKey)) do
    for _, f in ipairs(fields) do if exists(key(p, day, f)) then return true end end
  end
  local pattern = fill(scanTemplate, P, (string.gsub(p, '([%*%?%[%]\\\\])', '\\\\%1')))
  local cursor = '0'
  repeat
    local reply = redis.call('SCAN', cursor, 'MATCH', pattern, 'COUNT', 1000)
    cursor = reply[1]
    if #reply[2] > 0 then return true end
  until cursor == '0'
  return false
end
for _, p in ipairs(protocols) do
  if not protocolHasKeys(p) then redis.call('SREM', ${lua(PROTOCOLS)}, p) end
end
return {}
`

/** What one cleanup call is about. */
export interface CleanupCall {
  sensor: string
  combinedKeys: boolean
  /** The fields counted (JSON_FIELDS): the keys a day can have. */
  fields: readonly string[]
  days: readonly string[]
  /** The days of `days` named by a file still in FILES (namedDays), or undefined when FILES was not read. */
  named: readonly string[] | undefined
  protocols: readonly string[]
}

/** CLEANUP's ARGV for `call`, every key name from keys.ts. */
export function cleanupArguments (call: CleanupCall): Array<string | number> {
  const { sensor, fields, days, protocols } = call
  const named = call.named ?? []
  return [
    daysKey(sensor),
    fieldKey(sensor, SLOT.day, SLOT.field),
    combinedKey(sensor, SLOT.protocol, SLOT.day, SLOT.field),
    // Any sensor's key of the protocol on any day (the pattern's own `*` and `[0-9]`: the protocol is escaped).
    combinedKey('*', SLOT.protocol, '[0-9]'.repeat(8), '*'),
    call.combinedKeys ? '1' : '0', call.named === undefined ? '0' : '1',
    fields.length, ...fields, days.length, ...days, named.length, ...named, ...protocols
  ]
}

/**
 * The days of `days` that a file in `files` other than `removed` carries in its name, by the
 * rule ingest used to add them (capture/filename.ts). With the sensor from the file names
 * (`sensorFromName`), only that sensor's files count; with --sensor the name's sensor says
 * nothing, so any file of that day keeps it: a stale day is harmless (it reads as empty), a
 * missing one hides data.
 */
export function namedDays (files: readonly string[], removed: string, c: Pick<Contribution, 'sensor'>, sensorFromName: boolean, days: readonly string[]): string[] {
  const wanted = new Set(days)
  const found = new Set<string>()
  for (const file of files) {
    if (file === removed) continue
    const name = parseCaptureName(file)
    if (name !== undefined && wanted.has(name.day) && (name.sensor === c.sensor || !sensorFromName)) found.add(name.day)
  }
  return [...found].sort()
}
