/**
 * A seeded generator of "honeypot-like" captures for the benchmarks: classic pcap (little-endian,
 * microseconds), Ethernet, the same bytes for the same options on every run (mulberry32, never
 * Math.random). The file is written in 1 MiB chunks, never held whole, optionally together with
 * a gzip copy (level 6) streamed through zlib.
 *
 * Mix: mostly TCP SYN scans from a pool of scanners to a /16 (198.18.0.0/16, RFC 2544's benchmark
 * range) on skewed destination ports, some UDP (DNS, NTP, SIP, random ports), ICMP echo and a
 * few ICMP errors quoting an IPv4/UDP header, ~5% IPv6 (TCP SYN, ICMPv6 echo), ~0.5% 802.1Q
 * tagged frames. Frames are 54..1514 bytes (1518 when tagged), mostly 54..74; frames below 60
 * bytes other than bare TCP are padded to 60 as on the wire. Checksums are computed.
 *
 * generateSpanCapture writes the other kind: a tiny capture that spans many days (and IP
 * protocols), one packet each, which costs the aggregator one (day, protocol) slot per packet:
 * the hostile case for memory that grows per slot instead of per distinct value.
 *
 * Usage: node dist/bench/gen-capture.js OUT.pcap --packets N --seed S [--days D] [--start-epoch E] [--gzip OUT.pcap.gz]
 *        node dist/bench/gen-capture.js OUT.pcap --span-days D [--protocols P] [--start-epoch E]
 */
import { once } from 'node:events'
import { createWriteStream } from 'node:fs'
import { open, writeFile } from 'node:fs/promises'
import { resolve } from 'node:path'
import { pipeline } from 'node:stream/promises'
import { fileURLToPath } from 'node:url'
import { parseArgs } from 'node:util'
import { createGzip } from 'node:zlib'

export interface CaptureOptions {
  packets: number
  seed: number
  /** Days the timestamps spread over (default 2). */
  days?: number
  /** First second of the capture, Unix epoch (default 2024-01-01T00:00:00Z). */
  startEpoch?: number
  /** Also write a gzip (level 6) copy of the capture here. */
  gzipPath?: string
  /**
   * Told what each packet is as it is written (what the generator chose, not what a decoder
   * reads back), so tests can compute expected counts without potiron.
   */
  onPacket?: ((packet: GeneratedPacket) => void) | undefined
}

/** What the generator wrote in one packet. */
export interface GeneratedPacket {
  /** Timestamp, whole seconds (Unix epoch). */
  sec: number
  /** IP protocol of the outermost IP header (IPv4 protocol, IPv6 next header): 1, 6, 17 or 58. */
  protocol: number
  /** Destination port of the first TCP or UDP header (an ICMP error's quoted UDP header too), or -1. */
  dport: number
}

export const DEFAULT_DAYS = 2
export const DEFAULT_START_EPOCH = 1704067200

const CHUNK_BYTES = 1024 * 1024
const RECORD_HEADER = 16
/** Largest frame written: 1514 + a 4-byte 802.1Q tag. */
const MAX_FRAME = 1518
const MIN_PADDED_FRAME = 60

/** mulberry32: a tiny, fast, well-mixed 32-bit PRNG; the whole state is one integer. */
export class Rng {
  #state: number

  constructor (seed: number) {
    this.#state = seed >>> 0
  }

