/**
 * Ingest progress, rendering only: its one input is the coordinator's `onFile` callback (the
 * workers never see it). On a terminal, cli-progress bars; elsewhere (logs, pipes) a plain line
 * at most every `intervalMs`; failed files are always printed, one line each, as they happen.
 */
import { MultiBar } from 'cli-progress'
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
  packets = 0
  #doneBytes = 0
  #totalBytes: number
  readonly #sizes: ReadonlyMap<string, number>
  readonly #started: number

  constructor (sizes: ReadonlyMap<string, number>, started: number) {
    this.#sizes = sizes
    this.#started = started
    this.#totalBytes = [...sizes.values()].reduce((a, b) => a + weight(b), 0)
  }

  get files (): number { return this.#sizes.size }
  get done (): number { return this.ingested + this.skipped + this.failed }

  add (file: string, outcome: Outcome, packets: number): void {
    this[outcome]++
    this.packets += packets
    const bytes = weight(this.#sizes.get(file) ?? 0)
    // A skipped file costs no time: leave it out of the work rather than count it as done fast.
    if (outcome === 'skipped') this.#totalBytes -= bytes
    else this.#doneBytes += bytes
  }

  rate (now: number): number {
    const seconds = (now - this.#started) / 1000
    return seconds > 0 ? Math.round(this.packets / seconds) : 0
  }

  /** Milliseconds left, from the bytes done so far; undefined before the first parsed file. */
  eta (now: number): number | undefined {
    if (this.done >= this.files) return 0
    if (this.#doneBytes === 0) return undefined
    return (now - this.#started) * Math.max(0, this.#totalBytes - this.#doneBytes) / this.#doneBytes
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

function bars (tally: Tally, now: () => number, stream: NodeJS.WritableStream): Progress {
  const width = 30
  const multibar = new MultiBar({ stream, clearOnComplete: true, hideCursor: true, gracefulExit: true, fps: 5 })
  const bar = (part: number): string => {
    const full = Math.round(Math.min(1, part) * width)
    return '\u2588'.repeat(full) + '\u2591'.repeat(width - full)
  }
  // Format functions run at each redraw, so the rate and the ETA move between files too.
  const files = multibar.create(tally.files, 0, {}, {
    format: () => {
      const eta = tally.eta(now())
      return `files   ${bar(tally.files === 0 ? 1 : tally.done / tally.files)} ${tally.done}/${tally.files}` +
        `${tally.failed > 0 ? ` (${tally.failed} failed)` : ''} | ETA ${eta === undefined ? '?' : formatDuration(eta)}`
    }
  })
  const packetBar = multibar.create(0, 0, {}, { format: () => `packets ${tally.packets} | ${tally.rate(now())} packets/s` })
  return {
    onFile: (file, outcome, detail, packets) => {
      tally.add(file, outcome, packets)
      if (outcome === 'failed') multibar.log(failedLine(file, detail) + '\n')
      files.update(tally.done)
      packetBar.update(tally.packets)
    },
    stop: () => { multibar.stop() }
  }
}
