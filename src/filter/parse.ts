/**
 * The pcap-filter(7) syntax (tcpdump's), parsed and compiled in one pass into a Predicate:
 *
 *   expr      := unary (('and' | '&&' | 'or' | '||') unary)*    and/or: one precedence, left to right
 *   unary     := ('not' | '!') unary | '(' expr ')' | relation | primitive
 *   primitive := [proto] [dir] [type] id | proto | 'vlan' | 'less' N | 'greater' N
 *   relation  := arith relop arith,  arith over numbers, `len`, `tcp[tcpflags]`, `icmp[icmptype]`
 *
 * and pcap-filter's rule for a bare id: it takes the qualifiers of the primitive before it, so
 * `host 10.0.0.1 or 10.0.0.2` and `tcp dst port 22 or 80` say their type once. What potiron
 * does not decode (Ethernet addresses, gateways, raw byte offsets...) is a FilterError naming it.
 */
import { ipv4NetOf, ipv4Of, ipv6Of, maskOf, masks6Of, prefixOfMask } from './address.js'
import { FilterError, tokenize, type Token } from './lex.js'
import {
  and, arithmetic, arp, constant, icmpCode, icmpType, ipv4Net, ipv6Net, IPPROTO, not, or, outerVersion, portRange,
  protocol, relation, tcpFlags, vlan, wireLength, type Direction, type Family, type Operand, type Predicate
} from './predicates.js'

type Proto = 'ip' | 'ip6' | 'arp' | 'tcp' | 'udp' | 'default'
type Type = 'host' | 'net' | 'port' | 'portrange' | 'proto' | 'default'

interface Qualifiers {
  proto: Proto
  dir: Direction
  type: Type
}

const DEFAULT_QUALIFIERS: Qualifiers = { proto: 'default', dir: 'src or dst', type: 'default' }

const PROTO_QUALIFIERS: Readonly<Record<string, Proto>> = { ip: 'ip', ip6: 'ip6', arp: 'arp', tcp: 'tcp', udp: 'udp' }
const TYPES: Readonly<Record<string, Type>> = { host: 'host', net: 'net', port: 'port', portrange: 'portrange', proto: 'proto' }

/** Protocol keywords alone (`tcp`, `icmp6`): pcap-filter's abbreviations, which protocols they apply to. */
const PROTOCOL_ABBREVIATIONS: Readonly<Record<string, [Family, number]>> = {
  tcp: [0, IPPROTO.tcp], udp: [0, IPPROTO.udp], sctp: [0, IPPROTO.sctp], icmp: [4, IPPROTO.icmp], igmp: [4, IPPROTO.igmp], icmp6: [6, IPPROTO.icmp6]
}

/** Named constants of relations (pcap-filter: "tcpflags", "icmptype" and their values). */
const CONSTANTS: Readonly<Record<string, number>> = {
  'tcp-fin': 0x01, 'tcp-syn': 0x02, 'tcp-rst': 0x04, 'tcp-push': 0x08, 'tcp-ack': 0x10, 'tcp-urg': 0x20, 'tcp-ece': 0x40, 'tcp-cwr': 0x80,
  'icmp-echoreply': 0, 'icmp-unreach': 3, 'icmp-sourcequench': 4, 'icmp-redirect': 5, 'icmp-echo': 8, 'icmp-routeradvert': 9,
  'icmp-routersolicit': 10, 'icmp-timxceed': 11, 'icmp-paramprob': 12, 'icmp-tstamp': 13, 'icmp-tstampreply': 14,
  'icmp-ireq': 15, 'icmp-ireqreply': 16, 'icmp-maskreq': 17, 'icmp-maskreply': 18
}

/** Fields of the protocol accessors potiron has decoded: `tcp[tcpflags]` is `tcp[13]`, one byte. */
const ACCESSORS: Readonly<Record<string, Readonly<Record<string, Operand>>>> = {
  tcp: { tcpflags: tcpFlags, 13: tcpFlags },
  icmp: { icmptype: icmpType, 0: icmpType, icmpcode: icmpCode, 1: icmpCode }
}

