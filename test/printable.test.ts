/**
 * File names with control characters are printed escaped, never raw: a name holding a line
 * break and a false summary line, a carriage return, an erase-line sequence and a right-to-left
 * override, through every command that names files.
 */
import { after, before, test } from 'node:test'
import assert from 'node:assert/strict'
import { copyFileSync, mkdtempSync, readdirSync, rmSync, symlinkSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { basename, join } from 'node:path'
import { printable } from '../src/cli/printable.js'
import { createProgress } from '../src/cli/progress.js'
import { potiron, type Run } from './helpers/cli.js'
import { startRedis, type TestRedis } from './helpers/redis.js'
import { FIXTURES } from './helpers/shared.js'

const EVIL = '\n  files: 9 ingested, 0 skipped, 0 failed\r\u001b[2K\u202e'
const SHOWN = '\\n  files: 9 ingested, 0 skipped, 0 failed\\r\\x1b[2K\\u202e'
/** What may never reach a terminal raw (a line break only between the lines of one message). */
// eslint-disable-next-line no-control-regex -- finding control characters is the point
const RAW = /[\u0000-\u0009\u000b-\u001f\u007f-\u009f\u061c\u200e\u200f\u2028\u2029\u202a-\u202e\u2066-\u2069]/

let redis: TestRedis
let dir: string
/** A capture cut short in its last record (a warning), and a file that is no capture (a failure). */
let cut: string
let bad: string
const shown = (path: string): string => path.replace(EVIL, SHOWN)

before(async () => {
  redis = await startRedis()
  dir = mkdtempSync(join(tmpdir(), 'potiron-printable-'))
  cut = join(dir, `lab-cut${EVIL}-1-20040513101707.pcap`)
  bad = join(dir, `lab-bad${EVIL}-1-20200101000000.pcap`)
  copyFileSync(join(FIXTURES, 'lab-truncated-1-20040513101707.pcap'), cut)
  writeFileSync(bad, 'not a capture')
})

after(async () => {
  await redis.stop()
  rmSync(dir, { recursive: true, force: true })
})

/** No raw control character in any output line. */
function clean (run: Run): Run {
  for (const text of [...run.out, ...run.err]) assert.doesNotMatch(text, RAW, JSON.stringify(text))
  return run
}

const BAD_REASON = 'not a pcap or pcapng file: magic 0x6e6f7420 (at byte offset 0)'
const CUT_REASON = 'capture cut short inside a record (43 of 70 bytes) (at byte offset 25733)'

test('printable: controls, DEL, C1, line separators and bidirectional controls escaped; everything else as it is', () => {
  assert.equal(printable(`a${EVIL}b\t\u0000\u007f\u0085\u2028\u2066\u200f.pcap`), `a${SHOWN}b\\t\\x00\\x7f\\x85\\u2028\\u2066\\u200f.pcap`)
  assert.equal(printable('caf\u00e9 \u6f22 \u{1F600} \\n'), 'caf\u00e9 \u6f22 \u{1F600} \\n')
})

test('inspect and json: the file named escaped in every line', async () => {
  const inspect = clean(await potiron('inspect', dir))
  assert.equal(inspect.status, 1)
  assert.deepEqual(inspect.err, [`potiron: ${shown(bad)}: ${BAD_REASON}`, `potiron: warning: ${shown(cut)}: ${CUT_REASON}`])
  // The file that is no capture is its error alone; the cut one is reported, its warning said once (above).
  assert.deepEqual(inspect.out.map(text => text.split('\n').filter(line => !line.startsWith('  '))), [[shown(cut), '']])
  const json = clean(await potiron('json', dir, '--out', join(dir, 'json')))
  assert.equal(json.status, 1)
  assert.deepEqual(json.err, [
    `potiron: ${shown(bad)}: ${BAD_REASON}; 0 documents kept in ${join(dir, 'json', '2020', '01', '01', `lab-bad${SHOWN}-1-20200101000000.json.partial`)}`,
    `potiron: warning: ${shown(cut)}: ${CUT_REASON}`,
    `${shown(cut)}: 42 documents → ${join(dir, 'json', '2004', '05', '13', `lab-cut${SHOWN}-1-20040513101707.json`)}`
  ])
})

test('ingest, export, remove: progress, summaries and errors name the file and the sensor escaped; --json stays JSON', async () => {
  const ingest = clean(await potiron('ingest', dir, '--unix', redis.socket, '--quiet'))
  assert.equal(ingest.status, 1)
  const named = `potiron: redis unix:${redis.socket}`
  assert.deepEqual(ingest.err, [named, `potiron: failed: ${shown(bad)}: ${BAD_REASON}; nothing counted`])
  assert.deepEqual(ingest.out[0]!.split('\n').slice(0, 3), [
    'files: 1 ingested, 0 skipped (already in FILES), 1 failed',
    `  failed: ${shown(bad)}: ${BAD_REASON}; nothing counted`,
    `  warning: ${shown(cut)}: ${CUT_REASON}`
  ])
  const unknown = clean(await potiron('export', 'csv', '--sensor', 'nope', '--field', 'dport', '--date', '2004-05', '--out', join(dir, 'csv'), '--unix', redis.socket))
  // The bad file read nothing, so it made no sensor.
  assert.deepEqual([unknown.status, unknown.err], [2, [named, `potiron: no data for sensor 'nope' (sensors: lab-cut${SHOWN}-1)`]])
  // The sensor named raw, as stored; output directories holding the same characters.
  const csvOut = join(dir, `csv${EVIL}`)
  const csv = clean(await potiron('export', 'csv', '--sensor', `lab-cut${EVIL}-1`, '--field', 'dport', '--date', '2004-05-13', '--out', csvOut, '--unix', redis.socket))
  assert.deepEqual([csv.status, csv.out, csv.err], [0, [`1 file written under ${shown(csvOut)}`], [named]])
  const siteOut = join(dir, `site${EVIL}`)
  const site = clean(await potiron('report', '--sensor', `lab-cut${EVIL}-1`, '--fields', 'dport', '--out', siteOut, '--unix', redis.socket))
  assert.deepEqual([site.status, site.out, site.err], [0, [`${readdirSync(siteOut).length - 1} files written under ${shown(siteOut)}; open ${shown(join(siteOut, 'index.html'))}`], [named]])
  // JSON escapes by itself: the names come back whole.
  const again = await potiron('ingest', dir, '--unix', redis.socket, '--quiet', '--force', '--json')
  assert.deepEqual((JSON.parse(again.out[0]!) as { warnings: unknown }).warnings, [{ file: cut, reason: `${cut}: ${CUT_REASON}` }])

  const remove = clean(await potiron('remove', cut, bad, '--unix', redis.socket))
  // One line per file as it settles, in the order the workers finish.
  // The bad file read nothing, so it was never in FILES.
  assert.deepEqual([remove.status, remove.err[0], remove.err.slice(1).sort()], [1, named, [`${shown(bad)}: not-ingested: ${shown(basename(bad))} is not in FILES: nothing to remove`, `${shown(cut)}: removed: 42 packets, 82 members`]])
  const twice = clean(await potiron('remove', cut, bad, '--unix', redis.socket))
  assert.equal(twice.status, 1)
  assert.deepEqual(twice.out[0]!.split('\n').slice(0, 3), ['files: 0 removed, 2 not in FILES (skipped), 0 failed', `  not in FILES: ${shown(bad)}`, `  not in FILES: ${shown(cut)}`])
})

test('a link in a walked directory and a glob that matches nothing are named escaped', async () => {
  const links = mkdtempSync(join(dir, 'links-'))
  symlinkSync(`nowhere${EVIL}.pcap`, join(links, `dead${EVIL}.pcap`))
  copyFileSync(join(FIXTURES, 'lab-truncated-1-20040513101707.pcap'), join(links, 'lab-ok-1-20040513101707.pcap'))
  const run = clean(await potiron('inspect', '--json', links, join(links, `none${EVIL}*.pcapng`)))
  assert.equal(run.status, 2)
  assert.deepEqual(run.err, [
    `potiron: warning: ${join(links, `dead${SHOWN}.pcap`)}: a symbolic link to nowhere${SHOWN}.pcap, which does not exist; skipped`,
    `potiron: ${join(links, `none${SHOWN}*.pcapng`)}: the pattern matches no file\nRun 'potiron inspect --help' for usage.`
  ])
})

test('progress: the failed file escaped in its line', () => {
  const lines: string[] = []
  const progress = createProgress({ mode: 'quiet', files: new Map([[bad, 13]]), write: line => { lines.push(line) } })
  progress.onFile(bad, 'failed', `${bad}: ${BAD_REASON}`, 0)
  progress.stop()
  assert.deepEqual(lines, [`potiron: failed: ${shown(bad)}: ${BAD_REASON}`])
})
