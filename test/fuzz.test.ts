import assert from 'node:assert/strict'
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { it } from 'node:test'
import { Analyzer } from '../src/aggregate/analyzer.js'
import { readCapture } from '../src/capture/read.js'
import { ANALYZE_OPTIONS, FuzzFailure, HOSTILE_KINDS, checkFile, fuzz, loadCorpus, makeCase } from './fuzz.js'
import { PUBLIC, describeShared } from './helpers/shared.js'

/**
 * 3000 cases take 15-25 s on the 2-core CI machine; FUZZ_CASES=20000 (or `npm run fuzz --
 * --cases 20000 --seed 7`) digs deeper.
 */
const CASES = Number(process.env.FUZZ_CASES ?? 3000)
const SEED = Number(process.env.FUZZ_SEED ?? 1)

describeShared('fuzz: mutated captures through analyzeFile', () => {
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

  it('checks what hostile and gzip-damaged cases were built to give', async () => {
    const corpus = loadCorpus()
    const dir = mkdtempSync(join(tmpdir(), 'potiron-fuzz-'))
    try {
      const check = async (n: number, kinds?: string[]): Promise<{ code: string | undefined, problems: string[], mutations: string[] }> => {
        const c = makeCase(corpus, SEED, n, kinds === undefined ? {} : { rate: 1, kinds })
        const path = join(dir, `c${n}`)
        writeFileSync(path, c.bytes)
        if (c.twin !== undefined) writeFileSync(`${path}.twin`, c.twin)
        return { ...await checkFile(path, c.chunkSize, c.streamBytes, c.expect, c.twin === undefined ? undefined : `${path}.twin`), mutations: c.mutations }
      }
      for (const [n, kind, code] of [[0, 'idb-limit', undefined], [0, 'idb-over', 'TOO_MANY_INTERFACES'], [0, 'idb-sections', undefined], [0, 'idb-bomb', 'TOO_MANY_INTERFACES']] as const) {
        const r = await check(n, [kind])
        assert.deepEqual([r.code, r.problems], [code, []], r.mutations.join(', '))
      }
      // The first cases of the seed with a twin: damage after the deflate data, of each kind.
      const seen = new Set<string>()
      for (let n = 0; seen.size < 2; n++) {
        const c = makeCase(corpus, SEED, n)
        if (c.twin === undefined) continue
        const how = c.mutations.at(-1)!
        seen.add(how)
        const r = await check(n)
        assert.deepEqual(r.problems, [], r.mutations.join(', '))
        // A twin that does not hold the case's content is caught.
        writeFileSync(join(dir, 'empty'), '')
        const wrong = await checkFile(join(dir, `c${n}`), c.chunkSize, c.streamBytes, c.expect, join(dir, 'empty'))
        assert.match(wrong.problems[0] ?? '', /^info differs from the plain capture's: /, how)
      }
      assert.deepEqual([...seen].sort(), ['gzip-garbage', 'gzip-trailer'])
    } finally {
      rmSync(dir, { recursive: true, force: true })
    }
  })

  it('fails a case that grows resident memory past the budget (1 MiB: a worker is started for it)', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'potiron-fuzz-'))
    try {
      await assert.rejects(fuzz({ cases: 1, seed: SEED, dir, memoryMiB: 1, hostile: { rate: 1, kinds: ['idb-bomb'] } }), (err: unknown) => {
        assert.ok(err instanceof FuzzFailure)
        assert.deepEqual(err.failures.map(f => f.problems.map(p => p.replace(/\d+ MiB, more/, 'N MiB, more'))),
          [['memory: resident memory grew by N MiB, more than the 1 MiB a case may take']])
        assert.deepEqual([err.result.cases, err.result.parsed, err.result.hostile], [1, 0, 1])
        return true
      })
    } finally {
      rmSync(dir, { recursive: true, force: true })
    }
  })

  it('survives every kind of hostile capture (thousands of days, IPv6 lengths past 65,535, interface floods, gzip damage) within the memory a case may take', { timeout: 5 * 60 * 1000 }, async () => {
    const dir = mkdtempSync(join(tmpdir(), 'potiron-fuzz-'))
    try {
      const result = await fuzz({ cases: 2 * HOSTILE_KINDS.length, seed: SEED, dir, hostile: { rate: 1, kinds: HOSTILE_KINDS } })
      assert.deepEqual([result.cases, result.hostile], [2 * HOSTILE_KINDS.length, 2 * HOSTILE_KINDS.length])
    } finally {
      rmSync(dir, { recursive: true, force: true })
    }
  })

  it(`survives ${CASES} cases of seed ${SEED}`, { timeout: 10 * 60 * 1000 }, async () => {
    const dir = mkdtempSync(join(tmpdir(), 'potiron-fuzz-'))
    let result
    try {
      result = await fuzz({ cases: CASES, seed: SEED, dir, hostile: { kinds: HOSTILE_KINDS } })
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
      for (const code of ['BAD_RECORD', 'BAD_TRAILER', 'RECORD_TOO_BIG', 'CORRUPT_GZIP', 'BAD_HEADER', 'BAD_MAGIC', 'TOO_MANY_INTERFACES']) {
        assert.ok((result.failedTyped[code] ?? 0) > 0, `no case ended in ${code}: ${JSON.stringify(result.failedTyped)}`)
      }
    }
  })
})
