import * as tf from '@tensorflow/tfjs-core'
import { beforeAll, describe, expect, it } from 'vitest'
import * as Rng from '../../../src/dsl/Rng.js'
import { build } from '../../../src/models/registry.js'
import * as ResNet from '../../../src/models/ResNet.js'
import { validateModel } from '../../../src/models/ModelInfo.js'
import { useCpu } from '../../../src/tensor/cpu.js'
import { badGradients, shapes, step, tensorGrowth, values } from './helpers.js'

beforeAll(useCpu)

const bn = (prefix: string, c: number) => [
  [`${prefix}.weight`, [c]],
  [`${prefix}.bias`, [c]],
]
// named_parameters() of ImageClassifier(backbone=ResNet_CIFAR with BasicBlocks [1, 1, 1], base 16,
// GlobalAveragePooling, LinearClsHead(10, 64)).
const resnet8 = [
  ['backbone.conv1.weight', [16, 3, 3, 3]],
  ...bn('backbone.bn1', 16),
  ['backbone.layer1.0.conv1.weight', [16, 16, 3, 3]],
  ...bn('backbone.layer1.0.bn1', 16),
  ['backbone.layer1.0.conv2.weight', [16, 16, 3, 3]],
  ...bn('backbone.layer1.0.bn2', 16),
  ['backbone.layer2.0.conv1.weight', [32, 16, 3, 3]],
  ...bn('backbone.layer2.0.bn1', 32),
  ['backbone.layer2.0.conv2.weight', [32, 32, 3, 3]],
  ...bn('backbone.layer2.0.bn2', 32),
  ['backbone.layer2.0.downsample.0.weight', [32, 16, 1, 1]],
  ...bn('backbone.layer2.0.downsample.1', 32),
  ['backbone.layer3.0.conv1.weight', [64, 32, 3, 3]],
  ...bn('backbone.layer3.0.bn1', 64),
  ['backbone.layer3.0.conv2.weight', [64, 64, 3, 3]],
  ...bn('backbone.layer3.0.bn2', 64),
  ['backbone.layer3.0.downsample.0.weight', [64, 32, 1, 1]],
  ...bn('backbone.layer3.0.downsample.1', 64),
  ['head.fc.weight', [10, 64]],
  ['head.fc.bias', [10]],
]
const bnModules = [
  'backbone.bn1',
  'backbone.layer1.0.bn1',
  'backbone.layer1.0.bn2',
  'backbone.layer2.0.bn1',
  'backbone.layer2.0.bn2',
  'backbone.layer2.0.downsample.1',
  'backbone.layer3.0.bn1',
  'backbone.layer3.0.bn2',
  'backbone.layer3.0.downsample.1',
]

const make = (args: object) => {
  const built = build({ type: 'ResNet', ...args })
  if (built._tag === 'Left') throw new Error(JSON.stringify(built.left))
  return built.right
}

