/** The command line through main(argv): output, files written and exit statuses, exactly. */
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { execFile, spawnSync } from 'node:child_process'
import { mkdtempSync, mkdirSync, readFileSync, readdirSync, copyFileSync, existsSync, rmSync, symlinkSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { promisify } from 'node:util'
import { expandPaths } from '../src/cli/files.js'
import { COMMANDS } from '../src/cli/main.js'
import { potiron } from './helpers/cli.js'
import { BIN, FIXTURES, ROOT } from './helpers/shared.js'

const DNS = join(FIXTURES, 'lab-dnsicmp-1-20130530224517.pcap')

/** potiron() with each stream as one text, every line ended by a newline. */
async function run (...argv: string[]): Promise<{ status: number, out: string, err: string }> {
  const text = (lines: string[]): string => lines.map(t => t.endsWith('\n') ? t : t + '\n').join('')
  const r = await potiron(...argv)
  return { status: r.status, out: text(r.out), err: text(r.err) }
}

test('inspect --json reports one object per file with exact counts', async () => {
  const { status, out, err } = await run('inspect', '--json', DNS)
  assert.equal(status, 0)
  assert.equal(err, '')
  const r = JSON.parse(out)
  assert.deepEqual({ format: r.format, gzip: r.gzip, precision: r.precision, linktypes: r.linktypes, packets: r.packets, ipv4: r.ipv4, ipv6: r.ipv6, protocols: r.protocols, first: r.first, last: r.last, perDay: r.perDay, top: r.topDestinationPorts.slice(0, 2), counted: r.counted }, {
    format: 'pcap', gzip: false, precision: 'usec', linktypes: [{ linktype: 1, name: 'ETHERNET', supported: true }], packets: 32, ipv4: 32, ipv6: 0,
    protocols: { 1: 22, 17: 10 }, first: '2013-05-30T22:45:17.270862000Z', last: '2013-05-30T22:45:30.408495000Z', perDay: { 20130530: 32 }, top: [[53, 5], [50082, 1]], counted: 32
  })
})

test('a bad file among good ones: its error names the file and offset, the others carry on, exit 1', async () => {
  const bad = join(ROOT, 'package.json')
  const { status, out, err } = await run('inspect', '--json', DNS, bad)
  assert.equal(status, 1)
  assert.equal(out.trim().split('\n').length, 2)
  assert.match(err, /package\.json: .*\(at byte offset 0\)/)
})

test('a truncated last record is a warning, not a failure', async () => {
  const { status, err } = await run('inspect', join(FIXTURES, 'lab-truncated-1-20040513101707.pcap'))
  assert.equal(status, 0)
  assert.match(err, /^potiron: warning: .*lab-truncated-1-20040513101707\.pcap: .*\(at byte offset 25733\)\n$/)
})

test('inspect (text): protocols named beside their numbers, days as YYYY-MM-DD', async () => {
  const { status, out, err } = await run('inspect', DNS)
  assert.deepEqual([status, err], [0, ''])
  assert.equal(out, `${DNS}
  format      pcap (usec)
  link types  1 ETHERNET
  packets     32 (IPv4 32, IPv6 0, other 0), 3,100 bytes captured
  protocols   1 icmp: 22, 17 udp: 10
  first, last 2013-05-30T22:45:17.270862000Z, 2013-05-30T22:45:30.408495000Z
  days        2013-05-30: 32
  anomalies   0 malformed, 0 cut by the snap length, 0 without timestamp, 0 with a time beyond year 9999
  top dports  53 (5), 50082 (1), 51677 (1), 54627 (1), 57086 (1), 60038 (1)
  top src AS  private (22), 15169 Google LLC (4), 3356 Level 3 Communications, Inc. (3), 19893 NTT Global Data Centers Americas, INC. (3)
  top src cc  private (22), US United States (10)
`)
})

test('inspect (text): a missing or unreadable file is its error alone, on stderr; a warning is said once', async () => {
  // Beside package.json, so the sorted order of the two does not depend on where the checkout is.
  const missing = join(ROOT, 'no-such-capture.pcap')
  const bad = join(ROOT, 'package.json')
  const failed = await run('inspect', missing, DNS, bad)
  assert.equal(failed.status, 1)
  assert.deepEqual(failed.out.split('\n')[0], DNS)
  assert.deepEqual(failed.out.split('\n').filter(line => !line.startsWith('  ')), [DNS, ''])
  assert.equal(failed.err, `potiron: ${missing}: cannot read: ENOENT: no such file or directory, stat '${missing}' (at byte offset 0)
potiron: ${bad}: not a pcap or pcapng file: magic 0x7b0a2020 (at byte offset 0)
`)
  const truncated = join(FIXTURES, 'lab-truncated-1-20040513101707.pcap')
  const warned = await run('inspect', truncated)
  assert.equal(warned.status, 0)
  assert.equal(warned.out, `${truncated}
  format      pcap (usec)
  link types  1 ETHERNET
  packets     42 (IPv4 42, IPv6 0, other 0), 25,037 bytes captured
  protocols   6 tcp: 40, 17 udp: 2
  first, last 2004-05-13T10:17:07.311224000Z, 2004-05-13T10:17:37.374452000Z
  days        2004-05-13: 42
  anomalies   0 malformed, 0 cut by the snap length, 0 without timestamp, 0 with a time beyond year 9999
  top dports  80 (19), 3372 (17), 3371 (4), 53 (1), 3009 (1)
  top src AS  3209 Vodafone GmbH (21), 701 Verizon Business (17), 15169 Google LLC (4)
  top src cc  DE Germany (21), US United States (21)
`)
  assert.equal(warned.err, `potiron: warning: ${truncated}: capture cut short inside a record (43 of 70 bytes) (at byte offset 25733)\n`)
})

/** DNS's capture, written to `dir`, failing at its third record (offset `third`): a captured length past the 256 KiB limit. */
function cutAfterTwo (dir: string): { file: string, third: number } {
  const capture = readFileSync(DNS)
  const third = 24 + 2 * 16 + capture.readUInt32LE(24 + 8) + capture.readUInt32LE(24 + 16 + capture.readUInt32LE(24 + 8) + 8)
  capture.writeUInt32LE(0x7fffffff, third + 8)
  const file = join(dir, 'lab-dnsicmp-1-20130530224517.pcap')
  writeFileSync(file, capture)
  return { file, third }
}

test('inspect (text): a capture that fails midway shows what was read before its error', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'potiron-inspect-cut-'))
  try {
    const { file, third } = cutAfterTwo(dir)
    const { status, out, err } = await run('inspect', file)
    assert.equal(status, 1)
    assert.deepEqual(out.split('\n').slice(0, 4), [file, '  format      pcap (usec)', '  link types  1 ETHERNET', '  packets     2 (IPv4 2, IPv6 0, other 0), 204 bytes captured'])
    assert.equal(out.split('\n').length, 12)
    assert.equal(err.split('\n').length, 2)
    assert.match(err, new RegExp(`^potiron: ${file.replaceAll('.', '\\.')}: .*\\(at byte offset ${third}\\)\n$`))
  } finally {
    rmSync(dir, { recursive: true, force: true })
  }
})

