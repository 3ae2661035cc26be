/**
 * potiron export csv, plot month and report, on data ingested into private redis-servers: exact
 * file names and table contents, tie order at the top-N cut, per-protocol tables, and a site in
 * which every link leads to a file that exists.
 */
import { after, before, describe, test } from 'node:test'
import assert from 'node:assert/strict'
import { copyFileSync, existsSync, mkdtempSync, readFileSync, readdirSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { csvText } from '../src/export/csv.js'
import { fieldWords, valueLabel } from '../src/export/labels.js'
import { fitName } from '../src/documents/fit-name.js'
import { valueOrder } from '../src/aggregate/fields.js'
import { compactOf, namePart, timelineStem, topStem } from '../src/export/names.js'
import { byCount, topOf } from '../src/store/read.js'
import { Redis } from 'ioredis'
import { Rng, type GeneratedPacket } from '../bench/gen-capture.js'
import { parseSpec } from '../src/export/report.js'
import { heatmapFigure, shareText, topFigure } from '../src/export/charts.js'
import { othersOf } from '../src/export/site.js'
import { FIXTURES } from './helpers/shared.js'
import { potiron } from './helpers/cli.js'
import { MONTH_SENSOR as S, writeLaterCapture, writeMonthCapture } from './helpers/month.js'
import { startRedis, type TestRedis } from './helpers/redis.js'

let plain: TestRedis
let combinedKeys: TestRedis
let dir: string

/**
 * The generated capture's packets as the generator wrote them (its own account, not potiron's
 * decoding): per day (YYYY-MM-DD), packets per outer IP protocol and destination ports per
 * protocol. The tables below are checked against counts computed from these.
 */
const written = new Map<string, { protocols: Map<string, number>, dports: Map<string, Map<string, number>> }>()

function tally (p: GeneratedPacket): void {
  const day = new Date(p.sec * 1000).toISOString().slice(0, 10)
  let d = written.get(day)
  if (d === undefined) written.set(day, d = { protocols: new Map(), dports: new Map() })
  const protocol = String(p.protocol)
  d.protocols.set(protocol, (d.protocols.get(protocol) ?? 0) + 1)
  let ports = d.dports.get(protocol)
  if (ports === undefined) d.dports.set(protocol, ports = new Map<string, number>())
  ports.set(String(p.dport), (ports.get(String(p.dport)) ?? 0) + 1)
}

/** Destination port counts over `days` (YYYY-MM-DD), of one protocol or all. */
function writtenPorts (days: readonly string[], protocol?: number): Map<string, number> {
  const sum = new Map<string, number>()
  for (const day of days) {
    for (const [proto, ports] of written.get(day)?.dports ?? []) {
      if (protocol !== undefined && proto !== String(protocol)) continue
      for (const [port, n] of ports) sum.set(port, (sum.get(port) ?? 0) + n)
    }
  }
  return sum
}

/** The top `limit` of `counts` as `value,count` lines: by count, then by port number; `skip` and -1 left out unless asked. */
function topLines (counts: ReadonlyMap<string, number>, limit: number, skip: readonly string[] = ['-1']): string[] {
  return [...counts].filter(([v]) => !skip.includes(v))
    .sort(([va, a], [vb, b]) => b - a || Number(va) - Number(vb))
    .slice(0, limit).map(([v, n]) => `${v},${n}`)
}

/** A CSV's `value,count` lines (its header and labels left out). */
function valueCounts (csv: string): string[] {
  return csv.split('\n').slice(1, -1).map(line => line.split(',').slice(0, 2).join(','))
}

const MARCH = ['2024-03-01', '2024-03-02', '2024-03-03']

before(async () => {
  dir = mkdtempSync(join(tmpdir(), 'potiron-export-'))
  const capture = await writeMonthCapture(dir, tally)
  assert.deepEqual([...written.keys()].sort(), MARCH)
  ;[plain, combinedKeys] = await Promise.all([startRedis(), startRedis()])
  const fixtures = ['lab-dnsicmp-1-20130530224517.pcap', 'lab-synscan-1-20100704202416.pcapng'].map(f => join(FIXTURES, f))
  assert.equal((await potiron('ingest', capture, ...fixtures, '--unix', plain.socket, '--quiet')).status, 0)
  assert.equal((await potiron('ingest', capture, '--unix', combinedKeys.socket, '--quiet', '--combined-keys')).status, 0)
})

after(async () => {
  await Promise.all([plain.stop(), combinedKeys.stop()])
  rmSync(dir, { recursive: true, force: true })
})

function outDir (): string {
  return mkdtempSync(join(dir, 'out-'))
}

function read (path: string): string {
  return readFileSync(path, 'utf8')
}

describe('export csv', () => {
  test('one day: top N by count, ties by port number, -1 left out, IANA labels; the original\'s file name', async () => {
    const out = outDir()
    const run = await potiron('export', 'csv', '--sensor', S, '--field', 'dport', '--date', '2024-03-02', '--limit', '6', '--out', out, '--unix', plain.socket)
    assert.equal(run.status, 0, run.err.join('\n'))
    assert.deepEqual(readdirSync(out), ['lab-gen-1_destination-port_2024-03-02.csv'])
    // 445 and 3389 both have 41: the cut keeps 445, the smaller port (byte order would keep 3389).
    assert.equal(read(join(out, 'lab-gen-1_destination-port_2024-03-02.csv')), [
      'value,count,label', '22,93,ssh', '23,77,telnet', '80,70,www-http', '443,61,https', '53,43,domain', '445,41,microsoft-ds', ''
    ].join('\n'))
    // The same counts from what the generator wrote.
    assert.deepEqual(valueCounts(read(join(out, 'lab-gen-1_destination-port_2024-03-02.csv'))), topLines(writtenPorts(['2024-03-02']), 6))
  })

  test('bundled fixtures: ties at the cut by port number, the same top as inspect\'s; ICMP type names, --skip alone keeps the sentinel', async () => {
    const out = outDir()
    const scan = await potiron('export', 'csv', '--sensor', 'lab-synscan-1', '--field', 'dport', '--date', '2010-07-04', '--limit', '10', '--out', out, '--unix', plain.socket)
    assert.deepEqual([scan.status, scan.out], [0, [`1 file written under ${out}`]])
    // Hundreds of ports tie at 2: Redis's reverse order would give 9999, 9998, 999 after 36050,
    // byte order 1, 100, 1000; by number they are 1, 3, 4...
    const table = read(join(out, 'lab-synscan-1_destination-port_2010-07-04.csv'))
    assert.equal(table, 'value,count,label\n36050,16,\n1,2,tcpmux\n3,2,\n4,2,\n6,2,\n7,2,echo\n9,2,discard\n13,2,daytime\n17,2,qotd\n19,2,chargen\n')
    // inspect counts the capture itself (no Redis): its top destination ports are the same rows.
    const inspected = await potiron('inspect', '--json', join(FIXTURES, 'lab-synscan-1-20100704202416.pcapng'))
    const ports = (JSON.parse(inspected.out[0]!) as { topDestinationPorts: Array<[number, number]> }).topDestinationPorts
    assert.deepEqual(ports.map(([port, count]) => `${port},${count}`), valueCounts(table))
    const icmp = await potiron('export', 'csv', '--sensor', 'lab-dnsicmp-1', '--field', 'icmptype', '--date', '2013-05-30', '--skip', '--out', out, '--unix', plain.socket)
    assert.equal(icmp.status, 0)
    assert.equal(read(join(out, 'lab-dnsicmp-1_icmp-type_2013-05-30.csv')), 'value,count,label\n8,12,echo request\n0,10,echo reply\n255,10,not set\n')
  })

  test('without --skip, each field\'s own "not set" value is left out: 255 for the ICMP fields, 0 for iptos, -1 for the others', async () => {
    const out = outDir()
    for (const field of ['icmptype', 'icmpcode', 'iptos', 'tcpseq']) {
      const run = await potiron('export', 'csv', '--sensor', 'lab-dnsicmp-1', '--field', field, '--date', '2013-05-30', '--out', out, '--unix', plain.socket)
      assert.equal(run.status, 0, run.err.join('\n'))
    }
    assert.deepEqual(readdirSync(out).sort().map(f => [f, read(join(out, f))]), [
      ['lab-dnsicmp-1_icmp-code_2013-05-30.csv', 'value,count,label\n0,22,\n'],
      ['lab-dnsicmp-1_icmp-type_2013-05-30.csv', 'value,count,label\n8,12,echo request\n0,10,echo reply\n'],
      ['lab-dnsicmp-1_sequence-number_2013-05-30.csv', 'value,count,label\n'],
      ['lab-dnsicmp-1_type-of-service_2013-05-30.csv', 'value,count,label\n0x00,32,\n']
    ])
  })

  test('a month: the sum of its days', async () => {
    const out = outDir()
    const run = await potiron('export', 'csv', '--sensor', S, '--field', 'dport', '--date', '2024-03', '--limit', '5', '--skip', '-1', '23', '--out', out, '--unix', plain.socket)
    assert.equal(run.status, 0, run.err.join('\n'))
    // 22: 97 + 93 + 94; 80: 58 + 70 + 81; 443: 62 + 61 + 45; 445: 57 + 41 + 51; 53: 40 + 43 + 47
    assert.equal(read(join(out, 'lab-gen-1_destination-port_2024-03.csv')), [
      'value,count,label', '22,284,ssh', '80,209,www-http', '443,168,https', '445,149,microsoft-ds', '53,130,domain', ''
    ].join('\n'))
    assert.deepEqual(valueCounts(read(join(out, 'lab-gen-1_destination-port_2024-03.csv'))), topLines(writtenPorts(MARCH), 5, ['-1', '23']))
  })

  test('--each-day: one file per day that has data', async () => {
    const out = outDir()
    const run = await potiron('export', 'csv', '--sensor', S, '--field', 'protocol', '--date', '2024-03', '--each-day', '--out', out, '--unix', plain.socket)
    assert.equal(run.status, 0, run.err.join('\n'))
    assert.deepEqual(readdirSync(out).sort(), ['01', '02', '03'].map(d => `lab-gen-1_protocol_2024-03-${d}.csv`))
    assert.equal(read(join(out, 'lab-gen-1_protocol_2024-03-01.csv')), EXPECTED_PROTOCOLS_DAY1)
    for (const day of MARCH) {
      assert.deepEqual(valueCounts(read(join(out, `lab-gen-1_protocol_${day}.csv`))), topLines(written.get(day)!.protocols, 10), day)
    }
  })

  test('--protocols: one file per protocol and their total, which equals the table of data without combined keys', async () => {
    const out = outDir()
    const run = await potiron('export', 'csv', '--sensor', S, '--field', 'dport', '--date', '2024-03', '--protocols', '--out', out, '--unix', combinedKeys.socket)
    assert.equal(run.status, 0, run.err.join('\n'))
    assert.deepEqual(readdirSync(out).sort(), EXPECTED_PROTOCOL_FILES)
    const plainOut = outDir()
    assert.equal((await potiron('export', 'csv', '--sensor', S, '--field', 'dport', '--date', '2024-03', '--out', plainOut, '--unix', plain.socket)).status, 0)
    assert.equal(read(join(out, 'lab-gen-1_destination-port_with-protocols_2024-03.csv')), read(join(plainOut, 'lab-gen-1_destination-port_2024-03.csv')))
    assert.equal(read(join(out, 'lab-gen-1_destination-port_with-protocols_2024-03_udp.csv')), EXPECTED_UDP_MONTH)
    for (const [name, protocol] of [['tcp', 6], ['udp', 17], ['icmp', 1]] as const) {
      assert.deepEqual(valueCounts(read(join(out, `lab-gen-1_destination-port_with-protocols_2024-03_${name}.csv`))), topLines(writtenPorts(MARCH, protocol), 10), name)
    }
    assert.deepEqual(valueCounts(read(join(out, 'lab-gen-1_destination-port_with-protocols_2024-03.csv'))), topLines(writtenPorts(MARCH), 10))
  })

  test('usage errors say what is wrong and exit with 2', async () => {
    const cases: Array<[string[], string]> = [
      [['--field', 'dport', '--date', '2024-03', '--protocols'], 'potiron: --protocols needs data ingested with --combined-keys: this data has no per-protocol counts'],
      [['--field', 'nope', '--date', '2024-03'], 'potiron: field \'nope\' is not in the data (fields: length, protocol, ipsrc, ipdst, ipttl, iptos, sport, dport, tcpseq, tcpack, icmpcode, icmptype)'],
      [['--field', 'dport', '--date', '2024-02-30'], 'potiron: --date: 2024-02-30 does not exist (2024-02 has 29 days)'],
      [['--field', 'dport', '--date', '2024-04'], 'potiron: no data for sensor \'lab-gen-1\' on 2024-04'],
      [['--field', 'dport', '--date', '2024-03', '--limit', '0'], 'potiron: --limit: expected a whole number from 1 to 100000, got \'0\'']
    ]
    for (const [args, message] of cases) {
      const run = await potiron('export', 'csv', '--sensor', S, ...args, '--out', outDir(), '--unix', plain.socket)
      // Checked before Redis is asked (one line), or in Redis once it is named (its line first).
      assert.deepEqual([run.status, run.err.at(-1)?.split('\n')[0]], [2, message], args.join(' '))
    }
    const noSensor = await potiron('export', 'csv', '--field', 'dport', '--date', '2024-03', '--out', outDir(), '--unix', plain.socket)
    assert.deepEqual([noSensor.status, noSensor.err], [2, [`potiron: redis unix:${plain.socket}`, 'potiron: name one with --sensor: lab-dnsicmp-1, lab-gen-1, lab-synscan-1']])
    const unknown = await potiron('export', 'csv', '--sensor', 'x', '--field', 'dport', '--date', '2024-03', '--out', outDir(), '--unix', plain.socket)
    assert.deepEqual([unknown.status, unknown.err], [2, [`potiron: redis unix:${plain.socket}`, 'potiron: no data for sensor \'x\' (sensors: lab-dnsicmp-1, lab-gen-1, lab-synscan-1)']])
    const noFields = await potiron('report', '--sensor', S, '--fields', ' , ', '--out', outDir(), '--unix', plain.socket)
    assert.deepEqual([noFields.status, noFields.err[0]?.split('\n')[0]], [2, 'potiron: --fields: name at least one field (e.g. --fields dport,ipsrc), or leave it out for all'])
    // Options that need no data are checked before Redis is asked anything, even when it cannot be reached.
    for (const args of [['report', '--fields', ' , '], ['report', '--date', '2024-13'], ['plot', 'month', '--field', 'dport', '--values', '22', '--date', '2024-13']]) {
      const early = await potiron(...args, '--out', outDir(), '--unix', join(outDir(), 'no-redis.sock'))
      assert.equal(early.status, 2, args.join(' '))
      assert.match(early.err[0]!, /^potiron: --(fields|date): /, args.join(' '))
    }
  })
})

describe('top values', () => {
  test('the cut is the same whatever the ties: by count, then by value in byte order', async () => {
    const key = 'test:ties'
    await plain.client.zadd(key, 5, 'b', 5, 'a', 3, 'd', 3, 'c', 3, 'e', 1, 'f')
    try {
      const cut = async (limit: number, skip: string[] = []): Promise<string> =>
        (await topOf(plain.client, [key], limit, new Set(skip))).rows.map(r => `${r.value}:${r.count}`).join(' ')
      assert.equal(await cut(1), 'a:5')
      assert.equal(await cut(3), 'a:5 b:5 c:3')
      assert.equal(await cut(4, ['c']), 'a:5 b:5 d:3 e:3')
      assert.equal(await cut(10), 'a:5 b:5 c:3 d:3 e:3 f:1')
      assert.equal(await cut(2, ['a', 'b']), 'c:3 d:3')
    } finally {
      await plain.client.del(key)
    }
  })

  test('ties by number: the cut takes the smallest numbers tied, however many values tie and wherever Redis lists them', async () => {
    const key = 'test:numeric-ties'
    const order = valueOrder('dport')
    const cut = async (limit: number): Promise<string> => (await topOf(plain.client, [key], limit, new Set(['-1']), { order })).rows.map(r => `${r.value}:${r.count}`).join(' ')
    const fill = async (members: Array<[number, string]>): Promise<void> => {
      await plain.client.del(key)
      for (let i = 0; i < members.length; i += 10_000) await plain.client.zadd(key, ...members.slice(i, i + 10_000).flat())
    }
    try {
      // A few ties, read whole: 9 and 80 before 100 and 1000, whatever the byte order says.
      await fill([[9, '22'], [2, '1000'], [2, '100'], [2, '80'], [2, '9'], [1, '3']])
      assert.equal(await cut(3), '22:9 9:2 80:2')
      // 5,000 ports tie (a scan): the smallest are found among the short numbers; -1 is left out.
      await fill([[7, '443'], ...Array.from({ length: 5000 }, (_, i): [number, string] => [1, String(20000 + i * 9)]), [1, '-1'], [1, '5'], [1, '777']])
      assert.equal(await cut(3), '443:7 5:1 777:1')
      // 5,000 ties with one short number: every tied value is read (fewer than 65,537).
      await fill([[3, '8080'], ...Array.from({ length: 5000 }, (_, i): [number, string] => [1, String(10000 + i * 11)]), [1, '99']])
      assert.equal(await cut(3), '8080:3 99:1 10000:1')
    } finally {
      await plain.client.del(key)
    }
  })

  test('several keys are summed without writing anything to Redis', async () => {
    await plain.client.zadd('test:k1', 2, 'x', 1, 'y')
    await plain.client.zadd('test:k2', 2, 'y', 1, 'z')
    try {
      const keys = await plain.client.dbsize()
      await plain.client.config('RESETSTAT')
      assert.deepEqual(await topOf(plain.client, ['test:k1', 'test:k2'], 2), { rows: [{ value: 'y', count: 3 }, { value: 'x', count: 2 }] })
      assert.equal(await plain.client.dbsize(), keys)
      // Not even a temporary key (a ZUNIONSTORE then UNLINK would leave dbsize as it was): reads only.
      const commands = [...(await plain.client.info('commandstats')).matchAll(/^cmdstat_([a-z|]+):/gm)].map(m => m[1]).sort()
      assert.deepEqual(commands, ['config|resetstat', 'dbsize', 'zrevrange'])
    } finally {
      await plain.client.del('test:k1', 'test:k2')
    }
  })
})

describe('top of a sum of keys', () => {
  /** Every value's sum by brute force (every member read and summed here), in top order. */
  async function sumsOf (keys: string[], skip: Set<string>): Promise<Array<{ value: string, count: number }>> {
    const sums = new Map<string, number>()
    for (const key of keys) {
      const flat = await plain.client.zrange(key, 0, -1, 'WITHSCORES')
      for (let i = 0; i < flat.length; i += 2) if (!skip.has(flat[i]!)) sums.set(flat[i]!, (sums.get(flat[i]!) ?? 0) + Number(flat[i + 1]))
    }
    return [...sums].map(([value, count]) => ({ value, count })).sort(byCount())
  }

  /** The answer by brute force. */
  async function bruteForce (keys: string[], limit: number, skip: Set<string>): Promise<string> {
    return (await sumsOf(keys, skip)).slice(0, limit).map(r => `${r.value}:${r.count}`).join(' ')
  }

  /** `days` keys of `members` values each, counts drawn by `draw`; some values on every day, some on a few. */
  async function fill (prefix: string, days: number, members: number, draw: (rng: Rng) => number): Promise<string[]> {
    const rng = new Rng(days * 1000 + members)
    const keys: string[] = []
    for (let d = 0; d < days; d++) {
      const key = `${prefix}:${d}`
      const args: Array<string | number> = []
      for (let i = 0; i < members; i++) args.push(draw(rng), `v${(i * 7 + d * (rng.u32() % 3)) % (members * 2)}`)
      await plain.client.zadd(key, ...args)
      keys.push(key)
    }
    return keys
  }

  const cases: Array<[string, number, number, (rng: Rng) => number, { listCap?: number, fullReadLimit?: number }, 'proven' | 'whole' | 'bounded']> = [
    ['skewed (ports): proven from the heads', 8, 3000, rng => Math.floor(1000 / (1 + (rng.u32() % 500))) + 1, {}, 'proven'],
    ['flat, few values: the heads hold everything', 5, 40, rng => 1 + (rng.u32() % 3), {}, 'proven'],
    ['flat, many values (sequence numbers): read whole in chunks', 4, 3000, rng => 1 + (rng.u32() % 2), { listCap: 512 }, 'whole'],
    ['flat, past the read limit: exact counts, and how far the top holds', 4, 3000, rng => 1 + (rng.u32() % 2), { listCap: 512, fullReadLimit: 1000 }, 'bounded']
  ]
  for (const [name, days, members, draw, limits, outcome] of cases) {
    test(name, async () => {
      const keys = await fill(`test:sum:${name.length}`, days, members, draw)
      try {
        for (const [limit, skip] of [[10, new Set<string>()], [3, new Set(['v0', 'v14'])]] as const) {
          const top = await topOf(plain.client, keys, limit, skip, limits)
          const text = (rows: Array<{ value: string, count: number }>): string => rows.map(r => `${r.value}:${r.count}`).join(' ')
          // Which way it went: without whole reads, only a top proven from the heads is complete.
          const headsOnly = await topOf(plain.client, keys, limit, skip, { ...limits, fullReadLimit: 0 })
          assert.equal(headsOnly.missingAtMost === undefined, outcome === 'proven', `limit ${limit}`)
          if (outcome === 'bounded') {
            assert.ok(top.missingAtMost !== undefined && top.missingAtMost >= top.rows.at(-1)!.count, JSON.stringify(top))
            // The bound holds: no value left out of the answer has more packets than it says.
            const shown = new Set(top.rows.map(r => r.value))
            const above = (await sumsOf(keys, skip)).filter(r => !shown.has(r.value) && r.count > top.missingAtMost!)
            assert.deepEqual(above, [], `limit ${limit}, bound ${top.missingAtMost}`)
            // Every count shown is the value's exact sum.
            for (const row of top.rows) {
              const scores = await Promise.all(keys.map(async key => Number(await plain.client.zscore(key, row.value) ?? 0)))
              assert.equal(row.count, scores.reduce((a, b) => a + b, 0), row.value)
            }
            const exact = await topOf(plain.client, keys, limit, skip, { ...limits, exact: true })
            assert.deepEqual([exact.missingAtMost, text(exact.rows)], [undefined, await bruteForce(keys, limit, skip)])
          } else {
            assert.deepEqual([top.missingAtMost, text(top.rows)], [undefined, await bruteForce(keys, limit, skip)], `limit ${limit}`)
          }
        }
      } finally {
        await plain.client.del(...keys)
      }
    })
  }
})

describe('names and labels', () => {
  test('labels: IANA services by protocol, protocol names, ICMP types, "not set" for each field\'s sentinel', () => {
    assert.deepEqual([
      valueLabel('dport', '22'), valueLabel('dport', '53', 'udp'), valueLabel('sport', '5060'), valueLabel('dport', '65000'),
      valueLabel('protocol', '6'), valueLabel('protocol', '58'), valueLabel('protocol', '253'),
      valueLabel('icmptype', '8'), valueLabel('icmptype', '128'), valueLabel('icmptype', '3', 'ipv6-icmp'),
      valueLabel('dport', '-1'), valueLabel('iptos', '0'), valueLabel('icmpcode', '255'), valueLabel('ipsrc', '1.2.3.4')
    ], ['ssh', 'domain', 'sip', '', 'tcp', 'ipv6-icmp', '', 'echo request', 'echo request', 'time exceeded', 'not set', 'not set', 'not set', ''])
  })

  test('file names follow the original\'s, with values made safe', () => {
    assert.equal(fieldWords('dport'), 'destination-port')
    assert.equal(topStem('s', 'ipsrc', '20240302'), 's_ip-source_2024-03-02')
    assert.equal(topStem('s', 'dport', '202403', 'tcp'), 's_destination-port_with-protocols_2024-03_tcp')
    assert.equal(topStem('s', 'dport', '202403', undefined, true), 's_destination-port_with-protocols_2024-03')
    assert.equal(timelineStem('s', 'dport', '202403', [{ value: '23' }, { value: '22' }]), 's_2024-03_destination-port_22_23')
    assert.equal(timelineStem('s', 'dport', '202403', [{ value: '22', protocol: '*' }, { value: '22', protocol: 'tcp' }]), 's_2024-03_destination-port_with-protocols_22-all_22-tcp')
    assert.equal(namePart('2001:db8::1'), '2001_db8__1')
    assert.equal(namePart('../etc/passwd'), 'x7fef78f53440346c')
    // A field list in Redis is data too: an odd name there never becomes a path.
    assert.equal(topStem('s', '../etc/passwd', '20240302'), 's_x7fef78f53440346c_2024-03-02')
    assert.equal(timelineStem('s', 'a b/c', '202403', [{ value: '1' }]), `s_2024-03_${namePart('a-b/c')}_1`)
    assert.equal(topStem('s', 'myfield', '20240302'), 's_myfield_2024-03-02')
    // 255 bytes at most, counted in UTF-8 and cut between characters (é is 2 bytes, 😀 4).
    assert.equal(fitName('a'.repeat(255)), 'a'.repeat(255))
    assert.equal(fitName('\u00e9'.repeat(200)), `${'\u00e9'.repeat(61)}-df20b2aa-${'\u00e9'.repeat(61)}`)
    assert.equal(fitName('\u{1F600}'.repeat(100)), `${'\u{1F600}'.repeat(30)}-a7e0f4a3-${'\u{1F600}'.repeat(30)}`)
    assert.equal(csvText('dport', [{ value: 'a,"b"', count: 2 }]), 'value,count,label\n"a,""b""",2,\n')
  })

  test('dates: days the calendar has, months when allowed; the CLI and the dashboard read them alike', () => {
    assert.deepEqual(['2024-02-29', '2023-02-29', '0001-01-01', '2024-04-31', '2024-13', '2024-03', '20240301', '2024-3-01'].map(t => compactOf(t, 'day or month')),
      ['20240229', undefined, '00010101', undefined, undefined, '202403', undefined, undefined])
    assert.deepEqual([compactOf('2024-03', 'day'), compactOf('2024-03-01', 'month'), compactOf('2024-03-01', 'day')], [undefined, undefined, '20240301'])
  })

  test('value specs: a protocol suffix names a protocol of the data, else the spec is refused', () => {
    const layout = { fields: ['dport'], combinedKeys: true, protocols: ['ipv6-icmp', 'tcp', 'udp'] }
    assert.deepEqual(['22', '22-tcp', '22-*', '22-all', '-1', '-1-udp', '8-ipv6-icmp'].map(t => parseSpec(t, layout)), [
      { value: '22' }, { value: '22', protocol: 'tcp' }, { value: '22', protocol: '*' }, { value: '22', protocol: '*' },
      { value: '-1' }, { value: '-1', protocol: 'udp' }, { value: '8', protocol: 'ipv6-icmp' }
    ])
    assert.throws(() => parseSpec('22-sctp', layout), { name: 'UsageError', message: "--values 22-sctp: this data has no protocol 'sctp' (its protocols: ipv6-icmp, tcp, udp; or 22-* for each)" })
    assert.deepEqual(parseSpec('-1', { ...layout, combinedKeys: false, protocols: [] }), { value: '-1' })
    assert.throws(() => parseSpec('22-tcp', { ...layout, combinedKeys: false, protocols: [] }), /'22-tcp' asks for a protocol, but this data has no per-protocol counts/)
  })
})

/** Every href in the site's pages and every link in its charts' data, with the page it is on. */
/** The files `page` links to: its hrefs and srcs, and what its charts' points, tiles and cells open. Links within the page (`#id`) must name an element of it. */
function linksOf (root: string, page: string): string[] {
  const html = read(join(root, page))
  const base = page.includes('/') ? page.slice(0, page.lastIndexOf('/') + 1) : ''
  const links = [...html.matchAll(/(?:href|src)="([^"]+)"/g)].map(m => decodeURI(m[1]!.replaceAll('&amp;', '&')))
  for (const fragment of links.filter(l => l.startsWith('#'))) assert.match(html, new RegExp(` id="${fragment.slice(1)}"`), `${page}: ${fragment}`)
  for (const figure of html.matchAll(/<script type="application\/json" id="[^"]*-figure">(.*?)<\/script>/gs)) {
    const data = (JSON.parse(figure[1]!) as { data: Array<{ customdata: Array<[string | null] | Array<[string | null]>> }> }).data
    // A heatmap's customdata is a row of cells per value; the others' a cell per point or tile.
    const cells = data.flatMap(trace => trace.customdata.flatMap(c => Array.isArray(c[0]) ? c as Array<[string | null]> : [c as [string | null]]))
    for (const [link] of cells) if (link !== null) links.push(link)
  }
  return links.filter(l => !l.startsWith('#')).map(l => join(base, l))
}

function htmlFiles (root: string): string[] {
  return (readdirSync(root, { recursive: true }) as string[]).filter(f => f.endsWith('.html')).sort()
}

describe('report', () => {
  test('an index per field, a chart and CSV per day and for the month, timelines; every link resolves', async () => {
    const out = outDir()
    await plain.client.config('RESETSTAT')
    const run = await potiron('report', '--sensor', S, '--date', '2024-03', '--fields', 'dport,protocol', '--out', out, '--unix', plain.socket)
    assert.equal(run.status, 0, run.err.join('\n'))
    // Only reads, never KEYS: the commands Redis ran for the report (and this INFO).
    const commands = [...(await plain.client.info('commandstats')).matchAll(/^cmdstat_([a-z|]+):/gm)].map(m => m[1]).sort()
    assert.deepEqual(commands, ['config|resetstat', 'exists', 'hget', 'hgetall', 'info', 'lrange', 'smembers', 'zmscore', 'zrange', 'zrangebyscore', 'zrevrange'])
    // The tops' totals (their "others" tiles): each day's protocol key read once, for every field and the month.
    assert.match(await plain.client.info('commandstats'), /^cmdstat_zrange:calls=3,/m)
    const pages = htmlFiles(out)
    assert.equal(run.out[0], `${pages.length + pages.filter(p => p !== 'index.html' && !p.includes('_2024-03_')).length} files written under ${out}; open ${join(out, 'index.html')}`)
    assert.deepEqual(pages.filter(p => !p.includes('_2024-03_')), [
      'index.html',
      'lab-gen-1_destination-port_2024-03-01.html', 'lab-gen-1_destination-port_2024-03-02.html', 'lab-gen-1_destination-port_2024-03-03.html',
      'lab-gen-1_destination-port_2024-03.html',
      'lab-gen-1_protocol_2024-03-01.html', 'lab-gen-1_protocol_2024-03-02.html', 'lab-gen-1_protocol_2024-03-03.html',
      'lab-gen-1_protocol_2024-03.html'
    ])
    assert.ok(pages.includes('lab-gen-1_2024-03_destination-port_22_23_443_445_80.html'))
    assert.ok(pages.includes('lab-gen-1_2024-03_protocol_1_17_58_6.html'))
    assert.deepEqual(readdirSync(join(out, 'assets')).sort(), ['plotly.js', 'potiron-chart.js', 'potiron-report.css', 'potiron-theme.js', 'potiron-world.js'])
    let checked = 0
    for (const page of pages) {
      for (const link of linksOf(out, page)) {
        assert.ok(existsSync(join(out, link)), `${page} links to ${link}, which is missing`)
        checked++
      }
    }
    assert.ok(checked > pages.length * 2)
    const day = read(join(out, 'lab-gen-1_destination-port_2024-03-02.html'))
    assert.match(day, /<script src="assets\/plotly.js"><\/script>/)
    assert.doesNotMatch(day, /https?:\/\//)
  })

  test('plot month: the timeline and the day charts its points open; per-protocol lines with combined keys', async () => {
    const out = outDir()
    // Every ZMSCORE Redis gets, to check that no key is asked the same values twice.
    const watcher = new Redis({ path: combinedKeys.socket })
    const monitor = await watcher.monitor()
    const asked: string[] = []
    monitor.on('monitor', (_time: string, args: string[]) => { if (args[0]?.toLowerCase() === 'zmscore') asked.push(args.slice(1).join(' ')) })
    const run = await potiron('plot', 'month', '--sensor', S, '--field', 'dport', '--values', '53-*', '22', '--date', '2024-03', '--out', out, '--unix', combinedKeys.socket)
    monitor.disconnect()
    watcher.disconnect()
    assert.equal(run.status, 0, run.err.join('\n'))
    // The timeline's lines: 53 per protocol and in total, 22 in total; the total is the protocols' sum, not asked again.
    const timeline = asked.filter(a => a.endsWith(':dport 53 22'))
    assert.deepEqual(timeline.length, new Set(timeline).size)
    const [days, protocols] = await Promise.all([combinedKeys.client.smembers(`${S}_DAYS`), combinedKeys.client.smembers('PROTOCOLS')])
    assert.equal(timeline.length, days.length * protocols.length)
    const entry = 'lab-gen-1_2024-03_destination-port_with-protocols_22_53-all.html'
    assert.match(run.out[0]!, new RegExp(`open ${join(out, entry).replaceAll('.', '\\.')}$`))
    const figure = JSON.parse(/id="chart-figure">(.*?)<\/script>/s.exec(read(join(out, entry)))![1]!) as { data: Array<{ name: string, y: number[], customdata: string[][] }> }
    assert.deepEqual(figure.data.map(t => [t.name, t.y]), EXPECTED_53_LINES)
    const perDay = (port: string, protocol?: number): number[] => MARCH.map(day => writtenPorts([day], protocol).get(port) ?? 0)
    assert.deepEqual(figure.data.map(t => t.y), [perDay('53', 6), perDay('53', 17), perDay('53'), perDay('22')])
    assert.deepEqual(figure.data.map(t => t.customdata[0]![0]), [
      'lab-gen-1_destination-port_with-protocols_2024-03-01_tcp.html', 'lab-gen-1_destination-port_with-protocols_2024-03-01_udp.html',
      'lab-gen-1_destination-port_2024-03-01.html', 'lab-gen-1_destination-port_2024-03-01.html'
    ])
    for (const page of htmlFiles(out)) for (const link of linksOf(out, page)) assert.ok(existsSync(join(out, link)), `${page} → ${link}`)
    const refused = await potiron('plot', 'month', '--sensor', S, '--field', 'dport', '--values', '22-tcp', '--out', outDir(), '--unix', plain.socket)
    assert.deepEqual([refused.status, refused.err], [2, [`potiron: redis unix:${plain.socket}`, 'potiron: \'22-tcp\' asks for a protocol, but this data has no per-protocol counts (ingest with --combined-keys)']])
  })

  test('report without --sensor on several sensors: each sensor\'s latest month (or the --date month) under one index, as ingest --report', async () => {
    const out = outDir()
    const run = await potiron('report', '--fields', 'dport,protocol', '--out', out, '--unix', plain.socket)
    assert.equal(run.status, 0, run.err.join('\n'))
    assert.deepEqual(run.err, [`potiron: redis unix:${plain.socket}`])
    const written = (readdirSync(out, { recursive: true }) as string[]).filter(f => f.includes('.') && !f.startsWith('assets'))
    assert.deepEqual(run.out, [`${written.length} files written under ${out}; open ${join(out, 'index.html')}`])
    assert.deepEqual(readdirSync(out).sort(), ['assets', 'index.html', 'lab-dnsicmp-1', 'lab-gen-1', 'lab-synscan-1'])
    assert.deepEqual([...read(join(out, 'index.html')).matchAll(/<li>(.*)<\/li>/g)].map(m => m[1]), [
      '<a href="lab-dnsicmp-1/2013-05/index.html">lab-dnsicmp-1, May 2013</a>',
      '<a href="lab-gen-1/2024-03/index.html">lab-gen-1, March 2024</a>',
      '<a href="lab-synscan-1/2010-07/index.html">lab-synscan-1, July 2010</a>'
    ])
    // Each sensor's report shows the fields asked for, no others.
    for (const report of ['lab-dnsicmp-1/2013-05', 'lab-gen-1/2024-03', 'lab-synscan-1/2010-07']) {
      assert.deepEqual([...read(join(out, report, 'index.html')).matchAll(/<h2 id="[^"]+">(.*?) <small>/g)].map(m => m[1]), ['destination port', 'protocol'], report)
    }
    for (const page of htmlFiles(out)) for (const link of linksOf(out, page)) assert.ok(existsSync(join(out, link)), `${page} → ${link}`)

    const march = outDir()
    const one = await potiron('report', '--date', '2024-03', '--fields', 'dport', '--out', march, '--unix', plain.socket)
    assert.equal(one.status, 0, one.err.join('\n'))
    assert.deepEqual(readdirSync(march).sort(), ['assets', 'index.html', 'lab-gen-1'])
    const none = await potiron('report', '--date', '2024-04', '--out', outDir(), '--unix', plain.socket)
    assert.deepEqual([none.status, none.err], [2, [`potiron: redis unix:${plain.socket}`, 'potiron: no sensor has data in 2024-04 (sensors: lab-dnsicmp-1, lab-gen-1, lab-synscan-1)']])
  })

  test('ingest --report: a report per sensor and month under one index, one copy of the assets', async () => {
    const redis = await startRedis()
    try {
      const out = outDir()
      const run = await potiron('ingest', join(dir, 'lab-gen-1-20240301000000.pcap'), '--unix', redis.socket, '--quiet', '--report', out)
      assert.equal(run.status, 0, run.err.join('\n'))
      assert.deepEqual(readdirSync(out).sort(), ['assets', 'index.html', 'lab-gen-1'])
      assert.ok(existsSync(join(out, 'lab-gen-1', '2024-03', 'index.html')))
      assert.match(read(join(out, 'index.html')), /<a href="lab-gen-1\/2024-03\/index.html">lab-gen-1, March 2024<\/a>/)
      assert.match(read(join(out, 'lab-gen-1', '2024-03', 'lab-gen-1_destination-port_2024-03.html')), /<script src="..\/..\/assets\/plotly.js">/)
      for (const page of htmlFiles(out)) for (const link of linksOf(out, page)) assert.ok(existsSync(join(out, link)), `${page} → ${link}`)
      const site = outDir()
      const again = await potiron('ingest', join(dir, 'lab-gen-1-20240301000000.pcap'), '--unix', redis.socket, '--quiet', '--report', site)
      // The command to run instead names the same Redis and directory.
      assert.deepEqual([again.status, again.err.at(-1)], [0, `potiron: --report: this run counted nothing new, so no report was written (use 'potiron report --unix ${redis.socket} --out ${site}' for data already in Redis)`])
    } finally {
      await redis.stop()
    }
  })
})

describe('long names', () => {
  // Legal capture names (at most 255 bytes) whose sensor, and so every export name, runs past the limit.
  const LONG = `lab-${'o'.repeat(223)}-1-20240301000000.pcap`
  const LONG_SENSOR = LONG.slice(0, -'-20240301000000.pcap'.length)
  const WIDE = `lab-${'\u00e9'.repeat(114)}-1-20240301000000.pcap`
  // The first 8 hex digits of the SHA-256 of 300 's'.
  const SHA_S300 = '2955c732'

  /** Every path under `root`, relative; each component must fit a file system's 255 bytes. */
  function tree (root: string): string[] {
    const paths = (readdirSync(root, { recursive: true }) as string[]).sort()
    for (const path of paths) for (const part of path.split('/')) assert.ok(Buffer.byteLength(part) <= 255, `${Buffer.byteLength(part)} bytes: ${part}`)
    return paths
  }

  test('a sensor from a 249-byte capture name: report, export csv and ingest --report write names within 255 bytes, the same each run, every link resolving', async () => {
    assert.deepEqual([Buffer.byteLength(LONG), Buffer.byteLength(WIDE)], [249, 254])
    const redis = await startRedis()
    try {
      for (const name of [LONG, WIDE]) copyFileSync(join(dir, 'lab-gen-1-20240301000000.pcap'), join(dir, name))
      const site = outDir()
      const ingest = await potiron('ingest', join(dir, LONG), join(dir, WIDE), '--unix', redis.socket, '--quiet', '--report', site)
      assert.equal(ingest.status, 0, ingest.err.join('\n'))
      const reports = tree(site)
      for (const page of htmlFiles(site)) for (const link of linksOf(site, page)) assert.ok(existsSync(join(site, link)), `${page} → ${link}`)

      const [first, second] = [outDir(), outDir()]
      for (const out of [first, second]) {
        const run = await potiron('report', '--sensor', LONG_SENSOR, '--fields', 'dport', '--out', out, '--unix', redis.socket)
        assert.equal(run.status, 0, run.err.join('\n'))
      }
      assert.deepEqual(tree(first), tree(second))
      for (const page of htmlFiles(first)) for (const link of linksOf(first, page)) assert.ok(existsSync(join(first, link)), `${page} → ${link}`)
      // The 254-byte stem cut to 250 (room for .html): its start and end around 8 hex digits of its SHA-256.
      const stem = `${LONG_SENSOR}_destination-port_2024-03`
      const month = `${stem.slice(0, 120)}-79415442-${stem.slice(-120)}`
      assert.ok(tree(first).includes(`${month}.html`) && tree(first).includes(`${month}.csv`), tree(first).join('\n'))
      assert.ok(reports.includes(`${LONG_SENSOR}/2024-03/${month}.html`), reports.join('\n'))

      // A --sensor name past 255 bytes: the report's directory is shortened too.
      copyFileSync(join(dir, 'lab-gen-1-20240301000000.pcap'), join(dir, 'named.pcap'))
      const named = outDir()
      const given = await potiron('ingest', join(dir, 'named.pcap'), '--sensor', 's'.repeat(300), '--unix', redis.socket, '--quiet', '--report', named)
      assert.equal(given.status, 0, given.err.join('\n'))
      assert.deepEqual(readdirSync(named).sort(), ['assets', 'index.html', `${'s'.repeat(123)}-${SHA_S300}-${'s'.repeat(122)}`])
      for (const page of htmlFiles(named)) for (const link of linksOf(named, page)) assert.ok(existsSync(join(named, link)), `${page} → ${link}`)

      const csv = outDir()
      const run = await potiron('export', 'csv', '--sensor', LONG_SENSOR, '--field', 'dport', '--date', '2024-03', '--out', csv, '--unix', redis.socket)
      assert.deepEqual([run.status, run.err, tree(csv)], [0, [`potiron: redis unix:${redis.socket}`], [`${month}.csv`]])
      assert.equal(read(join(csv, `${month}.csv`)), read(join(first, `${month}.csv`)))
    } finally {
      await redis.stop()
    }
  })
})

/** The figure a chart page of the site draws (its JSON block), or undefined when it has none. */
function figureOf (path: string): { data: Array<{ name: string, x: string[], y: Array<number | null>, customdata: Array<[string | null]>, marker: { symbol: string }, line: { dash: string } }>, layout: { xaxis: Record<string, unknown> } } | undefined {
  const block = /id="chart-figure">(.*?)<\/script>/s.exec(read(path))
  return block === null ? undefined : JSON.parse(block[1]!)
}

describe('heatmaps and treemaps', () => {
  const period = { first: '2024-03-01', last: '2024-03-05' }
  const days = { x: ['2024-03-01', '2024-03-02', '2024-03-03', '2024-03-04', '2024-03-05'], links: ['d1.html', 'd2.html', 'd3.html', null, 'd5.html'] }

  test('a heatmap: a row per value (the first on top), a cell per day, blank (null) on a day without data, 0 where the value had none; cells open their day', () => {
    const figure = heatmapFigure([
      { value: '22', label: 'ssh', counts: [97, 93, 94, null, 47] },
      // Counts on a day without data are not drawn, whatever they say: the day is blank.
      { value: '<b>', label: '', counts: [0, 5, 0, 7, 0] }
    ], days, period)
    const [trace] = figure.data
    assert.deepEqual(trace, {
      type: 'heatmap',
      x: days.x,
      y: ['22 ssh', '&lt;b&gt;'],
      z: [[97, 93, 94, null, 47], [0, 5, 0, null, 0]],
      customdata: [[['d1.html'], ['d2.html'], ['d3.html'], [null], ['d5.html']], [['d1.html'], ['d2.html'], ['d3.html'], [null], ['d5.html']]],
      hovertemplate: '%{y}<br>%{x}: %{z:,} packets<extra></extra>',
      hoverongaps: false,
      colorscale: 'Viridis',
      xgap: 1,
      ygap: 1,
      colorbar: { title: { text: 'Packets' }, thickness: 12, tickformat: ',d' }
    })
    assert.deepEqual(figure.layout, {
      xaxis: { type: 'date', range: ['2024-02-29 12:00', '2024-03-05 12:00'], tickformat: '%b %-d', hoverformat: '%Y-%m-%d', dtick: 86400000, tick0: '2024-03-01', showgrid: false },
      yaxis: { type: 'category', autorange: 'reversed', automargin: true, showgrid: false },
      height: 138,
      margin: { t: 10, r: 10, b: 40 }
    })
  })

  test('a treemap: an "others" tile (opening nothing) makes the area honest, every tile says its share of the chart', () => {
    const items = [{ value: '22', label: 'ssh', count: 600, link: 't22.html' }, { value: '23', label: 'telnet', count: 300, link: 't23.html' }]
    const [trace] = topFigure('', items, 100).data
    assert.deepEqual([trace!.labels, trace!.values, trace!.customdata, trace!.marker], [
      ['22', '23', 'others'],
      [600, 300, 100],
      [['t22.html', 'ssh', '60.0%'], ['t23.html', 'telnet', '30.0%'], [null, 'other values', '10.0%']],
      { colors: ['#0a62c9', '#cfe0f7', '#999999'] }
    ])
    assert.equal(trace!.texttemplate, '%{label}<br>%{text}<br>%{value:,} · %{customdata[2]}')
    assert.equal(trace!.hovertemplate, '%{label}<br>%{customdata[1]}<br>%{value:,} packets (%{customdata[2]})<extra></extra>')
    // No others when the values are all there is; no title in a card (''), one on a page.
    const whole = topFigure('Top', items, 0)
    assert.deepEqual([whole.data[0]!.labels as string[], whole.layout.title], [['22', '23'], { text: 'Top' }])
    assert.equal(topFigure('', items).layout.title, undefined)
    assert.deepEqual([shareText(1, 3), shareText(1, 10_000), shareText(0, 10), shareText(5, 0)], ['33.3%', '<0.1%', '0.0%', '0.0%'])
  })

  test('others: the total less the values shown and those left out, never below 0; none when the total is unknown', () => {
    const top = { rows: [{ value: '22', count: 284 }, { value: '23', count: 245 }, { value: '80', count: 209 }] }
    const left = [{ value: '-1', count: 229 }]
    assert.equal(othersOf({ kind: 'top', top, left, total: 3000 }), 2033)
    assert.equal(othersOf({ kind: 'top', top, left, total: 900 }), 0)
    assert.equal(othersOf({ kind: 'top', top, left, total: undefined }), 0)
  })

  test('the month\'s index: per field the heatmap of the month\'s top values from their timelines, and the month\'s treemap with its others, as read', async () => {
    const out = outDir()
    const run = await potiron('report', '--sensor', S, '--date', '2024-03', '--fields', 'dport', '--limit', '3', '--out', out, '--unix', plain.socket)
    assert.equal(run.status, 0, run.err.join('\n'))
    const index = read(join(out, 'index.html'))
    const block = (id: string): { data: Array<Record<string, unknown>> } => JSON.parse(new RegExp(`id="${id}-figure">(.*?)</script>`, 's').exec(index)![1]!)
    const heat = block('field-dport-heat').data[0]!
    // Each value's counts per day, as the day tables give them (destination ports per day of the generated capture).
    const perDay = (port: string): Array<number | null> => [...MARCH.map(day => writtenPorts([day]).get(port) ?? 0), ...new Array<null>(28).fill(null)]
    assert.deepEqual([heat.y, heat.z], [['22 ssh', '23 telnet', '80 www-http'], ['22', '23', '80'].map(perDay)])
    assert.deepEqual((heat.customdata as Array<Array<[string | null]>>)[1]!.slice(0, 4).map(([link]) => link), [
      'lab-gen-1_destination-port_2024-03-01.html', 'lab-gen-1_destination-port_2024-03-02.html', 'lab-gen-1_destination-port_2024-03-03.html', null
    ])
    const tiles = block('field-dport-tiles').data[0]!
    const month = writtenPorts(MARCH)
    const shown = ['22', '23', '80'].map(p => month.get(p)!)
    const others = [...month].filter(([p]) => p !== '-1').reduce((sum, [, n]) => sum + n, 0) - shown.reduce((a, b) => a + b, 0)
    assert.deepEqual([tiles.labels, tiles.values], [['22', '23', '80', 'others'], [...shown, others]])
    // Days of March: a link for each day with data, the rest said as plain numbers.
    assert.deepEqual([...index.matchAll(/<li><a href="([^"]+)" title="([^"]+)">/g)].map(m => [m[1], m[2]]), MARCH.map(d => [`lab-gen-1_destination-port_${d}.html`, d]))
    assert.equal([...index.matchAll(/<li><span title="no data on/g)].length, 28)
  })
})

describe('charts that tell the truth', () => {
  let redis: TestRedis
  before(async () => {
    redis = await startRedis()
    // March 1-3 and March 5: nothing was captured on March 4.
    const captures = [await writeMonthCapture(dir), await writeLaterCapture(dir), join(FIXTURES, 'lab-synscan-1-20100704202416.pcapng')]
    assert.equal((await potiron('ingest', ...captures, '--unix', redis.socket, '--quiet', '--combined-keys')).status, 0)
  })
  after(async () => { await redis.stop() })

  test('plot month: a day without capture is a gap (null), the axis spans the month with month names, the sum of 22-* is "total", lines keep apart', async () => {
    const out = outDir()
    const run = await potiron('plot', 'month', '--sensor', S, '--field', 'dport', '--values', '22-*', '--date', '2024-03', '--out', out, '--unix', redis.socket)
    assert.equal(run.status, 0, run.err.join('\n'))
    const figure = figureOf(join(out, 'lab-gen-1_2024-03_destination-port_with-protocols_22-all.html'))!
    const days = ['2024-03-01', '2024-03-02', '2024-03-03', '2024-03-04', '2024-03-05']
    // March 4 has no capture: null. March 5 has one, without udp port 22: a real 0.
    assert.deepEqual(figure.data.map(t => [t.name, t.x, t.y]), [
      ['22-tcp, ssh', days, [94, 88, 91, null, 47]],
      ['22-udp, ssh', days, [3, 5, 3, null, 0]],
      ['total', days, [97, 93, 94, null, 47]]
    ])
    // The gap opens nothing; the other points open their day.
    assert.deepEqual(figure.data[2]!.customdata.map(([link]) => link), [
      'lab-gen-1_destination-port_2024-03-01.html', 'lab-gen-1_destination-port_2024-03-02.html', 'lab-gen-1_destination-port_2024-03-03.html', null,
      'lab-gen-1_destination-port_2024-03-05.html'
    ])
    // Equal counts (tcp and total on March 5) lie on each other: each line has its own marker and dash.
    assert.deepEqual(figure.data.map(t => [t.marker.symbol, t.line.dash]), [['circle', 'solid'], ['square', 'dot'], ['diamond', 'dash']])
    assert.deepEqual(figure.layout.xaxis, {
      title: { text: 'Day' },
      type: 'date',
      range: ['2024-02-29 12:00', '2024-03-31 12:00'],
      tickformat: '%b %-d',
      hoverformat: '%Y-%m-%d',
      tickformatstops: [
        { dtickrange: [null, 86400000], value: '%b %-d %H:%M' },
        { dtickrange: [86400000, 'M1'], value: '%b %-d' },
        { dtickrange: ['M1', 'M12'], value: '%b %Y' },
        { dtickrange: ['M12', null], value: '%Y' }
      ]
    })
  })

  test('report: "not set" left out of each top and said with its count; a top with nothing else is one sentence, no chart', async () => {
    const out = outDir()
    const run = await potiron('report', '--sensor', 'lab-synscan-1', '--fields', 'icmptype,dport', '--out', out, '--unix', redis.socket)
    assert.equal(run.status, 0, run.err.join('\n'))
    const paragraphs = (page: string): string[] => [...read(join(out, page)).matchAll(/<p( class="[a-z]+")?>(.*?)<\/p>/g)].map(m => `${m[1] ?? ''}${m[2]!}`)
    assert.deepEqual(paragraphs('lab-synscan-1_icmp-type_2010-07-04.html'), [' class="empty"No icmp type values on 2010-07-04 but those left out: 255 (not set), 2,011 packets.'])
    assert.equal(figureOf(join(out, 'lab-synscan-1_icmp-type_2010-07-04.html')), undefined)
    // Nothing drawn: no Plotly loaded (only the theme, in the head).
    assert.deepEqual([...read(join(out, 'lab-synscan-1_icmp-type_2010-07-04.html')).matchAll(/<script[^>]*>/g)].map(m => m[0]), ['<script src="assets/potiron-theme.js">'])
    assert.deepEqual(paragraphs('lab-synscan-1_icmp-type_2010-07.html'), [' class="empty"No icmp type values on 2010-07 but those left out: 255 (not set), 2,011 packets.'])
    // The index says what every top leaves out, and a field with nothing else says it in one sentence.
    assert.deepEqual(paragraphs('index.html').filter(p => p.startsWith(' class="empty"')), [' class="empty"No icmp type values in July 2010 but those left out: 255 (not set), 2,011 packets.'])
    assert.deepEqual(paragraphs('index.html').slice(0, 1), ['1 day with data; top 10 values per chart, leaving out each field\'s "not set" value (-1; 0 for iptos; 255 for icmpcode and icmptype).'])
    // A top with rows and "not set" packets says how many were left out.
    const plainOut = outDir()
    assert.equal((await potiron('report', '--sensor', S, '--fields', 'icmptype', '--date', '2024-03', '--out', plainOut, '--unix', redis.socket)).status, 0)
    assert.deepEqual([...read(join(plainOut, 'lab-gen-1_icmp-type_2024-03-05.html')).matchAll(/<p class="note">(.*?)<\/p>/g)].map(m => m[1]), ['Left out of this top: 255 (not set), 464 packets.'])
  })
})

const EXPECTED_PROTOCOLS_DAY1 = 'value,count,label\n6,841,tcp\n17,76,udp\n1,66,icmp\n58,17,ipv6-icmp\n'
const EXPECTED_PROTOCOL_FILES = [
  'lab-gen-1_destination-port_with-protocols_2024-03.csv',
  'lab-gen-1_destination-port_with-protocols_2024-03_icmp.csv',
  'lab-gen-1_destination-port_with-protocols_2024-03_tcp.csv',
  'lab-gen-1_destination-port_with-protocols_2024-03_udp.csv'
]
const EXPECTED_UDP_MONTH = 'value,count,label\n53,111,domain\n123,39,ntp\n5060,37,sip\n22,11,ssh\n23,6,telnet\n445,5,microsoft-ds\n8080,5,http-alt\n80,4,www-http\n25,2,smtp\n443,2,https\n'
// 53 per day: 40, 43, 47 (tcp + udp), its sum line named as one; 22: 97, 93, 94 (the day tables above).
const EXPECTED_53_LINES: Array<[string, number[]]> = [['53-tcp, domain', [6, 7, 6]], ['53-udp, domain', [34, 36, 41]], ['53 total', [40, 43, 47]], ['22, ssh', [97, 93, 94]]]
