/**
 * `potiron ingest --ipv4-only` against the original potiron's own Redis content: for every
 * capture the original ingested (../shared/captures/public/potiron-v3/INDEX.tsv, status ok), a
 * fresh database must end up with exactly its keys: every zset (members and scores), FILES,
 * `<sensor>_DAYS`, PROTOCOLS, FIELDS, JSON_FIELDS, and the PARAMETERS both tools mean alike
 * (potiron's own FILES_INFO aside).
 */
import { after, before, test } from 'node:test'
import assert from 'node:assert/strict'
import { mkdtempSync, readFileSync, rmSync, symlinkSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { main, type Io } from '../src/cli/main.js'
import { PUBLIC, describeShared, readJson } from './helpers/shared.js'
import { counts, dump, startRedis, type Dump, type TestRedis } from './helpers/redis.js'

const V3 = join(PUBLIC, 'potiron-v3')
/** PARAMETERS fields that mean the same to both tools; the others are the original's own (cmd, rootdir, ...). */
const SHARED_PARAMETERS = ['format', 'ck', 'tshark_filter']
/**
 * Captures with a record potiron refuses (a 4 MiB record length): the original ingested the part
 * before it, and so do we, but the run reports the file as failed (exit 1).
 */
const READ_ERRORS = new Set(['suricata_tls_DER-incomplete-header.pcap'])

describeShared("ingest gives the original potiron's Redis content (../shared potiron-v3)", () => {
  const index = readFileSync(join(V3, 'INDEX.tsv'), 'utf8').trim().split('\n').slice(1).map(l => l.split('\t'))
  let redis: TestRedis
  let dir: string
  const quiet: Io = { out: () => {}, err: () => {} }

  before(async () => {
    redis = await startRedis()
    dir = mkdtempSync(join(tmpdir(), 'potiron-ingest-v3-'))
  })

  after(async () => {
    await redis.stop()
    rmSync(dir, { recursive: true, force: true })
  })

  function comparable (d: Dump): Dump {
    const out: Dump = counts(d)
    const params = d.PARAMETERS?.value as Record<string, string> | undefined
    if (params !== undefined) out.PARAMETERS = { type: 'hash', value: Object.fromEntries(SHARED_PARAMETERS.map(k => [k, params[k]])) }
    return out
  }

  for (const [capture, ingestAs, mode, status] of index) {
    if (status !== 'ok') continue
    test(`${capture} (${mode}) gives the original's Redis content`, async () => {
      await redis.client.flushall()
      const caseDir = mkdtempSync(join(dir, 'case-'))
      const path = join(caseDir, ingestAs!)
      symlinkSync(join(PUBLIC, capture!), path)
      const status = await main(['ingest', path, '--ipv4-only', '--unix', redis.socket, '--threads', '1', ...(mode === 'ck' ? ['--combined-keys'] : [])], quiet)
      assert.equal(status, READ_ERRORS.has(capture!) ? 1 : 0)
      const expected = readJson<Dump>(join(V3, `${capture}.${mode}.redis.json`))
      assert.deepEqual(comparable(await dump(redis.client)), comparable(expected))
    })
  }
})