/** pcap-filter keywords potiron does not do, and why (each a FilterError naming it). */
const UNSUPPORTED: Readonly<Record<string, string>> = {
  ether: 'potiron does not decode Ethernet addresses',
  fddi: 'potiron does not decode link-layer addresses',
  tr: 'potiron does not decode link-layer addresses',
  wlan: 'potiron does not decode 802.11 headers',
  rarp: 'potiron does not decode RARP',
  decnet: 'potiron does not decode DECnet',
  gateway: 'potiron does not decode Ethernet addresses',
  protochain: 'potiron counts the protocol after the IPv6 extension headers: use `proto`',
  broadcast: 'potiron does not decode link-layer addresses',
  multicast: 'potiron does not decode link-layer addresses',
  inbound: 'captures read from files have no direction',
  outbound: 'captures read from files have no direction',
  mpls: 'potiron decodes through MPLS labels but does not keep them',
  pppoed: 'potiron does not decode PPPoE discovery',
  pppoes: 'potiron decodes through PPPoE but does not keep its session',
  geneve: 'potiron does not decode Geneve',
  vxlan: 'potiron decodes through VXLAN but does not keep its header',
  ifname: 'pflog headers are not decoded',
  on: 'pflog headers are not decoded',
  iso: 'potiron does not decode ISO protocols',
  atalk: 'potiron does not decode AppleTalk',
  aarp: 'potiron does not decode AppleTalk',
  ipx: 'potiron does not decode IPX',
  netbeui: 'potiron does not decode NetBEUI',
  stp: 'potiron does not decode STP',
  lat: 'potiron does not decode LAT',
  mopdl: 'potiron does not decode MOP',
  moprc: 'potiron does not decode MOP',
  sca: 'potiron does not decode SCA',
  llc: 'potiron decodes through LLC but does not keep it'
}

/** Words that end a primitive's id or start the next one: never an id themselves. */
const RESERVED = new Set(['and', 'or', 'not', 'src', 'dst', 'host', 'net', 'port', 'portrange', 'proto', 'mask', 'len', 'less', 'greater', 'vlan', 'ip', 'ip6', 'arp', 'tcp', 'udp', 'sctp', 'icmp', 'icmp6', 'igmp'])

const RELOPS = new Set(['>', '<', '>=', '<=', '=', '==', '!='])
/** Arithmetic operators by precedence, loosest first (pcap's grammar.y). */
const ARITH_LEVELS: ReadonlyArray<readonly string[]> = [['|'], ['&'], ['<<', '>>'], ['+', '-']]

/** Compiles a pcap-filter expression into a Predicate; throws FilterError saying what and where. */
export function compileFilter (text: string): Predicate {
  return new Parser(text).parse()
}

class Parser {
  readonly #tokens: Token[]
  #i = 0
  /** The qualifiers a bare id takes (those of the last `[proto] [dir] [type] id` primitive). */
  #last: Qualifiers | undefined = DEFAULT_QUALIFIERS

  constructor (readonly text: string) {
    this.#tokens = tokenize(text)
  }

  parse (): Predicate {
    if (this.#peek().kind === 'end') throw new FilterError('the filter is empty', 0)
    const p = this.#expr()
    const t = this.#peek()
    if (t.kind !== 'end') throw new FilterError(`unexpected '${t.text}'${t.text === ')' ? ' (no matching \'(\')' : ''}`, t.at)
    return p
  }

  #peek (ahead = 0): Token {
    return this.#tokens[Math.min(this.#i + ahead, this.#tokens.length - 1)]!
  }

