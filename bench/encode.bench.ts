/**
 * bench:encode — what the client spends to send a write batch, against what Redis spends on it:
 * the same multi-member ZADDs (a group of GROUP_MEMBERS members, as writeFile sends a new key's)
 * sent through ioredis (a pipeline of ZADD commands, its own argument encoding) and as one RESP
 * buffer framed here and written on a plain socket (replies read back and counted); and framed
 * from numbers by zaddMembers, as potiron writes a merged day (its members in ascending order,
 * which also costs Redis less: compare its client CPU with the others'). Reports the
 * client's CPU per member for each, and Redis's main-thread CPU (INFO cpu) per member beside
 * them: issue 14 asks the client not to cost more than Redis. BENCH_MEMBERS (1,000,000),
 * BENCH_ROUNDS (5), alternating.
 */
import { connect, type Socket } from 'node:net'
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import type { Redis } from 'ioredis'
import { GROUP_MEMBERS } from '../src/store/write.js'
import { FIELDS } from '../src/aggregate/fields.js'
import { queue, zaddCommand, zaddMembers } from '../src/store/framed.js'
import { MemberCounts } from '../src/store/members.js'
import { envInt, grouped, machineLine, median, redisCpuMs, startServer, table } from './util.js'

/** The batch: `members` distinct values over 12 keys, counts 1-7, as a day's contribution. */
function batch (members: number): Array<[string, Array<[string, number]>]> {
  const keys = Array.from({ length: 12 }, (_, k) => `bench-1:20240101:field${k}`)
  const out = keys.map((key): [string, Array<[string, number]>] => [key, []])
  for (let i = 0; i < members; i++) out[i % 12]![1].push([String(2_654_435_761 * i % 4_294_967_296), 1 + i % 7])
  return out
}

/** ZADDs of at most GROUP_MEMBERS members each, through ioredis, 20 commands a round trip. */
async function viaIoredis (redis: Redis, data: ReturnType<typeof batch>): Promise<void> {
  let pipeline = redis.pipeline()
  for (const [key, members] of data) {
    for (let i = 0; i < members.length; i += GROUP_MEMBERS) {
      const args: Array<string | number> = []
      for (const [member, count] of members.slice(i, i + GROUP_MEMBERS)) args.push(count, member)
      pipeline.zadd(key, ...args)
      if (pipeline.length === 20) { await pipeline.exec(); pipeline = redis.pipeline() }
    }
  }
  await pipeline.exec()
}

/** The same ZADDs framed by zaddCommand (store/framed.ts, what writeBatch stages with) in an ioredis pipeline. */
async function viaFramed (redis: Redis, data: ReturnType<typeof batch>): Promise<void> {
  let pipeline = redis.pipeline()
  for (const [key, members] of data) {
    for (let i = 0; i < members.length; i += GROUP_MEMBERS) {
      queue(pipeline, zaddCommand(key, members.slice(i, i + GROUP_MEMBERS)))
      if (pipeline.length === 20) { await pipeline.exec(); pipeline = redis.pipeline() }
    }
  }
  await pipeline.exec()
}

/** The batch's members as a merged day holds them (MemberCounts of numbers, in order), for zaddMembers. */
function counted (data: ReturnType<typeof batch>): Array<[string, MemberCounts]> {
  return data.map(([key, pairs]) => {
    const members = new MemberCounts('tcpseq')
    members.addGroup({ day: 0, proto: -2, field: FIELDS.indexOf('tcpseq'), values: Float64Array.from(pairs, ([m]) => Number(m)), counts: Float64Array.from(pairs, ([, c]) => c) }, new Uint8Array(0))
    members.inOrder()
    return [key, members]
  })
}

/** The same ZADDs framed from numbers by zaddMembers (what writeFile and a batch's staging send) in an ioredis pipeline. */
async function viaMembers (redis: Redis, data: ReturnType<typeof counted>): Promise<void> {
  let pipeline = redis.pipeline()
  for (const [key, members] of data) {
    for (let i = 0; i < members.size; i += GROUP_MEMBERS) {
      queue(pipeline, zaddMembers(key, members, i, Math.min(GROUP_MEMBERS, members.size - i)))
      if (pipeline.length === 20) { await pipeline.exec(); pipeline = redis.pipeline() }
    }
  }
  await pipeline.exec()
}

