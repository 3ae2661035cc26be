/**
 * The dashboard of a layer-2 database (`ingest --layer2`): its overview is a day's ARP as
 * `export arp` draws it (requests and replies per hour, the IP-MAC pairs with their spoofing
 * flags, a warning per flagged IP or MAC), with the header's day picker and links to the
 * sensor's other days. A database holds one format, so on a layer-2 one this page replaces the
 * field counts' overview.
 */
import type { Redis } from 'ioredis'
import { arpHoursFigure, arpPairs, arpWarnings, type ArpPair } from '../export/arp.js'
import { chartBlock, escapeHtml } from '../export/page.js'
import { dashed } from '../export/names.js'
import { readArpDay } from '../store/arp-read.js'
import { sensorDays } from '../store/read.js'
import { href, page } from './pages.js'
import { HttpError, badRequest, optional, ymdOf } from './params.js'

/** `/` (or `/arp`) of a layer-2 database: `sensor` (already checked) and `day` (YYYY-MM-DD, default the latest, a day with data) from the query. */
export async function arpDashboard (redis: Redis, base: string, params: URLSearchParams, sensor: string, sensors: readonly string[]): Promise<string> {
  const dayText = optional(params, 'day')
  const givenYmd = dayText === undefined ? undefined : ymdOf(dayText, 'day')
  const days = await sensorDays(redis, sensor)
  if (days.length === 0) throw new HttpError(404, `sensor '${sensor}' has no days any more`)
  const day = givenYmd ?? days[days.length - 1]!
  // As the standard overview: its picker offers only these days, and a URL with another is answered so.
  if (!days.includes(day)) throw badRequest(`day: sensor '${sensor}' has no data on ${dashed(day)} (days: ${dashed(days[0]!)} to ${dashed(days[days.length - 1]!)})`)
  const read = await readArpDay(redis, sensor, day)
  const pairs = arpPairs(read)
  const flagged = pairs.filter(p => p.flag !== '').length
  const warnings = arpWarnings(pairs)
  const dayLink = (d: string): string => d === day
    ? `<strong aria-current="page">${dashed(d)}</strong>`
    : `<a href="${escapeHtml(href(base, '/arp', { sensor, day: dashed(d) }))}">${dashed(d)}</a>`
  const body = `<p class="note">${read.request} requests, ${read.reply} replies; ${pairs.length} IP-MAC pairs, ${flagged} flagged. Days: ${days.map(dayLink).join(' · ')}</p>
${warnings.length === 0 ? '' : `<ul class="warnings" aria-label="Flagged addresses">\n${warnings.map(w => `<li>${escapeHtml(w)}</li>`).join('\n')}\n</ul>\n`}<div class="cards">
<section class="card"><h2>Requests and replies per hour</h2>
${chartBlock('arp-hours', arpHoursFigure(read))}</section>
<section class="card"><h2>IP-MAC pairs</h2>
${pairs.length === 0 ? '<p class="empty">No IP claimed by a reply or a request this day.</p>' : pairsTable(pairs)}</section>
</div>`
  return page({
    base,
    title: `ARP of ${sensor}, ${dashed(day)}`,
    sensor,
    picker: { sensors, sensor, days: days.map(dashed), to: dashed(day), oneDay: true },
    body,
    charts: true
  })
}

/** The pairs by IP then MAC; a flagged row says its flag in words too (not by colour alone). */
function pairsTable (pairs: readonly ArpPair[]): string {
  const rows = pairs.map(p => `<tr${p.flag === '' ? '' : ' class="flagged"'}><td>${escapeHtml(p.ip)}</td><td>${escapeHtml(p.mac)}</td><td class="n">${p.replies}</td><td class="n">${p.requests}</td><td>${escapeHtml(p.flag)}</td></tr>`)
  return `<div class="table-wrap"><table class="pairs">
<thead><tr><th scope="col">IP</th><th scope="col">MAC</th><th scope="col" class="n">Replies</th><th scope="col" class="n">Requests</th><th scope="col">Flag</th></tr></thead>
<tbody>
${rows.join('\n')}
</tbody></table></div>`
}
