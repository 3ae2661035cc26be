/** Whole-file facts gathered alongside aggregation: totals, IP versions, protocols, times, days. */

export interface FileStats {
  /** Packet records read. */
  packets: number
  /** Frames whose outermost IP header is IPv4 / IPv6 (even when cut short). */
  ipv4: number
  ipv6: number
  /** Frames with a supported link type but no IP header. */
  nonIp: number
  /** Frames of a link type potiron does not decode. */
  unsupportedLink: number
  /** Frames whose headers were cut short or inconsistent. */
  malformed: number
  /** Frames whose TCP/UDP/ICMP fields came from inside a tunnel or an ICMP error. */
  innerTransport: number
  /** Per IP protocol number: frames whose counted IP header carries it (IPv6: after extension headers). */
  protocols: Record<string, number>
  /** Records without a timestamp (pcapng Simple Packet Block). */
  noTimestamp: number
  /** Records whose timestamp has no valid day (before year 1 or after year 9999). */
  outOfRange: number
  /** First and last timestamps in file order, earliest and latest, as [seconds, nanoseconds]; null when none. */
  first: [number, number] | null
  last: [number, number] | null
  min: [number, number] | null
  max: [number, number] | null
  /** Records per day (YYYYMMDD → count), every record with a valid day. */
  perDay: Record<string, number>
  /** Packets counted into the fields (selected and with a day). */
  counted: number
  /** Packets the run's filter (`--filter`) did not match: not counted, whatever the selection. */
  filtered: number
  /** Selected packets without a valid day: counted in the table under UNDATED, in no day. */
  undated: number
}

export function emptyStats (): FileStats {
  return {
    packets: 0, ipv4: 0, ipv6: 0, nonIp: 0, unsupportedLink: 0, malformed: 0, innerTransport: 0, protocols: {},
    noTimestamp: 0, outOfRange: 0, first: null, last: null, min: null, max: null, perDay: {}, counted: 0, filtered: 0, undated: 0
  }
}
