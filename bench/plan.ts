/**
 * Plan time of MMSelfSup-sized configs, in process (Node start-up aside).
 *
 * - always: the test fixture `simsiam-style_resnet18_8xb32-coslr-1e_in1k.py` at world size 8
 *   (ImageNet-1k: 5,005 iterations), through package bases, the Python reader and the dry run;
 * - with `LOOPWRIGHT_MMSELFSUP_DIR` (and `LOOPWRIGHT_CONFIG_PACKAGES=mmcls=...`): the largest
 *   configs of MMSelfSup's corpus, once each (they take minutes while plans walk every
 *   iteration; see docs/mmselfsup-configs.md).
 */
import * as path from 'node:path'
import { Effect } from 'effect'
import { load } from '../src/config/load.js'
import { packagesFromEnv } from '../src/config/packages.js'
import { toProgram } from '../src/config/toProgram.js'
import { dryRun } from '../src/interpreters/dry/dryRun.js'
import { defaultRegistries } from '../src/interpreters/registries.js'
import { measure, report } from './harness.js'

const planOnce = async (file: string, packages: ReadonlyMap<string, string>, worldSize: number) => {
  const loaded = await Effect.runPromise(load(file, { packages, registries: defaultRegistries }))
  const plan = await Effect.runPromise(
    dryRun(toProgram(loaded.config), { worldSize, traceLimit: 0, configName: path.basename(file, '.py') }),
  )
  return plan.loops.train?.maxIters ?? 0
}

const largest = [
  'configs/selfsup/densecl/densecl_resnet50_8xb32-coslr-200e_in1k.py',
  'configs/selfsup/swav/swav_resnet50_8xb32-mcrop-2-6-coslr-200e_in1k-224-96.py',
  'configs/selfsup/simsiam/simsiam_resnet50_8xb32-coslr-200e_in1k.py',
]

export const planBench = async () => {
  const fixtureDir = path.resolve('test/fixtures/selfsup-style')
  const fixture = path.join(fixtureDir, 'simsiam-style_resnet18_8xb32-coslr-1e_in1k.py')
  const fixturePackages = new Map([['selfsupfix', path.join(fixtureDir, 'pkg')]])
  const iters = await planOnce(fixture, fixturePackages, 8)
  const results = [
    await measure(
      `plan: SimSiam-style 8xb32, 1 epoch of ImageNet-1k (${iters} iterations)`,
      5,
      () => planOnce(fixture, fixturePackages, 8),
      { units: iters, unit: 'iterations' },
    ),
  ]
  const corpus = process.env['LOOPWRIGHT_MMSELFSUP_DIR']
  const packages = packagesFromEnv(process.env['LOOPWRIGHT_CONFIG_PACKAGES'])
  if (corpus !== undefined && packages._tag === 'Right') {
    for (const config of largest) {
      const file = path.join(corpus, config)
      const n = await planOnce(file, packages.right, 8)
      results.push(
        await measure(
          `plan: ${path.basename(config, '.py')} (${n} iterations, once)`,
          1,
          () => planOnce(file, packages.right, 8),
          { units: n, unit: 'iterations' },
        ),
      )
    }
  } else
    console.log(
      '(set LOOPWRIGHT_MMSELFSUP_DIR and LOOPWRIGHT_CONFIG_PACKAGES=mmcls=DIR to plan ' +
        'the largest MMSelfSup configs too)',
    )
  console.log(report(results))
}
