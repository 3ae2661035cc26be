/**
 * `import-json` against private redis-servers: documents written by `json` and imported give
 * the very database `ingest` gives for the same captures; re-imports and damaged files; and
 * `ingest --json-out` writes what `json` writes. Plus the streaming array reader on its own.
 */
import { after, before, beforeEach, test } from 'node:test'
import assert from 'node:assert/strict'
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join, relative } from 'node:path'
import { potiron } from './helpers/cli.js'
import { daysFromCivil } from '../src/aggregate/days.js'
import { readJsonArray } from '../src/documents/json-array.js'
import { EDGES, pcapOf, pcapngWithOffset } from './helpers/captures.js'
import { ETH_IPV4, IPV4_UDP, LT_ETHERNET, hex } from './helpers/frames.js'
import { FIXTURES } from './helpers/shared.js'
import { counts, dump, startRedis, type TestRedis } from './helpers/redis.js'

const DNS = 'lab-dnsicmp-1-20130530224517'
const CAPTURES = readdirSync(FIXTURES).filter(n => /\.(pcap|pcapng)(\.gz)?$/.test(n)).sort()

let a: TestRedis
let b: TestRedis
let dir: string

before(async () => {
  [a, b] = await Promise.all([startRedis(), startRedis()])
  dir = mkdtempSync(join(tmpdir(), 'potiron-import-'))
})

after(async () => {
  await Promise.all([a.stop(), b.stop()])
  rmSync(dir, { recursive: true, force: true })
})

beforeEach(async () => { await Promise.all([a.client.flushall(), b.client.flushall()]) })

/** Every file under `root`, relative path → content. */
function tree (root: string): Record<string, Buffer> {
  const files: Record<string, Buffer> = {}
  for (const entry of readdirSync(root, { recursive: true, withFileTypes: true })) {
    if (entry.isFile()) files[relative(root, join(entry.parentPath, entry.name))] = readFileSync(join(entry.parentPath, entry.name))
  }
  return files
}

/** `json` of every fixture into a fresh directory. */
async function documents (...options: string[]): Promise<string> {
  const out = mkdtempSync(join(dir, 'json-'))
  assert.equal((await potiron('json', FIXTURES, '--out', out, ...options)).status, 0)
  return out
}

for (const combinedKeys of [[], ['--combined-keys']]) {
  test(`json --ipv4-only then import-json ${combinedKeys.join(' ')} gives ingest's database`, async () => {
    const json = await documents('--ipv4-only')
    const imported = await potiron('import-json', json, '--unix', a.socket, '--ipv4-only', '--json', ...combinedKeys)
    assert.equal(imported.status, 0, imported.err.join('\n'))
    const summary = JSON.parse(imported.out[0]!) as { imported: number, skipped: number, failed: unknown[], documents: number }
    const ingested = await potiron('ingest', FIXTURES, '--unix', b.socket, '--ipv4-only', '--json', ...combinedKeys)
    assert.equal(ingested.status, 0)
    const counted = (JSON.parse(ingested.out[0]!) as { counted: number }).counted
    assert.deepEqual([summary.imported, summary.skipped, summary.failed, summary.documents], [CAPTURES.length, 0, [], counted])
    const expected = await dump(b.client)
    assert.deepEqual(await dump(a.client), counts(expected))
    assert.deepEqual(expected.FILES, { type: 'set', value: CAPTURES })
    assert.equal(expected.PARAMETERS?.value && (expected.PARAMETERS.value as Record<string, string>).ck, combinedKeys.length > 0 ? 'True' : 'False')
  })
}

test('the default view and another zone import to the same database as ingest, too', async () => {
  const json = await documents('--tz', 'America/New_York')
  assert.equal((await potiron('import-json', json, '--unix', a.socket, '--tz', 'America/New_York')).status, 0)
  assert.equal((await potiron('ingest', FIXTURES, '--unix', b.socket, '--tz', 'America/New_York', '--quiet')).status, 0)
  assert.deepEqual(await dump(a.client), counts(await dump(b.client)))
})

