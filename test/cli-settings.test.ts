/**
 * The settings a database carries in PARAMETERS (issue 13 item 2): `ingest` and `import-json`
 * without --combined-keys / --fields / --ipv4-only / --tz use the stored ones and say so; only
 * a flag given that contradicts them is refused, naming both values; an empty database gets
 * the documented defaults. Against a private redis-server.
 */
import { after, before, beforeEach, test } from 'node:test'
import assert from 'node:assert/strict'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { potiron } from './helpers/cli.js'
import { startRedis, type TestRedis } from './helpers/redis.js'
import { FIXTURES } from './helpers/shared.js'

const DNS = join(FIXTURES, 'lab-dnsicmp-1-20130530224517.pcap')
const VLAN = join(FIXTURES, 'lab-vlan-1-20100629000000.pcap.gz')
const SYN = join(FIXTURES, 'lab-synscan-1-20100704202416.pcapng')
let redis: TestRedis
let dir: string
let NAMED: string

before(async () => {
  redis = await startRedis()
  dir = mkdtempSync(join(tmpdir(), 'potiron-settings-'))
  NAMED = `potiron: redis unix:${redis.socket}`
})

after(async () => {
  await redis.stop()
  rmSync(dir, { recursive: true, force: true })
})

beforeEach(async () => { await redis.client.flushall() })

async function ingest (...args: string[]): Promise<{ status: number, err: string[] }> {
  const { status, err } = await potiron('ingest', ...args, '--unix', redis.socket, '--quiet')
  return { status, err }
}

test('an empty database gets the documented defaults, and nothing is said about settings', async () => {
  assert.deepEqual(await ingest(DNS), { status: 0, err: [NAMED] })
  assert.deepEqual(await redis.client.hgetall('PARAMETERS'), { format: 'standard', ck: 'False', tshark_filter: '', selection: 'default', tz: 'UTC' })
  assert.deepEqual(await redis.client.lrange('JSON_FIELDS', 0, -1), ['length', 'protocol', 'ipsrc', 'ipdst', 'ipttl', 'iptos', 'sport', 'dport', 'tcpseq', 'tcpack', 'icmpcode', 'icmptype'])
  // The stored settings are the defaults: nothing to say on the next run either.
  assert.deepEqual(await ingest(VLAN), { status: 0, err: [NAMED] })
})

test('ingest (and its --dry-run) without the settings flags uses the stored ones, says which, and counts with them', async () => {
  assert.deepEqual(await ingest(DNS, '--combined-keys', '--fields', 'dport,ipsrc', '--ipv4-only', '--tz', 'Europe/Luxembourg'), { status: 0, err: [NAMED] })
  const stored = await redis.client.hgetall('PARAMETERS')
  assert.deepEqual(await ingest(VLAN), { status: 0, err: [NAMED, "potiron: using the database's settings: --combined-keys --fields ipsrc,dport --ipv4-only --tz Europe/Luxembourg"] })
  assert.deepEqual(await redis.client.hgetall('PARAMETERS'), stored)
  // Combined keys, the two fields, the IPv4 packets only (this capture's are all ICMP).
  assert.deepEqual((await redis.client.keys('lab-vlan-1:*')).sort(), ['lab-vlan-1:icmp:20100629:dport', 'lab-vlan-1:icmp:20100629:ipsrc'])
  // A dry run takes them the same way, and says so the same way.
  const dry = await potiron('ingest', SYN, '--unix', redis.socket, '--dry-run')
  assert.deepEqual([dry.status, dry.err], [0, [NAMED, "potiron: using the database's settings: --combined-keys --fields ipsrc,dport --ipv4-only --tz Europe/Luxembourg"]])
  // Some given (agreeing), the others taken: only those taken are said.
  assert.deepEqual(await ingest(SYN, '--combined-keys', '--tz', 'Europe/Luxembourg'), { status: 0, err: [NAMED, "potiron: using the database's settings: --fields ipsrc,dport --ipv4-only"] })
})