  u32 (): number {
    this.#state = (this.#state + 0x6d2b79f5) | 0
    let t = Math.imul(this.#state ^ (this.#state >>> 15), 1 | this.#state)
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t
    return (t ^ (t >>> 14)) >>> 0
  }

  /** Uniform in [0, 1). */
  float (): number {
    return this.u32() / 4294967296
  }

  /** Uniform integer in [0, n). */
  int (n: number): number {
    return Math.floor(this.float() * n)
  }

  pick<T> (items: readonly T[]): T {
    return items[this.int(items.length)]!
  }
}

// Destination ports: a few very hot ones, a warm band, then a long uniform tail (port 0 in the table).
const HOT_PORTS: ReadonlyArray<readonly [number, number]> = [
  [22, 0.12], [23, 0.10], [80, 0.08], [443, 0.06], [445, 0.06], [3389, 0.05], [8080, 0.04]
]
const WARM_PORTS = [
  21, 25, 53, 81, 110, 135, 139, 143, 1433, 1723, 2323, 3306, 5432, 5555, 5900, 6379,
  7547, 8000, 8081, 8443, 8888, 9200, 37215, 52869
]
const WARM_SHARE = 0.18
const PORT_TABLE_SIZE = 4096

function portTable (): Uint16Array {
  const t = new Uint16Array(PORT_TABLE_SIZE)
  let i = 0
  const fill = (port: number, share: number): void => {
    const end = Math.min(PORT_TABLE_SIZE, i + Math.round(share * PORT_TABLE_SIZE))
    while (i < end) t[i++] = port
  }
  for (const [port, share] of HOT_PORTS) fill(port, share)
  for (const port of WARM_PORTS) fill(port, WARM_SHARE / WARM_PORTS.length)
  return t // the rest stays 0: a random port
}

const TOS_RARE = [0x08, 0x10, 0x20, 0x28, 0x48, 0x68, 0xb8, 0x02, 0x01, 0x03]
const DNS_NAMES = ['example.com', 'google.com', 'isc.org', 'cloudflare.com', 'ripe.net', 'pizzaseo.com', 'sl', 'peacecorps.gov']
const NTP_SERVERS = 123
const SCANNERS_V4 = 4096
const SCANNERS_V6 = 512
const TARGETS_V6 = 256
/** 198.18.0.0/16 */
const TARGET_NET = 0xc6120000
const HONEYPOT_MAC = [0x02, 0x42, 0xac, 0x11, 0x00, 0x02]
const ROUTER_MAC = [0x00, 0x1b, 0x21, 0x3a, 0x4f, 0x10]

// TCP SYN option blocks by length: none (masscan/zmap), MSS, MSS+SACK, MSS+WS+SACK, Linux-like with timestamps.
const TCP_OPTION_LENGTHS = [0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 4, 4, 4, 8, 8, 12, 20, 20, 20]

/** Writes packets into a buffer; all randomness comes from one Rng, so output depends only on the seed. */
class PacketWriter {
  readonly rng: Rng
  /** The last frame's outer IP protocol and first destination port (-1: none), for onPacket. */
  protocol = 0
  dport = -1
  readonly #ports = portTable()
  readonly #scanners = new Uint32Array(SCANNERS_V4)
  readonly #scannerTtl = new Uint8Array(SCANNERS_V4)
  /** Fixed source port of a scanner (masscan/zmap style), 0 = random per probe. */
  readonly #scannerSport = new Uint16Array(SCANNERS_V4)
  readonly #scanners6 = new Uint8Array(SCANNERS_V6 * 16)
  readonly #scannerTtl6 = new Uint8Array(SCANNERS_V6)
  readonly #targets6 = new Uint8Array(TARGETS_V6 * 16)

  constructor (seed: number) {
    const rng = this.rng = new Rng(seed)
    const ttl = (): number => {
      const initial = rng.pick([64, 64, 128, 255])
      return Math.min(250, Math.max(40, initial - 4 - rng.int(26)))
    }
    for (let i = 0; i < SCANNERS_V4; i++) {
      let a = rng.u32()
      while (!isScannerAddress(a)) a = rng.u32()
      this.#scanners[i] = a
      this.#scannerTtl[i] = ttl()
      this.#scannerSport[i] = rng.float() < 0.3 ? 1024 + rng.int(64512) : 0
    }
    for (let i = 0; i < SCANNERS_V6; i++) {
      const at = i * 16
      this.#scanners6.set([0x20, 0x01, 0x0d, 0xb8], at)
      for (let j = 4; j < 16; j++) this.#scanners6[at + j] = rng.int(256)
      this.#scannerTtl6[i] = ttl()
    }
    for (let i = 0; i < TARGETS_V6; i++) {
      const at = i * 16
      this.#targets6.set([0x20, 0x01, 0x0d, 0xb8, 0xff, 0xff, 0x00, 0x01], at)
      for (let j = 8; j < 16; j++) this.#targets6[at + j] = rng.int(256)
    }
  }