test('usage errors exit 2 with one clear line', async () => {
  assert.equal((await run()).status, 2)
  assert.equal((await run('frobnicate')).status, 2)
  const tz = await run('inspect', '--tz', 'Mars/Olympus', DNS)
  assert.equal(tz.status, 2)
  assert.match(tz.err, /--tz: unknown time zone 'Mars\/Olympus'/)
  const fields = await run('json', DNS, '--out', tmpdir(), '--no-such-flag')
  assert.equal(fields.status, 2)
})

test('json writes the original documents under OUT/YYYY/MM/DD', async () => {
  const out = mkdtempSync(join(tmpdir(), 'potiron-json-'))
  try {
    const { status } = await run('json', DNS, '--out', out, '--ipv4-only')
    assert.equal(status, 0)
    const text = readFileSync(join(out, '2013', '05', '30', 'lab-dnsicmp-1-20130530224517.json'), 'utf8')
    const docs = JSON.parse(text) as Array<Record<string, unknown>>
    assert.equal(docs.length, 33)
    assert.equal(text.slice(0, 96), '[{"type": 1, "sensorname": "lab-dnsicmp-1", "filename": "lab-dnsicmp-1-20130530224517.pcap", "fo')
    assert.deepEqual(docs[1], {
      timestamp: '2013-05-30 22:45:17.270862', length: '66', protocol: 17, ipsrc: '192.168.43.9', ipdst: '192.168.43.1', ipttl: '64', iptos: '0x00',
      tcpseq: -1, tcpack: -1, icmpcode: 255, icmptype: 255, sport: '51677', dport: '53', packet_id: 0, type: 2, state: 0
    })
    assert.deepEqual(Object.keys(docs[1]), ['timestamp', 'length', 'protocol', 'ipsrc', 'ipdst', 'ipttl', 'iptos', 'tcpseq', 'tcpack', 'icmpcode', 'icmptype', 'sport', 'dport', 'packet_id', 'type', 'state'])
    const icmp = docs.find(d => d.protocol === 1)!
    assert.deepEqual([icmp.sport, icmp.dport, icmp.icmptype, icmp.icmpcode], [-1, -1, '8', '0'])
  } finally {
    rmSync(out, { recursive: true, force: true })
  }
})

