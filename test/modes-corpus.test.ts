/**
 * The ISN and layer-2 modes on captures of the shared corpus, against counts read from the files
 * by an independent decoder (a few lines of Python over the pcap records, noted with each value):
 * zeek's bro.org browsing session (13 SYNs, 13 SYN-ACKs) and its Linux-cooked ARP trace (12
 * requests, one of them gratuitous twice).
 */
import { after, before, test } from 'node:test'
import assert from 'node:assert/strict'
import { join } from 'node:path'
import { potiron } from './helpers/cli.js'
import { dump, startRedis, type TestRedis } from './helpers/redis.js'
import { PUBLIC, needsShared } from './helpers/shared.js'
import { readIsn } from '../src/store/isn-read.js'

let redis: TestRedis

before(async () => { redis = await startRedis() })

after(async () => { await redis.stop() })

test('ISN: zeek_bro.org.pcap has 13 SYNs and 13 SYN-ACKs (the server\'s, from port 80), on 2014-01-14', async t => {
  if (!needsShared(t)) return
  await redis.client.flushall()
  const file = join(PUBLIC, 'zeek_bro.org.pcap')
  const run = await potiron('ingest', file, '--isn', '--sensor', 'bro-1', '--unix', redis.socket, '--json')
  assert.equal(run.status, 0, run.err.join('\n'))
  const day = await readIsn(redis.client, { sensor: 'bro-1', day: '20140114' }, 'UTC')
  assert.deepEqual([day.records.length, day.records.filter(r => r.synAck).length], [26, 13])
  assert.deepEqual(day.records[0], { time: '1389719041.819644', sport: 55079, dport: 80, seq: 3925723113, ack: 0, synAck: false, packet: 0, file: 'zeek_bro.org.pcap' })
  const server = await readIsn(redis.client, { sensor: 'bro-1', day: '20140114', sports: [0, 1023] }, 'UTC')
  assert.deepEqual([server.records.length, server.records.every(r => r.sport === 80 && r.synAck)], [13, true])
  assert.equal((await readIsn(redis.client, { sensor: 'bro-1', day: '20140114', hour: 17 }, 'UTC')).records.length, 26)
})

test('ARP: zeek_linuxsll-arp.pcap (Linux cooked) has 12 requests, no reply', async t => {
  if (!needsShared(t)) return
  await redis.client.flushall()
  const file = join(PUBLIC, 'zeek_linuxsll-arp.pcap')
  const run = await potiron('ingest', file, '--layer2', '--sensor', 'sll-1', '--unix', redis.socket)
  assert.equal(run.status, 0, run.err.join('\n'))
  const d = await dump(redis.client)
  assert.deepEqual(d['sll-1_20200701_count']?.value, { request: 12 })
  assert.deepEqual(d['sll-1:20200701:arp-who-has']?.value, {
    '192.168.22.160 192.168.22.1 cc:2d:e0:26:19:99': 1,
    '10.1.10.1 10.1.10.100 00:50:56:8b:cf:fa': 9,
    '192.168.22.81 192.168.22.81 00:50:56:8b:3f:0d': 2
  })
  assert.equal(d['sll-1:20200701:arp-is-at'], undefined)
})
