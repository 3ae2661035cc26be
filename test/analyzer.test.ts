/**
 * The per-packet pipeline around the decoders: which packets are counted under each selection,
 * and the file's first, last, earliest and latest timestamps.
 */
import assert from 'node:assert/strict'
import { test } from 'node:test'
import { Analyzer, type Selection } from '../src/aggregate/analyzer.js'
import { PACKET_FIELDS as FIELDS } from '../src/aggregate/fields.js'
import { ETH_IPV4, ETH_IPV6, IPV4_UDP, IPV6_UDP, LT_ETHERNET, hex } from './helpers/frames.js'

/** IPV4_UDP sent to the limited broadcast 255.255.255.255. */
const BROADCAST_UDP = hex(ETH_IPV4, IPV4_UDP.replace('c6336402', 'ffffffff'))
const UNICAST_UDP = hex(ETH_IPV4, IPV4_UDP)
const V6_UDP = hex(ETH_IPV6, IPV6_UDP)
/** 2024-03-01T00:00:00Z */
const T0 = 1709251200

function analyzer (selection: Selection): Analyzer {
  return new Analyzer({ fields: FIELDS, combinedKeys: false, selection, zone: undefined })
}

function feed (a: Analyzer, frame: Buffer, sec: number, nsec = 0): void {
  a.packet(frame, 0, frame.length, frame.length, LT_ETHERNET, sec, nsec)
}

test('selections: broadcast IPv4 only with every-ip, IPv6 except with ipv4-only', () => {
  const counted: Record<string, number> = {}
  for (const selection of ['default', 'ipv4-only', 'every-ip'] as const) {
    const a = analyzer(selection)
    for (const frame of [UNICAST_UDP, BROADCAST_UDP, V6_UDP]) feed(a, frame, T0)
    a.finish()
    assert.equal(a.stats.packets, 3)
    counted[selection] = a.stats.counted
  }
  assert.deepEqual(counted, { default: 2, 'ipv4-only': 1, 'every-ip': 3 })
})

test('first and last in file order, min and max by time, nanoseconds breaking ties', () => {
  const a = analyzer('default')
  feed(a, UNICAST_UDP, T0 + 100, 5)
  feed(a, UNICAST_UDP, T0 + 50, 9)
  feed(a, UNICAST_UDP, T0 + 50, 1)
  feed(a, UNICAST_UDP, T0 + 200, 3)
  feed(a, UNICAST_UDP, T0 + 200, 7)
  feed(a, UNICAST_UDP, T0 + 150, 0)
  a.finish()
  const { first, last, min, max } = a.stats
  assert.deepEqual({ first, last, min, max }, {
    first: [T0 + 100, 5], last: [T0 + 150, 0], min: [T0 + 50, 1], max: [T0 + 200, 7]
  })
})

test('a single packet is first, last, min and max; packets without a timestamp leave them null', () => {
  const one = analyzer('default')
  feed(one, UNICAST_UDP, T0, 42)
  one.finish()
  assert.deepEqual([one.stats.first, one.stats.last, one.stats.min, one.stats.max], [[T0, 42], [T0, 42], [T0, 42], [T0, 42]])

  const none = analyzer('default')
  feed(none, UNICAST_UDP, Number.NaN)
  none.finish()
  assert.deepEqual([none.stats.first, none.stats.last, none.stats.min, none.stats.max, none.stats.noTimestamp], [null, null, null, null, 1])
})