/** The same commands framed as RESP into one buffer per 20 commands, written on `socket`; resolves when every reply is in. */
async function viaBuffer (socket: Socket, data: ReturnType<typeof batch>): Promise<void> {
  const commands: Buffer[] = []
  for (const [key, members] of data) {
    for (let i = 0; i < members.length; i += GROUP_MEMBERS) {
      const slice = members.slice(i, i + GROUP_MEMBERS)
      const parts = [`*${2 + 2 * slice.length}\r\n$4\r\nZADD\r\n$${Buffer.byteLength(key)}\r\n${key}\r\n`]
      for (const [member, count] of slice) {
        const c = String(count)
        parts.push(`$${c.length}\r\n${c}\r\n$${Buffer.byteLength(member)}\r\n${member}\r\n`)
      }
      commands.push(Buffer.from(parts.join('')))
    }
  }
  for (let i = 0; i < commands.length; i += 20) {
    const group = commands.slice(i, i + 20)
    await new Promise<void>((resolve, reject) => {
      // Each ZADD answers one line (`:2000`).
      let replies = 0
      const done = (err?: Error): void => {
        socket.off('data', onData)
        socket.off('error', done)
        if (err === undefined) resolve()
        else reject(err)
      }
      const onData = (chunk: Buffer): void => {
        for (const byte of chunk) if (byte === 0x0a) replies++
        if (replies >= group.length) done()
      }
      socket.on('data', onData)
      socket.on('error', done)
      socket.write(Buffer.concat(group))
    })
  }
}

async function main (): Promise<void> {
  const members = envInt('BENCH_MEMBERS', 1_000_000)
  const rounds = Math.max(1, envInt('BENCH_ROUNDS', 5))
  const dir = await mkdtemp(join(tmpdir(), 'potiron-bench-encode-'))
  const server = await startServer(dir)
  const socket = connect(server.socket)
  await new Promise(resolve => socket.once('connect', resolve))
  try {
    const data = batch(members)
    const numbers = counted(data)
    const ways: Array<[string, () => Promise<void>]> = [
      ['ioredis pipeline of ZADDs', async () => { await viaIoredis(server.client, data) }],
      ['ioredis pipeline of zaddCommand (framed here)', async () => { await viaFramed(server.client, data) }],
      ['one RESP buffer per 20 ZADDs, plain socket', async () => { await viaBuffer(socket, data) }],
      ['ioredis pipeline of zaddMembers (framed from numbers)', async () => { await viaMembers(server.client, numbers) }]
    ]
    const client = ways.map(() => [] as number[])
    const redis = ways.map(() => [] as number[])
    for (let r = 0; r < rounds; r++) {
      for (let k = 0; k < ways.length; k++) {
        const i = (k + r) % ways.length
        await server.client.flushall()
        const before = await redisCpuMs(server.client)
        const cpu = process.cpuUsage()
        await ways[i]![1]()
        const used = process.cpuUsage(cpu)
        redis[i]!.push((await redisCpuMs(server.client) - before) * 1e6 / members)
        client[i]!.push((used.user + used.system) * 1e3 / members)
      }
    }
    console.log([
      `bench:encode — ${grouped(members)} members in ZADDs of ${grouped(GROUP_MEMBERS)} over 12 keys, fresh keys each round; ${rounds} rounds, medians`,
      `Machine: ${machineLine()}`,
      '',
      table(['how', '>client CPU ns/member', '>Redis CPU ns/member', '>client / Redis'], ways.map(([name], i) => [
        name, grouped(median(client[i]!)), grouped(median(redis[i]!)), `${grouped(median(client[i]!) / median(redis[i]!), 2)}x`
      ]))
    ].join('\n'))
  } finally {
    socket.destroy()
    await server.stop()
    await rm(dir, { recursive: true, force: true })
  }
}

await main()
