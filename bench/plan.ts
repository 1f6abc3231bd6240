/**
 * Plan time of real-size configs as a user meets it: `node dist/cli/bin.js dry-run CONFIG` in a fresh process,
 * Node start-up, config loading and rendering included (issue 13 §5: under two seconds).
 *
 * - with MMSelfSup's corpus (`LOOPWRIGHT_CORPUS`, default /work/corpus, holding mmselfsup/ and mmpretrain/):
 *   its five largest configs at the world size their names state (about a million iterations each);
 * - always: this repository's own configs at the same sizes (test/fixtures/plan-scale: 200 ImageNet-1k epochs
 *   at world size 8, and a million-iteration loop), and the first of them at max_epochs=1e12;
 * - always: `--help`, the start-up alone, for scale.
 *
 * Needs `npm run build` first (dist/). Wall times are medians of side-by-side runs; the machine's load average
 * is printed with them, since a shared machine stretches every one of them alike.
 */
import { spawnSync } from 'node:child_process'
import * as fs from 'node:fs'
import * as os from 'node:os'
import * as path from 'node:path'
import { performance } from 'node:perf_hooks'

interface Case {
  readonly name: string
  /** The executable's arguments. */
  readonly args: ReadonlyArray<string>
  /** Give up after this long (default two minutes). */
  readonly limitMs?: number
}

const dryRun = (...args: ReadonlyArray<string>): ReadonlyArray<string> => ['dry-run', ...args]

const bin = path.resolve('dist/cli/bin.js')

const corpusCases = (root: string): ReadonlyArray<Case> => {
  const selfsup = path.join(root, 'mmselfsup', 'configs', 'selfsup')
  const packages = ['--config-package', `mmcls=${path.join(root, 'mmpretrain')}`]
  return [
    'densecl/densecl_resnet50_8xb32-coslr-200e_in1k.py',
    'swav/swav_resnet50_8xb32-mcrop-2-6-coslr-200e_in1k-224-96.py',
    'simsiam/simsiam_resnet50_8xb32-coslr-200e_in1k.py',
    'simclr/simclr_resnet50_8xb32-coslr-200e_in1k.py',
    'beitv2/beitv2_vit-base-p16_8xb256-amp-coslr-1600e_in1k.py',
    // 492 param-wise groups over 1,600 epochs (two kinds of group: sharedSchedules.ts).
    'mae/mae_vit-huge-p16_8xb512-amp-coslr-1600e_in1k.py',
  ]
    .map((c) => path.join(selfsup, c))
    .filter((file) => fs.existsSync(file))
    .map((file) => ({ name: path.basename(file, '.py'), args: dryRun(file, '--world-size', '8', ...packages) }))
}

const ownCases = (): ReadonlyArray<Case> => {
  const dir = path.resolve('test/fixtures/plan-scale')
  const epochs = path.join(dir, 'imagenet-scale_resnet50_8xb32-warmcos-200e.py')
  const iters = path.join(dir, 'imagenet-scale_vit_8xb128-iters-1e6.py')
  return [
    { name: 'own: 200 epochs of ImageNet-1k, 8 processes', args: dryRun(epochs, '--world-size', '8') },
    {
      name: 'own: 1,000,000 iterations (IterBasedTrainLoop)',
      args: dryRun(iters, '--world-size', '8'),
    },
    // ODCHook and CollapseDetectionHook have cadences: our self-supervised configs are fast-forwarded too.
    {
      name: 'own: configs/selfsup/odc_smallcnn_fashionmnist.py',
      args: dryRun(path.resolve('configs/selfsup/odc_smallcnn_fashionmnist.py')),
    },
    // Whole epochs repeat once a period (here 200 epochs: the `Exp name` lines at 5,005 batches) was interpreted.
    {
      name: 'own: max_epochs=1e12',
      args: dryRun(epochs, '--world-size', '8', '--cfg-options', 'train_cfg.max_epochs=1000000000000'),
      limitMs: 20_000,
    },
    // Blocks of iterations (50,000: validation and checkpoints) repeat as epochs do.
    {
      name: 'own: max_iters=1e12 (IterBasedTrainLoop)',
      args: dryRun(iters, '--world-size', '8', '--cfg-options', 'train_cfg.max_iters=1000000000000'),
      limitMs: 20_000,
    },
  ]
}

