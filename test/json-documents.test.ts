/** The JSON documents writer when the disk refuses its writes (/dev/full answers ENOSPC). */
import assert from 'node:assert/strict'
import { test } from 'node:test'
import { mkdirSync, mkdtempSync, readdirSync, rmSync, symlinkSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { DayClock } from '../src/aggregate/days.js'
import { JsonDocumentWriter } from '../src/documents/writer.js'
import { potiron } from './helpers/cli.js'
import { startRedis } from './helpers/redis.js'
import { FIXTURES } from './helpers/shared.js'

const openFds = (): number => readdirSync('/proc/self/fd').length

/** A writer whose file is /dev/full, through a link at the path it opens. */
function fullDiskWriter (dir: string): JsonDocumentWriter {
  mkdirSync(join(dir, '2013', '05', '30'), { recursive: true })
  symlinkSync('/dev/full', join(dir, '2013', '05', '30', 'lab-1-20130530224517.json.partial'))
  return new JsonDocumentWriter(dir, 'lab-1-20130530224517', '20130530', { sensorname: 'lab-1', filename: 'lab-1-20130530224517.pcap' }, new DayClock(undefined))
}

test('a write refused by the disk: close() throws that error and abort() nothing; neither leaks the file descriptor nor renames the file', () => {
  const dir = mkdtempSync(join(tmpdir(), 'potiron-json-'))
  try {
    const before = openFds()
    const closing = fullDiskWriter(join(dir, 'a'))
    assert.throws(() => { closing.close() }, { code: 'ENOSPC' })
    assert.equal(openFds(), before)
    assert.deepEqual(readdirSync(join(dir, 'a', '2013', '05', '30')), ['lab-1-20130530224517.json.partial'])

    const aborting = fullDiskWriter(join(dir, 'b'))
    aborting.abort()
    assert.equal(openFds(), before)
  } finally {
    rmSync(dir, { recursive: true, force: true })
  }
})

test('an --out that cannot be written fails each file with one line and exit 1: json, and ingest --json-out (nothing counted)', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'potiron-json-'))
  const redis = await startRedis()
  try {
    const notADir = join(dir, 'a-file')
    writeFileSync(notADir, '')
    const out = join(notADir, 'json')
    const capture = join(FIXTURES, 'lab-dnsicmp-1-20130530224517.pcap')
    const reason = `cannot write its JSON documents under ${out}: ENOTDIR: not a directory, mkdir '${join(out, '2013', '05', '30')}'`
    const json = await potiron('json', capture, '--out', out)
    assert.deepEqual(json, { status: 1, out: [], err: [`potiron: ${capture}: ${reason}`] })
    const ingest = await potiron('ingest', capture, '--unix', redis.socket, '--json-out', out, '--quiet')
    assert.equal(ingest.status, 1)
    assert.deepEqual(ingest.err, [`potiron: redis unix:${redis.socket}`, `potiron: failed: ${capture}: ${reason}; nothing counted`])
    assert.deepEqual(await redis.client.keys('*'), [])
  } finally {
    await redis.stop()
    rmSync(dir, { recursive: true, force: true })
  }
})

test('a full disk under json: the file fails with ENOSPC in one line, exit 1, its partial file left', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'potiron-json-'))
  try {
    const capture = join(FIXTURES, 'lab-dnsicmp-1-20130530224517.pcap')
    mkdirSync(join(dir, '2013', '05', '30'), { recursive: true })
    symlinkSync('/dev/full', join(dir, '2013', '05', '30', 'lab-dnsicmp-1-20130530224517.json.partial'))
    const json = await potiron('json', capture, '--out', dir)
    assert.deepEqual(json, { status: 1, out: [], err: [`potiron: ${capture}: cannot write its JSON documents under ${dir}: ENOSPC: no space left on device, write`] })
    assert.deepEqual(readdirSync(join(dir, '2013', '05', '30')), ['lab-dnsicmp-1-20130530224517.json.partial'])
  } finally {
    rmSync(dir, { recursive: true, force: true })
  }
})
