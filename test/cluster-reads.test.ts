/**
 * The reading commands on a Redis Cluster (issue 15): the fixtures ingested into one Redis and
 * into a real cluster of 3 masters (test/helpers/cluster.ts), then `export csv` (each mode),
 * `plot`, `report`, `status` and `serve` (its pages, its JSON API, a settings change and a page
 * in Chromium) give the same output from either, byte for byte but for the Redis's address.
 */
import { after, before, test } from 'node:test'
import assert from 'node:assert/strict'
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join, relative } from 'node:path'
import type { Browser } from 'playwright-core'
import { serve } from '../src/cli/serve.js'
import type { RedisTarget } from '../src/store/connection.js'
import { launchChromium, visit } from './helpers/browser.js'
import { potiron, type Run } from './helpers/cli.js'
import { startCluster, type TestCluster } from './helpers/cluster.js'
import { startRedis, type TestRedis } from './helpers/redis.js'
import { writeArpCapture } from './helpers/arp-day.js'
import { OWN_NAMES, PAIR } from './helpers/serve.js'
import { FIXTURES } from './helpers/shared.js'
import { teardown, within } from './helpers/teardown.js'

const dir = mkdtempSync(join(tmpdir(), 'potiron-cluster-reads-'))
let cluster: TestCluster
let single: TestRedis
let browser: Browser | undefined

before(async () => {
  [cluster, single] = await Promise.all([startCluster({ masters: 3 }), startRedis()])
  await fill([])
})

after(async () => {
  await teardown(async () => await browser?.close(), async () => { await cluster?.stop() }, async () => { await single?.stop() }, () => { rmSync(dir, { recursive: true, force: true }) })
})

/** The Redis options of either side. */
function on (side: 'one' | 'three'): string[] {
  return side === 'one' ? ['--unix', single.socket] : ['--redis', cluster.url]
}

async function flush (): Promise<void> {
  await Promise.all([single.client.flushall(), ...cluster.masters.map(async m => await m.client.flushall())])
}

/** Empties both, then ingests `files` into each with `args` (--layer2, --isn...). */
async function fresh (files: string[], args: string[]): Promise<void> {
  await flush()
  for (const side of ['one', 'three'] as const) {
    const run = await potiron('ingest', ...files, ...on(side), '--quiet', ...args)
    assert.equal(run.status, 0, run.err.join('\n'))
  }
}

/**
 * Empties both, then ingests the fixtures into each (`extra`: --combined-keys): five under their
 * own sensor names, lab-vlan-1 + lab-synscan-1 as `lab-pair-1` (two days five days apart).
 */
async function fill (extra: string[]): Promise<void> {
  await flush()
  for (const side of ['one', 'three'] as const) {
    const own = await potiron('ingest', ...OWN_NAMES.map(f => join(FIXTURES, f)), ...on(side), '--quiet', ...extra)
    const pair = await potiron('ingest', ...PAIR.map(f => join(FIXTURES, f)), '--sensor', 'lab-pair-1', ...on(side), '--quiet', ...extra)
    assert.deepEqual([own.status, pair.status], [0, 0], [...own.err, ...pair.err].join('\n'))
  }
}

/** Every file under `root`, by path relative to it, with its bytes as text. */
function tree (root: string): Record<string, string> {
  const files: Record<string, string> = {}
  for (const entry of readdirSync(root, { recursive: true, withFileTypes: true })) {
    if (!entry.isFile()) continue
    const path = join(entry.parentPath, entry.name)
    files[relative(root, path)] = readFileSync(path, 'utf8')
  }
  return files
}

let runs = 0

/**
 * `args` run against one Redis and against the cluster, each writing under its own `--out`: the
 * two runs (status, stdout, stderr after its first line, which names the Redis) with the out
 * directory named OUT, and the two trees of files written.
 */
async function both (...args: string[]): Promise<{ one: Run, three: Run, files: [Record<string, string>, Record<string, string>] }> {
  const results = []
  for (const side of ['one', 'three'] as const) {
    const out = join(dir, `${side}-${++runs}`)
    const run = await potiron(...args, '--out', out, ...on(side))
    const same = (line: string): string => line.replaceAll(out, 'OUT')
    results.push({ run: { status: run.status, out: run.out.map(same), err: run.err.map(same) }, files: tree(out) })
  }
  const [one, three] = results as [typeof results[0], typeof results[0]]
  return { one: one.run, three: three.run, files: [one.files, three.files] }
}

