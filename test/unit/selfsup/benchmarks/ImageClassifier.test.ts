/**
 * The benchmarks' ImageClassifier: a linear probe loads a pretraining checkpoint's backbone through
 * `init_cfg=Pretrained(prefix='backbone.')`, trains only its head (the backbone stays bit for bit), and
 * `test(program, checkpoint)` scores the probe's checkpoint exactly as the run's own test loop did. Without a head the
 * model's output is the pooled feature (what kNN reads), and the head must match the backbone's channels.
 */
import * as nodePath from 'node:path'
import { Effect } from 'effect'
import { beforeAll, describe, expect, it } from 'vitest'
import { fromArrays } from '../../../../src/data/ArrayDataset.js'
import type { Dataset } from '../../../../src/data/Dataset.js'
import { decodePipeline } from '../../../../src/data/transforms/registry.js'
import * as Rng from '../../../../src/dsl/Rng.js'
import * as Models from '../../../../src/models/registry.js'
import { allModelTypes } from '../../../../src/selfsup/algorithms/registry.js'
import { frozenPrefixes } from '../../../../src/selfsup/benchmarks/ImageClassifier.js'
import { test } from '../../../../src/interpreters/tensor/test.js'
import { train } from '../../../../src/interpreters/tensor/train.js'
import type { TrainOptions } from '../../../../src/interpreters/tensor/train.js'
import { useCpu } from '../../../../src/tensor/cpu.js'
import * as tf from '@tensorflow/tfjs-core'
import { programOf, tempDir } from '../../interpreters/tensor/support.js'
import { algorithmConfigs, backbone, twoViewValues } from '../algorithms/support.js'

beforeAll(async () => {
  await useCpu()
})

