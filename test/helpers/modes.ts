/** Frames of the ISN and layer-2 modes' tests: TCP segments with chosen flags, and ARP messages. */
import { ADDRS4, ADDRS6, ETH_IPV4, ETH_IPV6, eth, hex } from './frames.js'

const h = (n: number, bytes: number): string => n.toString(16).padStart(bytes * 2, '0')

function tcpHeader (sport: number, dport: number, seq: number, ack: number, flags: string): string {
  return `${h(sport, 2)} ${h(dport, 2)}  ${h(seq, 4)}  ${h(ack, 4)}  50${flags} ffff  0000 0000`
}

/** Ethernet, IPv4 192.0.2.1 → 198.51.100.2, TCP sport → dport with `seq`, `ack` and `flags` (a hex byte: 02 SYN, 12 SYN-ACK). */
export function tcp4 (sport: number, dport: number, seq: number, ack: number, flags: string): Buffer {
  return hex(ETH_IPV4, `4500 0028  0001 0000  4006 0000  ${ADDRS4}`, tcpHeader(sport, dport, seq, ack, flags))
}

/** As tcp4 over IPv6 2001:db8::1 → 2001:db8::2. */
export function tcp6 (sport: number, dport: number, seq: number, ack: number, flags: string): Buffer {
  return hex(ETH_IPV6, `6000 0000  0014 0640  ${ADDRS6}`, tcpHeader(sport, dport, seq, ack, flags))
}

/** `a.b.c.d` as 8 hex digits. */
function ip (text: string): string {
  return text.split('.').map(n => h(Number(n), 1)).join('')
}

/** An Ethernet ARP message (RFC 826): opcode 1 request, 2 reply; MACs as 12 hex digits. */
export function arp (op: 1 | 2, senderMac: string, senderIp: string, targetMac: string, targetIp: string): Buffer {
  return hex(eth('0806'), `0001 0800 06 04 ${h(op, 2)}  ${senderMac} ${ip(senderIp)}  ${targetMac} ${ip(targetIp)}`)
}
