/**
 * ISN mode (`ingest --isn`): per TCP SYN or SYN-ACK packet (IPv4 or IPv6, from the first TCP
 * header), what the original's ISN mode kept: time, ports, sequence and acknowledgement numbers.
 * Unlike counts, these are one record per packet, so they are kept in typed columns (29 bytes a
 * record, no object per packet) that move to the coordinator without copying.
 *
 * A file keeps at most ISN_RECORDS_MAX records: the coordinator turns them into member strings
 * (about 180 B each with their two sorted-set entries) when the file's turn to be written comes,
 * so this bounds its memory for one file (about 0.7 GB) as BATCH_BYTES does for counts. A
 * capture with more SYNs fails, nothing written, with a message saying to cut it into smaller
 * files (`editcap -c`): 4 million SYNs is hours of a busy honeypot, which are usually rotated
 * hourly or by size.
 */
import type { PacketFacts } from '../decode/facts.js'
import type { IsnRecords, ModeCollector } from './collector.js'

export const ISN_RECORDS_MAX = 4_000_000
/** TCP flag bits (RFC 9293 §3.1). */
export const TCP_SYN = 0x02
export const TCP_ACK = 0x10

export type { IsnRecords } from './collector.js'

/** What a file with more SYN records than ISN_RECORDS_MAX fails with. */
export class TooManyRecordsError extends Error {
  override readonly name = 'TooManyRecordsError'
}

export class IsnCollector implements ModeCollector {
  #r: IsnRecords = columns(1024)

  take (f: PacketFacts, _buf: Buffer, sec: number, nsec: number, day: number, index: number): boolean {
    if (f.tcpFlags < 0 || (f.tcpFlags & TCP_SYN) === 0 || f.ipVersion === 0) return false
    if (day !== day) return true // eslint-disable-line no-self-compare -- NaN: no day, not kept
    let r = this.#r
    if (r.count === r.micros.length) {
      if (r.count >= ISN_RECORDS_MAX) throw new TooManyRecordsError(`more than ${ISN_RECORDS_MAX} TCP SYN and SYN-ACK packets: too many for one file in ISN mode (cut the capture into smaller files, e.g. editcap -c 1000000)`)
      r = this.#r = grow(r, Math.min(ISN_RECORDS_MAX, r.count * 2))
    }
    const i = r.count++
    r.days[i] = day
    r.micros[i] = sec * 1e6 + Math.floor(nsec / 1000)
    r.sport[i] = f.tcpSport
    r.dport[i] = f.tcpDport
    r.seq[i] = f.tcpSeq
    r.ack[i] = f.tcpAck
    r.flags[i] = f.tcpFlags
    r.ordinal[i] = index
    return true
  }

  /** The records, in arrays of their own size (moved whole, so no spare capacity crosses threads). */
  result (): IsnRecords {
    return grow(this.#r, this.#r.count)
  }
}

function columns (n: number): IsnRecords {
  return { kind: 'isn', count: 0, days: new Int32Array(n), micros: new Float64Array(n), sport: new Uint16Array(n), dport: new Uint16Array(n), seq: new Uint32Array(n), ack: new Uint32Array(n), flags: new Uint8Array(n), ordinal: new Float64Array(n) }
}

function grow (r: IsnRecords, n: number): IsnRecords {
  const g = columns(n)
  g.count = r.count
  g.days.set(r.days.subarray(0, r.count))
  g.micros.set(r.micros.subarray(0, r.count))
  g.sport.set(r.sport.subarray(0, r.count))
  g.dport.set(r.dport.subarray(0, r.count))
  g.seq.set(r.seq.subarray(0, r.count))
  g.ack.set(r.ack.subarray(0, r.count))
  g.flags.set(r.flags.subarray(0, r.count))
  g.ordinal.set(r.ordinal.subarray(0, r.count))
  return g
}
