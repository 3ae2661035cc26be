/** Small capture files built in tests: classic pcap, and pcapng whose interface has a time offset. */

/** One packet: its frame and its time (whole seconds since the epoch, microseconds). */
export interface TimedFrame {
  frame: Buffer
  sec: number
  usec?: number
}

/** A little-endian classic pcap (µs) of link type `linktype`; caplen = origlen = the frame's length. */
export function pcapOf (linktype: number, packets: readonly TimedFrame[]): Buffer {
  const header = Buffer.alloc(24)
  header.writeUInt32LE(0xa1b2c3d4, 0)
  header.writeUInt16LE(2, 4)
  header.writeUInt16LE(4, 6)
  header.writeUInt32LE(262144, 16)
  header.writeUInt32LE(linktype, 20)
  return Buffer.concat([header, ...packets.flatMap(({ frame, sec, usec = 0 }) => {
    const record = Buffer.alloc(16)
    record.writeUInt32LE(sec, 0)
    record.writeUInt32LE(usec, 4)
    record.writeUInt32LE(frame.length, 8)
    record.writeUInt32LE(frame.length, 12)
    return [record, frame]
  })])
}

function block (type: number, body: Buffer): Buffer {
  const padded = Buffer.concat([body, Buffer.alloc((4 - body.length % 4) % 4)])
  const head = Buffer.alloc(8)
  head.writeUInt32LE(type, 0)
  head.writeUInt32LE(padded.length + 12, 4)
  const tail = Buffer.alloc(4)
  tail.writeUInt32LE(padded.length + 12, 0)
  return Buffer.concat([head, padded, tail])
}

/**
 * A little-endian pcapng: one interface of link type `linktype` with `if_tsoffset` = `offset`
 * seconds (which may be negative: years before 1970), then one Enhanced Packet Block per frame;
 * `sec` is the packet's time since the epoch, written as µs ticks after the offset.
 */
export function pcapngWithOffset (linktype: number, offset: number, packets: readonly TimedFrame[]): Buffer {
  const shb = Buffer.alloc(16)
  shb.writeUInt32LE(0x1a2b3c4d, 0)
  shb.writeUInt16LE(1, 4)
  shb.writeBigInt64LE(-1n, 8)
  const idb = Buffer.alloc(8 + 12 + 4)
  idb.writeUInt16LE(linktype, 0)
  idb.writeUInt32LE(262144, 4)
  idb.writeUInt16LE(14, 8) // if_tsoffset
  idb.writeUInt16LE(8, 10)
  idb.writeBigInt64LE(BigInt(offset), 12)
  // opt_endofopt: 4 zero bytes, already there.
  return Buffer.concat([block(0x0a0d0d0a, shb), block(1, idb), ...packets.map(({ frame, sec, usec = 0 }) => {
    const ticks = BigInt(sec - offset) * 1000000n + BigInt(usec)
    const fixed = Buffer.alloc(20)
    fixed.writeUInt32LE(0, 0)
    fixed.writeUInt32LE(Number(ticks >> 32n), 4)
    fixed.writeUInt32LE(Number(ticks & 0xffffffffn), 8)
    fixed.writeUInt32LE(frame.length, 12)
    fixed.writeUInt32LE(frame.length, 16)
    return block(6, Buffer.concat([fixed, frame]))
  })])
}