/** Asserts `args` give the same output and files from both, and that files were written; returns their names. */
async function same (...args: string[]): Promise<string[]> {
  const { one, three, files } = await both(...args)
  assert.equal(one.status, 0, one.err.join('\n'))
  assert.deepEqual([three.status, three.out, three.err.slice(1)], [one.status, one.out, one.err.slice(1)])
  assert.equal(three.err[0], `potiron: redis ${cluster.url} (a Redis Cluster of 3 masters)`)
  assert.deepEqual(files[1], files[0])
  return Object.keys(files[0]).sort()
}

test('export csv: a day, a month, each day of a month, --exact and --skip: the same files from the cluster', async () => {
  assert.deepEqual(await same('export', 'csv', '--sensor', 'lab-pair-1', '--field', 'dport', '--date', '2010-07-04'), ['lab-pair-1_destination-port_2010-07-04.csv'])
  assert.deepEqual(await same('export', 'csv', '--sensor', 'lab-pair-1', '--field', 'ipsrc', '--date', '2010-07', '--limit', '25'), ['lab-pair-1_ip-source_2010-07.csv'])
  assert.deepEqual(await same('export', 'csv', '--sensor', 'lab-pair-1', '--field', 'iptos', '--date', '2010-06', '--each-day', '--skip'), ['lab-pair-1_type-of-service_2010-06-29.csv'])
  assert.deepEqual(await same('export', 'csv', '--sensor', 'lab-multiif-1', '--field', 'sport', '--date', '2026-01', '--exact'), ['lab-multiif-1_source-port_2026-01.csv'])
})

test('plot month and plot range (with a calendar): the same pages from the cluster', async () => {
  const month = await same('plot', 'month', '--sensor', 'lab-pair-1', '--field', 'dport', '--values', '22', '80', '--date', '2010-07')
  assert.equal(month.filter(name => !name.startsWith('assets/')).length, 13, month.join(', '))
  const range = await same('plot', 'range', '--sensor', 'lab-pair-1', '--field', 'dport', '--values', '22', '--from', '2010-06', '--to', '2010-07', '--calendar', '2010')
  assert.deepEqual(range.filter(name => !name.startsWith('assets/')), ['lab-pair-1_2010-06_to_2010-07_destination-port_22.csv', 'lab-pair-1_2010-06_to_2010-07_destination-port_22.html', 'lab-pair-1_2010_calendar_destination-port_22.html'])
})

test('report: the same site of every sensor from the cluster', async () => {
  const site = await same('report', '--fields', 'dport,ipsrc,protocol')
  assert.ok(site.includes('index.html'))
  assert.ok(site.length > 20, String(site.length))
})

test('status, --files, --json: the same but for the Redis named and the memory, the masters\' total', async () => {
  const one = await potiron('status', '--files', '--json', ...on('one'))
  const three = await potiron('status', '--files', '--json', ...on('three'))
  assert.deepEqual([one.status, three.status], [0, 0])
  type Status = Record<string, unknown> & { memory: { bytes: number, human: string } }
  const a = JSON.parse(one.out.join('\n')) as Status
  const b = JSON.parse(three.out.join('\n')) as Status
  assert.deepEqual(b.redis, { address: cluster.url, own: false })
  const used = await Promise.all(cluster.masters.map(async m => Number(/^used_memory:(\d+)/m.exec(await m.client.info('memory'))![1])))
  const total = used.reduce((x, y) => x + y, 0)
  // Read a moment apart: each master's memory moves by a few KiB with the connections made.
  assert.ok(Math.abs(b.memory.bytes - total) < 200_000, `${b.memory.bytes} vs ${total}`)
  assert.deepEqual(b.memory, { bytes: b.memory.bytes, human: `${(b.memory.bytes / 1024 / 1024).toFixed(2)}M`, masters: 3 })
  // The files were counted a few seconds apart in the two.
  const bare = ({ redis: _, memory: __, files, ...rest }: Record<string, unknown>): Record<string, unknown> => {
    const { list, ...count } = files as { list: Array<{ counted: string }> }
    return { ...rest, files: { ...count, list: list.map(f => ({ ...f, counted: /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/.test(f.counted) })) } }
  }
  assert.deepEqual(bare(b), bare(a))
  assert.equal((a.sensors as unknown[]).length, 6)
  assert.equal((a.files as { list: unknown[] }).list.length, 7)
  const text = [await potiron('status', ...on('one')), await potiron('status', ...on('three'))]
  const shown = (run: Run): string[] => run.out.join('\n').split('\n').filter(line => !/^(redis|memory)\b/.test(line))
  assert.deepEqual(shown(text[1]!), shown(text[0]!))
  assert.match(text[1]!.out.join('\n'), /^memory used: \d+\.\d\dM \(3 masters together\)$/m)
})

