/**
 * bench:decode — which way of reading big-endian header fields is fastest on this Node: plain
 * indexing with shifts (src/decode/bytes.ts), Buffer#readUInt16BE/readUInt32BE, or a DataView.
 * Reads the fields potiron decodes (EtherType, IPv4 length/addresses, TCP ports/seq/ack) from
 * a buffer of realistic frames; variants alternate in rounds, medians reported.
 */
import { u16, u32 } from '../src/decode/bytes.js'
import { envInt, grouped, machineLine, median, table, timeMs } from './util.js'

const FRAME = 74
const frames = envInt('BENCH_FRAMES', 200_000)
const rounds = Math.max(1, envInt('BENCH_ROUNDS', 7))
const buf = Buffer.alloc(frames * FRAME)
let x = 1
for (let i = 0; i < buf.length; i++) buf[i] = (x = (Math.imul(x, 1103515245) + 12345) >>> 0) >>> 24
const view = new DataView(buf.buffer, buf.byteOffset, buf.byteLength)

/** Fields at Ethernet 12, IPv4 14+2, 14+12, 14+16, TCP 34, 36, 38, 42: summed so nothing is optimised away. */
const variants: Record<string, () => number> = {
  'index + shifts (bytes.ts)': () => {
    let s = 0
    for (let o = 0; o < buf.length; o += FRAME) s += u16(buf, o + 12) + u16(buf, o + 16) + u32(buf, o + 26) + u32(buf, o + 30) + u16(buf, o + 34) + u16(buf, o + 36) + u32(buf, o + 38) + u32(buf, o + 42)
    return s
  },
  'Buffer#readUInt16BE/32BE': () => {
    let s = 0
    for (let o = 0; o < buf.length; o += FRAME) s += buf.readUInt16BE(o + 12) + buf.readUInt16BE(o + 16) + buf.readUInt32BE(o + 26) + buf.readUInt32BE(o + 30) + buf.readUInt16BE(o + 34) + buf.readUInt16BE(o + 36) + buf.readUInt32BE(o + 38) + buf.readUInt32BE(o + 42)
    return s
  },
  'DataView#getUint16/32': () => {
    let s = 0
    for (let o = 0; o < buf.length; o += FRAME) s += view.getUint16(o + 12) + view.getUint16(o + 16) + view.getUint32(o + 26) + view.getUint32(o + 30) + view.getUint16(o + 34) + view.getUint16(o + 36) + view.getUint32(o + 38) + view.getUint32(o + 42)
    return s
  }
}

async function main (): Promise<void> {
  const names = Object.keys(variants)
  const times = new Map<string, number[]>(names.map(n => [n, []]))
  let expected: number | undefined
  for (let round = 0; round <= rounds; round++) {
    for (let k = 0; k < names.length; k++) {
      const name = names[(k + round) % names.length]!
      let sum = 0
      const ms = await timeMs(() => { sum = variants[name]!() })
      if (expected === undefined) expected = sum
      else if (sum !== expected) throw new Error(`${name} read different values`)
      if (round > 0) times.get(name)!.push(ms) // round 0 warms up
    }
  }
  const base = median(times.get(names[0]!)!)
  console.log(`bench:decode — ${grouped(frames)} frames x 8 fields, ${rounds} rounds after 1 warm-up, medians\nMachine: ${machineLine()}\n`)
  console.log(table(['variant', '>median ms', '>Mfields/s', '>vs index + shifts'], names.map(n => {
    const ms = median(times.get(n)!)
    return [n, grouped(ms, 2), grouped(frames * 8 / ms / 1000, 1), `${grouped(ms / base, 2)}x time`]
  })))
}

await main()
