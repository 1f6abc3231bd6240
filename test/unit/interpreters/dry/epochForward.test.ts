import { Effect } from 'effect'
import { describe, expect, it } from 'vitest'
import { decode, toProgram } from '../../../../src/config/index.js'
import { dryRun } from '../../../../src/interpreters/dry/dryRun.js'
import {
  allCheckpoints,
  allEvaluations,
  allLines,
  allLogRuns,
  allRemovals,
  ends,
} from '../../../../src/interpreters/dry/epochRuns.js'
import { defaultRegistries } from '../../../../src/interpreters/registries.js'

/** A run of `maxEpochs` epochs of 5 batches, validating and saving every 10 epochs. */
const planOf = (maxEpochs: number, extra: { readonly [key: string]: unknown } = {}) => {
  const decoded = decode(
    {
      model: { type: 'TinyRegressor' },
      train_dataloader: { batch_size: 8, dataset: 'ArrayDataset(data.x, data.y)' },
      val_dataloader: { batch_size: 16, dataset: 'ArrayDataset(data.val_x, data.val_y)' },
      val_evaluator: { type: 'MSE' },
      val_cfg: {},
      train_cfg: { type: 'EpochBasedTrainLoop', max_epochs: maxEpochs, val_interval: 10 },
      optim_wrapper: { optimizer: { type: 'SGD', lr: 0.1, momentum: 0.9 } },
      param_scheduler: [
        { type: 'LinearLR', start_factor: 0.01, by_epoch: false, begin: 0, end: 20 },
        { type: 'PolyLR', power: 1, by_epoch: true, begin: 1, eta_min: 1e-5 },
      ],
      default_hooks: {
        logger: { type: 'LoggerHook', interval: 2, interval_exp_name: 100 },
        checkpoint: { type: 'CheckpointHook', interval: 10, max_keep_ckpts: 3 },
      },
      custom_hooks: [{ type: 'EMAHook', momentum: 0.01, begin_iter: 7 }],
      randomness: { seed: 1 },
      ...extra,
    },
    defaultRegistries,
  )
  if (decoded._tag === 'Left') throw new Error(decoded.left.message)
  return Effect.runPromise(dryRun(toProgram(decoded.right), { datasetSizes: { train: 40, val: 20 } }))
}