  /** Writes one Ethernet frame at b[o...]; returns its length. */
  frame (b: Buffer, o: number): number {
    const rng = this.rng
    for (let i = 0; i < 6; i++) b[o + i] = HONEYPOT_MAC[i]!
    for (let i = 0; i < 6; i++) b[o + 6 + i] = ROUTER_MAC[i]!
    let typeAt = o + 12
    if (rng.float() < 0.005) {
      w16(b, typeAt, 0x8100)
      w16(b, typeAt + 2, 100 + rng.int(4))
      typeAt += 4
    }
    const ip = typeAt + 2
    this.dport = -1
    let len: number
    if (rng.float() < 0.05) {
      w16(b, typeAt, 0x86dd)
      len = this.#ipv6(b, ip)
    } else {
      w16(b, typeAt, 0x0800)
      len = this.#ipv4(b, ip)
    }
    const frame = ip - o + len
    // Short TCP probes stay 54..58 bytes as the brief's captures have them; other short frames get the wire's padding.
    if (frame >= MIN_PADDED_FRAME || b[ip + 9] === 6) return frame
    b.fill(0, o + frame, o + MIN_PADDED_FRAME)
    return MIN_PADDED_FRAME
  }

  #dport (): number {
    const port = this.#ports[this.rng.int(PORT_TABLE_SIZE)]!
    return port !== 0 ? port : 1 + this.rng.int(65535)
  }