test('ingest: only a flag that contradicts the stored settings is refused, naming both values, and nothing is counted', async () => {
  assert.equal((await ingest(DNS, '--ipv4-only', '--tz', 'Europe/Luxembourg')).status, 0)
  const refusal = (what: string): { status: number, err: string[] } => ({
    status: 1,
    err: [NAMED, `potiron: this database holds data counted with other settings: ${what}. Leave the option out to use the stored setting, or use another database`]
  })
  assert.deepEqual(await ingest(VLAN, '--tz', 'UTC'), refusal("tz is 'Europe/Luxembourg' in Redis but 'UTC' here (--tz)"))
  assert.deepEqual(await ingest(VLAN, '--no-ipv4-only'), refusal("selection is 'ipv4-only' in Redis but 'default' here (--ipv4-only)"))
  assert.deepEqual(await ingest(VLAN, '--combined-keys'), refusal("ck is 'False' in Redis but 'True' here (--combined-keys)"))
  assert.deepEqual(await ingest(VLAN, '--fields', 'dport'), refusal('fields are length,protocol,ipsrc,ipdst,ipttl,iptos,sport,dport,tcpseq,tcpack,icmpcode,icmptype in Redis but dport here (--fields)'))
  assert.deepEqual(await redis.client.smembers('FILES'), ['lab-dnsicmp-1-20130530224517.pcap'])
})

test('import-json without the settings flags uses the stored ones; a contradicting flag is refused naming both values', async () => {
  assert.equal((await ingest(DNS, '--combined-keys', '--ipv4-only')).status, 0)
  const json = join(dir, 'json')
  assert.equal((await potiron('json', VLAN, '--out', json, '--ipv4-only')).status, 0)
  const file = join(json, '2010', '06', '29', 'lab-vlan-1-20100629000000.json')
  const refused = await potiron('import-json', json, '--unix', redis.socket, '--no-combined-keys')
  assert.deepEqual(refused, {
    status: 1,
    out: [],
    err: [NAMED, "potiron: this database holds data counted with other settings: ck is 'True' in Redis but 'False' here (--combined-keys). Leave the option out to use the stored setting, or use another database"]
  })
  const imported = await potiron('import-json', json, '--unix', redis.socket)
  assert.deepEqual([imported.status, imported.err], [0, [NAMED, "potiron: using the database's settings: --combined-keys --ipv4-only", `${file}: imported: 20 packets, 19 members`]])
  assert.deepEqual((await redis.client.smembers('FILES')).sort(), ['lab-dnsicmp-1-20130530224517.pcap', 'lab-vlan-1-20100629000000.pcap.gz'])
  // Counted as the database counts: per protocol.
  assert.equal(await redis.client.exists('lab-vlan-1:icmp:20100629:dport'), 1)
})

test('--help states the defaults of the settings flags as they now are: the stored ones, else the documented ones (no yargs [default])', async () => {
  const STORED = "default: as stored in the database's PARAMETERS, else"
  const help = async (command: string): Promise<string> => (await potiron(command, '--help')).out.join('\n').replace(/\s+/g, ' ')
  const ingest = await help('ingest')
  assert.match(ingest, new RegExp(`--combined-keys [^[]*; ${STORED} off \\[boolean\\] --`))
  assert.match(ingest, /--fields Comma-separated fields to count \(default: as stored in the database's JSON_FIELDS, else the original's: length, protocol, ipsrc, ipdst, ipttl, iptos, sport, dport, tcpseq, tcpack, icmpcode, icmptype\); enrichment adds sasn, dasn, scc, dcc \(source\/destination AS and country\) \[string\] -/)
  assert.match(ingest, new RegExp(`--ipv4-only [^[]*; ${STORED} IPv4 and IPv6, fields from the outermost IP header \\[boolean\\] --`))
  assert.match(ingest, new RegExp(`--tz IANA time zone for days \\(e\\.g\\. Europe/Luxembourg\\); ${STORED} UTC \\[string\\] --`))
  const imports = await help('import-json')
  assert.match(imports, new RegExp(`--combined-keys [^[]*; ${STORED} off \\[boolean\\] --`))
  assert.match(imports, new RegExp(`--ipv4-only The documents were written with --ipv4-only \\(recorded in PARAMETERS, as by ingest --ipv4-only\\); ${STORED} not \\[boolean\\] --`))
  assert.match(imports, new RegExp(`--tz The zone of the documents' timestamps \\(the --tz they were written with\\); ${STORED} UTC \\[string\\] --`))
})