/** `potiron serve` on `target` on a free port, until `stop` is called: its URL and what it printed. */
async function served (target: RedisTarget): Promise<{ url: string, lines: string[], stop: () => Promise<void> }> {
  const lines: string[] = []
  let stop = (): void => {}
  const stopped = new Promise<void>(resolve => { stop = resolve })
  let listening = (_: string): void => {}
  const url = new Promise<string>(resolve => { listening = resolve })
  const io = { out: (t: string) => { lines.push(t); listening(/http:\/\/[^/]+/.exec(t)![0]) }, err: (t: string) => { lines.push(t) } }
  const status = serve({ target, host: '127.0.0.1', port: 0, basePath: '', readOnly: false, allowedHosts: [] }, io, stopped)
  return { url: await within(20_000, 'serve listening', Promise.race([url, status.then(s => { throw new Error(`serve ended (${s}): ${lines.join('\n')}`) })])), lines, stop: async () => { stop(); assert.equal(await status, 0) } }
}

const PAGES = [
  '/api/sensors', '/api/overview?sensor=lab-pair-1', '/api/overview?sensor=lab-pair-1&day=2010-06-29&days=2',
  '/api/overview?sensor=lab-multiif-1&days=3&notset=1', '/api/evolution?sensor=lab-pair-1&field=iptos&value=0x00',
  '/api/evolution?sensor=lab-pair-1&field=dport&value=22&until=2010-07-04&days=5', '/api/calendar?sensor=lab-pair-1&field=dport&value=22&year=2010',
  '/api/compare?sensor=lab-pair-1&day=2010-07-04&ref_day=2010-06-29&field=dport', '/api/new?sensor=lab-pair-1', '/api/sparklines?sensor=lab-pair-1',
  '/api/settings', '/?sensor=lab-pair-1&day=2010-06-29', '/evolution?sensor=lab-pair-1&field=iptos&value=0x00', '/calendar?sensor=lab-pair-1&field=dport&value=22&year=2010',
  '/compare?sensor=lab-pair-1&day=2010-07-04', '/settings?sensor=lab-pair-1', '/csv?sensor=lab-pair-1&field=dport&day=2010-07-04'
]

/** Each path's status and body from `url`. */
async function fetched (url: string, paths: readonly string[]): Promise<Array<[string, number, string]>> {
  return await Promise.all(paths.map(async path => {
    const res = await fetch(`${url}${path}`)
    return [path, res.status, await res.text()] as [string, number, string]
  }))
}

test('serve on a cluster node: its pages and JSON API answer as on one Redis, a settings change is kept, a page draws in Chromium', async () => {
  const one = await served({ socket: single.socket })
  // A cluster refused (as before serve read one) must not leave the other serving.
  const three = await served({ url: cluster.url }).catch(async (e: unknown) => { await one.stop(); throw e })
  try {
    assert.deepEqual(three.lines.slice(0, 2), [`potiron: redis ${cluster.url} (a Redis Cluster of 3 masters)`, 'potiron serve: connected to Redis'])
    const expected = await fetched(one.url, PAGES)
    for (const [path, status] of expected) assert.equal(status, 200, path)
    assert.deepEqual(await fetched(three.url, PAGES), expected)
    // A settings change (ENFIELDS, one key's MULTI) on both, then the overview that follows it.
    const save = async (url: string): Promise<[number, string]> => {
      const res = await fetch(`${url}/api/settings`, { method: 'POST', headers: { 'Content-Type': 'application/json', Origin: url }, body: JSON.stringify({ fields: ['dport', 'ipsrc'] }) })
      return [res.status, await res.text()]
    }
    const saved = await save(one.url)
    assert.equal(saved[0], 200, saved[1])
    assert.deepEqual(await save(three.url), saved)
    assert.deepEqual(await fetched(three.url, ['/api/settings', '/api/overview?sensor=lab-pair-1']), await fetched(one.url, ['/api/settings', '/api/overview?sensor=lab-pair-1']))
    browser = await launchChromium()
    const v = await visit(browser, `${three.url}/?sensor=lab-pair-1`)
    await v.page.waitForFunction(`(() => {
      const charts = [...document.querySelectorAll('div.potiron-chart')]
      return charts.length > 0 && charts.every(c => c.dataset.ready === 'true')
    })()`, undefined, { timeout: 30_000 })
    const w = await visit(browser, `${one.url}/?sensor=lab-pair-1`)
    await w.page.waitForFunction(`(() => {
      const charts = [...document.querySelectorAll('div.potiron-chart')]
      return charts.length > 0 && charts.every(c => c.dataset.ready === 'true')
    })()`, undefined, { timeout: 30_000 })
    const text = async (p: typeof v.page): Promise<string> => await p.locator('main').innerText()
    assert.deepEqual([v.errors, v.dialogs, await v.page.locator('div.potiron-chart').count(), await text(v.page)], [[], [], await w.page.locator('div.potiron-chart').count(), await text(w.page)])
  } finally {
    await Promise.all([one.stop(), three.stop()])
  }
})