test('json of a capture that fails midway keeps the documents read before it as .partial, and says where', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'potiron-json-cut-'))
  try {
    const { file } = cutAfterTwo(dir)
    const { status, err } = await run('json', file, '--out', join(dir, 'out'), '--ipv4-only')
    const partial = join(dir, 'out', '2013', '05', '30', 'lab-dnsicmp-1-20130530224517.json.partial')
    assert.equal(status, 1)
    assert.match(err, new RegExp(`; 2 documents kept in ${partial.replaceAll('.', '\\.')}\n$`))
    assert.equal(readFileSync(partial, 'utf8').split('"packet_id"').length - 1, 2)
    assert.equal(existsSync(partial.replace(/\.partial$/, '')), false)
  } finally {
    rmSync(dir, { recursive: true, force: true })
  }
})

test('json: a capture name of up to 255 bytes keeps its documents\' name; a .partial that would not fit is shortened', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'potiron-json-long-'))
  try {
    const good = `lab-${'o'.repeat(223)}-1-20130530224517.pcap`
    const cut = `lab-${'c'.repeat(227)}-1-20130530224517.cap`
    assert.deepEqual([Buffer.byteLength(good), Buffer.byteLength(cut)], [249, 252])
    copyFileSync(DNS, join(dir, good))
    const capture = readFileSync(DNS)
    // The third record's captured length runs past the 256 KiB limit.
    const third = 24 + 2 * 16 + capture.readUInt32LE(24 + 8) + capture.readUInt32LE(24 + 16 + capture.readUInt32LE(24 + 8) + 8)
    capture.writeUInt32LE(0x7fffffff, third + 8)
    writeFileSync(join(dir, cut), capture)
    const days = join(dir, 'out', '2013', '05', '30')
    const ok = await run('json', join(dir, good), '--out', join(dir, 'out'))
    assert.deepEqual([ok.status, ok.err], [0, `${join(dir, good)}: 32 documents → ${join(days, good.replace(/\.pcap$/, '.json'))}\n`])
    // <stem>.json is 253 bytes: with .partial after it, 8 hex digits of its SHA-256 take its middle's place.
    const json = `lab-${'c'.repeat(227)}-1-20130530224517.json`
    const partial = `${json.slice(0, 119)}-fc3ad01e-${json.slice(-118)}.partial`
    const failed = await run('json', join(dir, cut), '--out', join(dir, 'out'))
    assert.equal(failed.status, 1)
    assert.ok(failed.err.endsWith(`; 2 documents kept in ${join(days, partial)}\n`), failed.err)
    assert.deepEqual(readdirSync(days).sort(), [partial, good.replace(/\.pcap$/, '.json')])
  } finally {
    rmSync(dir, { recursive: true, force: true })
  }
})

test('a file name without sensor is a per-file error unless --sensor is given', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'potiron-name-'))
  try {
    const odd = join(dir, 'capture.pcap')
    copyFileSync(DNS, odd)
    const failed = await run('json', odd, '--out', dir)
    assert.equal(failed.status, 1)
    assert.match(failed.err, /capture\.pcap: cannot tell the sensor: .*pass --sensor NAME/)
    const ok = await run('json', odd, '--out', dir, '--sensor', 'lab-1')
    assert.equal(ok.status, 0)
    assert.ok(existsSync(join(dir, '2013', '05', '30', 'capture.json')))
  } finally {
    rmSync(dir, { recursive: true, force: true })
  }
})

test('--help: every command says what it does and shows examples', async () => {
  const commands = ['inspect', 'json', 'ingest', 'status', 'redis', 'import-json', 'remove', 'export', 'plot', 'report', 'serve']
  const top = await potiron('--help')
  assert.equal(top.status, 0)
  for (const command of commands) assert.match(top.out.join('\n'), new RegExp(`^  potiron ${command}\\b`, 'm'), command)
  for (const command of commands) {
    const help = await potiron(command, '--help')
    assert.equal(help.status, 0, command)
    const text = help.out.join('\n')
    assert.ok(text.startsWith(`potiron ${command}`), text.slice(0, 80))
    assert.match(text, new RegExp(`^Examples:\\n  potiron ${command}\\b`, 'm'), command)
  }
})

