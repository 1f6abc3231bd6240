import * as nodePath from 'node:path'
import { Effect } from 'effect'
import { beforeAll, describe, expect, it } from 'vitest'
import { fromArrays } from '../../../../src/data/ArrayDataset.js'
import { decodePipeline } from '../../../../src/data/transforms/registry.js'
import type { Dataset } from '../../../../src/data/Dataset.js'
import { train } from '../../../../src/interpreters/tensor/train.js'
import type { TrainOptions, TrainResult } from '../../../../src/interpreters/tensor/train.js'
import * as Optim from '../../../../src/optim/OptimState.js'
import { useCpu } from '../../../../src/tensor/cpu.js'
import { programOf, tempDir } from '../../interpreters/tensor/support.js'
import { algorithmConfigs, twoViewValues } from './support.js'

/** 16 images of 8×8 and MMSelfSup's two-view pipeline (random flips; `MultiView` then `PackSelfSupInputs`). */
const dataset = (): Dataset => {
  const values = twoViewValues(16, 5)
  const rows = Array.from({ length: 16 }, (_, i) => Array.from(values.subarray(i * 128, i * 128 + 64)))
  const built = fromArrays(
    rows,
    Array.from({ length: 16 }, (_, i) => i % 2),
    { sampleShape: [8, 8, 1] },
  )
  if (built._tag === 'Left') throw new Error(built.left.message)
  const pipeline = decodePipeline(
    [
      { type: 'MultiView', num_views: 2, transforms: [[{ type: 'RandomFlip', prob: 0.5 }]] },
      { type: 'PackSelfSupInputs', meta_keys: ['img_path'] },
    ],
    'train_dataloader.dataset.pipeline',
  )
  if (pipeline._tag === 'Left') throw new Error(JSON.stringify(pipeline.left))
  return { ...built.right, pipeline: pipeline.right }
}

const configOf = (type: string, iters: number) => ({
  model: algorithmConfigs[type],
  train_dataloader: {
    batch_size: 8,
    dataset: 'ArrayDataset(data.x, data.y)',
    sampler: { type: 'DefaultSampler', shuffle: true },
  },
  train_cfg: { type: 'IterBasedTrainLoop', max_iters: iters },
  optim_wrapper: { optimizer: { type: 'SGD', lr: 0.05, momentum: 0.9, weight_decay: 1e-4 } },
  default_hooks: {
    logger: { type: 'LoggerHook', interval: 1 },
    checkpoint: { type: 'CheckpointHook', interval: 2, by_epoch: false },
  },
  randomness: { seed: 3 },
  log_processor: { by_epoch: false },
})

const run = async (config: object, options: TrainOptions): Promise<TrainResult> => {
  const result = await Effect.runPromise(
    Effect.result(
      train(programOf(config), { datasets: { train: dataset() }, print: () => {}, timestamp: 'test', ...options }),
    ),
  )
  if (result._tag === 'Failure') throw new Error(result.failure.message)
  return result.success
}

beforeAll(async () => {
  await useCpu()
})

describe.each(Object.keys(algorithmConfigs))('%s trains through the tensor interpreter', (type) => {
  it('runs a few iterations with finite losses and moves the backbone', async () => {
    const losses: number[] = []
    const result = await run(configOf(type, 3), {
      workDir: tempDir(),
      afterTrainStep: (state) => void losses.push(state.outputs['loss']!),
    })
    expect(result.iterations).toBe(3)
    expect(losses).toHaveLength(3)
    for (const l of losses) expect(Number.isFinite(l)).toBe(true)
    const again = await run(configOf(type, 1), { workDir: tempDir() })
    const name = 'backbone.layers.0.conv.weight'
    expect(Array.from(result.params[name]!.values)).not.toEqual(Array.from(again.params[name]!.values))
  })
})

describe('resume', () => {
  it.each(['SimSiam', 'MoCo', 'BYOL', 'SwAV'])(
    '%s resumed at iteration 2 ends bit-identical to the uninterrupted run (buffers: momentum encoder, queue)',
    async (type) => {
      const first = tempDir()
      const whole = await run(configOf(type, 4), { workDir: first })
      const resumed = await run(configOf(type, 4), {
        workDir: tempDir(),
        resume: nodePath.join(first, 'iter_2.safetensors'),
      })
      expect(resumed.iterations).toBe(4)
      for (const [name, p] of Object.entries(whole.params))
        expect(Array.from(resumed.params[name]!.values), name).toEqual(Array.from(p.values))
    },
  )
})

