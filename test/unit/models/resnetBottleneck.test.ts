import * as tf from '@tensorflow/tfjs-core'
import { beforeAll, describe, expect, it } from 'vitest'
import * as Rng from '../../../src/dsl/Rng.js'
import { countParams, infoOfSpecs } from '../../../src/models/ParamSpec.js'
import { build } from '../../../src/models/registry.js'
import * as ResNet from '../../../src/models/ResNet.js'
import { useCpu } from '../../../src/tensor/cpu.js'
import { badGradients, step, tensorGrowth, values } from './helpers.js'

beforeAll(useCpu)

const make = (args: object) => {
  const built = build({ type: 'ResNet', ...args })
  if (built._tag === 'Left') throw new Error(JSON.stringify(built.left))
  return built.right
}

const backboneOf = (depth: number) =>
  infoOfSpecs(ResNet.backboneSpecs(ResNet.configOf({ depth, num_classes: 1000, stem: 'imagenet' })))

describe('ResNet with Bottleneck blocks (depth 50, 101, 152)', () => {
  it('has the parameter counts torchvision and MMPretrain report for the backbone (fc excluded)', () => {
    expect(countParams(backboneOf(18))).toBe(11_176_512)
    expect(countParams(backboneOf(50))).toBe(23_508_032)
    expect(countParams(backboneOf(101))).toBe(42_500_160)
    expect(countParams(backboneOf(152))).toBe(58_143_808)
  })

  it('uses MMPretrain’s names and shapes: conv1–3, bn1–3, downsample.0/.1 in each stage’s first block', () => {
    const params = backboneOf(50)
    const shape = (name: string) => params.find((p) => p.name === name)?.shape
    expect(params.slice(0, 3).map((p) => p.name)).toEqual([
      'backbone.conv1.weight',
      'backbone.bn1.weight',
      'backbone.bn1.bias',
    ])
    expect(shape('backbone.conv1.weight')).toEqual([64, 3, 7, 7])
    expect(shape('backbone.layer1.0.conv1.weight')).toEqual([64, 64, 1, 1])
    expect(shape('backbone.layer1.0.conv2.weight')).toEqual([64, 64, 3, 3])
    expect(shape('backbone.layer1.0.conv3.weight')).toEqual([256, 64, 1, 1])
    expect(shape('backbone.layer1.0.downsample.0.weight')).toEqual([256, 64, 1, 1])
    expect(shape('backbone.layer1.0.downsample.1.bias')).toEqual([256])
    expect(shape('backbone.layer2.0.conv1.weight')).toEqual([128, 256, 1, 1])
    expect(shape('backbone.layer4.2.bn3.weight')).toEqual([2048])
    expect(shape('backbone.layer1.1.downsample.0.weight')).toBeUndefined()
    expect(shape('backbone.layer3.5.conv2.weight')).toEqual([256, 256, 3, 3])
    expect(shape('backbone.layer3.6.conv2.weight')).toBeUndefined()
    // 53 convs and 53 BatchNorms (weight + bias each).
    expect(params.length).toBe(53 + 2 * 53)
    expect(params.filter((p) => p.module.type === 'BatchNorm2d').length).toBe(2 * 53)
    expect(ResNet.featureChannels(ResNet.configOf({ depth: 101, num_classes: 1 }))).toBe(2048)
  })

  it('reads norm_cfg SyncBN as BatchNorm and rejects a block that contradicts the depth', () => {
    const model = make({ depth: 50, num_classes: 10, stem: 'imagenet', norm_cfg: { type: 'SyncBN' } })
    expect(model.info.params.find((p) => p.name === 'backbone.layer1.0.bn3.weight')!.module.type).toBe('BatchNorm2d')
    const refused = build({ type: 'ResNet', depth: 50, block: 'basic', num_classes: 10 })
    expect(refused._tag === 'Left' && refused.left[0]!.message).toContain('depth 50 uses bottleneck blocks')
  })

  // A Bottleneck ResNet small enough to train here: 2 stages of one block, base width 2 (8 channels out).
  const small = {
    block: 'bottleneck',
    stage_blocks: [1, 1],
    base_channels: 2,
    stem_channels: 4,
    in_channels: 2,
    img_size: 8,
    num_classes: 3,
  }

  it('initialises exactly the parameters its description lists, bn3 at 0 under zero_init_residual', () => {
    const model = make(small)
    const { params, buffers } = model.init(Rng.make(0))
    expect(Object.keys(params)).toEqual(model.info.params.map((p) => p.name))
    expect(Object.values(params).map((t) => t.shape)).toEqual(model.info.params.map((p) => p.shape))
    expect(Object.keys(buffers)).toEqual(ResNet.bufferNames(ResNet.configOf(small as never)))
    expect(Array.from(params['backbone.layer1.0.bn3.weight']!.dataSync()).every((v) => v === 0)).toBe(true)
    expect(Array.from(params['backbone.layer1.0.bn2.weight']!.dataSync()).every((v) => v === 1)).toBe(true)
    expect(params['backbone.layer2.0.conv3.weight']!.shape).toEqual([16, 4, 1, 1])
    tf.dispose([...Object.values(params), ...Object.values(buffers)])
  })

  it('trains: logits of the right shape, a finite non-zero gradient for every parameter, no tensors left', () => {
    const model = make({ ...small, zero_init_residual: false })
    const { params, buffers } = model.init(Rng.make(3))
    const x = tf.tensor4d(values(2 * 8 * 8 * 2, 4), [2, 8, 8, 2])
    const labels = tf.tensor1d([0, 2], 'int32')
    const out = model.forward(params, buffers, x, { training: false, rng: Rng.make(0) })
    expect(out.output.shape).toEqual([2, 3])
    out.output.dispose()
    const result = step(model, params, buffers, x, labels)
    expect(badGradients(result.grads)).toEqual([])
    expect(result.buffers['backbone.layer2.0.bn3.num_batches_tracked']).toEqual([1])
    expect(tensorGrowth(() => step(model, params, buffers, x, labels), 1)).toBe(0)
  })
})