describe('ResNet', () => {
  it('ResNet-8 (CIFAR): MMPretrain/torchvision names and shapes, BatchNorm buffers apart, info equal to init', () => {
    const model = make({ depth: 8, num_classes: 10 })
    const { params, buffers } = model.init(Rng.make(0))
    expect(shapes(params)).toEqual(resnet8)
    expect(model.info.params.map((p) => [p.name, p.shape])).toEqual(resnet8)
    expect(validateModel(model.info)).toEqual([])
    expect(Object.keys(buffers)).toEqual(
      bnModules.flatMap((m) => [`${m}.running_mean`, `${m}.running_var`, `${m}.num_batches_tracked`]),
    )
    expect(buffers['backbone.layer3.0.bn2.num_batches_tracked']!.dtype).toBe('int32')
    const modules = Object.fromEntries(model.info.params.map((p) => [p.name, p.module]))
    expect(modules['backbone.layer2.0.conv1.weight']).toEqual({ type: 'Conv2d', inChannels: 16, groups: 1 })
    expect(modules['backbone.layer2.0.downsample.1.bias']).toEqual({ type: 'BatchNorm2d' })
    expect(modules['head.fc.weight']).toEqual({ type: 'Linear' })
    expect(model.inputShape).toEqual([32, 32, 3])
  })

  it(
    'depths: 6n + 2 gives three stages of n blocks, 18/34 MMPretrain’s four stages ' +
      'with 64 base channels; stage_blocks directly',
    () => {
      expect(ResNet.stageBlocksOf(20)).toEqual([3, 3, 3])
      expect(ResNet.stageBlocksOf(18)).toEqual([2, 2, 2, 2])
      expect(ResNet.stageBlocksOf(34)).toEqual([3, 4, 6, 3])
      expect(ResNet.stageBlocksOf(50)).toEqual([3, 4, 6, 3])
      const r20 = make({ depth: 20, num_classes: 10 })
      // 19 convs + the fc layer: conv1 + 3·3·2 block convs, plus 2 downsample convs.
      expect(r20.info.params.filter((p) => p.module.type === 'Conv2d').length).toBe(1 + 18 + 2)
      const r18 = make({ depth: 18, num_classes: 100 })
      const names18 = r18.info.params.map((p) => p.name)
      expect(names18).toContain('backbone.layer4.1.bn2.bias')
      expect(r18.info.params.find((p) => p.name === 'backbone.layer4.0.conv1.weight')!.shape).toEqual([512, 256, 3, 3])
      expect(r18.info.params.find((p) => p.name === 'head.fc.weight')!.shape).toEqual([100, 512])
      expect(names18).not.toContain('backbone.layer1.0.downsample.0.weight')
      const custom = make({ stage_blocks: [2, 1], base_channels: 8, stem_channels: 4, num_classes: 3 })
      const names = custom.info.params.map((p) => p.name)
      // stem 4 → 8 channels: the first block of layer1 needs a downsample even at stride 1.
      expect(names).toContain('backbone.layer1.0.downsample.0.weight')
      expect(names).not.toContain('backbone.layer1.1.downsample.0.weight')
      expect(names).not.toContain('backbone.layer3.0.conv1.weight')
    },
  )

  it(
    'initialises as MMPretrain: Kaiming-normal fan_out convs, BN 1/0, ' +
      'zero_init_residual bn2 weights 0, head N(0, 0.01²)',
    () => {
      const { params, buffers } = make({ depth: 8, num_classes: 10 }).init(Rng.make(0))
      const w = Array.from(params['backbone.layer3.0.conv2.weight']!.dataSync())
      const std = Math.sqrt(w.reduce((a, b) => a + b * b, 0) / w.length)
      expect(Math.abs(std - Math.sqrt(2 / (64 * 9)))).toBeLessThan(0.003)
      expect(Array.from(params['backbone.layer1.0.bn2.weight']!.dataSync()).every((v) => v === 0)).toBe(true)
      expect(Array.from(params['backbone.layer1.0.bn1.weight']!.dataSync()).every((v) => v === 1)).toBe(true)
      expect(Array.from(params['backbone.layer2.0.downsample.1.weight']!.dataSync()).every((v) => v === 1)).toBe(true)
      const fc = Array.from(params['head.fc.weight']!.dataSync())
      expect(Math.abs(Math.sqrt(fc.reduce((a, b) => a + b * b, 0) / fc.length) - 0.01)).toBeLessThan(0.003)
      expect(Array.from(params['head.fc.bias']!.dataSync()).every((v) => v === 0)).toBe(true)
      expect(Array.from(buffers['backbone.bn1.running_var']!.dataSync()).every((v) => v === 1)).toBe(true)
      const off = make({ depth: 8, num_classes: 10, zero_init_residual: false }).init(Rng.make(0)).params
      expect(Array.from(off['backbone.layer1.0.bn2.weight']!.dataSync()).every((v) => v === 1)).toBe(true)
    },
  )

  const small = {
    stage_blocks: [1, 1],
    base_channels: 4,
    in_channels: 2,
    img_size: 8,
    num_classes: 3,
    zero_init_residual: false,
  }

  it('train mode returns updated running statistics; eval mode uses them and returns the same buffers', () => {
    const model = make(small)
    const { params, buffers } = model.init(Rng.make(2))
    const x = tf.tensor4d(values(4 * 8 * 8 * 2, 3), [4, 8, 8, 2])
    const train = model.forward(params, buffers, x, { training: true, rng: Rng.make(0) })
    expect(train.output.shape).toEqual([4, 3])
    expect(Object.keys(train.buffers)).toEqual(Object.keys(buffers))
    expect(train.buffers['backbone.bn1.num_batches_tracked']!.dataSync()[0]).toBe(1)
    expect(train.buffers['backbone.bn1.running_mean']).not.toBe(buffers['backbone.bn1.running_mean'])
    expect(Array.from(train.buffers['backbone.layer2.0.bn2.running_mean']!.dataSync()).some((v) => v !== 0)).toBe(true)
    expect(buffers['backbone.bn1.num_batches_tracked']!.dataSync()[0]).toBe(0)
    const evalRun = model.forward(params, train.buffers, x, { training: false, rng: Rng.make(0) })
    expect(evalRun.buffers).toBe(train.buffers)
    expect(Array.from(evalRun.output.dataSync())).not.toEqual(Array.from(train.output.dataSync()))
  })

  it('the ImageNet stem (7×7 stride 2, max pool) reduces the resolution by 4 before the stages', () => {
    const model = make({ ...small, stem: 'imagenet', img_size: 16 })
    expect(model.info.params[0]!.shape).toEqual([4, 2, 7, 7])
    const { params, buffers } = model.init(Rng.make(0))
    const out = model.forward(params, buffers, tf.tensor4d(values(2 * 16 * 16 * 2, 1), [2, 16, 16, 2]), {
      training: false,
      rng: Rng.make(0),
    })
    expect(out.output.shape).toEqual([2, 3])
  })

  it('gives every parameter a finite, non-zero gradient in train mode and leaves no tensors behind', () => {
    const model = make(small)
    const { params, buffers } = model.init(Rng.make(3))
    const x = tf.tensor4d(values(2 * 8 * 8 * 2, 4), [2, 8, 8, 2])
    const labels = tf.tensor1d([0, 2], 'int32')
    const result = step(model, params, buffers, x, labels)
    expect(badGradients(result.grads)).toEqual([])
    expect(result.buffers['backbone.layer1.0.bn1.num_batches_tracked']).toEqual([1])
    expect(tensorGrowth(() => step(model, params, buffers, x, labels), 1)).toBe(0)
    expect(tensorGrowth(() => step(model, params, buffers, x, labels, false), 1)).toBe(0)
  })

  it('rejects unknown depths, depth with stage_blocks, and strides of the wrong length', () => {
    const issues = (args: object) => {
      const r = build({ type: 'ResNet', num_classes: 10, ...args })
      return r._tag === 'Left' ? r.left.map((i) => i.message).join('; ') : ''
    }
    expect(issues({ depth: 51 })).toContain('depth 51 is not provided: use 18, 34, 50, 101, 152')
    expect(issues({ depth: 8, stage_blocks: [1] })).toContain('not both')
    expect(issues({ depth: 8, strides: [1, 2] })).toContain('strides has 2 entries but there are 3 stages')
    expect(issues({ depth: 8, stem: 'deep' })).toContain('"cifar", "imagenet"')
  })
})
