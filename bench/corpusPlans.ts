/**
 * The sweep of issue 13: every config of MMSelfSup's corpus under `configs/selfsup/` and
 * `configs/benchmarks/classification/` (`_base_` folders aside) planned by `node dist/cli/bin.js dry-run` in a
 * fresh process each, at the world size its name states (`8xb32` → 8; none → 1), with `mmcls::` bases resolved
 * in the corpus's MMPretrain, timed by `/usr/bin/time -f '%e %U %S'` (wall, user and system seconds).
 *
 * ```bash
 * npm run build && nice -n 19 npx tsx bench/corpusPlans.ts /work/corpus [--out results.json] [--only mae]
 * ```
 *
 * CORPUS holds `mmselfsup/` and `mmpretrain/` (clones of open-mmlab's repositories); the project reads it nowhere
 * else. On a shared machine wall time stretches with the load (printed); CPU time (user + system) much less.
 */
import { spawnSync } from 'node:child_process'
import * as fs from 'node:fs'
import * as os from 'node:os'
import * as path from 'node:path'

/** One config's outcome. */
interface Outcome {
  readonly config: string
  readonly worldSize: number
  /** 0: planned; 2: refused (bad input); other: a failure. */
  readonly status: number | null
  readonly wall: number
  readonly cpu: number
  /** The first line on stderr, when it did not plan. */
  readonly error: string | undefined
}

/** The world size a config's name states (`8xb32` → 8), or 1. */
export const worldSizeOf = (file: string): number => {
  const m = /(?:^|[_-])(\d+)xb\d+/.exec(path.basename(file))
  return m === null ? 1 : Number(m[1])
}

/** The `.py` files under `dir`, `_base_` folders aside, sorted. */
const configsUnder = (dir: string): string[] =>
  fs.existsSync(dir)
    ? fs
        .readdirSync(dir, { recursive: true, encoding: 'utf8' })
        .filter((f) => f.endsWith('.py') && !f.split(path.sep).includes('_base_'))
        .map((f) => path.join(dir, f))
        .sort()
    : []

const planned = (corpus: string, file: string, bin: string): Outcome => {
  const worldSize = worldSizeOf(file)
  const args = ['-f', '%e %U %S', process.execPath, bin, 'dry-run', file, '--world-size', String(worldSize)]
  args.push('--config-package', `mmcls=${path.join(corpus, 'mmpretrain')}`)
  const run = spawnSync('/usr/bin/time', args, { encoding: 'utf8', stdio: ['ignore', 'ignore', 'pipe'] })
  const lines = (run.stderr ?? '').trimEnd().split('\n')
  // /usr/bin/time writes its line last (after "Command exited with non-zero status N" when it failed).
  const [wall, user, system] = (lines.at(-1) ?? '').split(' ').map(Number)
  const status = run.status
  const config = path.relative(path.join(corpus, 'mmselfsup'), file)
  return {
    config,
    worldSize,
    status,
    wall: wall ?? Number.NaN,
    cpu: (user ?? Number.NaN) + (system ?? Number.NaN),
    error: status === 0 ? undefined : lines[0],
  }
}

const seconds = (s: number): string => `${s.toFixed(2)} s`

const main = () => {
  const argv = process.argv.slice(2)
  const corpus = argv.find((a, i) => !a.startsWith('--') && !['--out', '--only'].includes(argv[i - 1] ?? ''))
  const option = (name: string) => {
    const i = argv.indexOf(name)
    return i < 0 ? undefined : argv[i + 1]
  }
  if (corpus === undefined || !fs.existsSync(path.join(corpus, 'mmselfsup'))) {
    console.error('usage: npx tsx bench/corpusPlans.ts CORPUS [--out FILE.json] [--only TEXT] (CORPUS/mmselfsup)')
    process.exitCode = 2
    return
  }
  const bin = path.resolve('dist/cli/bin.js')
  if (!fs.existsSync(bin) || !fs.existsSync('/usr/bin/time')) {
    console.error('corpusPlans: needs dist/cli/bin.js (npm run build) and /usr/bin/time')
    process.exitCode = 2
    return
  }
  const only = option('--only')
  const root = path.join(corpus, 'mmselfsup', 'configs')
  const files = [
    ...configsUnder(path.join(root, 'selfsup')),
    ...configsUnder(path.join(root, 'benchmarks', 'classification')),
  ].filter((f) => only === undefined || f.includes(only))
  const started = new Date().toISOString()
  const loads: number[] = []
  const outcomes: Outcome[] = []
  for (const file of files) {
    loads.push(os.loadavg()[0]!)
    const o = planned(corpus, file, bin)
    outcomes.push(o)
    const what = o.status === 0 ? 'planned' : `exit ${o.status}: ${o.error}`
    console.log(
      `${seconds(o.wall).padStart(9)} wall ${seconds(o.cpu).padStart(8)} cpu  ×${o.worldSize}  ${o.config}  ${what}`,
    )
  }
  const ok = outcomes.filter((o) => o.status === 0)
  const byWall = [...ok].sort((a, b) => b.wall - a.wall)
  const byCpu = [...ok].sort((a, b) => b.cpu - a.cpu)
  const sortedLoads = [...loads].sort((a, b) => a - b)
  console.log(
    `\n${files.length} configs (${started} → ${new Date().toISOString()}, load average ` +
      `${sortedLoads[0]?.toFixed(1)}–${sortedLoads.at(-1)?.toFixed(1)}, median ` +
      `${sortedLoads[Math.floor(sortedLoads.length / 2)]?.toFixed(1)} on ${os.cpus().length} cores)`,
  )
  console.log(
    `planned: ${ok.length}; under 2 s wall: ${ok.filter((o) => o.wall < 2).length}; ` +
      `under 2 s CPU: ${ok.filter((o) => o.cpu < 2).length}`,
  )
  console.log('slowest five (wall):')
  for (const o of byWall.slice(0, 5)) console.log(`  ${seconds(o.wall)} wall, ${seconds(o.cpu)} cpu  ${o.config}`)
  console.log('slowest five (CPU):')
  for (const o of byCpu.slice(0, 5)) console.log(`  ${seconds(o.cpu)} cpu, ${seconds(o.wall)} wall  ${o.config}`)
  const failed = outcomes.filter((o) => o.status !== 0)
  if (failed.length > 0) console.log(`not planned (${failed.length}):`)
  for (const o of failed) console.log(`  ${o.config}: exit ${o.status}: ${o.error}`)
  const out = option('--out')
  if (out !== undefined) fs.writeFileSync(out, `${JSON.stringify({ started, loads, outcomes }, null, 2)}\n`)
}

main()
