/**
 * Runs after a removed file's counts went down, before it leaves FILES, a few days per call
 * (each call is atomic, and running one again changes nothing). A removed file's days
 * and protocols are taken out of `<sensor>_DAYS` and PROTOCOLS only when nothing else needs them,
 * so that removing the last file of a day or protocol restores the database exactly as it was
 * before that file, and a day or protocol another file still uses is never lost:
 * - a day stays while any `<sensor>:<day>:<field>` (combined: `<sensor>:<proto>:<day>:<field>`,
 *   proto from PROTOCOLS) key exists, or while a file still in FILES carries that day in its name
 *   (the original lists a file's name day even without data); the file being removed, still in
 *   FILES, is not one of them. With --sensor the name's sensor
 *   says nothing, so any file of that day keeps it: a stale day is harmless (it reads as empty),
 *   a missing one hides data.
 * - a protocol stays while any `*:<proto>:<YYYYMMDD>:*` key exists: this sensor's remaining days
 *   are checked first (cheap, usually decisive); only when they have none is the keyspace SCANned,
 *   which blocks Redis for a time proportional to the number of keys, once per protocol that
 *   this file was the last to use on its sensor: rare, and only on remove.
 * Key names are built in the script (not passed as KEYS): fine on a single Redis, which is the
 * original's layout; a Redis Cluster could not hold this layout's transactions anyway.
 * ARGV: sensor, combined, sensorFromName, removed file's name, #fields, fields..., #days, days..., protocols...
 */
export const CLEANUP = `
local sensor, combined, fromName, removed = ARGV[1], ARGV[2] == '1', ARGV[3] == '1', ARGV[4]
local i = 5
local fields = {}
for j = 1, tonumber(ARGV[i]) do fields[j] = ARGV[i + j] end
i = i + #fields + 1
local days = {}
for j = 1, tonumber(ARGV[i]) do days[j] = ARGV[i + j] end
i = i + #days + 1
local protocols = {}
for j = i, #ARGV do protocols[#protocols + 1] = ARGV[j] end
local all = combined and redis.call('SMEMBERS', 'PROTOCOLS') or {}
local function exists (key) return redis.call('EXISTS', key) == 1 end
local function dayHasKeys (day)
  for _, f in ipairs(fields) do
    if combined then
      for _, p in ipairs(all) do if exists(sensor .. ':' .. p .. ':' .. day .. ':' .. f) then return true end end
    elseif exists(sensor .. ':' .. day .. ':' .. f) then return true end
  end
  return false
end
-- The days named by the files in FILES (read once, when a day has no key left).
local nameDays
local function named (day)
  if nameDays == nil then
    nameDays = {}
    for _, name in ipairs(redis.call('SMEMBERS', 'FILES')) do
      local s, d = string.match(name, '^([^%-]+%-[^%-]+%-[^%-]+)%-(%d%d%d%d%d%d%d%d)%d%d%d%d%d%d[^%-]*$')
      if d ~= nil and name ~= removed and (s == sensor or not fromName) then nameDays[d] = true end
    end
  end
  return nameDays[day] == true
end
for _, day in ipairs(days) do
  if not dayHasKeys(day) and not named(day) then redis.call('SREM', sensor .. '_DAYS', day) end
end
local function protocolHasKeys (p)
  for _, day in ipairs(redis.call('SMEMBERS', sensor .. '_DAYS')) do
    for _, f in ipairs(fields) do if exists(sensor .. ':' .. p .. ':' .. day .. ':' .. f) then return true end end
  end
  local pattern = '*:' .. string.gsub(p, '([%*%?%[%]\\\\])', '\\\\%1') .. ':' .. string.rep('[0-9]', 8) .. ':*'
  local cursor = '0'
  repeat
    local reply = redis.call('SCAN', cursor, 'MATCH', pattern, 'COUNT', 1000)
    cursor = reply[1]
    if #reply[2] > 0 then return true end
  until cursor == '0'
  return false
end
for _, p in ipairs(protocols) do
  if not protocolHasKeys(p) then redis.call('SREM', 'PROTOCOLS', p) end
end
return 0
`