  #scanner (): number {
    const r = this.rng.float()
    return Math.floor(r * r * SCANNERS_V4) // a few scanners send most of the probes
  }

  #tos (): number {
    return this.rng.float() < 0.96 ? 0 : this.rng.pick(TOS_RARE)
  }

  /** IPv4 packet at b[ip...]; returns its total length. */
  #ipv4 (b: Buffer, ip: number): number {
    const rng = this.rng
    const s = this.#scanner()
    const src = this.#scanners[s]!
    const dst = (TARGET_NET | rng.int(65536)) >>> 0
    const ttl = this.#scannerTtl[s]!
    const r = rng.float()
    const t = ip + 20
    let proto: number
    let payload: number
    if (r < 0.84) {
      proto = 6
      payload = this.#tcp(b, t, this.#scannerSport[s]!)
    } else if (r < 0.93) {
      proto = 17
      payload = this.#udp(b, t)
    } else if (r < 0.994) {
      proto = 1
      payload = this.#icmpEcho(b, t, 8)
    } else {
      proto = 1
      payload = this.#icmpError(b, t, src)
    }
    ipv4Header(b, ip, this.#tos(), 20 + payload, rng.u32() & 0xffff, rng.float() < 0.5, ttl, proto, src, dst)
    this.protocol = proto
    // Transport checksums last: TCP and UDP cover a pseudo-header with the addresses.
    const at = proto === 6 ? 16 : proto === 17 ? 6 : 2
    const pseudo = proto === 1 ? 0 : checksumSum(b, ip + 12, ip + 20, proto + payload)
    let sum = checksum(b, t, t + payload, pseudo)
    if (sum === 0 && proto === 17) sum = 0xffff
    w16(b, t + at, sum)
    return 20 + payload
  }

  /** IPv6 packet at b[ip...]; returns its length (40 + payload). */
  #ipv6 (b: Buffer, ip: number): number {
    const rng = this.rng
    const s = rng.int(SCANNERS_V6)
    const t = ip + 40
    let next: number
    let payload: number
    // Source and destination first: the checksums below read them.
    b.set(this.#scanners6.subarray(s * 16, s * 16 + 16), ip + 8)
    const d = rng.int(TARGETS_V6)
    b.set(this.#targets6.subarray(d * 16, d * 16 + 16), ip + 24)
    if (rng.float() < 0.7) {
      next = 6
      payload = this.#tcp(b, t, 0)
    } else {
      next = 58
      payload = this.#icmpEcho(b, t, 128)
    }
    const tc = this.#tos()
    w32(b, ip, (0x60000000 | (tc << 20) | (rng.u32() & 0xfffff)) >>> 0)
    w16(b, ip + 4, payload)
    b[ip + 6] = next
    this.protocol = next
    b[ip + 7] = this.#scannerTtl6[s]!
    const pseudo = checksumSum(b, ip + 8, ip + 40, payload + next)
    w16(b, t + (next === 6 ? 16 : 2), 0)
    w16(b, t + (next === 6 ? 16 : 2), checksum(b, t, t + payload, pseudo))
    return 40 + payload
  }

  /** TCP segment: SYN probes mostly, a few RST/ACK and data segments; returns its length. */
  #tcp (b: Buffer, t: number, fixedSport: number): number {
    const rng = this.rng
    const sport = fixedSport !== 0 ? fixedSport : 1024 + rng.int(64512)
    const kind = rng.float()
    w16(b, t, sport)
    this.dport = this.#dport()
    w16(b, t + 2, this.dport)
    w32(b, t + 4, rng.u32())
    w16(b, t + 16, 0)
    w16(b, t + 18, 0)
    if (kind < 0.97) {
      const opts = rng.pick(TCP_OPTION_LENGTHS)
      w32(b, t + 8, 0)
      b[t + 12] = ((20 + opts) / 4) << 4
      b[t + 13] = 0x02
      w16(b, t + 14, rng.pick([1024, 29200, 64240, 65535]))
      tcpOptions(b, t + 20, opts, rng)
      return 20 + opts
    }
    w32(b, t + 8, rng.u32())
    b[t + 12] = 5 << 4
    if (kind < 0.985) {
      b[t + 13] = 0x14 // RST, ACK
      w16(b, t + 14, 0)
      return 20
    }
    b[t + 13] = 0x18 // PSH, ACK
    w16(b, t + 14, 502 + rng.int(64000))
    const r = rng.float()
    const data = 1 + Math.floor(r * r * r * 1460)
    fillRandom(b, t + 20, t + 20 + data, rng)
    return 20 + data
  }

  /** UDP datagram (DNS, NTP, SIP or a random port); returns its length. */
  #udp (b: Buffer, u: number): number {
    const rng = this.rng
    const r = rng.float()
    const p = u + 8
    let sport = 1024 + rng.int(64512)
    let dport: number
    let data: number
    if (r < 0.4) {
      dport = 53
      data = dnsQuery(b, p, rng)
    } else if (r < 0.6) {
      dport = NTP_SERVERS
      if (rng.float() < 0.3) sport = 123
      data = ntpRequest(b, p, rng)
    } else if (r < 0.75) {
      dport = 5060
      sport = 5060
      data = b.write(sipOptions(rng), p, 'latin1')
    } else {
      dport = this.#dport()
      const x = rng.float()
      data = Math.floor(x * x * x * 1472)
      fillRandom(b, p, p + data, rng)
    }
    w16(b, u, sport)
    w16(b, u + 2, dport)
    this.dport = dport
    w16(b, u + 4, 8 + data)
    w16(b, u + 6, 0)
    return 8 + data
  }

  /** ICMP (type 8) or ICMPv6 (type 128) echo request; returns its length. */
  #icmpEcho (b: Buffer, c: number, type: number): number {
    const rng = this.rng
    const data = rng.pick([0, 0, 8, 32, 56, 56])
    b[c] = type
    b[c + 1] = 0
    w16(b, c + 2, 0)
    w16(b, c + 4, rng.u32() & 0xffff)
    w16(b, c + 6, rng.u32() & 0xffff)
    fillRandom(b, c + 8, c + 8 + data, rng)
    return 8 + data
  }

  /** ICMP destination unreachable / time exceeded quoting one of our UDP replies to `peer`; returns its length. */
  #icmpError (b: Buffer, c: number, peer: number): number {
    const rng = this.rng
    const r = rng.float()
    b[c] = r < 0.85 ? 3 : 11
    b[c + 1] = r < 0.6 ? 3 : r < 0.75 ? 1 : r < 0.85 ? 13 : 0
    w16(b, c + 2, 0)
    w32(b, c + 4, 0)
    const q = c + 8
    const honeypot = (TARGET_NET | rng.int(65536)) >>> 0
    ipv4Header(b, q, 0, 20 + 8 + rng.int(200), rng.u32() & 0xffff, true, 64, 17, honeypot, peer)
    w16(b, q + 20, rng.pick([53, 123, 5060]))
    this.dport = 1024 + rng.int(64512)
    w16(b, q + 22, this.dport)
    w16(b, q + 24, 8 + rng.int(200))
    w16(b, q + 26, rng.u32() & 0xffff)
    return 8 + 28
  }
}

