/**
 * The original's capture naming convention, `prefix-sensorname-instance-YYYYMMDDhhmmss.ext`:
 * exactly four `-`-separated parts; the sensor is the first three joined again
 * (`test-honeypot-1-20140826000000.cap.gz` → sensor `test-honeypot-1`, day 20140826).
 */
import { basename } from 'node:path'

export interface CaptureName {
  sensor: string
  /** YYYYMMDD from the name. */
  day: string
  /** The name without its capture extensions (.pcap, .cap, .pcapng, .gz). */
  stem: string
}

const CAPTURE_EXTENSION = /(\.(pcapng|pcap|cap|dump))?(\.gz)?$/i
const DATE = /^(\d{4})(\d{2})(\d{2})(\d{2})(\d{2})(\d{2})/

/** Parses a capture file name; undefined when it does not follow the convention. */
export function parseCaptureName (path: string): CaptureName | undefined {
  const name = basename(path)
  const parts = name.split('-')
  if (parts.length !== 4 || parts.slice(0, 3).some(p => p === '')) return undefined
  const m = DATE.exec(parts[3]!)
  if (m === null) return undefined
  const [, y, mo, d, h, mi, s] = m.map(Number) as [number, number, number, number, number, number, number]
  const date = new Date(Date.UTC(y, mo - 1, d, h, mi, s))
  if (date.getUTCMonth() !== mo - 1 || date.getUTCDate() !== d || h > 23 || mi > 59 || s > 59) return undefined
  return { sensor: parts.slice(0, 3).join('-'), day: m[0].slice(0, 8), stem: stem(name) }
}

/** The file name without its capture extensions. */
export function stem (path: string): string {
  return basename(path).replace(CAPTURE_EXTENSION, '')
}

/** The sensor of a file: --sensor, or from the file name; a clear error when neither works. */
export function sensorOf (file: string, sensor: string | undefined): { sensor: string, day: string | undefined } | Error {
  const name = parseCaptureName(file)
  if (sensor !== undefined) return { sensor, day: name?.day }
  if (name === undefined) {
    return new Error(`${file}: cannot tell the sensor: the name does not follow prefix-sensor-instance-YYYYMMDDhhmmss.ext (e.g. honeypot-eu-1-20240131000000.pcap); rename the file or pass --sensor NAME`)
  }
  return { sensor: name.sensor, day: name.day }
}
