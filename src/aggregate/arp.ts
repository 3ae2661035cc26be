/**
 * Layer-2 mode (`ingest --layer2`): ARP requests and replies (RFC 826, IPv4 over Ethernet), per
 * day, counted as the original counted them (`request`/`reply`) and paired as it paired them:
 * a request is "who has <target IP>? tell <sender IP> at <sender MAC>", a reply "<sender IP> is at
 * <sender MAC>". Where the original kept a hash per packet, these are counts of distinct pairs
 * (store/modes.ts names the keys). ARP frames are few beside IP traffic, and this mode reads
 * nothing else, so a pair's text is made per ARP packet.
 */
import type { PacketFacts } from '../decode/facts.js'
import type { DayClock } from './days.js'
import type { ArpCounts, ArpDay, ModeCollector } from './collector.js'

/** ARP operation codes (RFC 826); the original took any other code as a reply as well. */
export const ARP_REQUEST = 1

export type { ArpCounts, ArpDay } from './collector.js'

export class ArpCollector implements ModeCollector {
  readonly #days = new Map<number, ArpDay>()

  constructor (readonly clock: DayClock) {}

  take (f: PacketFacts, buf: Buffer, sec: number, _nsec: number, day: number): boolean {
    const at = f.arpAt
    if (at < 0) return false
    if (day !== day) return true // eslint-disable-line no-self-compare -- NaN: no day, not kept
    let d = this.#days.get(day)
    if (d === undefined) this.#days.set(day, d = { day, request: 0, reply: 0, whoHas: new Map(), isAt: new Map(), hours: new Array<number>(48).fill(0) })
    const request = buf.readUInt16BE(at + 6) === ARP_REQUEST
    const sender = `${ipv4(buf, at + 14)} ${mac(buf, at + 8)}`
    const hour = Math.floor((((sec + this.clock.offsetAt(sec)) % 86400) + 86400) % 86400 / 3600)
    d.hours[hour * 2 + (request ? 0 : 1)]! += 1
    if (request) {
      d.request++
      add(d.whoHas, `${ipv4(buf, at + 24)} ${sender}`)
    } else {
      d.reply++
      add(d.isAt, sender)
    }
    return true
  }

  result (): ArpCounts {
    return { kind: 'layer2', days: [...this.#days.values()].sort((a, b) => a.day - b.day) }
  }
}

function add (map: Map<string, number>, key: string): void {
  map.set(key, (map.get(key) ?? 0) + 1)
}

function ipv4 (buf: Buffer, off: number): string {
  return `${buf[off]!}.${buf[off + 1]!}.${buf[off + 2]!}.${buf[off + 3]!}`
}

/** A MAC address as tshark prints it: lowercase, colons. */
function mac (buf: Buffer, off: number): string {
  return buf.toString('hex', off, off + 6).replace(/(..)(?!$)/g, '$1:')
}
