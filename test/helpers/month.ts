/**
 * Data for the export and dashboard tests: a seeded, generated capture of one sensor over three
 * days of March 2024 (bench/gen-capture.ts, the same bytes on every run), ingested into private
 * redis-servers with and without combined keys.
 */
import { join } from 'node:path'
import { generateCapture, type GeneratedPacket } from '../../bench/gen-capture.js'

export const MONTH_SENSOR = 'lab-gen-1'
export const MONTH_CAPTURE = 'lab-gen-1-20240301000000.pcap'

/** Writes the capture into `dir`, telling `onPacket` what each packet is; returns its path. */
export async function writeMonthCapture (dir: string, onPacket?: (packet: GeneratedPacket) => void): Promise<string> {
  const path = join(dir, MONTH_CAPTURE)
  await generateCapture(path, { packets: 3000, seed: 7, days: 3, startEpoch: Date.UTC(2024, 2, 1) / 1000, onPacket })
  return path
}

/** A second capture of the sensor, of March 5 only: March 4 then has no capture at all (a gap in the month's timelines). */
export const LATER_CAPTURE = 'lab-gen-1-20240305000000.pcap'

export async function writeLaterCapture (dir: string): Promise<string> {
  const path = join(dir, LATER_CAPTURE)
  await generateCapture(path, { packets: 500, seed: 11, days: 1, startEpoch: Date.UTC(2024, 2, 5) / 1000 })
  return path
}