test('importing twice skips, and importing the documents of an ingested capture skips', async () => {
  const json = await documents('--ipv4-only')
  const file = join(json, '2013', '05', '30', `${DNS}.json`)
  assert.equal((await potiron('import-json', file, '--unix', a.socket, '--ipv4-only')).status, 0)
  const once = await dump(a.client)
  const again = await potiron('import-json', file, '--unix', a.socket, '--ipv4-only')
  assert.equal(again.status, 0)
  assert.deepEqual(again.err, [`potiron: redis unix:${a.socket}`, `${file}: skipped: ${DNS}.pcap already in FILES`])
  assert.match(again.out[0]!, new RegExp(`^files: 0 imported, 1 skipped \\(already in FILES\\), 0 failed\npackets: 0; members: 0; [\\d.]+ s\nredis: unix:${a.socket}$`))
  assert.deepEqual(await dump(a.client), once)

  assert.equal((await potiron('ingest', join(FIXTURES, `${DNS}.pcap`), '--unix', b.socket, '--ipv4-only', '--quiet')).status, 0)
  const ingested = await dump(b.client)
  const after = await potiron('import-json', file, '--unix', b.socket, '--ipv4-only')
  assert.deepEqual([after.status, after.err], [0, [`potiron: redis unix:${b.socket}`, `${file}: skipped: ${DNS}.pcap already in FILES`]])
  assert.deepEqual(await dump(b.client), ingested)
  assert.deepEqual(counts(ingested), once)
})

test('ingest --json-out writes the files json writes, byte for byte', async () => {
  for (const options of [['--ipv4-only'], ['--tz', 'Asia/Kolkata']]) {
    const out = mkdtempSync(join(dir, 'json-out-'))
    await b.client.flushall()
    const ingested = await potiron('ingest', FIXTURES, '--unix', b.socket, '--json-out', out, '--threads', '2', '--quiet', ...options)
    assert.equal(ingested.status, 0)
    const written = tree(out)
    assert.equal(Object.keys(written).length, CAPTURES.length)
    assert.deepEqual(written, tree(await documents(...options)))
  }
})

test('a damaged file is an error naming it and the offset; the others are imported; exit 1', async () => {
  const json = await documents('--ipv4-only')
  const good = readFileSync(join(json, '2013', '05', '30', `${DNS}.json`), 'utf8')
  const renamed = good.replace(`"${DNS}.pcap"`, '"lab-dnsicmp-1-20130531000000.pcap"')
  const cut = renamed.slice(0, renamed.length - 40)
  const last = cut.lastIndexOf('{')
  writeFileSync(join(json, 'cut.json'), cut)
  const bad = renamed.replace('"ipttl": "', '"ipttl": x"')
  writeFileSync(join(json, 'bad.json'), bad)
  writeFileSync(join(json, 'empty.json'), '')
  const { status, out, err } = await potiron('import-json', json, '--unix', a.socket, '--ipv4-only')
  assert.equal(status, 1)
  // On stderr as ingest says it: the file named once.
  const failures = err.filter(l => l.includes('failed'))
  assert.equal(failures.length, 3, err.join('\n'))
  assert.ok(failures[0]!.startsWith(`potiron: failed: ${join(json, 'bad.json')}: invalid JSON element: `), failures[0])
  assert.deepEqual(failures.slice(1), [
    `potiron: failed: ${join(json, 'cut.json')}: the file ends inside the array (truncated?) (at byte offset ${last})`,
    `potiron: failed: ${join(json, 'empty.json')}: empty file (at byte offset 0)`
  ])
  const text = out.join('\n')
  assert.match(text, new RegExp(`^files: ${CAPTURES.length} imported, 0 skipped \\(already in FILES\\), 3 failed$`, 'm'))
  assert.ok(text.includes(`failed: ${join(json, 'cut.json')}: the file ends inside the array (truncated?) (at byte offset ${last})`), text)
  assert.ok(text.includes(`failed: ${join(json, 'bad.json')}: invalid JSON element: `), text)
  assert.ok(text.includes(`(at byte offset ${bad.lastIndexOf('{', bad.indexOf('x"'))})`), text)
  assert.ok(text.includes(`failed: ${join(json, 'empty.json')}: empty file (at byte offset 0)`), text)
  assert.equal((await a.client.smembers('FILES')).length, CAPTURES.length)
})

test('a run of damaged files only leaves an empty database empty: no settings locked by a run that imported nothing', async () => {
  const json = await documents('--ipv4-only')
  const good = readFileSync(join(json, '2013', '05', '30', `${DNS}.json`), 'utf8')
  const only = mkdtempSync(join(dir, 'damaged-'))
  writeFileSync(join(only, 'cut.json'), good.slice(0, good.length - 40))
  const { status } = await potiron('import-json', only, '--unix', a.socket, '--ipv4-only')
  assert.equal(status, 1)
  assert.deepEqual(await dump(a.client), {})
})

