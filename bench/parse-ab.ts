/**
 * One side of a before/after comparison of the parse: `node dist/bench/parse-ab.js TREE CAPTURE`
 * parses CAPTURE with the twelve default fields through TREE's built analyzeFile (TREE: a
 * checkout with dist/, e.g. a worktree of an older commit) three times in this fresh process and
 * prints the best time, ms. Alternate two trees in a shell loop and compare medians
 * (bench/RESULTS.md, "The parse before and after").
 */
const [tree, capture] = process.argv.slice(2)
if (tree === undefined || capture === undefined) throw new Error('usage: node dist/bench/parse-ab.js TREE CAPTURE')
const { analyzeFile } = await import(`${tree}/dist/src/aggregate/analyze-file.js`) as typeof import('../src/aggregate/analyze-file.js')
const { raiseInliningBudget } = await import(`${tree}/dist/src/aggregate/inlining.js`) as typeof import('../src/aggregate/inlining.js')
const { PACKET_FIELDS } = await import('../src/aggregate/fields.js')
raiseInliningBudget()
const times: number[] = []
for (let i = 0; i < 3; i++) {
  const start = process.hrtime.bigint()
  const r = await analyzeFile(capture, { fields: PACKET_FIELDS, combinedKeys: false, selection: 'default', zone: undefined })
  times.push(Number(process.hrtime.bigint() - start) / 1e6)
  if (r.stats.counted === 0) throw new Error(`${capture}: nothing counted`)
}
console.log(Math.min(...times).toFixed(1))
