/** Shapes shared by the capture readers (pcap, pcapng) and whoever consumes their packets. */

/** The largest record potiron accepts; a longer one is a corrupt file, not a packet. */
export const MAX_RECORD_BYTES = 256 * 1024

/** Sentinel `sec` for a packet without a usable timestamp (pcapng Simple Packet Block). */
export const NO_TIMESTAMP = Number.NaN

/**
 * Receives every packet record of a capture, in file order. The bytes `buf[off, off + caplen)`
 * are only valid during the call: the reader reuses its buffers, so a sink that keeps anything
 * must copy it.
 *
 * `sec` is whole seconds since the Unix epoch (UTC), `nsec` the nanoseconds within that second
 * (0..999999999); `sec` is NaN when the record carries no timestamp (Simple Packet Block).
 * Readers pass every other timestamp through exactly, even absurd ones (year 30000); deciding
 * whether a time is usable is the consumer's job.
 */
export interface PacketSink {
  packet (buf: Buffer, off: number, caplen: number, origlen: number, linktype: number, sec: number, nsec: number): void
}

/** One format's record walker, driven by CaptureParser (parser.ts). */
export interface RecordReader {
  /** Size of the unit (file header, record, block) starting where `parse` last stopped, as far as its known bytes tell. */
  readonly need: number
  /** What that unit is, for messages. */
  readonly unit: string
  /**
   * Handles every complete unit in buf[pos, end) and returns where the first incomplete one
   * starts. `base` is the stream offset of buf[0]. Throws CaptureError on fatal problems.
   */
  parse (buf: Buffer, pos: number, end: number, base: number): number
}

/** What kind of file this is, decided from its first bytes, never from its name. */
export type CaptureFormat = 'pcap' | 'pcapng'

/** Facts a reader gathers about one capture while it reads it. */
export interface CaptureInfo {
  format: CaptureFormat | undefined
  gzip: boolean
  /** pcap: 'usec' | 'nsec' | 'usec-modified'; pcapng: undefined (per interface). */
  precision: string | undefined
  /** Every link type seen, each once (pcap: the one of the header; pcapng: those of its interfaces). */
  linktypes: number[]
  /** Packet records handed to the sink. */
  packets: number
  /** Sum of captured bytes (caplen) of those records. */
  capturedBytes: number
  /** Records whose caplen < origlen (cut by the snap length). */
  snapTruncated: number
  /** Non-packet records skipped (pcapng NRB, ISB, custom and unknown blocks). */
  skippedBlocks: number
  /** Bytes of capture data consumed (decompressed bytes for gzip). */
  offset: number
}