test('a write Redis refuses (out of memory) fails that file, named, and the others carry on; exit 1', async () => {
  const json = await documents('--ipv4-only')
  const first = join(json, '2013', '05', '30', `${DNS}.json`)
  assert.equal((await potiron('import-json', first, '--unix', a.socket, '--ipv4-only', '--json')).status, 0)
  const before = await dump(a.client)
  await a.client.config('SET', 'maxmemory', '1')
  try {
    const { status, out, err } = await potiron('import-json', json, '--unix', a.socket, '--ipv4-only')
    assert.equal(status, 1)
    const failures = err.filter(l => l.includes('failed'))
    assert.equal(failures.length, CAPTURES.length - 1, err.join('\n'))
    for (const line of failures) assert.match(line, /^potiron: failed: \/.+\.json: .*OOM command not allowed/)
    assert.match(out.join('\n'), new RegExp(`^files: 0 imported, 1 skipped \\(already in FILES\\), ${CAPTURES.length - 1} failed$`, 'm'))
  } finally {
    await a.client.config('SET', 'maxmemory', '0')
  }
  assert.deepEqual(await dump(a.client), before)
})

test('a header whose json_fields differ from JSON_FIELDS is refused with a message', async () => {
  const json = await documents('--ipv4-only')
  assert.equal((await potiron('ingest', join(FIXTURES, 'lab-vlan-1-20100629000000.pcap.gz'), '--unix', a.socket, '--ipv4-only', '--fields', 'dport,ipsrc', '--quiet')).status, 0)
  const before = await dump(a.client)
  const file = join(json, '2013', '05', '30', `${DNS}.json`)
  const { status, out } = await potiron('import-json', file, '--unix', a.socket, '--ipv4-only')
  assert.equal(status, 1)
  assert.ok(out[0]!.includes(`failed: ${file}: json_fields length,protocol,ipsrc,ipdst,ipttl,iptos,sport,dport,tcpseq,tcpack,icmpcode,icmptype differ from JSON_FIELDS ipsrc,dport in Redis; not imported`), out[0])
  assert.deepEqual(await dump(a.client), before)
  const other = await potiron('import-json', file, '--unix', a.socket, '--no-ipv4-only')
  assert.deepEqual([other.status, other.err], [1, [`potiron: redis unix:${a.socket}`, "potiron: this database holds data counted with other settings: selection is 'ipv4-only' in Redis but 'default' here (--ipv4-only). Leave the option out to use the stored setting, or use another database"]])
})

/** A capture of two packets, on 0050-06-15 and on 2024-03-01 (pcapng: if_tsoffset puts the first before 1970). */
function ancientCapture (path: string): void {
  const udp = hex(ETH_IPV4, IPV4_UDP)
  const year50 = daysFromCivil(50, 6, 15) * 86400
  writeFileSync(path, pcapngWithOffset(LT_ETHERNET, year50, [{ frame: udp, sec: year50 + 3600 }, { frame: udp, sec: daysFromCivil(2024, 3, 1) * 86400 }]))
}

test('days before year 1000 are 8-digit keys (00500615), the same from ingest as from json + import-json', async () => {
  const captures = mkdtempSync(join(dir, 'ancient-'))
  ancientCapture(join(captures, 'lab-ancient-1-20240301000000.pcapng'))
  const ingested = await potiron('ingest', captures, '--unix', b.socket, '--json')
  assert.equal(ingested.status, 0, ingested.err.join('\n'))
  assert.deepEqual((JSON.parse(ingested.out[0]!) as { days: unknown }).days, { 'lab-ancient-1': ['00500615', '20240301'] })
  const expected = await dump(b.client)
  assert.deepEqual(expected['lab-ancient-1_DAYS'], { type: 'set', value: ['00500615', '20240301'] })
  assert.deepEqual(expected['lab-ancient-1:00500615:dport'], { type: 'zset', value: { 53: 1 } })
  assert.deepEqual(Object.keys(expected).filter(k => k.startsWith('lab-ancient-1:')).map(k => k.split(':')[1]).sort(),
    [...Array(12).fill('00500615'), ...Array(12).fill('20240301')])

  const json = mkdtempSync(join(dir, 'json-'))
  assert.equal((await potiron('json', captures, '--out', json)).status, 0)
  const imported = await potiron('import-json', json, '--unix', a.socket)
  assert.equal(imported.status, 0, imported.err.join('\n'))
  assert.deepEqual(await dump(a.client), counts(expected))

  // A name without a date: the documents go under the first packet's day, 0050/06/15.
  const undated = join(captures, 'ancient.pcapng')
  ancientCapture(undated)
  const out = mkdtempSync(join(dir, 'json-'))
  assert.equal((await potiron('json', undated, '--out', out, '--sensor', 'lab-ancient-1')).status, 0)
  assert.deepEqual(Object.keys(tree(out)), [join('0050', '06', '15', 'ancient.json')])
})