/** A unicast address outside 0/8, 10/8, 127/8 and multicast / reserved space. */
function isScannerAddress (a: number): boolean {
  const first = a >>> 24
  return first !== 0 && first !== 10 && first !== 127 && first < 224
}

function w16 (b: Buffer, o: number, v: number): void {
  b[o] = v >>> 8
  b[o + 1] = v
}

function w32 (b: Buffer, o: number, v: number): void {
  b[o] = v >>> 24
  b[o + 1] = v >>> 16
  b[o + 2] = v >>> 8
  b[o + 3] = v
}

function w32le (b: Buffer, o: number, v: number): void {
  b[o] = v
  b[o + 1] = v >>> 8
  b[o + 2] = v >>> 16
  b[o + 3] = v >>> 24
}

function fillRandom (b: Buffer, from: number, to: number, rng: Rng): void {
  for (let i = from; i < to; i += 4) {
    const x = rng.u32()
    b[i] = x
    if (i + 1 < to) b[i + 1] = x >>> 8
    if (i + 2 < to) b[i + 2] = x >>> 16
    if (i + 3 < to) b[i + 3] = x >>> 24
  }
}

/** One's-complement sum of b[from, to) as big-endian 16-bit words, added to `sum` (unfolded). */
function checksumSum (b: Buffer, from: number, to: number, sum: number): number {
  let i = from
  for (; i + 1 < to; i += 2) sum += (b[i]! << 8) | b[i + 1]!
  if (i < to) sum += b[i]! << 8
  return sum
}

/** The Internet checksum of b[from, to) (whose checksum field is zero) plus a pseudo-header sum. */
function checksum (b: Buffer, from: number, to: number, pseudo: number): number {
  let sum = checksumSum(b, from, to, pseudo)
  while (sum > 0xffff) sum = (sum & 0xffff) + (sum >>> 16)
  return ~sum & 0xffff
}

function ipv4Header (b: Buffer, ip: number, tos: number, total: number, id: number, df: boolean, ttl: number, proto: number, src: number, dst: number): void {
  b[ip] = 0x45
  b[ip + 1] = tos
  w16(b, ip + 2, total)
  w16(b, ip + 4, id)
  w16(b, ip + 6, df ? 0x4000 : 0)
  b[ip + 8] = ttl
  b[ip + 9] = proto
  w16(b, ip + 10, 0)
  w32(b, ip + 12, src)
  w32(b, ip + 16, dst)
  w16(b, ip + 10, checksum(b, ip, ip + 20, 0))
}

