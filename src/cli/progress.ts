/**
 * Ingest progress, rendering only: its inputs are the coordinator's `onFile` and, on a terminal,
 * `onProgress` callbacks (the workers never see it). On a terminal, cli-progress bars that move
 * while a file is parsed; elsewhere (logs, pipes) a plain line at most every `intervalMs`, as
 * files are settled; failed files are always printed, one line each, as they happen.
 */
import { createRequire } from 'node:module'
import { basename } from 'node:path'
import type { MultiBar as Bars } from 'cli-progress'
import { printable } from './printable.js'
import { plural } from '../plural.js'

export type Outcome = 'ingested' | 'skipped' | 'failed'
export type ProgressMode = 'tty' | 'lines' | 'quiet'

export interface ProgressOptions {
  mode: ProgressMode
  /** Every file of the run with its size in bytes: sizes weigh the ETA, small files count less. */
  files: ReadonlyMap<string, number>
  /** Writes one line to stderr (modes 'lines' and 'quiet'). */
  write: (line: string) => void
  /** The terminal of mode 'tty' (default process.stderr). */
  stream?: NodeJS.WritableStream
  now?: () => number
  /** Runs `fn` after `ms`; returns its cancel. Default: an unref'd setTimeout. */
  schedule?: (fn: () => void, ms: number) => () => void
  intervalMs?: number
}

export interface Progress {
  onFile: (file: string, outcome: Outcome, detail: string, packets: number) => void
  /**
   * A file being parsed: bytes of it read so far and packets counted (the coordinator's
   * `onProgress`). Only the bars show it: undefined in the other modes, so workers report nothing.
   */
  onProgress?: ((file: string, bytes: number, packets: number) => void) | undefined
  /** Ends the rendering (bars removed, timers cancelled); call before printing the summary. */
  stop: () => void
}

/** 42s, 4m05s, 1h02m */
export function formatDuration (ms: number): string {
  const s = Math.max(0, Math.round(ms / 1000))
  if (s < 60) return `${s}s`
  if (s < 3600) return `${Math.floor(s / 60)}m${String(s % 60).padStart(2, '0')}s`
  return `${Math.floor(s / 3600)}h${String(Math.floor(s / 60) % 60).padStart(2, '0')}m`
}

/** The counts behind both renderings. */
export class Tally {
  ingested = 0
  skipped = 0
  failed = 0
  #donePackets = 0
  #doneBytes = 0
  #totalBytes: number
  readonly #sizes: ReadonlyMap<string, number>
  readonly #started: number
  /** Files being parsed (or written), in the order they started: bytes read and packets counted so far. */
  readonly #reading = new Map<string, { bytes: number, packets: number }>()

  constructor (sizes: ReadonlyMap<string, number>, started: number) {
    this.#sizes = sizes
    this.#started = started
    this.#totalBytes = [...sizes.values()].reduce((a, b) => a + weight(b), 0)
  }

