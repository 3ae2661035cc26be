/**
 * potiron serve over HTTP, on private Redis servers filled by ingesting the fixture captures:
 * each JSON endpoint's exact answer, validation errors (400 with a message), the Host check
 * (421) and --allowed-host, settings (ENFIELDS, same-origin check with scheme and port, read-only),
 * a client gone mid-POST, security headers and escaping in pages, the base path, the
 * cached sensor SCAN, the 503 page while Redis is stopped and recovery when it is back, and the
 * command itself.
 */
import { after, before, describe, test } from 'node:test'
import assert from 'node:assert/strict'
import { once } from 'node:events'
import { mkdtempSync, readFileSync, readdirSync, rmSync } from 'node:fs'
import { connect } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { setTimeout as sleep } from 'node:timers/promises'
import type { Redis } from 'ioredis'
import { potiron } from './helpers/cli.js'
import { serve, type ServeOptions } from '../src/cli/serve.js'
import { SensorList } from '../src/server/api.js'
import { LOOPBACK_HOSTS, allowedHosts } from '../src/server/hosts.js'
import { dashboardClient } from '../src/server/client.js'
import { startRedis, type TestRedis } from './helpers/redis.js'
import { startPrivateRedis } from './helpers/private-redis.js'
import { fillRedis, startApp, type RunningApp } from './helpers/serve.js'
import { teardown, within } from './helpers/teardown.js'

const SENSORS = ['lab-dnsicmp-1', 'lab-ipv6http-1', 'lab-multiif-1', 'lab-pair-1', 'lab-traceroute-1', 'lab-truncated-1']
const FIELDS = ['length', 'protocol', 'ipsrc', 'ipdst', 'ipttl', 'iptos', 'sport', 'dport', 'tcpseq', 'tcpack', 'icmpcode', 'icmptype']
const TITLES: Record<string, string> = {
  length: 'length', protocol: 'protocol', ipsrc: 'ip source', ipdst: 'ip destination', ipttl: 'ip time to live', iptos: 'type of service',
  sport: 'source port', dport: 'destination port', tcpseq: 'sequence number', tcpack: 'acknowledgement number', icmpcode: 'icmp code', icmptype: 'icmp type'
}

async function getJson (url: string): Promise<{ status: number, body: any, headers: Headers }> {
  const res = await fetch(url)
  assert.match(res.headers.get('content-type') ?? '', /^application\/json/)
  return { status: res.status, body: await res.json(), headers: res.headers }
}

async function postJson (url: string, body: unknown, headers: Record<string, string> = { Origin: new URL(url).origin }): Promise<{ status: number, body: any }> {
  const res = await fetch(url, { method: 'POST', headers: { 'Content-Type': 'application/json', ...headers }, body: JSON.stringify(body) })
  return { status: res.status, body: await res.json() }
}

/** Sends `head` (request line and headers) and `body` as written, on a connection of its own; the answer's status, headers and body. */
async function raw (url: string, head: string, body = ''): Promise<{ status: number, head: string, body: string }> {
  const socket = connect(Number(new URL(url).port), '127.0.0.1')
  socket.setEncoding('latin1')
  let text = ''
  socket.on('data', (chunk: string) => { text += chunk })
  // Not end(): node:http drops the answer to a request whose client half-closed before it was written.
  socket.write(`${head}\r\nConnection: close\r\n\r\n${body}`)
  await once(socket, 'end')
  const split = text.indexOf('\r\n\r\n')
  return { status: Number(/^HTTP\/1\.1 (\d{3}) /.exec(text)?.[1]), head: text.slice(0, split), body: text.slice(split + 4) }
}

/** The JSON error of a 421: the Host named is not one of the server's. */
function misdirected (host: string): { status: number, error: string } {
  return { status: 421, error: `Host '${host}' is not a name of this server (potiron serve --allowed-host NAME adds one)` }
}