/**
 * CPU milliseconds (user + system) of this process's finished children, where Linux says (`/proc/self/stat`
 * cutime + cstime, in clock ticks of 10 ms): on a shared machine it moves far less than wall time.
 */
const childrenCpuMs = (): number | undefined => {
  try {
    const fields = fs.readFileSync('/proc/self/stat', 'utf8').split(') ')[1]!.split(' ')
    return (Number(fields[13]) + Number(fields[14])) * 10
  } catch {
    return undefined
  }
}

const cpu: Map<string, number[]> = new Map()

/** One plan in a fresh process: wall milliseconds, or why it did not finish. */
const planOnce = (c: Case): number | string => {
  const cpuBefore = childrenCpuMs()
  const start = performance.now()
  const limit = c.limitMs ?? 120_000
  const run = spawnSync(process.execPath, [bin, ...c.args], { encoding: 'utf8', timeout: limit })
  const ms = performance.now() - start
  if (run.error !== undefined) return `did not finish in ${limit / 1000} s`
  if (run.status !== 0) return `exit ${run.status}: ${run.stderr.split('\n')[0]}`
  const cpuAfter = childrenCpuMs()
  if (cpuBefore !== undefined && cpuAfter !== undefined)
    cpu.set(c.name, [...(cpu.get(c.name) ?? []), cpuAfter - cpuBefore])
  return ms
}

export const planBench = async (rounds = 3) => {
  if (!fs.existsSync(bin)) {
    console.log('plan: dist/cli/bin.js is missing (npm run build first)')
    return
  }
  const root = process.env['LOOPWRIGHT_CORPUS'] ?? '/work/corpus'
  const corpus = fs.existsSync(path.join(root, 'mmselfsup')) ? corpusCases(root) : []
  if (corpus.length === 0)
    console.log(`(no MMSelfSup corpus under ${root}: set LOOPWRIGHT_CORPUS to plan its largest configs too)`)
  const cases: ReadonlyArray<Case> = [{ name: 'start-up alone (--help)', args: ['--help'] }, ...corpus, ...ownCases()]
  const times = cases.map(() => [] as Array<number | string>)
  for (let r = 0; r < rounds; r++)
    for (const [i, c] of cases.entries()) {
      // A case that did not finish is not tried again.
      if (times[i]!.some((t) => typeof t === 'string')) continue
      times[i]!.push(planOnce(c))
    }
  console.log(`plan time, fresh process each (median of ${rounds}; load average ${os.loadavg()[0]!.toFixed(1)}):`)
  for (const [i, c] of cases.entries()) {
    const failed = times[i]!.find((t) => typeof t === 'string')
    const ms = times[i]!.filter((t): t is number => typeof t === 'number').sort((a, b) => a - b)
    const median = ms[Math.floor(ms.length / 2)]
    const cpuMs = [...(cpu.get(c.name) ?? [])].sort((a, b) => a - b)
    const cpuText = cpuMs.length === 0 ? '' : `  ${(cpuMs[Math.floor(cpuMs.length / 2)]! / 1000).toFixed(2)} s cpu`
    console.log(
      `  ${c.name.padEnd(58)} ` +
        `${failed !== undefined ? failed : `${(median! / 1000).toFixed(2).padStart(6)} s wall${cpuText}`}`,
    )
  }
}

// `npx tsx bench/plan.ts` runs this benchmark alone.
if (process.argv[1] !== undefined && path.resolve(process.argv[1]) === path.resolve('bench/plan.ts')) await planBench()
