/**
 * The dashboard tests' setup: Redis filled by ingesting the fixture captures (five under their
 * own sensor names, and lab-vlan-1 + lab-synscan-1 as one sensor `lab-pair-1`, so one sensor has
 * two days five days apart), and the app on a node:http server on a random loopback port.
 */
import { createServer, type Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import { join } from 'node:path'
import type { Redis } from 'ioredis'
import { createApp, type AppOptions } from '../../src/server/app.js'
import { potiron } from './cli.js'
import { FIXTURES } from './shared.js'

export const OWN_NAMES = [
  'lab-dnsicmp-1-20130530224517.pcap', 'lab-ipv6http-1-20060513202315.pcap', 'lab-multiif-1-20260106013129.pcapng.gz',
  'lab-traceroute-1-20090702194230.pcapng', 'lab-truncated-1-20040513101707.pcap'
]
export const PAIR = ['lab-vlan-1-20100629000000.pcap.gz', 'lab-synscan-1-20100704202416.pcapng']

export async function fillRedis (socket: string, { combinedKeys = false } = {}): Promise<void> {
  const ck = combinedKeys ? ['--combined-keys'] : []
  const own = await potiron('ingest', ...OWN_NAMES.map(f => join(FIXTURES, f)), '--unix', socket, '--quiet', ...ck)
  const pair = await potiron('ingest', ...PAIR.map(f => join(FIXTURES, f)), '--sensor', 'lab-pair-1', '--unix', socket, '--quiet', ...ck)
  if (own.status !== 0 || pair.status !== 0) throw new Error(`ingest failed: ${[...own.err, ...pair.err].join('\n')}`)
}

export interface RunningApp {
  url: string
  server: Server
  close: () => Promise<void>
}

export async function startApp (redis: Redis, options: AppOptions = {}): Promise<RunningApp> {
  const server = createServer(createApp(redis, { log: () => {}, ...options }))
  await new Promise<void>(resolve => server.listen(0, '127.0.0.1', resolve))
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`
  return {
    url,
    server,
    close: async () => {
      await new Promise<void>(resolve => { server.close(() => { resolve() }); server.closeAllConnections() })
    }
  }
}