test('--help fits 80 columns: each example whole on its own line, its description indented below it', async () => {
  const help = async (...args: string[]): Promise<string[]> => {
    const run = await potiron(...args, '--help')
    assert.equal(run.status, 0, args.join(' '))
    return run.out.join('\n').split('\n')
  }
  for (const args of [[], ...COMMANDS.map(c => c.usage.split(' ').slice(0, 1))]) {
    for (const line of await help(...args)) assert.ok(line.length <= 80, `potiron ${args.join(' ')} --help, ${line.length} columns: ${line}`)
  }
  for (const c of COMMANDS) {
    const lines = await help(c.usage.split(' ')[0]!)
    const start = lines.indexOf('Examples:')
    assert.ok(start > 0, c.usage)
    const end = lines.indexOf('', start)
    const block = lines.slice(start + 1, end === -1 ? undefined : end)
    assert.deepEqual(block, c.examples.flatMap(([line, description]) => [`  ${line.replace('$0', 'potiron')}`, `      ${description}`]), c.usage)
  }
  const ingest = await help('ingest')
  assert.deepEqual(ingest.slice(ingest.indexOf('Examples:')), [
    'Examples:',
    '  potiron ingest captures/ --unix /run/redis/potiron.sock',
    '      Every capture under captures/, one thread per core',
    "  potiron ingest '2024/**/*.pcap.gz' --combined-keys --ipv4-only",
    "      Per-protocol keys too, and the original's packet selection",
    '  potiron ingest captures/ --redis redis://db:6379/1',
    '      Into database 1 of the Redis on host db',
    '  potiron ingest captures/ --report site/',
    '      Then write site/index.html: a report per sensor and month ingested',
    '  potiron ingest captures/ --dry-run',
    '      What it would read, skip and write',
    '  potiron ingest /shared/captures/ --queue backfill',
    "      One job per file on queue backfill, for 'worker --queue backfill'",
    '  potiron ingest /shared/captures/ --queue backfill --wait',
    '      The same, then the progress and summary of the workers counting them',
    "  potiron ingest captures/ --filter 'tcp and dst port 22'",
    '      Count only what reaches port 22 over TCP (the database keeps the filter)'
  ])
})

test('run by npm run potiron, --help shows its usage and examples as npm run potiron -- ..., still within 80 columns', async () => {
  const previous = process.env.npm_lifecycle_event
  process.env.npm_lifecycle_event = 'potiron'
  try {
    const top = (await potiron('--help')).out.join('\n').split('\n')
    assert.equal(top[0], 'npm run potiron -- <command> [options]')
    for (const c of COMMANDS) {
      const lines = (await potiron(c.usage.split(' ')[0]!, '--help')).out.join('\n').split('\n')
      assert.equal(lines[0], `npm run potiron -- ${c.usage}`)
      for (const line of lines) assert.ok(line.length <= 80, `${c.usage}, ${line.length} columns: ${line}`)
      const start = lines.indexOf('Examples:')
      assert.deepEqual(lines.slice(start + 1).filter(line => !line.startsWith('      ')), c.examples.map(([line]) => `  ${line.replace('$0', 'npm run potiron --')}`))
    }
  } finally {
    if (previous === undefined) delete process.env.npm_lifecycle_event
    else process.env.npm_lifecycle_event = previous
  }
})

test('PATHs: files as given, directories walked for captures (.pcap .cap .pcapng and .gz, any case), globs; sorted, once each', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'potiron-paths-'))
  try {
    for (const name of ['b.pcap', 'a.CAP', 'sub/c.pcapng', 'sub/deep/d.pcap.gz', 'sub/e.cap.gz', 'sub/f.pcapng.gz', 'notes.txt', 'sub/g.json', 'other/h.pcap']) {
      mkdirSync(join(dir, name, '..'), { recursive: true })
      writeFileSync(join(dir, name), '')
    }
    const walked = ['a.CAP', 'b.pcap', 'other/h.pcap', 'sub/c.pcapng', 'sub/deep/d.pcap.gz', 'sub/e.cap.gz', 'sub/f.pcapng.gz'].map(n => join(dir, n))
    const warnings: string[] = []
    const expand = async (...paths: string[]): Promise<string[]> => await expandPaths(paths, line => { warnings.push(line) })
    assert.deepEqual(await expand(dir), walked)
    // A file given twice, inside a directory given too, and a glob: each file once, in order.
    assert.deepEqual(await expand(join(dir, 'sub'), join(dir, 'b.pcap'), join(dir, '*.pcap'), join(dir, 'sub', 'c.pcapng'), join(dir, 'notes.txt')),
      [join(dir, 'b.pcap'), join(dir, 'notes.txt'), ...walked.slice(3)])
    // A missing file is kept: reading it reports it, as a failed file.
    assert.deepEqual(await expand(join(dir, 'missing.pcap')), [join(dir, 'missing.pcap')])
    await assert.rejects(expand(join(dir, 'other', '*.pcapng')), { name: 'UsageError', message: `${join(dir, 'other', '*.pcapng')}: the pattern matches no file` })
    mkdirSync(join(dir, 'empty'))
    await assert.rejects(expand(join(dir, 'empty')), { name: 'UsageError', message: `${join(dir, 'empty')}: no capture files (**/*.{pcap,cap,pcapng,pcap.gz,cap.gz,pcapng.gz}) in this directory` })
    assert.deepEqual(warnings, [])
  } finally {
    rmSync(dir, { recursive: true, force: true })
  }
})