function tcpOptions (b: Buffer, o: number, len: number, rng: Rng): void {
  if (len === 0) return
  b[o] = 2 // MSS
  b[o + 1] = 4
  w16(b, o + 2, rng.pick([1360, 1400, 1440, 1460]))
  if (len === 8) b.set([1, 1, 4, 2], o + 4) // NOP NOP SACK-permitted
  if (len === 12) b.set([1, 3, 3, rng.int(15), 1, 1, 4, 2], o + 4) // NOP, window scale, NOP NOP SACK-permitted
  if (len === 20) {
    // Linux connect(): SACK-permitted, timestamps, NOP, window scale
    b.set([4, 2, 8, 10], o + 4)
    w32(b, o + 8, rng.u32())
    w32(b, o + 12, 0)
    b.set([1, 3, 3, 7], o + 16)
  }
}

function dnsQuery (b: Buffer, p: number, rng: Rng): number {
  w16(b, p, rng.u32() & 0xffff)
  w16(b, p + 2, rng.float() < 0.8 ? 0x0100 : 0x0000)
  w16(b, p + 4, 1)
  w32(b, p + 6, 0)
  const edns = rng.float() < 0.5
  w16(b, p + 10, edns ? 1 : 0)
  let q = p + 12
  const chaos = rng.float() < 0.1
  const name = chaos ? 'version.bind' : rng.pick(DNS_NAMES)
  for (const label of name.split('.')) {
    b[q++] = label.length
    q += b.write(label, q, 'latin1')
  }
  b[q++] = 0
  w16(b, q, chaos ? 16 : rng.pick([1, 16, 255, 255])) // qtype: TXT, or A / TXT / ANY
  w16(b, q + 2, chaos ? 3 : 1) // qclass: CHAOS or IN
  q += 4
  if (edns) {
    // OPT record: root name, type 41, UDP size 4096, no extended flags, no data
    b.set([0, 0, 41, 0x10, 0x00, 0, 0, 0, 0, 0, 0], q)
    q += 11
  }
  return q - p
}

function ntpRequest (b: Buffer, p: number, rng: Rng): number {
  if (rng.float() < 0.25) {
    // mode 7 MON_GETLIST_1 (the amplification probe)
    w32(b, p, 0x1700032a)
    w32(b, p + 4, 0)
    return 8
  }
  b.fill(0, p, p + 48)
  b[p] = 0x23 // v4, client
  w32(b, p + 40, rng.u32())
  w32(b, p + 44, rng.u32())
  return 48
}

function sipOptions (rng: Rng): string {
  const hex = (): string => rng.u32().toString(16).padStart(8, '0')
  const ext = 100 + rng.int(900)
  return `OPTIONS sip:${ext}@198.18.${rng.int(256)}.${rng.int(256)} SIP/2.0\r\n` +
    `Via: SIP/2.0/UDP 10.0.0.1:5060;branch=z9hG4bK-${hex()};rport\r\n` +
    'Max-Forwards: 70\r\n' +
    `To: <sip:${ext}@198.18.0.1>\r\n` +
    `From: "sipvicious"<sip:${ext}@1.1.1.1>;tag=${hex()}${hex()}\r\n` +
    'User-Agent: friendly-scanner\r\n' +
    `Call-ID: ${hex()}${hex()}${hex()}\r\n` +
    'Contact: <sip:100@1.1.1.1:5060>\r\n' +
    'CSeq: 1 OPTIONS\r\n' +
    'Accept: application/sdp\r\n' +
    'Content-Length: 0\r\n\r\n'
}

