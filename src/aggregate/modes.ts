/**
 * The original's other formats (its PARAMETERS `format`): besides the standard counts, a
 * database holds either TCP initial sequence numbers (`isn`) or ARP requests and replies
 * (`layer2`), never two of them. In those formats a file's Analyzer hands every packet to the
 * format's collector instead of the field counters; what the collector keeps goes back to the
 * coordinator with the file's result (FileResult.mode).
 */
import { ArpCollector } from './arp.js'
import type { ModeCollector, ModeResult } from './collector.js'
import type { DayClock } from './days.js'
import { IsnCollector } from './isn.js'

export type { ModeCollector, ModeResult } from './collector.js'

export const FORMATS = ['standard', 'isn', 'layer2'] as const
export type Format = typeof FORMATS[number]

/** The collector of `format`, or undefined for the standard counts. */
export function collectorFor (format: Format | undefined, clock: DayClock): ModeCollector | undefined {
  switch (format) {
    case 'isn': return new IsnCollector()
    case 'layer2': return new ArpCollector(clock)
    default: return undefined
  }
}

/** The buffers of a mode result, moved rather than copied to the coordinator. */
export function modeBuffers (m: ModeResult | undefined): ArrayBuffer[] {
  if (m?.kind !== 'isn') return []
  return [m.days, m.micros, m.sport, m.dport, m.seq, m.ack, m.flags, m.ordinal].map(a => a.buffer as ArrayBuffer)
}
