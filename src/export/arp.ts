/**
 * `potiron export arp`: a layer-2 database's day as CSV and a chart. The pairs are IP → MAC
 * claims: each reply says "<IP> is at <MAC>", and each request says it of its sender too (a
 * request from 0.0.0.0, an address probe, claims nothing). An IP claimed by several MACs, or a
 * MAC claiming several IPs, is flagged: ARP spoofing shows so (and so do proxy ARP, failover and
 * DHCP reassignments, which whoever reads the flags tells apart).
 */
import { mkdir, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import type { ArpDayRead } from '../store/arp-read.js'
import type { Figure } from './charts.js'
import { namePart } from './names.js'
import { ASSETS, chartBlock, document, escapeHtml, pageHeader, reportHead, scriptsAt, writeAssets } from './page.js'

/** One IP → MAC claim of the day. */
export interface ArpPair {
  ip: string
  mac: string
  replies: number
  requests: number
  /** `ip-several-macs`, `mac-several-ips`, both (`;`), or ''. */
  flag: string
}

/** An ARP probe's sender address (RFC 5227): it claims no address. */
const PROBE = '0.0.0.0'

/** The day's claims (replies, and requests' senders), by IP then MAC, each flagged as the module says. */
export function arpPairs (day: ArpDayRead): ArpPair[] {
  const pairs = new Map<string, ArpPair>()
  const pair = (ip: string, mac: string): ArpPair => {
    const key = `${ip} ${mac}`
    let p = pairs.get(key)
    if (p === undefined) pairs.set(key, p = { ip, mac, replies: 0, requests: 0, flag: '' })
    return p
  }
  for (const [ip, mac, n] of day.isAt) pair(ip, mac).replies += n
  for (const [, ip, mac, n] of day.whoHas) if (ip !== PROBE) pair(ip, mac).requests += n
  const macsOf = new Map<string, Set<string>>()
  const ipsOf = new Map<string, Set<string>>()
  for (const p of pairs.values()) {
    (macsOf.get(p.ip) ?? macsOf.set(p.ip, new Set()).get(p.ip)!).add(p.mac);
    (ipsOf.get(p.mac) ?? ipsOf.set(p.mac, new Set()).get(p.mac)!).add(p.ip)
  }
  const sorted = [...pairs.values()].sort((a, b) => compareIp(a.ip, b.ip) || (a.mac < b.mac ? -1 : a.mac > b.mac ? 1 : 0))
  for (const p of sorted) {
    p.flag = [macsOf.get(p.ip)!.size > 1 ? 'ip-several-macs' : '', ipsOf.get(p.mac)!.size > 1 ? 'mac-several-ips' : ''].filter(f => f !== '').join(';')
  }
  return sorted
}

/** The warning lines of the flagged pairs: one per IP with several MACs, one per MAC with several IPs. */
export function arpWarnings (pairs: readonly ArpPair[]): string[] {
  const lines: string[] = []
  const group = (key: (p: ArpPair) => string, other: (p: ArpPair) => string, flag: string, say: (k: string, others: string[]) => string): void => {
    const seen = new Map<string, string[]>()
    for (const p of pairs) if (p.flag.includes(flag)) (seen.get(key(p)) ?? seen.set(key(p), []).get(key(p))!).push(other(p))
    for (const [k, others] of seen) lines.push(say(k, others))
  }
  group(p => p.ip, p => p.mac, 'ip-several-macs', (ip, macs) => `${ip} is claimed by ${macs.length} MACs: ${macs.join(', ')}`)
  group(p => p.mac, p => p.ip, 'mac-several-ips', (mac, ips) => `${mac} claims ${ips.length} IPs: ${ips.join(', ')}`)
  return lines
}

function compareIp (a: string, b: string): number {
  const [x, y] = [a.split('.').map(Number), b.split('.').map(Number)]
  for (let i = 0; i < 4; i++) if (x[i] !== y[i]) return x[i]! - y[i]!
  return 0
}

/** The pairs' CSV: `ip,mac,replies,requests,flag`. */
export function arpPairsCsv (pairs: readonly ArpPair[]): string {
  return ['ip,mac,replies,requests,flag', ...pairs.map(p => `${p.ip},${p.mac},${p.replies},${p.requests},${p.flag}`)].join('\n') + '\n'
}

/** The requests' CSV: `target_ip,sender_ip,sender_mac,requests` (who has target? tell sender). */
export function arpWhoHasCsv (day: ArpDayRead): string {
  return ['target_ip,sender_ip,sender_mac,requests', ...day.whoHas.map(w => w.join(','))].join('\n') + '\n'
}

/** Requests and replies per hour of the day: two bar traces. */
export function arpHoursFigure (day: ArpDayRead): Figure {
  const x = day.hours.map((_, h) => `${String(h).padStart(2, '0')}:00`)
  // Below 5 packets an hour Plotly's automatic ticks fall on halves, which ',d' shows as 0, 1, 1, 2, 2: whole steps then.
  const whole = Math.max(...day.hours.flat()) < 5 ? { dtick: 1 } : {}
  return {
    data: [
      { type: 'bar', name: 'request', x, y: day.hours.map(h => h[0]), hovertemplate: '%{x}: %{y:,} requests<extra></extra>' },
      { type: 'bar', name: 'reply', x, y: day.hours.map(h => h[1]), hovertemplate: '%{x}: %{y:,} replies<extra></extra>' }
    ],
    layout: { barmode: 'group', xaxis: { type: 'category', title: { text: 'Hour' } }, yaxis: { title: { text: 'Packets' }, rangemode: 'tozero', tickformat: ',d', ...whole }, margin: { t: 10, r: 10 }, height: 420 }
  }
}

/** The files of a day: `<sensor>_arp_<YYYY-MM-DD>.csv` (pairs), `..._arp-who-has_...csv`, `..._arp_....html`. */
export function arpNames (sensor: string, day: string): { pairs: string, whoHas: string, page: string } {
  const stem = namePart(sensor)
  return { pairs: `${stem}_arp_${day}.csv`, whoHas: `${stem}_arp-who-has_${day}.csv`, page: `${stem}_arp_${day}.html` }
}

function arpPage (sensor: string, day: string, read: ArpDayRead, pairs: readonly ArpPair[], names: ReturnType<typeof arpNames>): string {
  const title = `ARP of ${sensor}, ${day}`
  const flagged = pairs.filter(p => p.flag !== '')
  const rows = pairs.map(p => `<tr${p.flag === '' ? '' : ' class="flagged"'}><td>${escapeHtml(p.ip)}</td><td>${escapeHtml(p.mac)}</td><td class="n">${p.replies}</td><td class="n">${p.requests}</td><td>${escapeHtml(p.flag)}</td></tr>`).join('\n')
  return document(title, `${pageHeader([{ href: names.pairs, text: 'pairs (CSV)' }, { href: names.whoHas, text: 'requests (CSV)' }])}
<main>
<h1>${escapeHtml(title)}</h1>
<p class="note">${read.request} requests, ${read.reply} replies; ${pairs.length} IP-MAC pairs, ${flagged.length} flagged.</p>
<h2>Requests and replies per hour</h2>
${chartBlock('arp-hours', arpHoursFigure(read))}
<h2>IP-MAC pairs</h2>
<table><thead><tr><th scope="col">IP</th><th scope="col">MAC</th><th scope="col">Replies</th><th scope="col">Requests</th><th scope="col">Flag</th></tr></thead>
<tbody>
${rows}
</tbody></table>
</main>`, scriptsAt(ASSETS), reportHead(ASSETS))
}

/** Writes a day's CSV files and page under `out`; returns the files written (relative to `out`). */
export async function writeArpDay (sensor: string, day: string, read: ArpDayRead, out: string): Promise<{ files: string[], pairs: ArpPair[] }> {
  const pairs = arpPairs(read)
  const names = arpNames(sensor, day)
  await mkdir(out, { recursive: true })
  await writeAssets(join(out, ASSETS))
  await writeFile(join(out, names.pairs), arpPairsCsv(pairs))
  await writeFile(join(out, names.whoHas), arpWhoHasCsv(read))
  await writeFile(join(out, names.page), arpPage(sensor, day, read, pairs, names))
  return { files: [names.pairs, names.whoHas, names.page], pairs }
}