function validate (options: CaptureOptions): { days: number, startEpoch: number } {
  const days = options.days ?? DEFAULT_DAYS
  const startEpoch = options.startEpoch ?? DEFAULT_START_EPOCH
  if (!Number.isSafeInteger(options.packets) || options.packets < 0) throw new RangeError(`packets must be a non-negative integer, got ${options.packets}`)
  if (!Number.isSafeInteger(options.seed)) throw new RangeError(`seed must be an integer, got ${options.seed}`)
  if (!(days > 0)) throw new RangeError(`days must be positive, got ${days}`)
  if (!Number.isSafeInteger(startEpoch) || startEpoch < 0 || startEpoch + days * 86400 >= 2 ** 32) {
    throw new RangeError(`start epoch must be an integer second such that the capture ends before 2106, got ${startEpoch}`)
  }
  return { days, startEpoch }
}

/** Streams a generated capture to `path` (and a gzip copy to `options.gzipPath`). */
export async function generateCapture (path: string, options: CaptureOptions): Promise<void> {
  const { days, startEpoch } = validate(options)
  const writer = new PacketWriter(options.seed)
  const rng = writer.rng
  const gzip = options.gzipPath === undefined ? undefined : createGzip({ level: 6 })
  const gzipDone = gzip === undefined ? undefined : pipeline(gzip, createWriteStream(options.gzipPath!))
  // Keep a pipeline failure from becoming an unhandled rejection while we are still writing.
  gzipDone?.catch(() => {})
  const fh = await open(path, 'w')
  try {
    let chunk = Buffer.allocUnsafe(CHUNK_BYTES)
    // File header: magic, version 2.4, thiszone, sigfigs, snaplen, LINKTYPE_ETHERNET.
    w32le(chunk, 0, 0xa1b2c3d4)
    chunk.writeUInt16LE(2, 4)
    chunk.writeUInt16LE(4, 6)
    w32le(chunk, 8, 0)
    w32le(chunk, 12, 0)
    w32le(chunk, 16, 65535)
    w32le(chunk, 20, 1)
    let o = 24
    const flush = async (): Promise<void> => {
      const out = chunk.subarray(0, o)
      for (let done = 0; done < out.length;) done += (await fh.write(out, done, out.length - done)).bytesWritten
      // zlib keeps the buffer until it has compressed it: the next chunk is a fresh one.
      if (gzip !== undefined && !gzip.write(out)) await once(gzip, 'drain')
      chunk = Buffer.allocUnsafe(CHUNK_BYTES)
      o = 0
    }
    const startUs = startEpoch * 1e6
    const usPerPacket = days * 86400e6 / Math.max(1, options.packets)
    for (let i = 0; i < options.packets; i++) {
      if (CHUNK_BYTES - o < RECORD_HEADER + MAX_FRAME) await flush()
      const us = Math.floor(startUs + (i + rng.float()) * usPerPacket)
      const sec = Math.floor(us / 1e6)
      const len = writer.frame(chunk, o + RECORD_HEADER)
      w32le(chunk, o, sec)
      w32le(chunk, o + 4, us - sec * 1e6)
      w32le(chunk, o + 8, len)
      w32le(chunk, o + 12, len)
      o += RECORD_HEADER + len
      options.onPacket?.({ sec, protocol: writer.protocol, dport: writer.dport })
    }
    await flush()
  } finally {
    await fh.close()
    gzip?.end()
  }
  await gzipDone
}

export interface SpanOptions {
  /** Days spanned, one packet a day per protocol. */
  days: number
  /** IP protocols 0 .. protocols - 1, one packet of each a day (default 1: UDP only). */
  protocols?: number
  /** First second (default 2024-01-01T00:00:00Z). */
  startEpoch?: number
}

/**
 * A capture of `days` × `protocols` packets, day after day: one IPv4 packet of each protocol a
 * day (UDP when `protocols` is 1), 42–54 bytes, addresses and ports from its day and protocol.
 * 3,000 days are 174 KB; the file is small enough to build in memory.
 */
