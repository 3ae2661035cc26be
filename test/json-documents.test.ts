/** The JSON documents writer when the disk refuses its writes (/dev/full answers ENOSPC). */
import assert from 'node:assert/strict'
import { test } from 'node:test'
import { mkdirSync, mkdtempSync, readdirSync, rmSync, symlinkSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { DayClock } from '../src/aggregate/days.js'
import { JsonDocumentWriter } from '../src/documents/writer.js'

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