describe('JSON API and pages', () => {
  let plain: TestRedis
  let combined: TestRedis
  let client: Redis
  let combinedClient: Redis
  let app: RunningApp
  let combinedApp: RunningApp
  let readOnlyApp: RunningApp

  before(async () => {
    [plain, combined] = await Promise.all([startRedis(), startRedis()])
    await fillRedis(plain.socket)
    await fillRedis(combined.socket, { combinedKeys: true })
    client = dashboardClient({ socket: plain.socket })
    combinedClient = dashboardClient({ socket: combined.socket })
    await Promise.all([client.connect(), combinedClient.connect()])
    app = await startApp(client)
    combinedApp = await startApp(combinedClient)
    readOnlyApp = await startApp(client, { readOnly: true })
  })

  // before() may have failed halfway: stop whatever it started, each even if another fails.
  after(async () => {
    await teardown(
      async () => await app?.close(), async () => await combinedApp?.close(), async () => await readOnlyApp?.close(),
      () => client?.disconnect(), () => combinedClient?.disconnect(),
      async () => await plain?.stop(), async () => await combined?.stop()
    )
  })

  test('GET /api/sensors: every sensor with a day set', async () => {
    const { status, body, headers } = await getJson(`${app.url}/api/sensors`)
    assert.equal(status, 200)
    assert.deepEqual(body, { sensors: SENSORS })
    assert.equal(headers.get('content-security-policy'), "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data:")
    assert.equal(headers.get('x-content-type-options'), 'nosniff')
    assert.equal(headers.get('referrer-policy'), 'same-origin')
  })

  test('GET /api/overview: exact JSON, latest day by default, top-10 with labels and shares, timelines of the top 3', async () => {
    const days = ['2026-01-04', '2026-01-05', '2026-01-06']
    const row = (value: string, count: number, share: number, label = ''): object => ({ value, label, count, share })
    // Days without any capture (not in lab-multiif-1_DAYS) are null: gaps, not zeros.
    const line = (value: string, count: number, label = ''): object => ({ value, label, counts: [null, null, count] })
    const notSetValue: Record<string, string> = { iptos: '0', icmpcode: '255', icmptype: '255' }
    const field = (name: string, top: object[], series: object[], notSet = 0): object => ({
      field: name, title: TITLES[name], top, notSet: { value: notSetValue[name] ?? '-1', count: notSet }, timeline: { days, series }
    })
    const { status, body } = await getJson(`${app.url}/api/overview?sensor=lab-multiif-1&days=3`)
    assert.equal(status, 200)
    assert.deepEqual(body, {
      sensor: 'lab-multiif-1',
      day: '2026-01-06',
      days: 3,
      sensorDays: ['2026-01-06'],
      combined: false,
      showNotSet: false,
      total: 6,
      fields: [
        // Ties by number in numeric fields: length 82 before 152 (byte order would put it last).
        field('length', [row('56', 2, 0.333333), row('82', 1, 0.166667), row('152', 1, 0.166667), row('168', 1, 0.166667), row('200', 1, 0.166667)], [line('56', 2), line('82', 1), line('152', 1)]),
        field('protocol', [row('17', 6, 1, 'udp')], [line('17', 6, 'udp')]),
        field('ipsrc', [row('1.1.1.1', 3, 0.5), row('10.0.0.4', 2, 0.333333), row('172.17.0.2', 1, 0.166667)], [line('1.1.1.1', 3), line('10.0.0.4', 2), line('172.17.0.2', 1)]),
        field('ipdst', [row('1.1.1.1', 3, 0.5), row('10.0.0.4', 2, 0.333333), row('172.17.0.2', 1, 0.166667)], [line('1.1.1.1', 3), line('10.0.0.4', 2), line('172.17.0.2', 1)]),
        field('ipttl', [row('128', 2, 0.333333), row('251', 2, 0.333333), row('64', 1, 0.166667), row('250', 1, 0.166667)], [line('128', 2), line('251', 2), line('64', 1)]),
        field('iptos', [row('0x00', 6, 1)], [line('0x00', 6)]),
        field('sport', [row('53', 3, 0.5, 'domain'), row('36343', 1, 0.166667), row('56351', 1, 0.166667), row('56352', 1, 0.166667)], [line('53', 3, 'domain'), line('36343', 1), line('56351', 1)]),
        field('dport', [row('53', 3, 0.5, 'domain'), row('36343', 1, 0.166667), row('56351', 1, 0.166667), row('56352', 1, 0.166667)], [line('53', 3, 'domain'), line('36343', 1), line('56351', 1)]),
        // Each field's "not set" value is left out of its top, as the exports leave it out, and counted apart.
        field('tcpseq', [], [], 6),
        field('tcpack', [], [], 6),
        field('icmpcode', [], [], 6),
        field('icmptype', [], [], 6)
      ]
    })
    // notset=1 shows them, as `export csv --skip` does.
    const shown = (await getJson(`${app.url}/api/overview?sensor=lab-multiif-1&days=3&notset=1`)).body
    assert.equal(shown.showNotSet, true)
    assert.deepEqual(shown.fields.find((f: any) => f.field === 'icmptype'), field('icmptype', [row('255', 6, 1, 'not set')], [line('255', 6, 'not set')], 6))
  })

  test('GET /api/overview: a chosen day, and a timeline across the sensor\'s two days', async () => {
    const latest = (await getJson(`${app.url}/api/overview?sensor=lab-pair-1`)).body
    assert.equal(latest.day, '2010-07-04')
    assert.deepEqual(latest.sensorDays, ['2010-06-29', '2010-07-04'])
    assert.equal(latest.total, 2011)
    const iptos = latest.fields.find((f: any) => f.field === 'iptos')
    assert.deepEqual(iptos.timeline, {
      days: ['2010-06-28', '2010-06-29', '2010-06-30', '2010-07-01', '2010-07-02', '2010-07-03', '2010-07-04'],
      series: [{ value: '0x00', label: '', counts: [null, 20, null, null, null, null, 2011] }]
    })
    assert.deepEqual(latest.fields.find((f: any) => f.field === 'sport').top.slice(0, 3), [
      { value: '36050', label: '', count: 1000, share: 0.497265 }, { value: '36051', label: '', count: 993, share: 0.493784 }, { value: '22', label: 'ssh', count: 4, share: 0.001989 }
    ])
    const earlier = (await getJson(`${app.url}/api/overview?sensor=lab-pair-1&day=2010-06-29&days=2`)).body
    assert.equal(earlier.day, '2010-06-29')
    assert.equal(earlier.total, 20)
    assert.deepEqual(earlier.fields.find((f: any) => f.field === 'icmptype'), {
      field: 'icmptype', title: 'icmp type',
      top: [{ value: '0', label: 'echo reply', count: 10, share: 0.5 }, { value: '8', label: 'echo request', count: 10, share: 0.5 }],
      notSet: { value: '255', count: 0 },
      timeline: { days: ['2010-06-28', '2010-06-29'], series: [{ value: '0', label: 'echo reply', counts: [null, 10] }, { value: '8', label: 'echo request', counts: [null, 10] }] }
    })
  })

  test('GET /api/overview with combined keys: top values and totals summed over the protocols', async () => {
    const { body } = await getJson(`${combinedApp.url}/api/overview?sensor=lab-dnsicmp-1&days=1`)
    assert.equal(body.combined, true)
    assert.equal(body.total, 32)
    assert.deepEqual(body.fields.find((f: any) => f.field === 'protocol').top, [
      { value: '1', label: 'icmp', count: 22, share: 0.6875 }, { value: '17', label: 'udp', count: 10, share: 0.3125 }
    ])
  })

  test('GET /api/evolution: exact JSON over the days the sensor has data for', async () => {
    const { status, body } = await getJson(`${app.url}/api/evolution?sensor=lab-pair-1&field=iptos&value=0x00`)
    assert.equal(status, 200)
    assert.deepEqual(body, {
      sensor: 'lab-pair-1', field: 'iptos', title: 'type of service', value: '0x00', label: '', until: '2010-07-04', days: 180,
      protocol: null, protocols: [], aggregation: 'day', series: [{ name: 'total', points: [{ day: '2010-06-29', count: 20 }, { day: '2010-07-04', count: 2011 }] }]
    })
    const short = (await getJson(`${app.url}/api/evolution?sensor=lab-pair-1&field=dport&value=22&until=2010-07-04&days=5`)).body
    assert.deepEqual(short.series, [{ name: 'total', points: [{ day: '2010-07-04', count: 1 }] }])
    assert.equal(short.label, 'ssh')
    const absent = (await getJson(`${app.url}/api/evolution?sensor=lab-pair-1&field=dport&value=no-such-value&until=2010-06-30`)).body
    assert.deepEqual(absent.series, [{ name: 'total', points: [{ day: '2010-06-29', count: 0 }] }])
  })

  test('GET /api/evolution per protocol (combined keys): one protocol, each protocol and the total', async () => {
    const url = `${combinedApp.url}/api/evolution?sensor=lab-dnsicmp-1&field=dport&value=53`
    const base = { sensor: 'lab-dnsicmp-1', field: 'dport', title: 'destination port', value: '53', label: 'domain', until: '2013-05-30', days: 180, protocols: ['icmp', 'tcp', 'udp'], aggregation: 'day' }
    const points = (count: number): object[] => [{ day: '2013-05-30', count }]
    assert.deepEqual((await getJson(url)).body, { ...base, protocol: null, series: [{ name: 'total', points: points(5) }] })
    assert.deepEqual((await getJson(`${url}&protocol=udp`)).body, { ...base, protocol: 'udp', series: [{ name: 'udp', points: points(5) }] })
    assert.deepEqual((await getJson(`${url}&protocol=each`)).body, {
      ...base,
      protocol: 'each',
      series: [{ name: 'icmp', points: points(0) }, { name: 'tcp', points: points(0) }, { name: 'udp', points: points(5) }, { name: 'total', points: points(5) }]
    })
  })

  test('bad parameters: 400 with a JSON error message, nothing asked of Redis for them', async () => {
    const cases: Array<[string, number, string, 'pure'?]> = [
      ['/api/overview?sensor=nope', 400, `sensor: unknown sensor 'nope' (sensors: ${SENSORS.join(', ')})`],
      ['/api/overview?sensor=*', 400, `sensor: unknown sensor '*' (sensors: ${SENSORS.join(', ')})`],
      ['/api/overview?sensor=lab-pair-1&day=2010-02-30', 400, "day: expected a day YYYY-MM-DD, got '2010-02-30'", 'pure'],
      ['/api/overview?sensor=lab-pair-1&day=20100704', 400, "day: expected a day YYYY-MM-DD, got '20100704'", 'pure'],
      ['/api/overview?sensor=lab-pair-1&day=2010-07-01', 400, "day: sensor 'lab-pair-1' has no data on 2010-07-01 (days: 2010-06-29 to 2010-07-04)"],
      ['/api/overview?sensor=lab-pair-1&days=0', 400, "days: expected a whole number from 1 to 90, got '0'", 'pure'],
      ['/api/overview?sensor=lab-pair-1&days=7.5', 400, "days: expected a whole number from 1 to 90, got '7.5'", 'pure'],
      ['/api/overview?sensor=lab-pair-1&sensor=lab-multiif-1', 400, 'sensor: given 2 times'],
      ['/api/overview?sensor=lab-pair-1&notset=yes', 400, "notset: expected 1 or 0, got 'yes'", 'pure'],
      ['/api/evolution?sensor=lab-pair-1&value=22', 400, 'field: missing', 'pure'],
      ['/api/evolution?sensor=lab-pair-1&field=port&value=22', 400, `field: unknown field 'port' (fields: ${FIELDS.join(', ')})`],
      ['/api/evolution?sensor=lab-pair-1&field=dport', 400, 'value: missing', 'pure'],
      [`/api/evolution?sensor=lab-pair-1&field=dport&value=${'9'.repeat(513)}`, 400, 'value: longer than 512 characters', 'pure'],
      ['/api/evolution?sensor=lab-pair-1&field=dport&value=22&until=2010-13-01', 400, "until: expected a day YYYY-MM-DD, got '2010-13-01'", 'pure'],
      ['/api/evolution?sensor=lab-pair-1&field=dport&value=22&days=3661', 400, "days: expected a whole number from 1 to 3660, got '3661'", 'pure'],
      ['/api/evolution?sensor=lab-pair-1&field=dport&value=22&protocol=tcp', 400, 'protocol: this data has no per-protocol counts (it was not ingested with --combined-keys)'],
      ['/api/nothing', 404, 'no page /api/nothing', 'pure']
    ]
    for (const [path, status, error] of cases) {
      const res = await getJson(`${app.url}${path}`)
      assert.deepEqual({ path, status: res.status, body: res.body }, { path, status, body: { error } })
    }
    const combinedBad = await getJson(`${combinedApp.url}/api/evolution?sensor=lab-dnsicmp-1&field=dport&value=53&protocol=sctp`)
    assert.deepEqual([combinedBad.status, combinedBad.body], [400, { error: "protocol: expected 'each' or one of icmp, tcp, udp, got 'sctp'" }])
    // Those that need no data ('pure') are refused before any command reaches Redis.
    const pure = cases.filter(c => c[3] === 'pure')
    await plain.client.config('RESETSTAT')
    for (const [path, status] of pure) assert.equal((await getJson(`${app.url}${path}`)).status, status)
    assert.deepEqual([...(await plain.client.info('commandstats')).matchAll(/^cmdstat_([^:]+):/gm)].map(m => m[1]), ['config|resetstat'])
    const wrongMethod = await fetch(`${app.url}/api/overview`, { method: 'DELETE' })
    assert.equal(wrongMethod.status, 405)
    assert.equal(wrongMethod.headers.get('allow'), 'GET, HEAD')
    assert.deepEqual(await wrongMethod.json(), { error: 'DELETE not allowed here' })
  })

  test('a request target that is no URL path gets 400, and the server keeps answering; the favicon is a bare 204', async () => {
    const reply = await raw(app.url, 'GET //[ HTTP/1.1\r\nHost: 127.0.0.1')
    assert.deepEqual([reply.status, reply.body], [400, 'bad request target\n'])
    assert.equal((await fetch(`${app.url}/api/sensors`)).status, 200)
    const icon = await fetch(`${app.url}/favicon.ico`)
    assert.deepEqual([icon.status, icon.headers.get('content-type'), icon.headers.get('content-length'), await icon.text()], [204, null, null, ''])
  })

  test('Host: the loopback names by default, with or without a port, in any case; any other Host, or none, is 421 on every request', async () => {
    const { port } = new URL(app.url)
    const get = async (host: string): Promise<object> => {
      const res = await raw(app.url, `GET /api/sensors HTTP/1.1\r\nHost: ${host}`)
      return res.status === 200 ? { host, status: 200 } : { host, status: res.status, ...JSON.parse(res.body) }
    }
    for (const host of [`127.0.0.1:${port}`, '127.0.0.1', `localhost:${port}`, 'LocalHost', `[::1]:${port}`, '[::1]', '[0:0::1]:80']) {
      assert.deepEqual(await get(host), { host, status: 200 })
    }
    for (const host of [
      `localhost.attacker.example:${port}`, 'attacker.example', `[::2]:${port}`, `127.0.0.2:${port}`, `0.0.0.0:${port}`,
      `localhost:${port}@attacker.example`, 'localhost:99999', 'localhost:', '::1', `attacker.example/.localhost:${port}`
    ]) {
      assert.deepEqual(await get(host), { host, ...misdirected(host) })
    }
    // HTTP/1.1 requires a Host (node:http answers 400 itself); HTTP/1.0 without one is refused too.
    assert.equal((await raw(app.url, 'GET /api/sensors HTTP/1.1')).status, 400)
    const none = await raw(app.url, 'GET /api/sensors HTTP/1.0')
    assert.deepEqual([none.status, JSON.parse(none.body)], [421, { error: 'no Host header: potiron serve answers only requests that name it' }])
    // Pages, assets and settings changes alike, before anything else is looked at.
    const page = await raw(app.url, 'GET /?sensor=lab-pair-1 HTTP/1.1\r\nHost: attacker.example')
    assert.equal(page.status, 421)
    assert.match(page.head, /\r\nContent-Type: text\/html; charset=utf-8\r\n/)
    assert.match(page.body, /<h1>Misdirected request<\/h1>\s*<p class="error">Host &#39;attacker.example&#39; is not a name of this server/)
    assert.equal((await raw(app.url, 'GET /assets/plotly.js HTTP/1.1\r\nHost: attacker.example')).status, 421)
    const post = await raw(app.url, `POST /api/settings HTTP/1.1\r\nHost: attacker.example:${port}\r\nOrigin: http://attacker.example:${port}\r\nContent-Type: application/json\r\nContent-Length: 20`, '{"fields":["dport"]}')
    assert.deepEqual([post.status, JSON.parse(post.body)], [421, { error: misdirected(`attacker.example:${port}`).error }])
    assert.equal(await plain.client.exists('ENFIELDS'), 0)
  })

  test('a client that drops mid-POST: one line in the log, no stack trace, nothing stored, and the server keeps answering', async () => {
    const lines: string[] = []
    let logged!: () => void
    const line = new Promise<void>(resolve => { logged = resolve })
    const own = await startApp(client, { log: text => { lines.push(text); logged() } })
    try {
      const { port } = new URL(own.url)
      const socket = connect(Number(port), '127.0.0.1')
      await within(10_000, 'connect', once(socket, 'connect'))
      const received = once(own.server, 'request')
      socket.write(`POST /api/settings HTTP/1.1\r\nHost: 127.0.0.1:${port}\r\nOrigin: ${own.url}\r\nContent-Type: application/json\r\nContent-Length: 100\r\n\r\n{"fields": [`)
      await within(10_000, 'the request', received)
      socket.destroy()
      await within(10_000, 'the log line', line)
      assert.equal((await fetch(`${own.url}/api/sensors`)).status, 200)
      assert.deepEqual(lines, ['potiron serve: POST /api/settings: the client closed the connection before sending the whole request'])
      assert.equal(await plain.client.exists('ENFIELDS'), 0)
    } finally {
      await own.close()
    }
  })

  test('settings: all fields without ENFIELDS; POST stores exactly the chosen ones (SADD/SREM); the overview follows', async () => {
    try {
      const all = (enabled: (f: string) => boolean, stored: boolean, readOnly = false): object =>
        ({ fields: FIELDS.map(field => ({ field, title: TITLES[field], enabled: enabled(field) })), stored, readOnly })
      assert.deepEqual((await getJson(`${app.url}/api/settings`)).body, all(() => true, false))
      const saved = await postJson(`${app.url}/api/settings`, { fields: ['dport', 'ipsrc'] })
      assert.deepEqual(saved, { status: 200, body: all(f => f === 'dport' || f === 'ipsrc', true) })
      assert.deepEqual((await plain.client.smembers('ENFIELDS')).sort(), ['dport', 'ipsrc'])
      // Behind a TLS proxy: the page is https, the proxy says so in X-Forwarded-Proto.
      const proxied = await postJson(`${app.url}/api/settings`, { fields: ['dport', 'ipsrc'] }, { Origin: app.url.replace('http:', 'https:'), 'X-Forwarded-Proto': 'https' })
      assert.equal(proxied.status, 200)
      const overview = (await getJson(`${app.url}/api/overview?sensor=lab-multiif-1`)).body
      assert.deepEqual(overview.fields.map((f: any) => f.field), ['ipsrc', 'dport'])
      // A form post (the settings page), with Referer only: SREM of the fields left out.
      const form = await fetch(`${app.url}/settings?sensor=lab-multiif-1`, {
        method: 'POST', redirect: 'manual', headers: { 'Content-Type': 'application/x-www-form-urlencoded', Referer: `${app.url}/settings` }, body: 'fields=protocol&fields=dport'
      })
      assert.equal(form.status, 303)
      assert.equal(form.headers.get('location'), '/settings?sensor=lab-multiif-1&saved=1')
      assert.deepEqual((await plain.client.smembers('ENFIELDS')).sort(), ['dport', 'protocol'])
      assert.deepEqual((await getJson(`${readOnlyApp.url}/api/settings`)).body, all(f => f === 'dport' || f === 'protocol', true, true))
    } finally {
      // The other tests expect every field shown.
      await plain.client.del('ENFIELDS')
    }
  })

  test('settings changes: 403 cross-origin or read-only, 400 for unknown or no fields; nothing stored', async () => {
    const url = `${app.url}/api/settings`
    const refused = { status: 403, body: { error: 'cross-origin request refused: settings change only from this server\'s own pages (Origin or Referer must have its scheme, Host and port)' } }
    const { port } = new URL(app.url)
    for (const headers of [
      {}, { Origin: 'http://evil.example' }, { Referer: 'http://evil.example/settings' }, { Origin: 'null' },
      { Origin: `https://127.0.0.1:${port}` }, { Referer: `https://127.0.0.1:${port}/settings` }, { Origin: `http://127.0.0.1:${port}`, 'X-Forwarded-Proto': 'https' },
      { Origin: `http://127.0.0.1:${Number(port) + 1}` }, { Origin: 'http://127.0.0.1' }, { Origin: `http://localhost:${port}` }
    ]) {
      assert.deepEqual({ headers, ...await postJson(url, { fields: ['dport'] }, headers) }, { headers, ...refused })
    }
    assert.deepEqual(await postJson(url, { fields: ['dport', 'nope'] }), { status: 400, body: { error: `field: unknown field 'nope' (fields: ${FIELDS.join(', ')})` } })
    assert.deepEqual(await postJson(url, { fields: [] }), { status: 400, body: { error: 'fields: choose at least one field' } })
    assert.deepEqual(await postJson(url, { fields: 'dport' }), { status: 400, body: { error: 'body: expected {"fields": ["field", ...]}' } })
    assert.deepEqual(await postJson(`${readOnlyApp.url}/api/settings`, { fields: ['dport'] }), { status: 403, body: { error: 'settings are read-only (potiron serve --read-only)' } })
    const form = await fetch(`${readOnlyApp.url}/settings`, { method: 'POST', headers: { 'Content-Type': 'application/x-www-form-urlencoded', Origin: readOnlyApp.url }, body: 'fields=dport' })
    assert.equal(form.status, 403)
    assert.equal(await plain.client.exists('ENFIELDS'), 0)
    const page = await (await fetch(`${readOnlyApp.url}/settings`)).text()
    assert.doesNotMatch(page, /<form method="post"/)
    assert.match(page, /read-only/)
  })

  test('pages: 200 with security headers, no inline script, every link under the app', async () => {
    for (const path of ['/', '/?sensor=lab-pair-1&day=2010-06-29', '/evolution?sensor=lab-pair-1&field=iptos&value=0x00', '/custom', '/settings']) {
      const res = await fetch(`${app.url}${path}`)
      assert.equal(res.status, 200, path)
      assert.equal(res.headers.get('content-type'), 'text/html; charset=utf-8')
      assert.equal(res.headers.get('content-security-policy'), "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data:")
      const text = await res.text()
      for (const tag of text.match(/<script[^>]*>/g) ?? []) assert.match(tag, /^<script (src="\/assets\/[a-z-]+\.js"|type="application\/json" id="[a-z0-9-]+")>$/, `${path}: ${tag}`)
    }
    const overview = await (await fetch(`${app.url}/?sensor=lab-pair-1&day=2010-06-29`)).text()
    assert.match(overview, /<tr data-value="8"><td class="n">2<\/td><td><a href="\/evolution\?sensor=lab-pair-1&amp;field=icmptype&amp;value=8&amp;until=2010-06-29">8<\/a> <span class="label">echo request<\/span><\/td><td class="n">10<\/td><td class="n share" style="--share:50.00%">50.00 %<\/td><td class="spark"><\/td><\/tr>/)
    assert.match(overview, /<input type="date" name="day" min="2010-06-29" max="2010-07-04" list="days-with-data" value="2010-06-29">/)
    // The evolution chart: a date axis over the 180 days asked, month names at any zoom (never a
    // tick finer than a day's without its date), hovers with the whole date; the days without any
    // capture between the sensor's two days are a gap (a null point), not a line across them.
    const evolution = await (await fetch(`${app.url}/evolution?sensor=lab-pair-1&field=iptos&value=0x00`)).text()
    const figure = JSON.parse(/id="evolution-figure">(.*?)<\/script>/s.exec(evolution)![1]!) as { data: Array<{ name: string, x: string[], y: unknown[] }>, layout: { xaxis: unknown } }
    assert.deepEqual(figure.data.map(t => [t.name, t.x, t.y]), [['total', ['2010-06-29', '2010-06-30', '2010-07-04'], [20, null, 2011]]])
    assert.deepEqual(figure.layout.xaxis, {
      title: { text: 'Day' },
      type: 'date',
      range: ['2010-01-05 12:00', '2010-07-04 12:00'],
      tickformat: '%b %-d',
      hoverformat: '%Y-%m-%d',
      tickformatstops: [
        { dtickrange: [null, 86400000], value: '%b %-d %H:%M' },
        { dtickrange: [86400000, 'M1'], value: '%b %-d' },
        { dtickrange: ['M1', 'M12'], value: '%b %Y' },
        { dtickrange: ['M12', null], value: '%Y' }
      ]
    })
    // One day asked: still a date axis of that one day, a tick on it.
    const oneDay = await (await fetch(`${app.url}/evolution?sensor=lab-pair-1&field=iptos&value=0x00&days=1`)).text()
    const single = JSON.parse(/id="evolution-figure">(.*?)<\/script>/s.exec(oneDay)![1]!) as { data: Array<{ x: string[], y: unknown[] }>, layout: { xaxis: unknown } }
    assert.deepEqual(single.data.map(t => [t.x, t.y]), [[['2010-07-04'], [2011]]])
    assert.deepEqual(single.layout.xaxis, {
      title: { text: 'Day' }, type: 'date', range: ['2010-07-03 12:00', '2010-07-04 12:00'], tickformat: '%b %-d', hoverformat: '%Y-%m-%d', dtick: 86400000, tick0: '2010-07-04'
    })
    // No day with data in the period: one sentence, no chart.
    const none = await (await fetch(`${app.url}/evolution?sensor=lab-pair-1&field=iptos&value=0x00&until=2010-06-01&days=30`)).text()
    assert.deepEqual([...none.matchAll(/<p class="empty">(.*?)<\/p>/g)].map(m => m[1]), ['Sensor lab-pair-1 has no data from 2010-05-03 to 2010-06-01.'])
    assert.doesNotMatch(none, /<div class="potiron-chart"|plotly\.js/)
    for (const name of ['plotly.js', 'potiron-chart.js', 'dashboard.js', 'potiron.css']) {
      const res = await fetch(`${app.url}/assets/${name}`)
      assert.equal(res.status, 200)
      assert.equal(res.headers.get('content-type'), name.endsWith('.css') ? 'text/css; charset=utf-8' : 'text/javascript; charset=utf-8')
      assert.equal(res.headers.get('cache-control'), 'public, max-age=3600')
      assert.equal(res.headers.get('x-content-type-options'), 'nosniff')
    }
    assert.equal((await fetch(`${app.url}/assets/..%2Fpackage.json`)).status, 404)
    assert.equal((await fetch(`${app.url}/assets/toString`)).status, 404)
    const missing = await fetch(`${app.url}/?sensor=nope`)
    assert.equal(missing.status, 400)
    assert.match(await missing.text(), /<p class="error">sensor: unknown sensor &#39;nope&#39;/)
  })

  test('overview page: days without capture are gaps on a date axis naming months; "not set" left out with its count and a link that shows it; a field with nothing else is one sentence', async () => {
    const sectionOf = (page: string, field: string): string => new RegExp(`<section class="field card" data-field="${field}">(.*?)</section>`, 's').exec(page)![1]!
    const html = await (await fetch(`${app.url}/?sensor=lab-pair-1`)).text()
    const section = (field: string): string => sectionOf(html, field)
    const figure = JSON.parse(/id="chart-5-figure">(.*?)<\/script>/s.exec(section('iptos'))![1]!) as { data: Array<{ name: string, x: string[], y: unknown[] }>, layout: { xaxis: unknown } }
    const week = ['2010-06-28', '2010-06-29', '2010-06-30', '2010-07-01', '2010-07-02', '2010-07-03', '2010-07-04']
    assert.deepEqual(figure.data.map(t => [t.name, t.x, t.y]), [['0x00', week, [null, 20, null, null, null, null, 2011]]])
    // A compact chart: no title (the card's heading says it), no axis title under its dates.
    assert.deepEqual(figure.layout.xaxis, {
      type: 'date', range: ['2010-06-27 12:00', '2010-07-04 12:00'], tickformat: '%b %-d', hoverformat: '%Y-%m-%d', dtick: 2 * 86400000, tick0: '2010-06-28', tickangle: 0
    })
    assert.equal((figure.layout as { title?: unknown }).title, undefined)
    const paragraphs = (text: string): string[] => [...text.matchAll(/<p class="([a-z -]+)">(.*?)<\/p>/g)].map(m => `${m[1]!}: ${m[2]!}`)
    const show = '<a href="/?sensor=lab-pair-1&amp;day=2010-07-04&amp;notset=1">Show &quot;not set&quot; values</a>'
    assert.deepEqual(paragraphs(section('icmptype')), [`empty: No icmp type on 2010-07-04: all 2,011 packets have it "not set" (255). ${show}`])
    assert.equal((section('icmptype').match(/potiron-chart|<table/g) ?? []).length, 0)
    assert.deepEqual(paragraphs(section('tcpseq')), [])
    assert.match(html, /<label><input type="checkbox" name="notset" value="1"> show "not set" values<\/label>/)
    assert.match(section('iptos'), /^\n<h2>type of service <span class="muted">\(iptos\)<\/span> <a class="csv" href="\/csv\?sensor=lab-pair-1&amp;day=2010-07-04&amp;field=iptos" download>CSV<span class="visually-hidden"> of type of service<\/span><\/a><\/h2>\n<div class="new-today" data-field="iptos"><\/div>\n/)
    // notset=1: the box ticked, and 255 is a row of the top like any value.
    const shown = await (await fetch(`${app.url}/?sensor=lab-pair-1&notset=1`)).text()
    assert.match(shown, /<label><input type="checkbox" name="notset" value="1" checked> show "not set" values<\/label>/)
    assert.match(shown, /value=255&amp;until=2010-07-04">255<\/a> <span class="label">not set<\/span><\/td><td class="n">2,011<\/td><td class="n share" style="--share:100.00%">100.00 %<\/td>/)
    // A top with rows says what it left out.
    const dnsicmp = await (await fetch(`${app.url}/?sensor=lab-dnsicmp-1`)).text()
    assert.deepEqual(paragraphs(sectionOf(dnsicmp, 'icmptype')), ['muted not-set: Left out: 255 (not set), 10 packets. <a href="/?sensor=lab-dnsicmp-1&amp;day=2013-05-30&amp;notset=1">Show &quot;not set&quot; values</a>'])
  })

  test('a capture value with markup is escaped in tables, links and chart data', async () => {
    const evil = '<img src=x onerror=alert(1)>'
    await plain.client.zadd('lab-traceroute-1:20090702:dport', 1_000_000, evil)
    try {
      const page = await (await fetch(`${app.url}/?sensor=lab-traceroute-1`)).text()
      assert.doesNotMatch(page, /<img/)
      assert.match(page, /&lt;img src=x onerror=alert\(1\)&gt;<\/a>/)
      assert.match(page, /<tr data-value="&lt;img src=x onerror=alert\(1\)&gt;">/)
      assert.match(page, /value=%3Cimg\+src%3Dx\+onerror%3Dalert%281%29%3E/)
      // Chart data: Plotly gets the value as escaped text (plotlyText), and no `<` closes the JSON block.
      assert.match(page, /"name":"&lt;img src=x onerror=alert\(1\)&gt;"/)
      const evolution = await (await fetch(`${app.url}/evolution?${new URLSearchParams({ sensor: 'lab-traceroute-1', field: 'dport', value: evil }).toString()}`)).text()
      assert.doesNotMatch(evolution, /<img/)
      assert.match(evolution, /<h1>Evolution of destination port &lt;img src=x onerror=alert\(1\)&gt;<\/h1>/)
      assert.match(evolution, /"text":"destination port &lt;img src=x onerror=alert\(1\)&gt;, 180 days until 2009-07-02"/)
    } finally {
      await plain.client.zrem('lab-traceroute-1:20090702:dport', evil)
    }
  })

  test('overview markup: body data for insights, share bars of the day\'s packets, a date range bounded by the days with data', async () => {
    const html = await (await fetch(`${app.url}/?sensor=lab-pair-1`)).text()
    assert.match(html, /<body data-sensor="lab-pair-1" data-day="2010-07-04" data-from="2010-06-28" data-to="2010-07-04">/)
    // The range starts at the first day with data (the input's min); the datalist names the days with data.
    assert.match(html, /<label>From <input type="date" name="from" min="2010-06-29" max="2010-07-04" list="days-with-data" value="2010-06-29"><\/label>\n<label>To <input type="date" name="day" min="2010-06-29" max="2010-07-04" list="days-with-data" value="2010-07-04"><\/label>\n<datalist id="days-with-data"><option value="2010-06-29"><\/option><option value="2010-07-04"><\/option><\/datalist>/)
    // 2,011 packets that day: 1,000 / 2,011 = 49.73 %, 993 → 49.38 %, 4 → 0.20 %.
    const sport = /<section class="field card" data-field="sport">(.*?)<\/section>/s.exec(html)![1]!
    const shares = [...sport.matchAll(/<tr data-value="([^"]*)">.*?<td class="n">([\d,]+)<\/td><td class="n share" style="--share:([\d.]+)%">([\d.]+ %)<\/td><td class="spark"><\/td><\/tr>/g)].map(m => m.slice(1))
    assert.deepEqual(shares.slice(0, 3), [['36050', '1,000', '49.73', '49.73 %'], ['36051', '993', '49.38', '49.38 %'], ['22', '4', '0.20', '0.20 %']])
    assert.equal(shares.length, 10)
    assert.equal((html.match(/<section class="field card" data-field="[a-z]+">\n<h2>/g) ?? []).length, 12)
    assert.equal((html.match(/<div class="new-today" data-field="[a-z]+"><\/div>/g) ?? []).length, 12)
    assert.doesNotMatch(html, /<style>/)
    // The range chosen in the header: from 2010-06-29 to 2010-07-04 is 6 days of charts.
    const ranged = await (await fetch(`${app.url}/?sensor=lab-pair-1&from=2010-06-29&day=2010-07-04`)).text()
    assert.match(ranged, /data-from="2010-06-29" data-to="2010-07-04"/)
    const iptos = JSON.parse(/id="chart-5-figure">(.*?)<\/script>/s.exec(ranged)![1]!) as { data: Array<{ x: string[], y: unknown[] }> }
    assert.deepEqual(iptos.data.map(t => [t.x, t.y]), [[['2010-06-29', '2010-06-30', '2010-07-01', '2010-07-02', '2010-07-03', '2010-07-04'], [20, null, null, null, null, 2011]]])
    assert.deepEqual((await getJson(`${app.url}/api/overview?sensor=lab-pair-1&from=2010-06-29&day=2010-07-04`)).body.days, 6)
    const refused = async (query: string): Promise<[number, string]> => {
      const res = await fetch(`${app.url}/?${query}`)
      return [res.status, /<p class="error">(.*?)<\/p>/.exec(await res.text())?.[1] ?? '']
    }
    assert.deepEqual(await refused('sensor=lab-pair-1&day=2010-07-01'), [400, 'day: sensor &#39;lab-pair-1&#39; has no data on 2010-07-01 (days: 2010-06-29 to 2010-07-04)'])
    assert.deepEqual(await refused('sensor=lab-pair-1&from=2010-07-05&day=2010-07-04'), [400, 'from: 2010-07-05 is after the day shown, 2010-07-04'])
    assert.deepEqual(await refused('sensor=lab-pair-1&from=2010-04-05&day=2010-07-04'), [400, 'from: at most 90 days up to 2010-07-04 (from 2010-04-06 on), got 2010-04-05'])
    assert.deepEqual(await refused('sensor=lab-pair-1&from=2010-06-29&days=3'), [400, 'from: give either from or days, not both'])
    assert.deepEqual(await refused('sensor=lab-pair-1&from=2010-06-31'), [400, 'from: expected a day YYYY-MM-DD, got &#39;2010-06-31&#39;'])
  })

  test('CSV of a card\'s table: the file potiron export csv writes for that day and field, named the same', async () => {
    const out = mkdtempSync(join(tmpdir(), 'potiron-serve-csv-'))
    try {
      for (const [query, skip] of [['field=sport', []], ['field=icmptype&notset=1', ['--skip']]] as const) {
        const field = /field=([a-z]+)/.exec(query)![1]!
        const exported = await potiron('export', 'csv', '--unix', plain.socket, '--sensor', 'lab-pair-1', '--field', field, '--date', '2010-07-04', '--out', out, ...skip)
        assert.equal(exported.status, 0, exported.err.join('\n'))
        const name = readdirSync(out).find(f => f.includes(field === 'sport' ? 'source-port' : 'icmp-type'))!
        const res = await fetch(`${app.url}/csv?sensor=lab-pair-1&day=2010-07-04&${query}`)
        assert.equal(res.status, 200)
        assert.equal(res.headers.get('content-type'), 'text/csv; charset=utf-8')
        assert.equal(res.headers.get('content-disposition'), `attachment; filename="${name}"`)
        assert.equal(await res.text(), readFileSync(join(out, name), 'utf8'))
      }
      const sport = await (await fetch(`${app.url}/csv?sensor=lab-pair-1&day=2010-07-04&field=sport`)).text()
      assert.deepEqual(sport.split('\n').slice(0, 4), ['value,count,label', '36050,1000,', '36051,993,', '22,4,ssh'])
      assert.equal(await (await fetch(`${app.url}/csv?sensor=lab-pair-1&day=2010-07-04&field=icmptype&notset=1`)).text(), 'value,count,label\n255,2011,not set\n')
      // Combined keys: the protocols added up, as export csv without --protocols does.
      assert.equal(await (await fetch(`${combinedApp.url}/csv?sensor=lab-pair-1&day=2010-07-04&field=sport`)).text(), sport)
      const error = async (query: string): Promise<[number, string]> => {
        const res = await fetch(`${app.url}/csv?${query}`)
        return [res.status, /<p class="error">(.*?)<\/p>/.exec(await res.text())?.[1] ?? '']
      }
      assert.deepEqual(await error('sensor=lab-pair-1&day=2010-07-01&field=sport'), [400, 'day: no data for sensor &#39;lab-pair-1&#39; on 2010-07-01'])
      assert.deepEqual(await error('sensor=lab-pair-1&day=2010-07-04&field=nope'), [400, `field: unknown field &#39;nope&#39; (fields: ${FIELDS.join(', ')})`])
      assert.deepEqual(await error('sensor=lab-pair-1&day=2010-07-04'), [400, 'field: missing'])
    } finally {
      rmSync(out, { recursive: true, force: true })
    }
  })

  test('--base-path: routes and links under the prefix, whether or not the proxy strips it', async () => {
    const prefixed = await startApp(client, { basePath: '/potiron/' })
    try {
      assert.deepEqual((await getJson(`${prefixed.url}/potiron/api/sensors`)).body, { sensors: SENSORS })
      assert.deepEqual((await getJson(`${prefixed.url}/api/sensors`)).body, { sensors: SENSORS })
      const page = await (await fetch(`${prefixed.url}/potiron/?sensor=lab-multiif-1`)).text()
      assert.match(page, /<script src="\/potiron\/assets\/plotly\.js"><\/script>/)
      assert.match(page, /<a href="\/potiron\/settings\?sensor=lab-multiif-1">Settings<\/a>/)
      assert.match(page, /"customdata":\[\["\/potiron\/evolution\?sensor=lab-multiif-1&field=length&value=56&until=2026-01-06"\]/)
      assert.equal((await fetch(`${prefixed.url}/potiron/assets/potiron-chart.js`)).status, 200)
    } finally {
      await prefixed.close()
    }
  })

  test('the sensor list is one SCAN reused for its lifetime, then read again', async () => {
    let now = 0
    const list = new SensorList(plain.client, 5000, () => now)
    assert.deepEqual(await list.get(), SENSORS)
    await plain.client.sadd('lab-new-1_DAYS', '20200101')
    try {
      now = 4999
      assert.deepEqual(await list.get(), SENSORS)
      now = 5000
      assert.deepEqual(await list.get(), [...SENSORS.slice(0, 3), 'lab-new-1', ...SENSORS.slice(3)])
    } finally {
      await plain.client.del('lab-new-1_DAYS')
    }
  })
})

describe('Redis down', () => {
  test('503 page and JSON while Redis is stopped, answers again once it is back, without a restart', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'potiron-serve-'))
    let redis = await startPrivateRedis(dir, { durable: true })
    const client = dashboardClient({ socket: redis.socket })
    await client.connect()
    const app = await startApp(client)
    try {
      await fillRedis(redis.socket)
      const url = `${app.url}/api/overview?sensor=lab-multiif-1&days=1`
      const before = await getJson(url)
      assert.equal(before.status, 200)
      await redis.stop()
      const down = await getJson(url)
      assert.deepEqual([down.status, down.body], [503, { error: 'backend unavailable: cannot reach Redis' }])
      assert.equal(down.headers.get('retry-after'), '5')
      const page = await fetch(`${app.url}/?sensor=lab-multiif-1`)
      assert.equal(page.status, 503)
      assert.equal(page.headers.get('content-type'), 'text/html; charset=utf-8')
      assert.match(await page.text(), /<h1>Potiron is not available<\/h1>[\s\S]*The backend is unavailable/)
      redis = await startPrivateRedis(dir, { durable: true })
      let after = down
      for (let i = 0; i < 50 && after.status !== 200; i++) {
        await sleep(100)
        after = await getJson(url)
      }
      assert.deepEqual([after.status, after.body], [200, before.body])
      assert.equal((await fetch(`${app.url}/?sensor=lab-multiif-1`)).status, 200)
    } finally {
      await teardown(async () => await app.close(), () => client.disconnect(), async () => await redis.stop(), () => rmSync(dir, { recursive: true, force: true }))
    }
  })
})

/** How long serve() may take to connect and listen (it connects to a local Redis socket). */
const START_MS = 20_000

interface RunningServe { url: string, lines: string[], stop: () => Promise<number> }

/** serve() in-process, its output lines collected; resolves on the "listening" line (the URL it prints). */
async function startServe (options: Partial<ServeOptions> & Pick<ServeOptions, 'target'>): Promise<RunningServe> {
  const lines: string[] = []
  let stop!: () => void
  const stopped = new Promise<void>(resolve => { stop = resolve })
  let announce!: (url: string) => void
  const listening = new Promise<string>(resolve => { announce = resolve })
  const collect = (text: string): void => {
    lines.push(text)
    const url = /listening on (http:\/\/\S+?\/)[;\s]/.exec(text)?.[1]
    if (url !== undefined) announce(url)
  }
  const running = serve({ host: '127.0.0.1', port: 0, basePath: '', readOnly: false, allowedHosts: [], ...options }, { out: collect, err: collect }, stopped)
  // Known listening (its line printed) before any request, and never waited for forever: a
  // serve() that neither listens nor returns is stopped, so the test fails instead of hanging.
  try {
    const returned = running.then(status => { throw new Error(`serve() returned ${status} before listening: ${lines.join('\n')}`) })
    const url = await within(START_MS, () => `serve()'s "listening" line (it printed: ${lines.join('; ')})`, Promise.race([listening, returned]))
    return { url, lines, stop: async () => { stop(); return await running } }
  } catch (e) {
    stop()
    await within(START_MS, 'serve() stopping', running).catch(() => {})
    throw e
  }
}

describe('the serve command', () => {
  test('serve() connects to Redis, then prints its URL: the first request after that line gets 200; it closes with status 0 when told to stop', async () => {
    const redis = await startRedis()
    try {
      await redis.client.sadd('lab-one-1_DAYS', '20200101')
      const running = await startServe({ target: { socket: redis.socket }, basePath: '/p', readOnly: true })
      try {
        const res = await fetch(`${running.url}api/sensors`)
        assert.deepEqual([res.status, await res.json()], [200, { sensors: ['lab-one-1'] }])
        assert.match(running.url, /^http:\/\/127\.0\.0\.1:\d+\/p\/$/)
        assert.deepEqual(running.lines, [`potiron: redis unix:${redis.socket}`, 'potiron serve: connected to Redis', `potiron serve: listening on ${running.url} (read-only); Ctrl-C to stop`])
      } finally {
        assert.equal(await running.stop(), 0)
      }
    } finally {
      await redis.stop()
    }
  })

  test('serve() starts while Redis is down: it says so, then pages answer 503', async () => {
    const socket = join(tmpdir(), `potiron-no-redis-${process.pid}.sock`)
    const running = await startServe({ target: { socket } })
    try {
      const res = await fetch(`${running.url}api/sensors`)
      assert.deepEqual([res.status, await res.json()], [503, { error: 'backend unavailable: cannot reach Redis' }])
      assert.deepEqual(running.lines, [
        `potiron: redis unix:${socket}`,
        `potiron serve: cannot reach Redis yet (connect ENOENT ${socket}): pages answer 503 until it answers`,
        `potiron serve: listening on ${running.url}; Ctrl-C to stop`
      ])
    } finally {
      assert.equal(await running.stop(), 0)
    }
  })

  test('serve() on an address other machines can reach warns once that there is no login; on loopback it does not', async () => {
    const redis = await startRedis()
    try {
      for (const [host, warned] of [['0.0.0.0', true], ['127.0.0.1', false]] as const) {
        const running = await startServe({ target: { socket: redis.socket }, host })
        try {
          assert.deepEqual(running.lines.filter(l => l.includes('warning')), warned
            ? [`potiron serve: warning: listening on ${host}, which other machines may reach; potiron serve has no login: anyone who reaches it reads the data and, without --read-only, changes the settings`]
            : [])
        } finally {
          assert.equal(await running.stop(), 0)
        }
      }
    } finally {
      await redis.stop()
    }
  })

  test('serve() answers the names given as allowed hosts too; behind a TLS proxy, settings change from its https pages only', async () => {
    const redis = await startRedis()
    try {
      const running = await startServe({ target: { socket: redis.socket }, allowedHosts: ['Potiron.Example'] })
      try {
        const get = async (host: string): Promise<number> => (await raw(running.url, `GET /api/sensors HTTP/1.1\r\nHost: ${host}`)).status
        assert.deepEqual([await get('potiron.example'), await get('potiron.example:8443'), await get('localhost'), await get('other.example')], [200, 200, 200, 421])
        const post = async (origin: string): Promise<number> => (await raw(running.url,
          `POST /api/settings HTTP/1.1\r\nHost: potiron.example\r\nOrigin: ${origin}\r\nX-Forwarded-Proto: https\r\nContent-Type: application/json\r\nContent-Length: 20`, '{"fields":["dport"]}')).status
        assert.deepEqual([await post('http://potiron.example'), await post('https://potiron.example:8443'), await redis.client.exists('ENFIELDS')], [403, 403, 0])
        assert.deepEqual([await post('https://potiron.example'), await redis.client.smembers('ENFIELDS')], [200, ['dport']])
      } finally {
        assert.equal(await running.stop(), 0)
      }
    } finally {
      await redis.stop()
    }
  })

  test('allowedHosts: the loopback names, the --host address unless it is a wildcard, the --allowed-host names as a Host carries them', () => {
    assert.deepEqual(LOOPBACK_HOSTS, ['localhost', '127.0.0.1', '[::1]'])
    for (const listen of ['127.0.0.1', '0.0.0.0', '::', '[::]', '0:0::1', 'localhost']) assert.deepEqual(allowedHosts(listen, []), LOOPBACK_HOSTS, listen)
    assert.deepEqual(allowedHosts('192.168.1.5', ['Potiron.Example', 'fe80::1', '[2001:DB8::1]', 'potiron.example']), [...LOOPBACK_HOSTS, '192.168.1.5', 'potiron.example', '[fe80::1]', '[2001:db8::1]'])
    assert.deepEqual(allowedHosts('::2', []), [...LOOPBACK_HOSTS, '[::2]'])
    for (const bad of ['potiron.example:8080', '[::1]:80', 'a/b', 'user@potiron.example', '', '999.1.1.1']) {
      assert.throws(() => allowedHosts('127.0.0.1', [bad]), { message: `--allowed-host: expected a host name or an IP address, without port, got '${bad}'` })
    }
  })

  test('bad --port, --base-path or --allowed-host is a usage error (status 2); --help tells of --allowed-host', async () => {
    const base = await potiron('serve', '--unix', '/nonexistent.sock', '--base-path', 'no slash')
    const port = await potiron('serve', '--unix', '/nonexistent.sock', '--port', '70000')
    const host = await potiron('serve', '--unix', '/nonexistent.sock', '--allowed-host', 'potiron.example', '--allowed-host', 'potiron.example:8080')
    const none = await potiron('serve', '--unix', '/nonexistent.sock', '--allowed-host')
    assert.deepEqual([base.status, port.status, host.status, none.status], [2, 2, 2, 2])
    assert.match(base.err.join('\n'), /--base-path: expected a path such as \/potiron/)
    assert.match(port.err.join('\n'), /--port: expected a whole number from 0 to 65535, got '70000'/)
    assert.equal(host.err[0], "potiron: --allowed-host: expected a host name or an IP address, without port, got 'potiron.example:8080'\nRun 'potiron serve --help' for usage.")
    assert.equal(none.err[0], "potiron: Not enough arguments following: allowed-host\nRun 'potiron serve --help' for usage.")
    const help = (await potiron('serve', '--help')).out.join('\n').replace(/\s+/g, ' ')
    assert.match(help, / --allowed-host Host name or address to answer besides localhost, 127\.0\.0\.1, \[::1\] and --host \(repeatable\)\. Requests naming any other Host get 421 \(against DNS rebinding\) \[array\] \[default: \[\]\] /)
  })
})