describe('whole-epoch fast-forward', () => {
  it('plans 10¹² epochs from a few hundred interpreted ones, every count and list complete', async () => {
    const epochs = 1e12
    const plan = await planOf(epochs)
    expect(plan.fastForward.epochsOff).toBeUndefined()
    // Interpreted: the epochs that fill the trace (20,000 entries), one period, and the last ones; the rest repeat.
    expect(plan.fastForward.epochs).toBeGreaterThan(epochs - 400)
    expect(plan.epochRuns.length).toBeLessThan(5)
    expect(plan.logLines.lines.length + plan.logLines.runs.length).toBeLessThan(20_000)
    expect(plan.steps.train).toBe(5 * epochs)
    expect(plan.steps.val).toBe(2 * (epochs / 10))
    expect(plan.stageCounts['after_train_epoch']).toBe(epochs)
    // Every 10th epoch validates and saves; each save from the fourth on removes the one three saves before.
    const evaluations = allEvaluations(plan)
    expect(evaluations.length).toBe(epochs / 10)
    expect(evaluations.at(evaluations.length - 1)).toEqual({ mode: 'val', epoch: epochs, iter: 5 * epochs })
    expect(evaluations.at(123_456_789)).toEqual({ mode: 'val', epoch: 1_234_567_900, iter: 6_172_839_500 })
    const checkpoints = allCheckpoints(plan)
    expect(checkpoints.length).toBe(epochs / 10)
    expect(checkpoints.at(123_456_789).path).toMatch(/\/epoch_1234567900\.safetensors$/)
    expect(checkpoints.at(checkpoints.length - 1).path).toMatch(/\/epoch_1000000000000\.safetensors$/)
    const removals = allRemovals(plan)
    expect(removals.length).toBe(epochs / 10 - 3)
    expect(removals.at(removals.length - 1).path).toMatch(/\/epoch_999999999970\.safetensors$/)
    // Lines: 3 progress lines per epoch (batches 2, 4 and, with ignore_last, not 5), an `Exp name` per epoch end and
    // every 100 iterations, a validation line and a checkpoint line every 10 epochs.
    const expName = epochs + (5 * epochs) / 100 - (5 * epochs) / 100 / 1
    expect(plan.logLines.count).toBeGreaterThan(2 * epochs + expName)
    const lines = allLines(plan)
    expect(lines.at(lines.length - 1).epoch).toBeGreaterThan(epochs - 10)
    // Epochs of 5 batches are walked through (a window of 10 is longer): their lines are written, and repeated.
    expect(lines.length + allLogRuns(plan).length).toBeGreaterThan(3 * epochs)
    expect(ends(checkpoints, 4).items.map((c) => c.epoch)).toEqual([10, 20, epochs - 10, epochs])
    // The schedule ran to the end: the decay reaches eta_min.
    expect(plan.schedule!.final.lr).toBeCloseTo(1e-5, 9)
    expect(plan.traceCount).toBeGreaterThan(epochs * 5 * 3)
  }, 120_000)

  it('reports a scheduler step that fails near the end of 10¹² epochs in one line, not walking to it', async () => {
    // In floating point the cosine's recursive step divides by zero once 1 + cos(π(t − 1)/T) rounds to 0.
    const failure = await planOf(1e12, {
      param_scheduler: [{ type: 'CosineAnnealingLR', T_max: 1e12, by_epoch: true, begin: 1, eta_min: 1e-5 }],
    }).then(
      () => '',
      (e: Error) => e.message,
    )
    expect(failure).toMatch(/^param_scheduler: after epoch 99999999\d{4}: float division by zero$/)
  }, 120_000)

  it('plans 10¹² iterations of an IterBasedTrainLoop in blocks, every count and list complete', async () => {
    const iters = 1e12
    const plan = await planOf(0, {
      train_cfg: { type: 'IterBasedTrainLoop', max_iters: iters, val_interval: 50 },
      param_scheduler: [
        { type: 'LinearLR', start_factor: 0.01, by_epoch: false, begin: 0, end: 20 },
        { type: 'PolyLR', power: 1, by_epoch: false, begin: 20, eta_min: 1e-5 },
      ],
      default_hooks: {
        logger: { type: 'LoggerHook', interval: 5, interval_exp_name: 100 },
        checkpoint: { type: 'CheckpointHook', by_epoch: false, interval: 100, max_keep_ckpts: 3 },
      },
      log_processor: { by_epoch: false },
    })
    // Blocks of 100 iterations (the lcm of the intervals): all but a few hundred repeat the ones before them.
    expect(plan.fastForward.block).toBe(100)
    expect(plan.fastForward.blocks).toBeGreaterThan(iters / 100 - 400)
    expect(plan.epochRuns.length).toBeLessThan(5)
    expect(plan.logLines.lines.length + plan.logLines.runs.length).toBeLessThan(20_000)
    expect(plan.steps.train).toBe(iters)
    // Two val batches (20 samples, batch 16) every 50 iterations.
    expect(plan.steps.val).toBe(2 * (iters / 50))
    expect(plan.stageCounts['after_train_iter']).toBe(iters)
    expect(plan.stageCounts['after_train_epoch']).toBe(1)
    const evaluations = allEvaluations(plan)
    expect(evaluations.length).toBe(iters / 50)
    expect(evaluations.at(123_456_789)).toEqual({ mode: 'val', epoch: 0, iter: 50 * 123_456_790 })
    expect(evaluations.at(evaluations.length - 1)).toEqual({ mode: 'val', epoch: 0, iter: iters })
    const checkpoints = allCheckpoints(plan)
    expect(checkpoints.length).toBe(iters / 100)
    expect(checkpoints.at(123_456_789).path).toMatch(/\/iter_12345679000\.safetensors$/)
    expect(checkpoints.at(checkpoints.length - 1).path).toMatch(/\/iter_1000000000000\.safetensors$/)
    const removals = allRemovals(plan)
    expect(removals.length).toBe(iters / 100 - 3)
    expect(removals.at(removals.length - 1).path).toMatch(/\/iter_999999999700\.safetensors$/)
    // A progress line every 5 iterations, an `Exp name` every 100, a line per validation and per checkpoint.
    expect(plan.logLines.count).toBeGreaterThan(iters / 5 + iters / 100 + iters / 50)
    const lines = allLines(plan)
    expect(lines.at(lines.length - 1).iter).toBeGreaterThan(iters - 100)
    expect(plan.schedule!.final.lr).toBeCloseTo(1e-5, 9)
  }, 120_000)
})
