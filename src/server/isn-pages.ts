/**
 * The dashboard of an ISN database (`ingest --isn`): its overview is a day's SYN scatters (the
 * `plot isn` figures), with links to the sensor's other days and to each hour of the day. A
 * database holds one format, so on an ISN one this page replaces the field counts' overview.
 */
import type { Redis } from 'ioredis'
import { chartBlock, escapeHtml } from '../export/page.js'
import { isnFigure } from '../export/isn.js'
import { dashed } from '../export/names.js'
import { readIsn } from '../store/isn-read.js'
import { sensorDays } from '../store/read.js'
import { href, page } from './pages.js'
import { badRequest, intParam, optional, ymdOf } from './params.js'

/** `/` (or `/isn`) of an ISN database: `sensor`, `day` (YYYY-MM-DD, default the latest) and `hour` (0-23) from the query. */
export async function isnDashboard (redis: Redis, base: string, params: URLSearchParams, sensors: readonly string[], zone: string): Promise<string> {
  const given = optional(params, 'sensor')
  if (given !== undefined && !sensors.includes(given)) throw badRequest(`sensor: no data for '${given}'`)
  const sensor = given ?? sensors[0]
  if (sensor === undefined) return page({ base, title: 'No ISN records yet', body: '' })
  const days = await sensorDays(redis, sensor)
  const dayText = optional(params, 'day')
  const day = dayText === undefined ? days[days.length - 1]! : ymdOf(dayText, 'day')
  const hour = optional(params, 'hour') === undefined ? undefined : intParam(params, 'hour', 0, 0, 23)
  const read = await readIsn(redis, { sensor, day, hour }, zone)
  const when = hour === undefined ? dashed(day) : `${dashed(day)} ${String(hour).padStart(2, '0')}:00`
  const link = (text: string, to: Record<string, string | number | undefined>): string => `<a href="${escapeHtml(href(base, '/isn', { sensor, ...to }))}">${escapeHtml(text)}</a>`
  const body = `<p class="note">${read.records.length} SYN and SYN-ACK packets${read.cut ? ' (the first ones only)' : ''}. Days: ${days.map(d => link(dashed(d), { day: dashed(d) })).join(' · ')}</p>
<p class="note">Hours: ${Array.from({ length: 24 }, (_, h) => link(String(h).padStart(2, '0'), { day: dashed(day), hour: h })).join(' ')}</p>
${read.records.length === 0
    ? '<p class="empty">No TCP SYN or SYN-ACK packet in this period.</p>'
    : `<section class="card"><h2>Sequence numbers, coloured by destination port</h2>\n${chartBlock('isn-seq', isnFigure(read, 'seq', 'dport'))}</section>
<section class="card"><h2>Acknowledgement numbers, coloured by source port</h2>\n${chartBlock('isn-ack', isnFigure(read, 'ack', 'sport'))}</section>`}`
  return page({ base, title: `TCP initial sequence numbers of ${sensor}, ${when}`, sensor, body, charts: read.records.length > 0 })
}
