/**
 * The one place where packet bytes are read without a bounds check. Every caller has checked
 * `off + n <= end` (end never exceeds buf.length) before calling, so the `!` below never hides a
 * real undefined. Plain indexing with shifts: see bench/decode.bench.ts for the comparison with
 * Buffer#readUInt16BE / readUInt32BE and DataView (numbers in bench/RESULTS.md).
 */

export function u8 (buf: Uint8Array, off: number): number {
  return buf[off]!
}

export function u16 (buf: Uint8Array, off: number): number {
  return (buf[off]! << 8) | buf[off + 1]!
}

export function u32 (buf: Uint8Array, off: number): number {
  return ((buf[off]! << 24) | (buf[off + 1]! << 16) | (buf[off + 2]! << 8) | buf[off + 3]!) >>> 0
}