test('a packet document dated on a day the calendar lacks fails its file, with the byte offset; the others are imported', async () => {
  const json = await documents('--ipv4-only')
  const good = readFileSync(join(json, '2013', '05', '30', `${DNS}.json`), 'utf8')
  const files: Array<[string, string, number]> = []
  for (const [name, date] of [['nines', '9999-99-99'], ['february', '2010-02-30'], ['month13', '2013-13-01'], ['year0', '0000-05-30']] as const) {
    const text = good.replace(`"${DNS}.pcap"`, `"lab-dnsicmp-1-2013053000000${files.length}.pcap"`)
    // The third packet's timestamp: its object starts at the third '{"timestamp"'.
    let at = -1
    for (let i = 0; i < 3; i++) at = text.indexOf('{"timestamp": "', at + 1)
    const path = join(json, `${name}.json`)
    writeFileSync(path, text.slice(0, at) + text.slice(at).replace('"2013-05-30 ', `"${date} `))
    files.push([path, date, at])
  }
  const { status, out } = await potiron('import-json', json, '--unix', a.socket, '--ipv4-only')
  assert.equal(status, 1)
  const text = out.join('\n')
  assert.match(text, new RegExp(`^files: ${CAPTURES.length} imported, 0 skipped \\(already in FILES\\), 4 failed$`, 'm'))
  for (const [path, date, at] of files) {
    assert.ok(text.includes(`failed: ${path}: packet 2: timestamp "${date} 22:45:17.`), text)
    assert.ok(text.includes(`is not a day of the calendar (at byte offset ${at})`), text)
  }
  assert.equal((await a.client.smembers('FILES')).length, CAPTURES.length)
  assert.deepEqual(await a.client.smembers('lab-dnsicmp-1_DAYS'), ['20130530'])
  assert.deepEqual(new Set((await a.client.keys('lab-dnsicmp-1:*')).map(k => k.split(':')[1])), new Set(['20130530']))
})

test('every value json writes, ingest counts: lengths past 65,535 and the largest value of every field', async () => {
  const captures = mkdtempSync(join(dir, 'edges-'))
  let sec = daysFromCivil(2024, 3, 1) * 86400
  writeFileSync(join(captures, 'lab-edges-1-20240301000000.pcap'), pcapOf(LT_ETHERNET, EDGES.flatMap(([frame, copies]) => Array.from({ length: copies }, () => ({ frame, sec: sec++ })))))
  assert.equal((await potiron('ingest', captures, '--unix', b.socket, '--quiet')).status, 0)
  const expected = await dump(b.client)
  assert.deepEqual(expected['lab-edges-1:20240301:length'], { type: 'zset', value: { 20: 1, 28: 1, 32: 3, 40: 1, 65535: 1, 65575: 2, 69986: 1 } })
  const json = mkdtempSync(join(dir, 'json-'))
  assert.equal((await potiron('json', captures, '--out', json)).status, 0)
  assert.equal((await potiron('import-json', json, '--unix', a.socket)).status, 0)
  assert.deepEqual(await dump(a.client), counts(expected))
})

test('the array reader: any chunk size, strings with brackets and escapes, exact error offsets', async () => {
  const text = ' [{"a": "x]}\\"{", "b": [1, 2]} ,\n{"c": -1, "d": "é"}, {}]  '
  const path = join(dir, 'array.json')
  writeFileSync(path, text)
  const expected = [[{ a: 'x]}"{', b: [1, 2] }, 2], [{ c: -1, d: 'é' }, 33], [{}, 55]]
  for (const chunk of [1, 3, 7, 1 << 16]) {
    const seen: unknown[] = []
    await readJsonArray(path, (e, offset) => { seen.push([e, offset]) }, chunk)
    assert.deepEqual(seen, expected)
  }
  const cases: Array<[string, string]> = [
    ['[]', ''],
    ['{"a": 1}', "expected '[' (a JSON array of documents) (at byte offset 0)"],
    ['[{"a": 1} {"b": 2}]', "expected ',' or ']' after an element (at byte offset 10)"],
    ['[{"a": 1},]', 'expected an object (at byte offset 10)'],
    ['[{"a": 1}] x', 'unexpected data after the array (at byte offset 11)'],
    ['[{"a": 1}, {"b": "', 'the file ends inside the array (truncated?) (at byte offset 11)'],
    ['  ', "no '[' (not a JSON array) (at byte offset 2)"]
  ]
  for (const [content, message] of cases) {
    writeFileSync(path, content)
    const error = await readJsonArray(path, () => {}, 4).then(() => '', (err: Error) => err.message)
    assert.equal(error, message === '' ? '' : `${path}: ${message}`, content)
  }
})