test('symbolic links: each real directory walked once, each file listed once, loops and dangling links said; the walk ends', async () => {
  const top = mkdtempSync(join(tmpdir(), 'potiron-links-'))
  const root = join(top, 'root')
  try {
    for (const file of ['root/a/x.pcap', 'outside/linked.pcap', 'outside/only-via-up.pcap']) {
      mkdirSync(join(top, file, '..'), { recursive: true })
      copyFileSync(DNS, join(top, file))
    }
    symlinkSync('..', join(root, 'a', 'loop')) // back to root: a loop
    symlinkSync('..', join(root, 'up')) // to top, which holds root: a loop one level further
    symlinkSync('../outside/linked.pcap', join(root, 'f.pcap')) // a file outside the walked directory
    symlinkSync('a/x.pcap', join(root, 'g.pcap')) // a second path to a file listed already
    symlinkSync('a', join(root, 'z')) // a second path to a directory walked already
    symlinkSync('nowhere.pcap', join(root, 'dead.pcap'))
    // In a process of its own, killed after 20 s: a walk that does not end fails the test instead of hanging it.
    const inspect = async (path: string): Promise<{ files: string[], stderr: string }> => {
      const { stdout, stderr } = await promisify(execFile)(process.execPath, [BIN, 'inspect', '--json', path], { timeout: 20_000, killSignal: 'SIGKILL' })
      return { files: stdout.trim().split('\n').map(line => (JSON.parse(line) as { file: string }).file), stderr }
    }
    const { files, stderr } = await inspect(root)
    assert.deepEqual(files, [join(root, 'a', 'x.pcap'), join(root, 'f.pcap'), join(root, 'up', 'outside', 'only-via-up.pcap')])
    assert.equal(stderr, [
      `potiron: warning: ${join(root, 'a', 'loop')}: a symbolic link loop (${join(root, 'a', 'loop')} is ${root}), not walked again`,
      `potiron: warning: ${join(root, 'dead.pcap')}: a symbolic link to nowhere.pcap, which does not exist; skipped`,
      `potiron: warning: ${join(root, 'up')}: a symbolic link loop (${join(root, 'up', 'root')} is ${root}), not walked again`,
      ''
    ].join('\n'))
    // A glob follows links to files, not to directories (as a shell's ** does not).
    const glob = await inspect(join(root, '**', '*.pcap'))
    assert.deepEqual(glob.files, [join(root, 'a', 'x.pcap'), join(root, 'f.pcap')])
    assert.equal(glob.stderr, `potiron: warning: ${join(root, 'dead.pcap')}: a symbolic link to nowhere.pcap, which does not exist; skipped\n`)
  } finally {
    rmSync(top, { recursive: true, force: true })
  }
})

test("the outputs of the README's commands (site/, the exports' default out/) are git-ignored in the checkout", (t) => {
  if (!existsSync(join(ROOT, '.git'))) { t.skip('not a git checkout'); return }
  const ignored = spawnSync('git', ['check-ignore', 'site/index.html', 'out/ipsrc.csv'], { cwd: ROOT, encoding: 'utf8' })
  assert.equal(ignored.stdout, 'site/index.html\nout/ipsrc.csv\n')
})

test('output into a pipe closed early (potiron inspect ... | head -1): a quiet exit, no internal error or stack', () => {
  // `head -1` reads one line and exits; potiron's next write meets a closed pipe (EPIPE).
  const r = spawnSync('sh', ['-c', `node ${JSON.stringify(BIN)} inspect ${JSON.stringify(FIXTURES)} | head -1`], { encoding: 'utf8' })
  assert.equal(r.stderr, '')
  assert.equal(r.stdout, join(FIXTURES, 'lab-dnsicmp-1-20130530224517.pcap') + '\n')
})
