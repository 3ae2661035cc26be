import assert from 'node:assert/strict'
import { existsSync, mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { describe, it } from 'node:test'
import { Analyzer } from '../src/aggregate/analyzer.js'
import { readCapture } from '../src/capture/read.js'
import { ANALYZE_OPTIONS, FuzzFailure, fuzz, loadCorpus, makeCase } from './fuzz.js'
import { PUBLIC } from './helpers/shared.js'

/**
 * 3000 cases take 15-25 s on the 2-core CI machine; FUZZ_CASES=20000 (or `npm run fuzz --
 * --cases 20000 --seed 7`) digs deeper.
 */
const CASES = Number(process.env.FUZZ_CASES ?? 3000)
const SEED = Number(process.env.FUZZ_SEED ?? 1)

describe('fuzz: mutated captures through analyzeFile', { skip: !existsSync(PUBLIC) && `no corpus at ${PUBLIC}` }, () => {
  it('builds the same case from the same seed and case number', () => {
    const corpus = loadCorpus()
    for (const n of [0, 1, 17, 999]) {
      const a = makeCase(corpus, SEED, n)
      const b = makeCase(corpus, SEED, n)
      assert.deepEqual(a, b)
    }
    assert.notDeepEqual(makeCase(corpus, SEED, 3).bytes, makeCase(corpus, SEED + 1, 3).bytes)
  })

  it('readCapture recognises a gzip file whatever its chunk size (found by fuzzing, case 835 of seed 1)', async () => {
    // With 1-byte chunks the first read holds only 0x1f: the gzip check needs both magic bytes.
    const path = join(PUBLIC, 'tcpdump_pptp.pcap.gz')
    const whole = await readCapture(path, new Analyzer(ANALYZE_OPTIONS))
    assert.equal(whole.error, undefined)
    assert.deepEqual([whole.info.gzip, whole.info.packets], [true, 23])
    for (const chunkSize of [1, 2, 3]) {
      const r = await readCapture(path, new Analyzer(ANALYZE_OPTIONS), { chunkSize })
      assert.equal(r.error?.message, undefined, `chunkSize ${chunkSize}`)
      assert.deepEqual(r.info, whole.info, `chunkSize ${chunkSize}`)
    }
  })

  it(`survives ${CASES} cases of seed ${SEED}`, { timeout: 10 * 60 * 1000 }, async () => {
    const dir = mkdtempSync(join(tmpdir(), 'potiron-fuzz-'))
    let result
    try {
      result = await fuzz({ cases: CASES, seed: SEED, dir })
    } catch (err) {
      // The failing inputs stay in `dir`; the message names each with its seed and case number.
      if (err instanceof FuzzFailure) assert.fail(`${err.message}\nreplay one with: node dist/test/fuzz-run.js --seed ${SEED} --case N`)
      throw err
    }
    rmSync(dir, { recursive: true, force: true })
    assert.equal(result.cases, CASES)
    const stopped = Object.values(result.failedTyped).reduce((s, n) => s + n, 0)
    assert.equal(result.parsed + stopped, CASES)
    // The mutations must reach both outcomes and several kinds of errors, or the fuzzer is blind.
    if (CASES >= 500) {
      assert.ok(result.parsed > CASES / 20, `only ${result.parsed} cases parsed`)
      assert.ok(stopped > CASES / 20, `only ${stopped} cases stopped by an error`)
      for (const code of ['BAD_RECORD', 'BAD_TRAILER', 'RECORD_TOO_BIG', 'CORRUPT_GZIP', 'BAD_HEADER', 'BAD_MAGIC']) {
        assert.ok((result.failedTyped[code] ?? 0) > 0, `no case ended in ${code}: ${JSON.stringify(result.failedTyped)}`)
      }
    }
  })
})