  get files (): number { return this.#sizes.size }
  get done (): number { return this.ingested + this.skipped + this.failed }
  /** Packets of the settled files, and so far of those in progress. */
  get packets (): number {
    let packets = this.#donePackets
    for (const file of this.#reading.values()) packets += file.packets
    return packets
  }

  /** Bytes of the run's work: of every file not skipped. */
  get totalBytes (): number { return this.#totalBytes }

  /** Bytes read so far: of the settled files, whole, and of those in progress (never more than their size). */
  get readBytes (): number {
    let bytes = this.#doneBytes
    for (const [file, { bytes: read }] of this.#reading) bytes += Math.min(read, weight(this.#sizes.get(file) ?? 0))
    return bytes
  }

  /** The files in progress, in the order they started. */
  get inProgress (): string[] { return [...this.#reading.keys()] }

  /** A report of a file being parsed. */
  reading (file: string, bytes: number, packets: number): void {
    this.#reading.set(file, { bytes, packets })
  }

  add (file: string, outcome: Outcome, packets: number): void {
    this.#reading.delete(file)
    this[outcome]++
    this.#donePackets += packets
    const bytes = weight(this.#sizes.get(file) ?? 0)
    // A skipped file costs no time: leave it out of the work rather than count it as done fast.
    if (outcome === 'skipped') this.#totalBytes -= bytes
    else this.#doneBytes += bytes
  }

  rate (now: number): number {
    const seconds = (now - this.#started) / 1000
    return seconds > 0 ? Math.round(this.packets / seconds) : 0
  }

  /** Milliseconds left, from the bytes read so far; undefined before the first byte is. */
  eta (now: number): number | undefined {
    if (this.done >= this.files) return 0
    const read = this.readBytes
    if (read === 0) return undefined
    return (now - this.#started) * Math.max(0, this.#totalBytes - read) / read
  }

  line (now: number): string {
    const eta = this.eta(now)
    return `potiron: ${this.done}/${plural(this.files, 'file')} (${this.ingested} ingested, ${this.skipped} skipped, ${this.failed} failed), ` +
      `${plural(this.packets, 'packet')}, ${this.rate(now)} packets/s${eta === undefined ? '' : `, ETA ${formatDuration(eta)}`}`
  }
}

/** An empty or unreadable file still takes a little time. */
function weight (bytes: number): number {
  return Math.max(1, bytes)
}

/** `file: reason`, unless the reason names the file already (capture errors do); printable. */
export function named ({ file, reason }: { file: string, reason: string }): string {
  return printable(reason.startsWith(file) ? reason : `${file}: ${reason}`)
}

export function failedLine (file: string, reason: string): string {
  return `potiron: failed: ${named({ file, reason })}`
}

/** One file's outcome as import-json and remove print it: a failure as ingest prints it, else `file: outcome: detail`. */
export function outcomeLine (file: string, outcome: string, detail: string): string {
  return outcome === 'failed' ? failedLine(file, detail) : printable(`${file}: ${outcome}: ${detail}`)
}

const defaultSchedule = (fn: () => void, ms: number): () => void => {
  const timer = setTimeout(fn, ms)
  timer.unref()
  return () => { clearTimeout(timer) }
}

export function createProgress (options: ProgressOptions): Progress {
  const now = options.now ?? Date.now
  const tally = new Tally(options.files, now())
  if (options.mode === 'tty') return bars(tally, now, options.stream ?? process.stderr)
  const interval = options.intervalMs ?? 2000
  const schedule = options.schedule ?? defaultSchedule
  let last = now()
  let printed = -1
  let cancel: (() => void) | undefined
  const flush = (): void => {
    cancel = undefined
    if (tally.done === printed) return
    last = now()
    printed = tally.done
    options.write(tally.line(last))
  }
  return {
    onFile: (file, outcome, detail, packets) => {
      tally.add(file, outcome, packets)
      if (outcome === 'failed') options.write(failedLine(file, detail))
      if (options.mode === 'quiet') return
      const wait = last + interval - now()
      if (wait <= 0) flush()
      // Too soon: print once the interval is over, so the last news of a burst is not lost.
      else cancel ??= schedule(flush, wait)
    },
    stop: () => { cancel?.(); cancel = undefined }
  }
}

/** The width the bars' lines are made to fit. */
const COLUMNS = 80
const BAR_WIDTH = 30
/** The label column of the bars' lines. */
const LABEL = 8

/**
 * The three lines of the bars on a terminal: bytes read of the run's total with the ETA they
 * give, the files settled with the packets and their rate, the files in progress.
 */
export function barLines (tally: Tally, now: number): [string, string, string] {
  const total = tally.totalBytes
  const read = tally.readBytes
  const full = Math.round(Math.min(1, total === 0 ? 1 : read / total) * BAR_WIDTH)
  const eta = tally.eta(now)
  // Every byte read, files not settled: what is left is writing to Redis, which bytes cannot time
  // (24 hourly captures: several seconds), not "ETA 0s".
  const left = read >= total && tally.done < tally.files ? 'writing to Redis' : `ETA ${eta === undefined ? '?' : formatDuration(eta)}`
  return [
    `${'bytes'.padEnd(LABEL)}${'\u2588'.repeat(full)}${'\u2591'.repeat(BAR_WIDTH - full)} ${bytesOf(read, total)} | ${left}`,
    `${'files'.padEnd(LABEL)}${tally.done}/${tally.files}${tally.failed > 0 ? ` (${tally.failed} failed)` : ''} | ${tally.packets} packets | ${tally.rate(now)} packets/s`,
    tally.inProgress.length === 0 ? '' : `${'reading'.padEnd(LABEL)}${fitNames(tally.inProgress.map(f => printable(basename(f))), COLUMNS - LABEL)}`
  ]
}

const UNITS = ['KiB', 'MiB', 'GiB', 'TiB', 'PiB']

/** `read/total` in the total's unit, one decimal: 12.5 MiB/1.2 GiB would be hard to compare. */
function bytesOf (read: number, total: number): string {
  if (total < 1024) return `${read} B/${total} B`
  let unit = 0
  while (unit < UNITS.length - 1 && total >= 1024 ** (unit + 2)) unit++
  const scale = 1024 ** (unit + 1)
  return `${(read / scale).toFixed(1)} ${UNITS[unit]!}/${(total / scale).toFixed(1)} ${UNITS[unit]!}`
}

/**
 * `names` in `width` columns: as many as fit, then `(+N more)`; the first cut in its middle
 * (keeping the sensor at its start and the date and extension at its end) when even it alone
 * does not fit.
 */
function fitNames (names: readonly string[], width: number): string {
  const more = (shown: number): string => shown < names.length ? ` (+${names.length - shown} more)` : ''
  for (let shown = names.length; shown > 1; shown--) {
    const text = names.slice(0, shown).join(', ') + more(shown)
    if (text.length <= width) return text
  }
  const first = names[0] ?? ''
  const room = width - more(1).length
  if (first.length <= room) return first + more(1)
  const head = Math.ceil((room - 1) / 2)
  return `${first.slice(0, head)}\u2026${first.slice(first.length - (room - 1 - head))}${more(1)}`
}

function bars (tally: Tally, now: () => number, stream: NodeJS.WritableStream): Progress {
  // Loaded for a terminal only: logs, pipes and --quiet runs start without it (~15 ms).
  const { MultiBar } = createRequire(import.meta.url)('cli-progress') as { MultiBar: typeof Bars }
  const multibar = new MultiBar({ stream, clearOnComplete: true, hideCursor: true, gracefulExit: true, fps: 5 })
  // Format functions run at each redraw (5 a second), so the lines move between reports too.
  for (const line of [0, 1, 2] as const) multibar.create(0, 0, {}, { format: () => barLines(tally, now())[line] })
  return {
    onFile: (file, outcome, detail, packets) => {
      tally.add(file, outcome, packets)
      if (outcome === 'failed') multibar.log(failedLine(file, detail) + '\n')
    },
    onProgress: (file, bytes, packets) => { tally.reading(file, bytes, packets) },
    stop: () => { multibar.stop() }
  }
}
