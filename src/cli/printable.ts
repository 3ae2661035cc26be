/**
 * Text from outside (file names, paths, sensor names, error texts holding them) made safe to
 * print on a terminal. A file name may hold any byte but `/` and NUL: raw, `\n` forges lines (a
 * file named `x\n  files: 9 ingested, 0 skipped, 0 failed\n.pcap` printed a false summary), `\r`
 * and `\x1b[2K` erase what was printed, `\u202e` reverses what follows. Each such character
 * becomes a visible escape: `\n`, `\r`, `\t`, `\xHH` (other C0 and C1 controls, DEL), `\uHHHH`
 * (line and paragraph separators, bidirectional controls).
 */

// C0, DEL and C1; ALM; LRM, RLM; LINE and PARAGRAPH SEPARATOR; LRE, RLE, PDF, LRO, RLO; LRI, RLI, FSI, PDI.
// eslint-disable-next-line no-control-regex -- finding control characters is the point
const UNSAFE = /[\u0000-\u001f\u007f-\u009f\u061c\u200e\u200f\u2028\u2029\u202a-\u202e\u2066-\u2069]/g
const NAMED: Readonly<Record<string, string>> = { '\n': '\\n', '\r': '\\r', '\t': '\\t' }

export function printable (text: string): string {
  return text.replace(UNSAFE, c => {
    const code = c.charCodeAt(0)
    return NAMED[c] ?? (code < 0x100 ? `\\x${code.toString(16).padStart(2, '0')}` : `\\u${code.toString(16).padStart(4, '0')}`)
  })
}
