/**
 * bench:interfaces — a hostile pcapng's cost must not grow with the number of distinct link
 * types it declares. Three sections of 65,536 interfaces (the most potiron keeps per section),
 * all of one link type or every one a different one, parsed alternately; medians. When each
 * interface searched the link types seen so far (an array), the distinct case took 7.5 s
 * against 0.2 s; this was a timed test, and timing belongs here.
 */
import { CaptureParser } from '../src/capture/parser.js'
import { MAX_INTERFACES_PER_SECTION } from '../src/capture/constants.js'
import { envInt, grouped, machineLine, median, table, timeMs } from './util.js'

/** Target: distinct link types cost at most this many times one link type. */
const TARGET_RATIO = 3

const SHB = Buffer.from('0a0d0d0a1c0000004d3c2b1a01000000ffffffffffffffff1c000000', 'hex')
const IDB = Buffer.from('0100000014000000010000000000000014000000', 'hex')

function capture (distinct: boolean): Buffer {
  const flood = Buffer.alloc(MAX_INTERFACES_PER_SECTION * IDB.length).fill(IDB)
  if (distinct) for (let i = 0; i < MAX_INTERFACES_PER_SECTION; i++) flood.writeUInt16LE(i, i * IDB.length + 8)
  return Buffer.concat([SHB, flood, SHB, flood, SHB, flood])
}

function parse (data: Buffer): number {
  const parser = new CaptureParser('bench', { packet () {} })
  parser.push(data)
  parser.end()
  return parser.info.linktypes.length
}

async function main (): Promise<void> {
  const rounds = Math.max(1, envInt('BENCH_ROUNDS', 7))
  const inputs = { 'one link type': capture(false), 'every one distinct': capture(true) }
  const names = Object.keys(inputs) as Array<keyof typeof inputs>
  const times = new Map<string, number[]>(names.map(n => [n, []]))
  for (let round = 0; round <= rounds; round++) {
    for (let k = 0; k < names.length; k++) {
      const name = names[(k + round) % names.length]!
      const ms = await timeMs(() => parse(inputs[name]))
      if (round > 0) times.get(name)!.push(ms) // round 0 warms up
    }
  }
  const [one, distinct] = names.map(n => median(times.get(n)!)) as [number, number]
  console.log(`bench:interfaces — 3 pcapng sections of ${grouped(MAX_INTERFACES_PER_SECTION)} interfaces each (${grouped(inputs['one link type'].length)} bytes), ${rounds} rounds after 1 warm-up, medians\nMachine: ${machineLine()}\n`)
  console.log(table(['link types', '>median ms', '>link types kept'], names.map(n => [n, grouped(median(times.get(n)!), 1), grouped(parse(inputs[n]))])))
  const ratio = distinct / one
  console.log(`\ndistinct ÷ one = ${grouped(ratio, 2)}x, target <= ${TARGET_RATIO}x: ${ratio <= TARGET_RATIO ? 'MET' : 'MISSED'}`)
}

await main()