export async function generateSpanCapture (path: string, options: SpanOptions): Promise<void> {
  const protocols = options.protocols ?? 1
  const startEpoch = options.startEpoch ?? DEFAULT_START_EPOCH
  if (!Number.isSafeInteger(options.days) || options.days < 1 || !Number.isSafeInteger(protocols) || protocols < 1 || protocols > 256) {
    throw new RangeError(`span: days >= 1 and protocols 1..256 expected, got ${options.days} and ${protocols}`)
  }
  if (startEpoch + options.days * 86400 >= 2 ** 32) throw new RangeError('span: the capture must end before 2106')
  const records: Buffer[] = [Buffer.alloc(24)]
  w32le(records[0]!, 0, 0xa1b2c3d4)
  records[0]!.writeUInt16LE(2, 4)
  records[0]!.writeUInt16LE(4, 6)
  w32le(records[0]!, 16, 65535)
  w32le(records[0]!, 20, 1)
  for (let day = 0; day < options.days; day++) {
    for (let p = 0; p < protocols; p++) {
      const proto = protocols === 1 ? 17 : p
      const transport = proto === 6 ? 20 : 8
      const b = Buffer.alloc(RECORD_HEADER + 34 + transport)
      const ip = RECORD_HEADER + 14
      b.set(HONEYPOT_MAC, RECORD_HEADER)
      b.set(ROUTER_MAC, RECORD_HEADER + 6)
      w16(b, RECORD_HEADER + 12, 0x0800)
      ipv4Header(b, ip, 0, 20 + transport, day & 0xffff, true, 64, proto, (0x0a000000 | day) >>> 0, (TARGET_NET | p) >>> 0)
      // Ports (or the ICMP type and code, or payload bytes) from the day: a new value every day.
      w16(b, ip + 20, 1024 + day % 64512)
      w16(b, ip + 22, 1 + (day * 7 + p) % 65535)
      if (proto === 6) b[ip + 32] = 5 << 4
      if (proto === 17) w16(b, ip + 24, 8)
      w32le(b, 0, startEpoch + day * 86400 + p)
      w32le(b, 8, b.length - RECORD_HEADER)
      w32le(b, 12, b.length - RECORD_HEADER)
      records.push(b)
    }
  }
  await writeFile(path, Buffer.concat(records))
}

async function main (): Promise<void> {
  const { values, positionals } = parseArgs({
    allowPositionals: true,
    options: {
      packets: { type: 'string' },
      seed: { type: 'string' },
      days: { type: 'string' },
      'start-epoch': { type: 'string' },
      gzip: { type: 'string' },
      'span-days': { type: 'string' },
      protocols: { type: 'string' }
    }
  })
  const out = positionals[0]
  const num = (s: string): number => Number(s.replaceAll('_', ''))
  if (positionals.length === 1 && out !== undefined && values['span-days'] !== undefined) {
    const span: SpanOptions = { days: num(values['span-days']) }
    if (values.protocols !== undefined) span.protocols = num(values.protocols)
    if (values['start-epoch'] !== undefined) span.startEpoch = num(values['start-epoch'])
    return await generateSpanCapture(out, span)
  }
  if (positionals.length !== 1 || out === undefined || values.packets === undefined || values.seed === undefined) {
    throw new Error('usage: gen-capture OUT.pcap --packets N --seed S [--days D] [--start-epoch E] [--gzip OUT.pcap.gz]\n' +
      '       gen-capture OUT.pcap --span-days D [--protocols P] [--start-epoch E]')
  }
  const options: CaptureOptions = { packets: num(values.packets), seed: num(values.seed) }
  if (values.days !== undefined) options.days = num(values.days)
  if (values['start-epoch'] !== undefined) options.startEpoch = num(values['start-epoch'])
  if (values.gzip !== undefined) options.gzipPath = values.gzip
  await generateCapture(out, options)
}

if (process.argv[1] !== undefined && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  main().catch((err: unknown) => {
    console.error(err instanceof Error ? err.message : err)
    process.exitCode = 1
  })
}
