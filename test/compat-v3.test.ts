/**
 * Decoding semantics against the original tool: for every capture the original potiron (2019,
 * tshark 4.0) ingested, our `ipv4-only` aggregation holds exactly the members and counts of its
 * `<sensor>:<day>:<field>` (and, split by protocol, `<sensor>:<proto>:<day>:<field>`) sorted sets.
 */
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { join } from 'node:path'
import { analyzeFile } from '../src/aggregate/analyze-file.js'
import { PACKET_FIELDS as FIELDS } from '../src/aggregate/fields.js'
import { memberRows } from '../src/aggregate/table.js'
import { PUBLIC, describeShared, originalProtocolNames, readJson } from './helpers/shared.js'
import { readFileSync } from 'node:fs'

interface Dump { [key: string]: { type: string, value: unknown } }

describeShared("the original potiron's sorted sets (../shared potiron-v3)", () => {
  const V3 = join(PUBLIC, 'potiron-v3')
  const index = readFileSync(join(V3, 'INDEX.tsv'), 'utf8').trim().split('\n').slice(1).map(l => l.split('\t'))
  const names = originalProtocolNames()

  for (const [capture, ingestAs, mode, status] of index) {
    if (status !== 'ok') continue
    test(`${capture} (${mode}) matches the original's sorted sets`, async () => {
      const split = mode === 'ck'
      const result = await analyzeFile(join(PUBLIC, capture!), { fields: FIELDS, combinedKeys: split, selection: 'ipv4-only', zone: undefined })
      const sensor = ingestAs!.split('-').slice(0, 3).join('-')
      const ours: Record<string, Record<string, number>> = {}
      for (const row of memberRows(result.table)) {
        const key = split ? `${sensor}:${names.get(row.proto) ?? `?${row.proto}`}:${row.day}:${row.field}` : `${sensor}:${row.day}:${row.field}`
        ;(ours[key] ??= {})[row.member] = row.count
      }
      const dump = readJson<Dump>(join(V3, `${capture}.${mode}.redis.json`))
      const theirs: Record<string, Record<string, number>> = {}
      for (const [key, entry] of Object.entries(dump)) if (entry.type === 'zset') theirs[key] = entry.value as Record<string, number>
      assert.deepEqual(ours, theirs)
    })
  }
})
