import * as path from 'node:path'
import { Effect } from 'effect'
import { describe, expect, it } from 'vitest'
import { load } from '../../../../src/config/load.js'
import { toProgram } from '../../../../src/config/toProgram.js'
import { dryRun } from '../../../../src/interpreters/dry/dryRun.js'
import type { Plan } from '../../../../src/interpreters/dry/dryRun.js'
import {
  allCheckpoints,
  allEvaluations,
  allLines,
  allLogRuns,
  toArray,
} from '../../../../src/interpreters/dry/epochRuns.js'
import { defaultRegistries } from '../../../../src/interpreters/registries.js'

const planOf = async (
  name: string,
  walk: boolean,
  cfgOptions: ReadonlyArray<string> = [],
  traceLimit?: number,
): Promise<Plan> => {
  const file = path.resolve('configs/selfsup', name)
  const loaded = await Effect.runPromise(load(file, { registries: defaultRegistries, cfgOptions }))
  return Effect.runPromise(
    dryRun(toProgram(loaded.config), {
      configName: path.basename(file, '.py'),
      walk,
      ...(traceLimit === undefined ? {} : { traceLimit }),
    }),
  )
}

/** Every log line's position, written, counted or repeated. */
const positions = (plan: Plan): string[] =>
  [
    ...toArray(allLines(plan)).map((l) => `${l.epoch}:${l.iter}`),
    ...toArray(allLogRuns(plan)).flatMap((r) =>
      Array.from({ length: r.count * r.lines }, (_, k) => `${r.epoch}:${r.from + Math.floor(k / r.lines) * r.every}`),
    ),
  ].sort()

describe('our self-supervised configs fast-forward (ODCHook and CollapseDetectionHook have cadences)', () => {
  for (const name of ['odc_smallcnn_fashionmnist.py', 'simsiam_smallcnn_mnist.py'])
    it(`${name}: not every iteration is walked, and the plan is the walked one`, async () => {
      const compact = await planOf(name, false)
      const walked = await planOf(name, true)
      expect(compact.fastForward.off).toBeUndefined()
      // The first 20,000 trace entries are always walked; the iterations after them are fast-forwarded.
      expect(compact.fastForward.iterations).toBeGreaterThan(0)
      const same = (p: Plan) => ({
        steps: p.steps,
        stageCounts: p.stageCounts,
        evaluations: toArray(allEvaluations(p)),
        checkpoints: toArray(allCheckpoints(p)),
        files: p.files,
        count: p.logLines.count,
        traceCount: p.traceCount,
        warnings: p.warnings,
      })
      expect(same(compact)).toEqual(same(walked))
      expect(positions(compact)).toEqual(positions(walked))
    }, 120_000)
})

const same = (p: Plan) => ({
  steps: p.steps,
  stageCounts: p.stageCounts,
  evaluations: toArray(allEvaluations(p)),
  checkpoints: toArray(allCheckpoints(p)),
  files: p.files,
  count: p.logLines.count,
  traceCount: p.traceCount,
  warnings: p.warnings,
})

describe('DeepClusterHook has an epoch cadence: DeepCluster and ODC configs repeat whole epochs', () => {
  // 40 epochs, an `Exp name` line once an epoch (235 batches) and a checkpoint every epoch: every hook's period
  // is short enough for the run, so whole epochs repeat (as shipped, the `Exp name` period of 200 epochs is not).
  const options = ['train_cfg.max_epochs=40', 'default_hooks.logger.interval_exp_name=235']
  for (const name of ['deepcluster_smallcnn_fashionmnist.py', 'odc_smallcnn_mnist.py'])
    it(`${name}: whole epochs are on, repeated, and the plan is the walked one`, async () => {
      const compact = await planOf(name, false, options, 0)
      const walked = await planOf(name, true, options, 0)
      expect(compact.fastForward.epochsOff).toBeUndefined()
      expect(compact.fastForward.epochs).toBeGreaterThanOrEqual(20)
      expect(same(compact)).toEqual(same(walked))
      expect(positions(compact)).toEqual(positions(walked))
    }, 120_000)

  it('deepcluster_smallcnn_mnist.py as shipped: whole epochs are on (its periods outrun its 10 epochs)', async () => {
    const compact = await planOf('deepcluster_smallcnn_mnist.py', false, [], 0)
    expect(compact.fastForward.epochsOff).toBeUndefined()
    expect(compact.fastForward.iterations).toBeGreaterThan(2000)
  }, 120_000)
})
