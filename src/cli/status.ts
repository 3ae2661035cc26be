/**
 * `potiron status`: what the Redis potiron talks to holds, so nobody has to guess: which Redis,
 * the settings stored with the data, each sensor's days, the files counted, the memory used.
 * Only reads: potiron's own redis-server is used when it runs, never started.
 */
import type { Options } from 'yargs'
import { dashed } from '../export/names.js'
import { readStatus, type DatabaseStatus, type SensorSpan } from '../store/status.js'
import { EXIT, command, type ExitStatus, type Io } from './command.js'
import { redisOptions, redisText, targetOf, withRedis, type CommandTarget, type RedisName } from './common.js'
import { printable } from './printable.js'
import { plural } from '../plural.js'

const statusOptions = {
  ...redisOptions('when it runs'),
  files: { type: 'boolean', default: false, description: 'Also list every counted file, with its size and when it was counted' },
  json: { type: 'boolean', default: false, description: 'Print it all as one JSON object' }
} as const satisfies Record<string, Options>

export const statusCommand = command({
  usage: 'status',
  description: 'Show the Redis used, the settings stored with the data, each sensor\'s days, the files counted and the memory used',
  positionals: {},
  options: statusOptions,
  examples: [
    ['$0 status', 'Which Redis, and what it holds'],
    ['$0 status --files --json', 'The same as JSON, with every file counted']
  ],
  check: argv => ({ target: targetOf(argv), files: argv.files, json: argv.json }),
  run: async (options, io) => await status(options, io)
})

export interface StatusArgs {
  target: CommandTarget
  files: boolean
  json: boolean
}

export async function status (args: StatusArgs, io: Io): Promise<ExitStatus> {
  return await withRedis(args.target, io.err, { start: false }, async (redis, redisUsed) => {
    const found = await readStatus(redis, { files: args.files })
    io.out(args.json ? JSON.stringify(statusJson(redisUsed, found)) : formatStatus(redisUsed, found))
    return EXIT.ok
  })
}

/** `1 day, 2010-07-04` or `3 days, 2010-07-04 to 2010-07-06`. */
export function daySpan (days: number, first: string, last: string): string {
  return days === 1 ? `1 day, ${dashed(first)}` : `${days} days, ${dashed(first)} to ${dashed(last)}`
}

export function formatStatus (redisUsed: RedisName, s: DatabaseStatus): string {
  const lines = [`redis: ${redisText(redisUsed)}`]
  if (s.settings === undefined) lines.push('settings: none (nothing ingested yet)')
  else {
    const { format, combinedKeys, selection, zone, filter, fields, databases } = s.settings
    lines.push(`settings: ${format === 'standard' ? '' : `format ${printable(format)}, `}combined keys ${combinedKeys ? 'on' : 'off'}, selection ${printable(selection)}, tz ${printable(zone)}${filter === undefined ? '' : `, filter '${printable(filter)}'`}`)
    lines.push(`fields: ${fields.length > 0 ? printable(fields.join(',')) : 'none stored (no JSON_FIELDS)'}`)
    if (databases !== undefined) lines.push(`databases: AS ${printable(databases.asn)}, country ${printable(databases.country)}`)
  }
  lines.push(`sensors: ${s.sensors.length > 0 ? s.sensors.length : 'none'}`)
  for (const sensor of s.sensors) lines.push(`  ${printable(sensor.sensor)}: ${daySpan(sensor.days, sensor.first, sensor.last)}`)
  lines.push(`files counted: ${s.files}`)
  for (const f of s.list ?? []) lines.push(`  ${printable(f.name)}: ${f.size === undefined ? 'size unknown' : `${f.size} bytes`}, counted ${f.counted ?? 'unknown'}`)
  lines.push(`memory used: ${s.memory.human}${s.memory.masters === undefined ? '' : ` (${plural(s.memory.masters, 'master')} together)`}`)
  return lines.join('\n')
}

function statusJson (redisUsed: RedisName, s: DatabaseStatus): unknown {
  const day = (sensor: SensorSpan): unknown => ({ sensor: sensor.sensor, first: dashed(sensor.first), last: dashed(sensor.last), days: sensor.days })
  const list = s.list?.map(f => ({ name: f.name, size: f.size ?? null, counted: f.counted ?? null }))
  return {
    redis: redisUsed,
    settings: s.settings ?? null,
    sensors: s.sensors.map(day),
    files: list === undefined ? { count: s.files } : { count: s.files, list },
    memory: s.memory
  }
}
