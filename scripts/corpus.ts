/**
 * Dry-run every config of MMSelfSup's corpus (configs/selfsup/ and
 * configs/benchmarks/classification/, `_base_` folders aside) and print a
 * table: pass/fail, plan time, and the first error. The repositories are
 * downloaded by the user; nothing here ships their configs.
 *
 *   npx tsx scripts/corpus.ts MMSELFSUP_DIR [--config-package mmcls=MMPRETRAIN_DIR ...] [--filter TEXT] [--quick]
 *     [--groups]
 *
 * `--quick` plans every config on 64-sample datasets: loading, decoding, hooks,
 * optimizer and param groups are checked as in a full plan, on short loops
 * (a full ImageNet plan fast-forwards its quiet iterations: seconds; see
 * docs/mmselfsup-configs.md).
 *
 * `--groups` adds, for each config that plans, how many param groups and
 * parameters the plan shows, or why it shows none (the model it cannot describe).
 *
 * Each config runs in this one process at the world size its name states
 * (start-up is measured by bench/, not here).
 * @module
 */
import { readdirSync, statSync } from 'node:fs'
import * as nodePath from 'node:path'
import { main } from '../src/cli/main.js'

const walk = (dir: string): string[] =>
  readdirSync(dir).flatMap((name) => {
    const full = nodePath.join(dir, name)
    if (statSync(full).isDirectory()) return name === '_base_' ? [] : walk(full)
    return name.endsWith('.py') ? [full] : []
  })

const args = process.argv.slice(2)
const root = args[0]
if (root === undefined) {
  process.stderr.write('usage: tsx scripts/corpus.ts MMSELFSUP_DIR [--config-package NAME=DIR ...] [--filter TEXT]\n')
  process.exit(2)
}
const filterAt = args.indexOf('--filter')
const filter = filterAt === -1 ? undefined : args[filterAt + 1]
const quick = args.includes('--quick')
const groups = args.includes('--groups')
const own = new Set(['--filter', '--quick', '--groups'])
const passThrough = [
  ...args.slice(1).filter((_, i, all) => !own.has(all[i]!) && all[i - 1] !== '--filter'),
  ...(quick ? ['--dataset-size', 'train=64,val=64,test=64'] : []),
]
const files = ['configs/selfsup', 'configs/benchmarks/classification']
  .flatMap((d) => walk(nodePath.join(root, d)))
  .filter((f) => filter === undefined || f.includes(filter))
  .sort()

// Capture what the CLI writes, per config.
const write = { out: process.stdout.write.bind(process.stdout), err: process.stderr.write.bind(process.stderr) }
let captured = ''
const capture = (chunk: string | Uint8Array): boolean => {
  captured += String(chunk)
  return true
}
const rows: Array<{ file: string; ok: boolean; ms: number; error: string; groups: number | undefined }> = []

/** `groups N (P params)` from a JSON plan, or the warning that says why it has none. */
const groupsOf = (json: string): { readonly line: string; readonly count: number | undefined } => {
  try {
    const plan = JSON.parse(json) as {
      paramGroups?: { groups: ReadonlyArray<{ params: ReadonlyArray<string> }> }
      warnings: ReadonlyArray<string>
    }
    if (plan.paramGroups === undefined) {
      const why = plan.warnings.find((w) => w.startsWith('param groups are not shown')) ?? 'no param groups'
      return { line: why, count: undefined }
    }
    const gs = plan.paramGroups.groups
    const params = gs.reduce((n, g) => n + g.params.length, 0)
    return { line: `param groups: ${gs.length} (${params} params)`, count: gs.length }
  } catch {
    return { line: 'param groups: the JSON plan did not parse', count: undefined }
  }
}
for (const file of files) {
  captured = ''
  process.stdout.write = capture as typeof process.stdout.write
  process.stderr.write = capture as typeof process.stderr.write
  const start = performance.now()
  let code: number
  try {
    // Each config at the world size its name states (8xb32 → 8 processes).
    const named = /(?:^|[_-])(\d+)xb\d+(?:[_-]|$)/.exec(nodePath.basename(file))
    code = await main([
      'dry-run',
      file,
      '--json',
      ...(named === null ? [] : ['--world-size', named[1]!]),
      ...passThrough,
    ])
  } catch (e) {
    code = 70
    captured += `internal error: ${(e as Error).stack ?? String(e)}`
  }
  const ms = performance.now() - start
  process.stdout.write = write.out
  process.stderr.write = write.err
  const error = code === 0 ? '' : (captured.split('\n').find((l) => l.trim() !== '') ?? `exit ${code}`)
  const described = groups && code === 0 ? groupsOf(captured) : undefined
  rows.push({
    file: nodePath.relative(root, file),
    ok: code === 0,
    ms,
    error: error.replace(root, ''),
    groups: described?.count,
  })
  process.stdout.write(
    `${code === 0 ? 'PASS' : 'FAIL'} ${ms.toFixed(0).padStart(6)} ms  ` +
      `${nodePath.relative(root, file)}` +
      `${code === 0 ? '' : `\n      ${error.replace(root, '').slice(0, 300)}`}` +
      `${described === undefined ? '' : `\n      ${described.line.slice(0, 300)}`}\n`,
  )
}
const passed = rows.filter((r) => r.ok).length
process.stdout.write(
  `\n${passed} of ${rows.length} configs plan; slowest ${Math.max(...rows.map((r) => r.ms)).toFixed(0)} ms\n`,
)
if (groups)
  process.stdout.write(`${rows.filter((r) => r.groups !== undefined).length} of ${passed} show their param groups\n`)