  #next (): Token {
    const t = this.#peek()
    if (t.kind !== 'end') this.#i++
    return t
  }

  #is (t: Token, ...words: string[]): boolean {
    return !t.escaped && t.kind !== 'end' && words.includes(t.text)
  }

  #expect (text: string, what: string): Token {
    const t = this.#next()
    if (!this.#is(t, text)) throw new FilterError(`expected ${what} but found ${describe(t)}`, t.at)
    return t
  }

  #expr (): Predicate {
    let p = this.#unary()
    for (;;) {
      const t = this.#peek()
      if (this.#is(t, 'and', '&&')) { this.#next(); p = and(p, this.#unary()) } else if (this.#is(t, 'or', '||')) { this.#next(); p = or(p, this.#unary()) } else return p
    }
  }

  #unary (): Predicate {
    const t = this.#peek()
    if (t.kind === 'end') throw new FilterError('the filter ends where a primitive was expected', t.at)
    if (this.#is(t, 'not', '!')) {
      this.#next()
      return not(this.#unary())
    }
    const relation = this.#tryRelation()
    if (relation !== undefined) return relation
    if (this.#is(t, '(')) {
      this.#next()
      const p = this.#expr()
      this.#expect(')', "')'")
      return p
    }
    return this.#primitive()
  }

  /**
   * `arith relop arith`, when the tokens here are one; else undefined and nothing consumed. `len`,
   * a named constant or `proto[...]` can only start a relation; a number or '(' may also start
   * an id (`port 22 or 80`) or a group, so those are tried and given back until a relop is read.
   */
  #tryRelation (): Predicate | undefined {
    const t = this.#peek()
    const certain = this.#is(t, 'len') || (t.kind === 'word' && !t.escaped && (Object.hasOwn(CONSTANTS, t.text) || this.#is(this.#peek(1), '[')))
    if (!certain && !this.#is(t, '(') && !(t.kind === 'word' && /^\d/.test(t.text))) return undefined
    const start = this.#i
    let left: Operand
    try {
      left = this.#arith(0)
    } catch (err) {
      if (certain || !(err instanceof FilterError)) throw err
      this.#i = start
      return undefined
    }
    const op = this.#peek()
    if (op.kind === 'punct' && RELOPS.has(op.text)) {
      this.#next()
      const right = this.#arith(0)
      this.#last = undefined
      return relation(left, op.text, right)
    }
    if (certain) throw new FilterError(`expected a comparison (${[...RELOPS].join(' ')}) but found ${describe(op)}`, op.at)
    this.#i = start
    return undefined
  }

  #arith (level: number): Operand {
    if (level === ARITH_LEVELS.length) return this.#operand()
    let left = this.#arith(level + 1)
    for (;;) {
      const op = this.#peek()
      if (op.kind !== 'punct' || !ARITH_LEVELS[level]!.includes(op.text)) return left
      this.#next()
      left = arithmetic(left, op.text, this.#arith(level + 1))
    }
  }

  #operand (): Operand {
    const t = this.#next()
    if (this.#is(t, '(')) {
      const inner = this.#arith(0)
      this.#expect(')', "')'")
      return inner
    }
    if (this.#is(t, 'len')) return wireLength
    if (t.kind !== 'word') throw new FilterError(`expected a number but found ${describe(t)}`, t.at)
    if (this.#is(this.#peek(), '[')) return this.#accessor(t)
    if (Object.hasOwn(CONSTANTS, t.text)) return constant(CONSTANTS[t.text]!)
    return constant(this.#number(t, 0xffffffff))
  }

  /** `tcp[tcpflags]`, `tcp[13]`, `icmp[icmptype]`: the header fields potiron decodes, no other offset. */
  #accessor (proto: Token): Operand {
    this.#expect('[', "'['")
    const field = this.#next()
    let size = 1
    if (this.#is(this.#peek(), ':')) {
      this.#next()
      size = this.#number(this.#next(), 4)
    }
    this.#expect(']', "']'")
    const operand = ACCESSORS[proto.text]?.[field.text]
    if (operand === undefined || size !== 1) {
      const known = Object.entries(ACCESSORS).flatMap(([p, fields]) => Object.keys(fields).filter(k => !/^\d/.test(k)).map(k => `${p}[${k}]`))
      throw new FilterError(`${proto.text}[${field.text}${size === 1 ? '' : `:${size}`}] is not supported: potiron reads ${known.join(', ')} (and their offsets), not other packet bytes`, proto.at)
    }
    return operand
  }

  #number (t: Token, max: number): number {
    const n = t.kind === 'word' && /^(0x[0-9a-f]+|\d+)$/i.test(t.text) ? Number(t.text) : Number.NaN
    if (Number.isNaN(n)) throw new FilterError(`expected a number but found ${describe(t)}`, t.at)
    if (n > max) throw new FilterError(`${t.text} is above ${max}`, t.at)
    return n
  }

  #primitive (): Predicate {
    const t = this.#peek()
    if (t.kind !== 'word') throw new FilterError(`unexpected ${describe(t)}`, t.at)
    if (!t.escaped && Object.hasOwn(UNSUPPORTED, t.text)) throw new FilterError(`'${t.text}' is not supported: ${UNSUPPORTED[t.text]!}`, t.at)
    if (this.#is(t, 'less', 'greater')) {
      this.#next()
      this.#last = undefined
      return relation(wireLength, t.text === 'less' ? '<=' : '>=', constant(this.#number(this.#next(), 0xffffffff)))
    }
    if (this.#is(t, 'vlan')) {
      this.#next()
      this.#last = undefined
      if (this.#peek().kind === 'word' && /^\d/.test(this.#peek().text)) throw new FilterError("'vlan ID' is not supported: potiron notes that a frame is tagged, not its VLAN ID", t.at)
      return vlan
    }
    const explicit = this.#qualifiers()
    if (explicit === undefined) {
      // A bare id: the qualifiers of the primitive before it (pcap-filter's abbreviation rule).
      const last = this.#last
      if (last === undefined) throw new FilterError(`${describe(t)} needs a qualifier (host, net, port...): the primitive before it has none to lend`, t.at)
      return this.#id(last)
    }
    const { q, proto } = explicit
    const id = this.#peek()
    const endsHere = id.kind !== 'word' || (this.#is(id, ...RESERVED) && !(q.type === 'proto' && id.text in IPPROTO))
    if (q.type === 'default' && q.dir === DEFAULT_QUALIFIERS.dir && endsHere && proto !== undefined) {
      // A protocol alone: `ip`, `ip6`, `arp`, `tcp`, `icmp6`...
      this.#last = undefined
      return protocolAlone(proto)
    }
    if (endsHere) throw new FilterError(`expected an address, a port or a number but found ${describe(id)}`, id.at)
    this.#last = q
    return this.#id(q)
  }

  /** `[proto] [dir] [type]` when any is there; undefined when the next word is none of them. */
  #qualifiers (): { q: Qualifiers, proto: Token | undefined } | undefined {
    let t = this.#peek()
    let proto: Token | undefined
    const q: Qualifiers = { ...DEFAULT_QUALIFIERS }
    if (this.#is(t, ...Object.keys(PROTO_QUALIFIERS), ...Object.keys(PROTOCOL_ABBREVIATIONS))) {
      proto = this.#next()
      q.proto = PROTO_QUALIFIERS[proto.text] ?? 'default'
      t = this.#peek()
    }
    if (this.#is(t, 'src', 'dst')) {
      this.#next()
      const joined = this.#peek()
      if (this.#is(joined, 'or', 'and') && this.#is(this.#peek(1), t.text === 'src' ? 'dst' : 'src')) {
        this.#next()
        this.#next()
        q.dir = joined.text === 'or' ? 'src or dst' : 'src and dst'
      } else {
        q.dir = t.text as Direction
      }
      t = this.#peek()
    }
    if (!t.escaped && t.kind === 'word' && Object.hasOwn(UNSUPPORTED, t.text)) throw new FilterError(`'${t.text}' is not supported: ${UNSUPPORTED[t.text]!}`, t.at)
    if (this.#is(t, ...Object.keys(TYPES))) {
      this.#next()
      q.type = TYPES[t.text]!
    }
    if (proto === undefined && q.dir === DEFAULT_QUALIFIERS.dir && q.type === 'default') return undefined
    if (proto !== undefined && q.proto === 'default' && (q.dir !== DEFAULT_QUALIFIERS.dir || q.type !== 'default')) {
      throw new FilterError(`'${proto.text}' cannot qualify a ${q.type === 'default' ? 'direction' : q.type}: use ip, ip6, arp, tcp or udp`, proto.at)
    }
    return { q, proto }
  }

  /** An id (address, network, port, range, protocol) under the qualifiers `q`. */
  #id (q: Qualifiers): Predicate {
    const t = this.#next()
    if (t.kind !== 'word') throw new FilterError(`expected an address, a port or a number but found ${describe(t)}`, t.at)
    switch (q.type) {
      case 'port': return this.#ports(q, t, false)
      case 'portrange': return this.#ports(q, t, true)
      case 'proto': return this.#protoNumber(q, t)
      case 'host': case 'net': case 'default': return this.#address(q, t)
    }
  }

  #ports (q: Qualifiers, t: Token, range: boolean): Predicate {
    if (q.proto === 'arp') throw new FilterError("'arp' has no ports", t.at)
    const parts = range ? t.text.split('-') : [t.text]
    if (range && parts.length !== 2) throw new FilterError(`expected a port range such as 1-1024 but found '${t.text}'`, t.at)
    if (parts.some(p => /^[A-Za-z]/.test(p))) throw new FilterError(`port names are not resolved: give '${t.text}' as ${range ? 'numbers' : 'a number'}`, t.at)
    const [low, high] = parts.map(p => this.#number({ ...t, text: p }, 65535)) as [number, number]
    const transport = q.proto === 'tcp' ? 'tcp' : q.proto === 'udp' ? 'udp' : 'both'
    return portRange(q.dir, familyOf(q.proto), transport, Math.min(low, high ?? low), Math.max(low, high ?? low))
  }

  #protoNumber (q: Qualifiers, t: Token): Predicate {
    if (q.dir !== DEFAULT_QUALIFIERS.dir) throw new FilterError(`'proto' takes no ${q.dir}`, t.at)
    if (q.proto !== 'ip' && q.proto !== 'ip6' && q.proto !== 'default') throw new FilterError(`'${q.proto} proto' is not supported: potiron reads the IP protocol (ip proto, ip6 proto, proto)`, t.at)
    const n = /^\d/.test(t.text) ? this.#number(t, 255) : (IPPROTO as Record<string, number>)[t.text]
    if (n === undefined) throw new FilterError(`unknown protocol '${t.text}': give its number or one of ${Object.keys(IPPROTO).join(', ')}`, t.at)
    return protocol(familyOf(q.proto), n)
  }

  #address (q: Qualifiers, t: Token): Predicate {
    if (q.proto === 'tcp' || q.proto === 'udp') throw new FilterError(`'${q.proto}' cannot qualify a ${q.type === 'default' ? 'host' : q.type}: use ip, ip6 or arp`, t.at)
    // `net A/len`, `net A mask M` (default type too: a prefix makes it a net).
    let bits: number | undefined
    let bitsAt = t.at
    if (this.#is(this.#peek(), '/')) {
      this.#next()
      const n = this.#next()
      bitsAt = n.at
      bits = this.#number(n, 128)
    } else if (this.#is(this.#peek(), 'mask')) {
      this.#next()
      const m = this.#next()
      const mask = ipv4Of(m.text)
      if (mask === undefined) throw new FilterError(`expected an IPv4 mask such as 255.255.0.0 but found ${describe(m)}`, m.at)
      bits = prefixOfMask(mask)
      if (bits === undefined) throw new FilterError(`mask ${m.text} is not contiguous`, m.at)
      bitsAt = m.at
    }
    const type = bits !== undefined || q.type === 'net' ? 'net' : 'host'
    if (type === 'net' && q.type === 'host') throw new FilterError(`'host' takes an address, not a network: use 'net ${t.text}/${bits ?? ''}'`, t.at)
    const six = ipv6Of(t.text)
    if (six !== undefined) {
      if (q.proto === 'ip' || q.proto === 'arp') throw new FilterError(`'${q.proto}' with an IPv6 address`, t.at)
      const prefix = bits ?? 128
      if (prefix > 128) throw new FilterError('an IPv6 prefix is at most 128 bits long', bitsAt)
      const masks = masks6Of(prefix)
      if (six.some((w, i) => ((w & ~masks[i]!) >>> 0) !== 0)) throw new FilterError(`${t.text}/${prefix} has bits set beyond its prefix`, t.at)
      return ipv6Net(q.dir, six, masks)
    }
    const net = type === 'net' && bits === undefined ? ipv4NetOf(t.text) : ipv4Of(t.text) === undefined ? undefined : { address: ipv4Of(t.text)!, bits: bits ?? 32 }
    if (net === undefined) {
      if (/^[A-Za-z]/.test(t.text) && !t.text.includes(':')) throw new FilterError(`'${t.text}' is not an address: potiron does not resolve host names`, t.at)
      throw new FilterError(`'${t.text}' is not an IPv4 or IPv6 address`, t.at)
    }
    if (q.proto === 'ip6') throw new FilterError("'ip6' with an IPv4 address", t.at)
    if (net.bits > 32) throw new FilterError('an IPv4 prefix is at most 32 bits long', bitsAt)
    const mask = maskOf(net.bits)
    if (((net.address & ~mask) >>> 0) !== 0) throw new FilterError(`${t.text}/${net.bits} has bits set beyond its prefix`, t.at)
    return ipv4Net(q.dir, net.address, mask, q.proto !== 'arp', q.proto !== 'ip')
  }
}

function familyOf (proto: Proto): Family {
  return proto === 'ip' ? 4 : proto === 'ip6' ? 6 : 0
}

function protocolAlone (t: Token): Predicate {
  switch (t.text) {
    case 'ip': return outerVersion(4)
    case 'ip6': return outerVersion(6)
    case 'arp': return arp
    default: {
      const [family, proto] = PROTOCOL_ABBREVIATIONS[t.text]!
      return protocol(family, proto)
    }
  }
}

function describe (t: Token): string {
  return t.kind === 'end' ? 'the end of the filter' : `'${t.text}'`
}