const values = twoViewValues(16, 5)
const images = (views: boolean): Dataset => {
  const built = fromArrays(
    Array.from({ length: 16 }, (_, i) => Array.from(values.subarray(i * 128, i * 128 + 64))),
    Array.from({ length: 16 }, (_, i) => i % 2),
    { sampleShape: [8, 8, 1] },
  )
  if (built._tag === 'Left') throw new Error(built.left.message)
  if (!views) return built.right
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

const loader = { batch_size: 8, dataset: 'ArrayDataset(data.x, data.y)', sampler: { type: 'DefaultSampler' } }
const quiet: TrainOptions = { print: () => {}, timestamp: 'test' }

const probe = (checkpoint: string) => ({
  model: {
    type: 'ImageClassifier',
    backbone: { ...backbone, frozen_stages: 2, norm_eval: true },
    neck: { type: 'GlobalAveragePooling' },
    head: { type: 'LinearClsHead', num_classes: 2, in_channels: 8, loss: { type: 'CrossEntropyLoss' } },
    init_cfg: { type: 'Pretrained', checkpoint, prefix: 'backbone.' },
  },
  train_dataloader: loader,
  test_dataloader: { ...loader, sampler: { type: 'DefaultSampler', shuffle: false } },
  test_evaluator: { type: 'Accuracy' },
  test_cfg: {},
  train_cfg: { type: 'IterBasedTrainLoop', max_iters: 3 },
  optim_wrapper: { optimizer: { type: 'SGD', lr: 0.5, momentum: 0.9 } },
  default_hooks: { checkpoint: { type: 'CheckpointHook', interval: 3, by_epoch: false } },
  randomness: { seed: 1 },
})

describe('ImageClassifier as a linear probe', () => {
  it('trains the head on the pretrained, frozen backbone; test() reproduces its test loop', async () => {
    const pretrainDir = tempDir()
    const pretrained = await Effect.runPromise(
      train(
        programOf({
          model: algorithmConfigs['SimSiam'],
          train_dataloader: loader,
          train_cfg: { type: 'IterBasedTrainLoop', max_iters: 2 },
          optim_wrapper: { optimizer: { type: 'SGD', lr: 0.05, momentum: 0.9 } },
          default_hooks: { checkpoint: { type: 'CheckpointHook', interval: 2, by_epoch: false } },
          randomness: { seed: 3 },
        }),
        { ...quiet, datasets: { train: images(true) }, workDir: pretrainDir },
      ),
    )
    const checkpoint = nodePath.join(pretrainDir, 'iter_2.safetensors')
    const probeDir = tempDir()
    const probed = await Effect.runPromise(
      train(programOf(probe(checkpoint)), {
        ...quiet,
        datasets: { train: images(false), test: images(false) },
        workDir: probeDir,
      }),
    )
    const backboneNames = Object.keys(probed.params).filter((n) => n.startsWith('backbone.'))
    expect(backboneNames.length).toBeGreaterThan(0)
    for (const name of backboneNames)
      expect(Array.from(probed.params[name]!.values), name).toEqual(Array.from(pretrained.params[name]!.values))
    expect(Object.keys(probed.params).filter((n) => !n.startsWith('backbone.'))).toEqual([
      'head.fc.weight',
      'head.fc.bias',
    ])
    expect(Array.from(probed.params['head.fc.bias']!.values).some((v) => v !== 0)).toBe(true)
    const inRun = probed.evaluations.find((e) => e.mode === 'test')
    expect(inRun?.metrics['accuracy/top1']).toEqual(expect.any(Number))

    const tested = await Effect.runPromise(
      test(programOf(probe(checkpoint)), nodePath.join(probeDir, 'iter_3.safetensors'), {
        ...quiet,
        datasets: { test: images(false) },
        workDir: tempDir(),
      }),
    )
    expect(tested.iterations).toBe(0)
    expect(tested.checkpoints).toEqual([])
    expect(tested.evaluations).toEqual([{ ...inRun, epoch: 0, iter: 0 }])
  }, 120_000)

  it('refuses a program without a test loop, naming what is missing', async () => {
    const { test_cfg: _, test_dataloader: __, test_evaluator: ___, ...rest } = probe('unused.safetensors')
    const result = await Effect.runPromise(Effect.result(test(programOf(rest), undefined, quiet)))
    expect(result._tag === 'Failure' && result.failure.message).toMatch(/test_cfg: .*no test loop/)
  })
})

describe('ImageClassifier', () => {
  const build = (cfg: object) => {
    const built = Models.build({ type: 'ImageClassifier', ...cfg }, allModelTypes)
    if (built._tag === 'Left') throw new Error(JSON.stringify(built.left))
    return built.right
  }

  it('without a head outputs the pooled features; with one, logits', () => {
    const extractor = build({ backbone, neck: { type: 'GlobalAveragePooling' } })
    const classifier = build({ backbone, head: { type: 'LinearClsHead', num_classes: 3, in_channels: 8 } })
    const x = tf.randomUniform([5, 8, 8, 1], 0, 1, 'float32', 2)
    for (const [model, width] of [
      [extractor, 8],
      [classifier, 3],
    ] as const) {
      const { params, buffers } = model.init(Rng.make(0))
      const out = model.forward(params, buffers, x, { training: false, rng: Rng.make(1) })
      expect(out.output.shape).toEqual([5, width])
      tf.dispose([out.output, ...Object.values(params), ...Object.values(buffers)])
    }
    x.dispose()
    expect(() => extractor.losses(tf.zeros([2, 8]), tf.zeros([2], 'int32'))).toThrow(/extracts features only/)
  })

  it('freezes the stem and the first n stages (frozen_stages), and checks the head against the backbone', () => {
    const frozen = build({
      backbone: { ...backbone, frozen_stages: 1 },
      head: { type: 'LinearClsHead', num_classes: 2, in_channels: 8 },
    })
    expect(frozen.info.params.filter((p) => !p.requiresGrad).map((p) => p.name)).toEqual([
      'backbone.layers.0.conv.weight',
      'backbone.layers.0.bn.weight',
      'backbone.layers.0.bn.bias',
    ])
    expect(frozenPrefixes('ResNet', 1)).toEqual(['backbone.conv1.', 'backbone.bn1.', 'backbone.layer1.'])
    expect(frozenPrefixes('SmallCNN', -1)).toEqual([])
    expect(() => build({ backbone, head: { type: 'LinearClsHead', num_classes: 2, in_channels: 16 } })).toThrow(
      /head\.in_channels is 16, the backbone gives 8 channels/,
    )
    const bad = Models.build(
      { type: 'ImageClassifier', backbone: { ...backbone, frozen_stages: 'all' } },
      allModelTypes,
    )
    expect(bad._tag === 'Left' && bad.left.map((i) => i.path)).toEqual(['model.backbone.frozen_stages'])
  })

  describe('with a ClsBatchNormNeck after the pooling (neck=[GlobalAveragePooling, ClsBatchNormNeck])', () => {
    const neck = [{ type: 'GlobalAveragePooling' }, { type: 'ClsBatchNormNeck', input_features: 8 }]
    const probe = (extra: object = {}) =>
      build({
        backbone: { ...backbone, frozen_stages: 2, norm_eval: true },
        neck,
        head: { type: 'LinearClsHead', num_classes: 2, in_channels: 8 },
        ...extra,
      })
    const x = () => tf.randomUniform([6, 8, 8, 1], 0, 1, 'float32', 3)

    it('has buffers neck.1.bn.* and no parameters without affine; affine=True adds weight and bias', () => {
      const model = probe()
      const { params, buffers } = model.init(Rng.make(0))
      expect(Object.keys(buffers).filter((n) => n.startsWith('neck.'))).toEqual([
        'neck.1.bn.running_mean',
        'neck.1.bn.running_var',
        'neck.1.bn.num_batches_tracked',
      ])
      expect(Object.keys(params).filter((n) => n.startsWith('neck.'))).toEqual([])
      tf.dispose([...Object.values(params), ...Object.values(buffers)])
      const affine = build({ backbone, neck: [neck[0], { ...neck[1], affine: true }] })
      expect(affine.info.params.filter((p) => p.name.startsWith('neck.')).map((p) => p.name)).toEqual([
        'neck.1.bn.weight',
        'neck.1.bn.bias',
      ])
    })

    it('standardises the pooled features with batch statistics while training, running ones in eval', () => {
      const model = probe({ head: undefined })
      const { params, buffers } = model.init(Rng.make(0))
      const input = x()
      const trained = model.forward(params, buffers, input, { training: true, rng: Rng.make(1) })
      const moments = tf.moments(trained.output, 0)
      const pooled = build({ backbone, neck: neck[0] }).forward(params, buffers, input, {
        training: false,
        rng: Rng.make(1),
      })
      const raw = tf.moments(pooled.output, 0)
      // Per channel: mean 0 and (biased) variance v / (v + eps) for the pooled features' variance v, however small.
      expect(Math.max(...Array.from(moments.mean.dataSync()).map(Math.abs))).toBeLessThan(1e-4)
      const rawVariance = raw.variance.dataSync()
      const variance = moments.variance.dataSync()
      for (let i = 0; i < variance.length; i++)
        expect(variance[i]).toBeCloseTo(rawVariance[i]! / (rawVariance[i]! + 1e-6), 3)
      // The running statistics moved (momentum 0.1); the frozen backbone's did not (norm_eval).
      const changed = Object.keys(trained.buffers).filter((n) => trained.buffers[n] !== buffers[n])
      expect(changed).toEqual(['neck.1.bn.running_mean', 'neck.1.bn.running_var', 'neck.1.bn.num_batches_tracked'])
      const evaluated = model.forward(params, buffers, input, { training: false, rng: Rng.make(1) })
      // At init the running statistics are mean 0, variance 1: eval mode divides by sqrt(1 + 1e-6) only.
      const d = tf.sub(evaluated.output, tf.div(pooled.output, Math.sqrt(1 + 1e-6)))
      expect(tf.max(tf.abs(d)).dataSync()[0]).toBeLessThan(1e-6)
      tf.dispose([input, moments.mean, moments.variance, raw.mean, raw.variance, d])
      tf.dispose([trained.output, evaluated.output, pooled.output])
      for (const n of changed) trained.buffers[n]!.dispose()
      tf.dispose([...Object.values(params), ...Object.values(buffers)])
    })

    it('names the neck forms it takes, and checks input_features against the backbone', () => {
      const bad = Models.build({ type: 'ImageClassifier', backbone, neck: [neck[1], neck[0]] }, allModelTypes)
      expect(bad._tag === 'Left' && bad.left.map((i) => i.path)).toContain('model.neck.0.type')
      const three = Models.build({ type: 'ImageClassifier', backbone, neck: [...neck, neck[1]] }, allModelTypes)
      expect(three._tag === 'Left' && three.left[0]!.message).toMatch(/a list \[dict\(type='GlobalAveragePooling'\)/)
      expect(() => build({ backbone, neck: [neck[0], { ...neck[1], input_features: 16 }] })).toThrow(
        /neck\[1\]\.input_features is 16, the backbone gives 8 channels/,
      )
    })
  })
})
