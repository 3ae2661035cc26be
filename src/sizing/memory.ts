/** Peak memory of this process, as `potiron bench` reports it (Linux /proc; maxRSS elsewhere). */
import { readFileSync, writeFileSync } from 'node:fs'

/**
 * Peak resident memory so far, bytes. VmHWM belongs to this address space; ru_maxrss
 * (resourceUsage().maxRSS) on Linux keeps the parent's RSS at fork time across exec, so a small
 * child would report its parent's size.
 */
export function peakRss (): number {
  try {
    const m = /^VmHWM:\s+(\d+) kB$/m.exec(readFileSync('/proc/self/status', 'utf8'))
    if (m !== null) return Number(m[1]) * 1024
  } catch {}
  return process.resourceUsage().maxRSS * 1024
}

/**
 * Starts the peak over from the current RSS (Linux: `5` into /proc/self/clear_refs), so each
 * thread count gets its own peak rather than the largest so far. False where it cannot: the
 * peak is then the run's so far.
 */
export function resetPeakRss (): boolean {
  try {
    writeFileSync('/proc/self/clear_refs', '5')
    return true
  } catch {
    return false
  }
}
