/**
 * Counts in messages: `1 file`, `2 files`, `0 files`. A leaf every folder may import (the
 * workers' notes too), so each message says its counts the same way.
 */

/** `n word`, with an `s` unless n is 1; `shown` is n as printed (default: its digits, e.g. `1,234` from toLocaleString). */
export function plural (n: number, word: string, shown = String(n)): string {
  return `${shown} ${n === 1 ? word : `${word}s`}`
}
