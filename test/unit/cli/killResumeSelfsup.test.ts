/**
 * Self-supervised pretraining killed at a random iteration and resumed ends bit-identical to a run that never
 * stopped: SimSiam (SimSiamHook pinning the predictor's lr) and SwAV with its queue active (SwAVHook starts it at
 * once; it is full after two batches, and every later assignment uses it). The built CLI trains on 64 MNIST images
 * through the two-view pipeline (random crops seeded per sample and epoch), is SIGKILLed at a random iteration,
 * resumed with `--resume`, and its last checkpoint is compared with the uninterrupted run's, tensors as bytes.
 */
import * as fs from 'node:fs'
import * as nodePath from 'node:path'
import * as os from 'node:os'
import { beforeAll, describe, expect, it } from 'vitest'
import { ensureBuilt, finalState, trainCli } from '../../support/killResume.js'

beforeAll(ensureBuilt, 600_000)

const ITERS = 30
const backbone = { type: 'SmallCNN', in_channels: 1, base_channels: 4, stages: 2, img_size: 28 }

const common = {
  train_dataloader: {
    batch_size: 8,
    sampler: { type: 'DefaultSampler', shuffle: true },
    dataset: {
      type: 'MNIST',
      split: 'train',
      indices: 64,
      pipeline: [
        { type: 'MultiView', num_views: 2, transforms: [[{ type: 'RandomResizedCrop', size: 28, scale: [0.2, 1.0] }]] },
        { type: 'PackSelfSupInputs', meta_keys: ['img_path'] },
      ],
    },
  },
  train_cfg: { type: 'IterBasedTrainLoop', max_iters: ITERS },
  param_scheduler: [{ type: 'CosineAnnealingLR', by_epoch: false, T_max: ITERS }],
  default_hooks: {
    logger: { type: 'LoggerHook', interval: 1 },
    checkpoint: { type: 'CheckpointHook', interval: 4, by_epoch: false, max_keep_ckpts: 2 },
  },
  log_processor: { by_epoch: false, window_size: 1 },
  randomness: { seed: 5 },
}

const configs = {
  SimSiam: {
    ...common,
    model: {
      type: 'SimSiam',
      data_preprocessor: { type: 'SelfSupDataPreprocessor', mean: [33.46], std: [78.87] },
      backbone,
      neck: {
        type: 'NonLinearNeck',
        in_channels: 8,
        hid_channels: 16,
        out_channels: 16,
        num_layers: 3,
        with_last_bn_affine: false,
        with_avg_pool: true,
      },
      head: {
        type: 'LatentPredictHead',
        loss: { type: 'CosineSimilarityLoss' },
        predictor: {
          type: 'NonLinearNeck',
          in_channels: 16,
          hid_channels: 8,
          out_channels: 16,
          with_avg_pool: false,
          with_last_bn: false,
          with_last_bias: true,
        },
      },
    },
    optim_wrapper: {
      optimizer: { type: 'SGD', lr: 0.05, momentum: 0.9, weight_decay: 1e-4 },
      paramwise_cfg: { custom_keys: { predictor: { fix_lr: true } } },
    },
    custom_hooks: [{ type: 'SimSiamHook', priority: 'HIGH', fix_pred_lr: true, lr: 0.05, adjust_by_epoch: false }],
  },
  SwAV: {
    ...common,
    model: {
      type: 'SwAV',
      data_preprocessor: { type: 'SelfSupDataPreprocessor', mean: [33.46], std: [78.87] },
      backbone,
      neck: { type: 'SwAVNeck', in_channels: 8, hid_channels: 16, out_channels: 8, with_avg_pool: true },
      head: {
        type: 'SwAVHead',
        loss: {
          type: 'SwAVLoss',
          feat_dim: 8,
          epsilon: 0.05,
          temperature: 0.1,
          num_crops: [2],
          crops_for_assign: [0, 1],
          num_prototypes: 10,
        },
      },
    },
    optim_wrapper: { optimizer: { type: 'LARS', lr: 0.3, momentum: 0.9, weight_decay: 1e-6 } },
    custom_hooks: [
      {
        type: 'SwAVHook',
        priority: 'VERY_HIGH',
        batch_size: 8,
        epoch_queue_starts: 0,
        crops_for_assign: [0, 1],
        feat_dim: 8,
        queue_length: 16,
        frozen_layers_cfg: { prototypes: 3 },
      },
    ],
  },
} as const

const iterOf = (line: string): number | undefined => {
  const m = new RegExp(`Iter\\(train\\) \\[\\s*(\\d+)/${ITERS}\\]`).exec(line)
  return m === null ? undefined : Number(m[1])
}

describe.each(Object.keys(configs) as Array<keyof typeof configs>)(
  '%s killed at a random iteration and resumed',
  (algorithm) => {
    it('ends bit-identical to the run that never stopped', async () => {
      const dir = fs.mkdtempSync(nodePath.join(os.tmpdir(), `loopwright-kill-${algorithm}-`))
      const file = nodePath.join(dir, `${algorithm.toLowerCase()}.json`)
      fs.writeFileSync(file, JSON.stringify(configs[algorithm]))
      const whole = await trainCli([file, '--work-dir', nodePath.join(dir, 'whole')])
      expect(whole.code, whole.output).toBe(0)
      // Between 6 and 24: past the first checkpoint (4), and at least 6 iterations before the end.
      const target = 6 + Math.floor(Math.random() * 19)
      const killed = await trainCli([file, '--work-dir', nodePath.join(dir, 'killed')], (line, child) => {
        const at = iterOf(line)
        if (at !== undefined && at >= target) child.kill('SIGKILL')
      })
      expect(killed.signal, `killed at ${target}`).toBe('SIGKILL')
      const resumed = await trainCli([file, '--work-dir', nodePath.join(dir, 'killed'), '--resume'])
      expect(resumed.code, resumed.output).toBe(0)
      const said = /resumed epoch: \d+, iter: (\d+)/.exec(resumed.output)
      expect(Number(said?.[1] ?? -1), resumed.output).toBeGreaterThanOrEqual(4)
      const firstLogged = resumed.output
        .split('\n')
        .map(iterOf)
        .find((i) => i !== undefined)
      expect(firstLogged, resumed.output).toBe(Number(said?.[1]) + 1)
      const last = `iter_${ITERS}.safetensors`
      const expected = finalState(nodePath.join(dir, 'whole', last))
      if (algorithm === 'SwAV') expect(Object.keys(expected.tensors)).toContain('head.loss.queue')
      expect(finalState(nodePath.join(dir, 'killed', last))).toEqual(expected)
    }, 180_000)
  },
)
