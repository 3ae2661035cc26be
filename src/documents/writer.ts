/**
 * potiron's normalized JSON documents, as the original's 2019 version writes them (reference
 * 2.1 and 2.5): one JSON array per capture, a header object, then one object per counted
 * packet. Python's json.dumps separators (", " and ": "), no newline, so files are
 * byte-for-byte what the original would write for the same values. Written as a stream in
 * bounded memory.
 */
import { closeSync, mkdirSync, openSync, renameSync, writeSync } from 'node:fs'
import { dirname, join } from 'node:path'
import type { PacketFacts } from '../decode/facts.js'
import { ABSENT, PACKET_FIELDS, ipv4ToString, ipv6ToString, type FieldName } from '../aggregate/fields.js'
import { civilTime, pad, type DayClock } from '../aggregate/days.js'
import { NAME_BYTES, fitName } from './fit-name.js'

const FLUSH_BYTES = 1 << 20

export interface DocumentHeader {
  sensorname: string
  filename: string
  /** The pcap-filter expression the packets went through (`--filter`), as the original's header said its tshark filter; '' or absent: none. */
  tshark_filter?: string | undefined
}

/** Streams the documents of one capture to `DIR/YYYY/MM/DD/<stem>.json` (via a temporary name). */
export class JsonDocumentWriter {
  readonly #fd: number
  readonly #tmp: string
  readonly #path: string
  readonly #clock: DayClock
  #pending: string[] = []
  #pendingBytes = 0
  #id = 0

  /** `day` is YYYYMMDD for the directory; undefined puts the file under DIR/undated/. */
  constructor (dir: string, stem: string, day: string | undefined, header: DocumentHeader, clock: DayClock) {
    const sub = day === undefined ? 'undated' : join(day.slice(0, 4), day.slice(4, 6), day.slice(6, 8))
    // The original's name whenever it fits; the temporary name is shortened first.
    const name = fitName(`${stem}.json`)
    this.#path = join(dir, sub, name)
    this.#tmp = join(dir, sub, `${fitName(name, NAME_BYTES - '.partial'.length)}.partial`)
    this.#clock = clock
    mkdirSync(dirname(this.#path), { recursive: true })
    this.#fd = openSync(this.#tmp, 'w')
    this.#write('[{"type": 1, "sensorname": ' + JSON.stringify(header.sensorname) + ', "filename": ' + JSON.stringify(header.filename) +
      ', "format": "standard", "tshark_filter": ' + JSON.stringify(header.tshark_filter ?? '') + ', "json_fields": [' + PACKET_FIELDS.map(f => `"${f}"`).join(', ') + ']}')
  }

  get path (): string {
    return this.#path
  }

  /** Where the file is until close(), and stays after abort(). */
  get partialPath (): string {
    return this.#tmp
  }

  /** Number of packet documents written. */
  get packets (): number {
    return this.#id
  }

  packet (f: PacketFacts, buf: Uint8Array, sec: number, nsec: number): void {
    const ip = f.ipVersion === 4 ? [ipv4ToString(f.src), ipv4ToString(f.dst)] : f.ipVersion === 6 ? [ipv6ToString(buf, f.src6), ipv6ToString(buf, f.dst6)] : undefined
    this.#write(', {"timestamp": "' + this.#timestamp(sec, nsec) +
      '", "length": ' + str(f.length, 'length') +
      ', "protocol": ' + String(f.protocol) +
      ', "ipsrc": ' + (ip === undefined ? ABSENT.ipsrc : `"${ip[0]!}"`) +
      ', "ipdst": ' + (ip === undefined ? ABSENT.ipdst : `"${ip[1]!}"`) +
      ', "ipttl": ' + str(f.ttl, 'ipttl') +
      ', "iptos": ' + (f.tos < 0 ? ABSENT.iptos : `"0x${f.tos.toString(16).padStart(2, '0')}"`) +
      ', "tcpseq": ' + str(f.tcpSeq, 'tcpseq') +
      ', "tcpack": ' + str(f.tcpAck, 'tcpack') +
      ', "icmpcode": ' + str(f.icmpCode, 'icmpcode') +
      ', "icmptype": ' + str(f.icmpType, 'icmptype') +
      ', "sport": ' + str(f.sport, 'sport') +
      ', "dport": ' + str(f.dport, 'dport') +
      ', "packet_id": ' + String(this.#id++) + ', "type": 2, "state": 0}')
  }

  /** Finishes the array and moves the file to its final name; a failed write leaves it as partialPath. */
  close (): void {
    try {
      this.#write(']')
      this.#flush()
    } finally {
      closeSync(this.#fd)
    }
    renameSync(this.#tmp, this.#path)
  }

  /** Gives up: the partial file is left under its temporary name for inspection, with what can still be written. */
  abort (): void {
    try {
      this.#flush()
    } catch {
      // A write that fails again (a full disk) is not the error to report: the caller's is.
    } finally {
      closeSync(this.#fd)
    }
  }

  /** `YYYY-MM-DD HH:MM:SS.ffffff` in the clock's zone. */
  #timestamp (sec: number, nsec: number): string {
    const c = civilTime(sec + this.#clock.offsetAt(sec))
    return `${pad(c.year, 4)}-${pad(c.month)}-${pad(c.day)} ${pad(c.hour)}:${pad(c.minute)}:${pad(c.second)}.${pad(Math.floor(nsec / 1000), 6)}`
  }

  #write (s: string): void {
    this.#pending.push(s)
    this.#pendingBytes += s.length
    if (this.#pendingBytes >= FLUSH_BYTES) this.#flush()
  }

  #flush (): void {
    if (this.#pending.length === 0) return
    writeSync(this.#fd, this.#pending.join(''))
    this.#pending = []
    this.#pendingBytes = 0
  }
}

/** Present values are strings in the original's documents (tshark's text); absent ones the field's sentinel, a number. */
function str (value: number, field: FieldName): string {
  return value < 0 ? ABSENT[field] : `"${value}"`
}
