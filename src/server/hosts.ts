/**
 * Which requests the dashboard answers, and which may change settings. Against DNS rebinding
 * (a page of attacker.example whose name is made to resolve to 127.0.0.1, so the browser sees
 * one origin), every request must name this server in its Host: a loopback name, the address it
 * listens on, or a name given with --allowed-host; any other is 421, GETs included, since the
 * rebound page could read the answers. A settings change must also come from a page of this very
 * origin: its Origin (or Referer) has the request's scheme, Host and port, else 403.
 */
import type { IncomingMessage } from 'node:http'
import { HttpError } from './params.js'

export const LOOPBACK_HOSTS: readonly string[] = ['localhost', '127.0.0.1', '[::1]']

/** Addresses that listen on every interface: no client names the server so. */
const WILDCARDS: ReadonlySet<string> = new Set(['0.0.0.0', '[::]'])

/** A name, an IPv4 or a bracketed IPv6 address, then an optional port: no user info, path or anything else. */
const AUTHORITY = /^(\[[0-9A-Fa-f:.]+\]|[A-Za-z0-9.-]+)(?::(\d{1,5}))?$/

const DEFAULT_PORTS: Readonly<Record<string, number>> = { 'http:': 80, 'https:': 443 }

/** A Host header's parts; `name` as URLs write it (lowercase, IPv4 dotted, IPv6 compressed) so names compare as strings. */
export interface Authority { name: string, port: number | undefined }

function authorityOf (text: string): Authority | undefined {
  const m = AUTHORITY.exec(text)
  if (m === null) return undefined
  const port = m[2] === undefined ? undefined : Number(m[2])
  if (port !== undefined && port > 65535) return undefined
  try {
    return { name: new URL(`http://${m[1]!}`).hostname, port }
  } catch {
    return undefined
  }
}

/** A name given on the command line (an IPv6 address with or without brackets), as a Host carries it; undefined with a port or when it is no name. */
function nameOf (text: string): string | undefined {
  const authority = authorityOf(text.includes(':') && !text.startsWith('[') ? `[${text}]` : text)
  return authority?.port === undefined ? authority?.name : undefined
}

/** The Host names a server listening on `listen` answers to: the loopback names, `listen` unless it is a wildcard address, and `extra` (--allowed-host). */
export function allowedHosts (listen: string, extra: readonly string[]): string[] {
  const names = new Set(LOOPBACK_HOSTS)
  const listened = nameOf(listen)
  if (listened !== undefined && !WILDCARDS.has(listened)) names.add(listened)
  for (const text of extra) {
    const name = nameOf(text)
    if (name === undefined) throw new Error(`--allowed-host: expected a host name or an IP address, without port, got '${text}'`)
    names.add(name)
  }
  return [...names]
}

/** The request's Host, when it is one of `allowed` (names as allowedHosts() gives them, any port); else 421. */
export function checkHost (req: IncomingMessage, allowed: ReadonlySet<string>): Authority {
  const host = req.headers.host
  if (host === undefined || host === '') throw new HttpError(421, 'no Host header: potiron serve answers only requests that name it')
  const authority = authorityOf(host)
  if (authority === undefined || !allowed.has(authority.name)) throw new HttpError(421, `Host '${host}' is not a name of this server (potiron serve --allowed-host NAME adds one)`)
  return authority
}

/**
 * 403 unless the Origin (or, without one, the Referer) is the request's own origin: same host
 * name and port as `host`, and the scheme the client used: http, or what a TLS proxy in front
 * says in X-Forwarded-Proto (a page cannot forge that header: cross-origin it needs a CORS
 * preflight this server never grants, and a rebound page fails the Host check).
 */
export function checkOrigin (req: IncomingMessage, host: Authority): void {
  const source = req.headers.origin ?? req.headers.referer
  const proto = req.headers['x-forwarded-proto']
  const scheme = `${(Array.isArray(proto) ? proto[0] : proto)?.split(',')[0]?.trim().toLowerCase() ?? 'http'}:`
  const defaultPort = DEFAULT_PORTS[scheme]
  let ok = false
  if (source !== undefined && defaultPort !== undefined && URL.canParse(source)) {
    const url = new URL(source)
    ok = url.protocol === scheme && url.hostname === host.name && (url.port === '' ? defaultPort : Number(url.port)) === (host.port ?? defaultPort)
  }
  if (!ok) throw new HttpError(403, 'cross-origin request refused: settings change only from this server\'s own pages (Origin or Referer must have its scheme, Host and port)')
}
