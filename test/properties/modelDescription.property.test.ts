/**
 * One definition per model: for any small configuration, the tensors a model
 * initialises are exactly the parameters its description lists (names, order,
 * shapes), so the dry run's real-size descriptions are the training code's.
 */
import * as tf from '@tensorflow/tfjs-core'
import fc from 'fast-check'
import { beforeAll, describe, expect, it } from 'vitest'
import * as Rng from '../../src/dsl/Rng.js'
import { build } from '../../src/models/registry.js'
import { useCpu } from '../../src/tensor/cpu.js'

beforeAll(useCpu)

const agrees = (cfg: object, seed: number): void => {
  const built = build(cfg)
  if (built._tag === 'Left') throw new Error(JSON.stringify(built.left))
  const { params, buffers } = built.right.init(Rng.make(seed))
  try {
    expect(Object.keys(params)).toEqual(built.right.info.params.map((p) => p.name))
    expect(Object.values(params).map((t) => t.shape)).toEqual(built.right.info.params.map((p) => [...p.shape]))
  } finally {
    tf.dispose([...Object.values(params), ...Object.values(buffers)])
  }
}

const resnet = fc.record({
  type: fc.constant('ResNet'),
  block: fc.constantFrom('basic', 'bottleneck'),
  stage_blocks: fc.array(fc.integer({ min: 1, max: 2 }), { minLength: 1, maxLength: 3 }),
  base_channels: fc.integer({ min: 1, max: 3 }),
  stem_channels: fc.integer({ min: 1, max: 8 }),
  in_channels: fc.integer({ min: 1, max: 3 }),
  stem: fc.constantFrom('cifar', 'imagenet'),
  zero_init_residual: fc.boolean(),
  num_classes: fc.integer({ min: 1, max: 4 }),
})

const vit = fc
  .record({
    heads: fc.integer({ min: 1, max: 3 }),
    perHead: fc.integer({ min: 1, max: 4 }),
    num_layers: fc.integer({ min: 1, max: 3 }),
    patch_size: fc.integer({ min: 2, max: 4 }),
    img_size: fc.integer({ min: 4, max: 9 }),
    in_channels: fc.integer({ min: 1, max: 3 }),
    mlp_ratio: fc.constantFrom(1, 2, 4),
    num_classes: fc.integer({ min: 1, max: 4 }),
  })
  .map(({ heads, perHead, ...rest }) => ({
    type: 'VisionTransformer',
    num_heads: heads,
    embed_dims: heads * perHead,
    ...rest,
  }))

describe('a model’s description is what its init allocates', () => {
  it('ResNet, BasicBlock or Bottleneck, any stem and widths', () => {
    fc.assert(
      fc.property(resnet, fc.nat(1000), (cfg, seed) => agrees(cfg, seed)),
      { numRuns: 25 },
    )
  })

  it('VisionTransformer of any width, depth, patch and image size', () => {
    fc.assert(
      fc.property(vit, fc.nat(1000), (cfg, seed) => agrees(cfg, seed)),
      { numRuns: 25 },
    )
  })
})