test('with combined keys: export csv --protocols, plot month of values per protocol, report and the API the same from the cluster', async () => {
  await fill(['--combined-keys'])
  assert.deepEqual(await same('export', 'csv', '--sensor', 'lab-dnsicmp-1', '--field', 'dport', '--date', '2013-05-30', '--protocols'),
    ['lab-dnsicmp-1_destination-port_with-protocols_2013-05-30.csv', 'lab-dnsicmp-1_destination-port_with-protocols_2013-05-30_udp.csv'])
  assert.ok((await same('plot', 'month', '--sensor', 'lab-dnsicmp-1', '--field', 'dport', '--values', '53-*')).length > 1)
  assert.ok((await same('report', '--sensor', 'lab-pair-1', '--fields', 'dport')).includes('index.html'))
  const one = await served({ socket: single.socket })
  // A cluster refused (as before serve read one) must not leave the other serving.
  const three = await served({ url: cluster.url }).catch(async (e: unknown) => { await one.stop(); throw e })
  try {
    const paths = ['/api/overview?sensor=lab-dnsicmp-1&days=1', '/api/evolution?sensor=lab-dnsicmp-1&field=dport&value=53', '/api/evolution?sensor=lab-dnsicmp-1&field=dport&value=53-*']
    const expected = await fetched(one.url, paths)
    for (const [path, status] of expected) assert.equal(status, 200, path)
    assert.deepEqual(await fetched(three.url, paths), expected)
  } finally {
    await Promise.all([one.stop(), three.stop()])
  }
})

test('an ISN database (ingest --isn): plot isn of a day and of an hour, the same pages from the cluster', async () => {
  await fresh([join(FIXTURES, 'lab-synscan-1-20100704202416.pcapng')], ['--isn'])
  const day = await same('plot', 'isn', '--sensor', 'lab-synscan-1', '--date', '2010-07-04')
  const hour = await same('plot', 'isn', '--sensor', 'lab-synscan-1', '--date', '2010-07-04', '--hour', '20')
  assert.deepEqual([day, hour].map(names => names.filter(name => !name.startsWith('assets/'))), [['isn_lab-synscan-1_2010-07-04.html'], ['isn_lab-synscan-1_2010-07-04_20.html']])
})

test('a layer-2 database (ingest --layer2): export arp and the dashboard\'s ARP page, the same from the cluster', async () => {
  await fresh([writeArpCapture(dir, 'lab-arp-1')], ['--layer2'])
  const files = await same('export', 'arp', '--sensor', 'lab-arp-1', '--date', '2017-03-01')
  assert.deepEqual(files.filter(name => !name.startsWith('assets/')), ['lab-arp-1_arp-who-has_2017-03-01.csv', 'lab-arp-1_arp_2017-03-01.csv', 'lab-arp-1_arp_2017-03-01.html'])
  const one = await served({ socket: single.socket })
  // A cluster refused (as before serve read one) must not leave the other serving.
  const three = await served({ url: cluster.url }).catch(async (e: unknown) => { await one.stop(); throw e })
  try {
    const paths = ['/arp?sensor=lab-arp-1', '/arp?sensor=lab-arp-1&day=2017-03-02', '/api/sensors']
    const expected = await fetched(one.url, paths)
    for (const [path, status] of expected) assert.equal(status, 200, path)
    assert.deepEqual(await fetched(three.url, paths), expected)
  } finally {
    await Promise.all([one.stop(), three.stop()])
  }
})