describe('SwAV with SwAVHook', () => {
  const config = (iters: number) => ({
    ...configOf('SwAV', iters),
    custom_hooks: [
      {
        type: 'SwAVHook',
        priority: 'VERY_HIGH',
        batch_size: 8,
        epoch_queue_starts: 0,
        crops_for_assign: [0, 1],
        feat_dim: 8,
        queue_length: 20,
        frozen_layers_cfg: { prototypes: 2 },
      },
    ],
  })
  it(
    'creates the queue (length rounded to 16), keeps the prototypes normalised and ' + 'frozen for 2 iterations',
    async () => {
      const seen: Array<{ queue: ReadonlyArray<number> | undefined; protoNorms: number[]; proto: number[] }> = []
      await run(config(4), {
        workDir: tempDir(),
        afterTrainStep: (state, read) => {
          const values = read({ w: state.model.params['head.loss.prototypes.weight']! })['w']!
          const norms = Array.from({ length: 10 }, (_, k) =>
            Math.hypot(...Array.from(values.subarray(k * 8, k * 8 + 8))),
          )
          seen.push({
            queue: state.model.buffers['head.loss.queue']?.shape,
            protoNorms: norms,
            proto: Array.from(values),
          })
        },
      })
      expect(seen.map((s) => s.queue)).toEqual([
        [2, 16, 8],
        [2, 16, 8],
        [2, 16, 8],
        [2, 16, 8],
      ])
      // Frozen at iterations 0 and 1: the step leaves the normalised prototypes (weight decay aside) where they were.
      for (const n of seen[0]!.protoNorms) expect(n).toBeCloseTo(1, 3)
      expect(seen[2]!.proto).not.toEqual(seen[3]!.proto)
    },
  )

  it('resumes bit-identically with the queue active', async () => {
    const first = tempDir()
    const whole = await run(config(4), { workDir: first })
    const resumed = await run(config(4), { workDir: tempDir(), resume: nodePath.join(first, 'iter_2.safetensors') })
    for (const [name, p] of Object.entries(whole.params))
      expect(Array.from(resumed.params[name]!.values), name).toEqual(Array.from(p.values))
  })
})

describe('DenseCL with DenseCLHook', () => {
  it("trains the global loss alone for start_iters iterations, then both with the model's loss_lambda", async () => {
    const config = {
      ...configOf('DenseCL', 4),
      model: { ...algorithmConfigs['DenseCL'], loss_lambda: 0.3 },
      custom_hooks: [{ type: 'DenseCLHook', start_iters: 2 }],
    }
    const outputs: Array<{ readonly [name: string]: number }> = []
    const result = await run(config, {
      workDir: tempDir(),
      afterTrainStep: (state) => void outputs.push(state.outputs),
    })
    expect(outputs.map((o) => o['loss_dense'])).toEqual([0, 0, expect.any(Number), expect.any(Number)])
    expect(outputs[2]!['loss_dense']).toBeGreaterThan(0)
    for (const o of outputs) expect(o['loss']).toBeCloseTo(o['loss_single']! + o['loss_dense']!, 5)
    expect(result.state.model.attributes['loss_lambda']).toBe(0.3)
  })
})

describe('SimSiamHook with ParamSchedulerHook', () => {
  it('keeps the predictor at the fixed lr every iteration while the schedule moves the other groups', async () => {
    const config = {
      ...configOf('SimSiam', 4),
      optim_wrapper: {
        optimizer: { type: 'SGD', lr: 0.05, momentum: 0.9 },
        paramwise_cfg: { custom_keys: { predictor: { fix_lr: true } } },
      },
      param_scheduler: [{ type: 'CosineAnnealingLR', T_max: 4, by_epoch: false, begin: 0, end: 4 }],
      custom_hooks: [{ type: 'SimSiamHook', priority: 'HIGH', fix_pred_lr: true, lr: 0.05, adjust_by_epoch: false }],
    }
    const seen: Array<{ fixed: number[]; others: number[] }> = []
    await run(config, {
      workDir: tempDir(),
      afterTrainStep: (state) => {
        const groups = Optim.read(state.optim)!.slots[0]!.slot.groups.real
        seen.push({
          fixed: groups.filter((g) => g.hyper['fix_lr'] === true).map((g) => g.hyper['lr'] as number),
          others: groups.filter((g) => g.hyper['fix_lr'] !== true).map((g) => g.hyper['lr'] as number),
        })
      },
    })
    expect(seen).toHaveLength(4)
    // MMEngine's constructor gives every parameter its own group under paramwise_cfg: the predictor's five.
    for (const s of seen) expect(s.fixed).toEqual([0.05, 0.05, 0.05, 0.05, 0.05])
    const others = seen.map((s) => s.others[0]!)
    expect(others[0]).toBe(0.05)
    for (let i = 1; i < others.length; i++) expect(others[i]!).toBeLessThan(others[i - 1]!)
  })
})
