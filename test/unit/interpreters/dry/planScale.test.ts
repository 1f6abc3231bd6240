import * as path from 'node:path'
import { Effect } from 'effect'
import { describe, expect, it } from 'vitest'
import { load } from '../../../../src/config/load.js'
import { toProgram } from '../../../../src/config/toProgram.js'
import { dryRun } from '../../../../src/interpreters/dry/dryRun.js'
import { defaultRegistries } from '../../../../src/interpreters/registries.js'
import { repeatedTrainLines, trainLinePositions } from '../../../../src/cli/renderPlan.js'
import {
  allCheckpoints,
  allEvaluations,
  allLines,
  allLogRuns,
  toArray,
} from '../../../../src/interpreters/dry/epochRuns.js'

const dir = path.resolve('test/fixtures/plan-scale')

const planOf = async (name: string, cfgOptions: ReadonlyArray<string> = []) => {
  const file = path.join(dir, name)
  const loaded = await Effect.runPromise(load(file, { registries: defaultRegistries, cfgOptions }))
  return Effect.runPromise(dryRun(toProgram(loaded.config), { worldSize: 8, configName: path.basename(file, '.py') }))
}

describe('plans at ImageNet scale', () => {
  it('a 200-epoch ImageNet-1k run at world size 8: every event, the iterations between fast-forwarded', async () => {
    const plan = await planOf('imagenet-scale_resnet50_8xb32-warmcos-200e.py')
    // 1,281,167 samples over 8 processes: ceil → 160,146 each, 32 per batch → 5,005 batches (no drop_last).
    const batches = Math.ceil(Math.ceil(1_281_167 / 8) / 32)
    expect(plan.loops.train?.batchesPerEpoch).toBe(batches)
    expect(plan.steps.train).toBe(200 * batches)
    expect(plan.fastForward.off).toBeUndefined()
    expect(plan.fastForward.iterations).toBeGreaterThan(0.99 * plan.steps.train)
    // Lines at every 50th batch of each epoch (the last 5 batches make no line, ignore_last); "Exp name" every
    // 1000 iterations and after each epoch's last batch (once both at iteration 1,001,000); the checkpoint lines.
    const progress = 200 * Math.floor(batches / 50)
    const expName = Math.floor((200 * batches) / 1000) + 200 - 1
    expect(trainLinePositions(plan)).toHaveLength(progress)
    expect(plan.logLines.count).toBe(progress + expName + 1 + 20)
    // The written lines stay few; the rest are runs.
    expect(plan.logLines.lines.length).toBeLessThan(5_000)
    expect(plan.logLines.runs.length).toBeLessThan(5_000)
    expect(plan.checkpoints.map((c) => c.epoch)).toEqual(Array.from({ length: 20 }, (_, k) => 10 * (k + 1)))
    expect(plan.removals).toHaveLength(17)
    expect(plan.stageCounts['after_train_iter']).toBe(200 * batches)
    // The warmup ends at iteration 2,500; the cosine, converted to iterations, ends at the run's end.
    expect(plan.schedule!.lr[0]).toBeCloseTo(0.05 * 1e-3, 12)
    expect(plan.schedule!.final.lr).toBeLessThan(1e-6)
  }, 120_000)

  it('a million-iteration run validates and saves where it should, every train line accounted for', async () => {
    const plan = await planOf('imagenet-scale_vit_8xb128-iters-1e6.py')
    expect(plan.steps.train).toBe(1_000_000)
    // Blocks of 50,000 iterations (validation and checkpoints) repeat: the lists are completed from them.
    expect(plan.fastForward.block).toBe(50_000)
    expect(plan.fastForward.blocks).toBeGreaterThan(10)
    expect(
      toArray(allEvaluations(plan))
        .filter((e) => e.mode === 'val')
        .map((e) => e.iter),
    ).toEqual(Array.from({ length: 20 }, (_, k) => 50_000 * (k + 1)))
    expect(toArray(allCheckpoints(plan)).map((c) => c.iter)).toEqual(
      Array.from({ length: 20 }, (_, k) => 50_000 * (k + 1)),
    )
    const isTrain = (m: string) => m.startsWith('Iter(train)')
    const trainLines = [
      ...toArray(allLines(plan))
        .filter((l) => isTrain(l.message))
        .map((l) => l.iter),
      ...toArray(allLogRuns(plan)).flatMap((r) => {
        const each = r.samples.filter(isTrain).length
        return Array.from({ length: r.count * each }, (_, k) => r.from + Math.floor(k / each) * r.every)
      }),
    ].sort((a, b) => a - b)
    expect(trainLines).toEqual(Array.from({ length: 10_000 }, (_, k) => 100 * (k + 1) - 1))
    expect(trainLinePositions(plan).length + repeatedTrainLines(plan)).toBe(10_000)
    expect(plan.fastForward.iterations).toBeGreaterThan(990_000)
  }, 120_000)

  it('refuses more iterations than numbers count exactly, in one line', async () => {
    const failure = await planOf('imagenet-scale_vit_8xb128-iters-1e6.py', [
      'train_cfg.max_iters=10000000000000000',
    ]).then(
      () => '',
      (e: Error) => e.message,
    )
    expect(failure).toMatch(/^train_cfg\.max_iters: max_iters=10000000000000000 is more than 9007199254740991/)
    expect(failure).not.toContain('\n')
  })
})
