import * as tf from '@tensorflow/tfjs-core'
import { beforeAll, describe, expect, it } from 'vitest'
import * as Rng from '../../../src/dsl/Rng.js'
import { build } from '../../../src/models/registry.js'
import { VisionTransformerModel } from '../../../src/models/VisionTransformer.js'
import { pretrainLayerDepth } from '../../../src/optim/constructors/pretrainLayerDepth.js'
import { validateModel } from '../../../src/models/ModelInfo.js'
import { useCpu } from '../../../src/tensor/cpu.js'
import { badGradients, shapes, step, tensorGrowth, values } from './helpers.js'

beforeAll(useCpu)

const layer = (i: number, c: number, f: number) => {
  const l = `backbone.layers.${i}`
  return [
    [`${l}.ln1.weight`, [c]],
    [`${l}.ln1.bias`, [c]],
    [`${l}.attn.qkv.weight`, [3 * c, c]],
    [`${l}.attn.qkv.bias`, [3 * c]],
    [`${l}.attn.proj.weight`, [c, c]],
    [`${l}.attn.proj.bias`, [c]],
    [`${l}.ln2.weight`, [c]],
    [`${l}.ln2.bias`, [c]],
    [`${l}.ffn.layers.0.0.weight`, [f, c]],
    [`${l}.ffn.layers.0.0.bias`, [f]],
    [`${l}.ffn.layers.1.weight`, [c, f]],
    [`${l}.ffn.layers.1.bias`, [c]],
  ]
}
// named_parameters() of ImageClassifier(backbone=VisionTransformer(arch=dict(embed_dims=16, num_layers=2, num_heads=2,
// feedforward_channels=32), img_size=28, patch_size=7, in_channels=1), head=VisionTransformerClsHead(10, 16)).
const vit = [
  ['backbone.cls_token', [1, 1, 16]],
  ['backbone.pos_embed', [1, 17, 16]],
  ['backbone.patch_embed.projection.weight', [16, 1, 7, 7]],
  ['backbone.patch_embed.projection.bias', [16]],
  ...layer(0, 16, 32),
  ...layer(1, 16, 32),
  ['backbone.ln1.weight', [16]],
  ['backbone.ln1.bias', [16]],
  ['head.layers.head.weight', [10, 16]],
  ['head.layers.head.bias', [10]],
]

const small = { num_classes: 10, embed_dims: 16, num_layers: 2, num_heads: 2, mlp_ratio: 2 }

describe('VisionTransformer', () => {
  const model = VisionTransformerModel.build(small)

  it(
    'has MMPretrain’s names and shapes in named_parameters() order; info equals init ' + 'and carries the ViT backbone',
    () => {
      const { params, buffers } = model.init(Rng.make(0))
      expect(shapes(params)).toEqual(vit)
      expect(buffers).toEqual({})
      expect(model.info.params.map((p) => [p.name, p.shape])).toEqual(vit)
      expect(validateModel(model.info)).toEqual([])
      expect(model.info.backbone).toEqual({ kind: 'vit', numLayers: 2 })
      const modules = Object.fromEntries(model.info.params.map((p) => [p.name, p.module.type]))
      expect([
        modules['backbone.cls_token'],
        modules['backbone.patch_embed.projection.weight'],
        modules['backbone.layers.1.ln2.bias'],
        modules['backbone.layers.0.ffn.layers.1.weight'],
        modules['head.layers.head.bias'],
      ]).toEqual(['VisionTransformer', 'Conv2d', 'LayerNorm', 'Linear', 'Linear'])
      // The layer-decay constructor reads these names: stem 0, layer i → i + 1, final norm and head last.
      const depth = (name: string) =>
        pretrainLayerDepth(model.info.params.find((p) => p.name === name)!, model.info.backbone)
      expect(depth('backbone.pos_embed')).toEqual({ _tag: 'Right', right: [0, 4] })
      expect(depth('backbone.layers.1.attn.qkv.weight')).toEqual({ _tag: 'Right', right: [2, 4] })
      expect(depth('backbone.ln1.bias')).toEqual({ _tag: 'Right', right: [3, 4] })
      expect(model.inputShape).toEqual([28, 28, 1])
    },
  )

  it(
    'initialises as MMPretrain: cls_token 0, pos_embed trunc-normal 0.02, FFN xavier ' +
      '+ N(0, 1e-6²) biases, zero head',
    () => {
      const big = VisionTransformerModel.build({
        num_classes: 10,
        embed_dims: 64,
        num_layers: 1,
        num_heads: 4,
        patch_size: 2,
      })
      const { params } = big.init(Rng.make(0))
      const pos = Array.from(params['backbone.pos_embed']!.dataSync())
      expect(pos.length).toBe(197 * 64)
      expect(Math.abs(Math.sqrt(pos.reduce((a, b) => a + b * b, 0) / pos.length) - 0.02)).toBeLessThan(0.001)
      expect(Array.from(params['backbone.cls_token']!.dataSync()).every((v) => v === 0)).toBe(true)
      const fc = params['backbone.layers.0.ffn.layers.0.0.weight']!.dataSync()
      const bound = Math.sqrt(6 / (64 + 256))
      expect(Math.max(...Array.from(fc).map(Math.abs))).toBeLessThanOrEqual(bound)
      expect(Math.max(...Array.from(fc).map(Math.abs))).toBeGreaterThan(0.95 * bound)
      const bias = params['backbone.layers.0.ffn.layers.1.bias']!.dataSync()
      expect(Math.max(...Array.from(bias).map(Math.abs))).toBeLessThan(1e-5)
      expect(Array.from(bias).some((v) => v !== 0)).toBe(true)
      // nn.Linear default for attention: U(±1/√C).
      expect(
        Math.max(...Array.from(params['backbone.layers.0.attn.qkv.weight']!.dataSync()).map(Math.abs)),
      ).toBeLessThanOrEqual(1 / 8)
      expect(Array.from(params['head.layers.head.weight']!.dataSync()).every((v) => v === 0)).toBe(true)
      expect(Array.from(params['backbone.layers.0.ln1.weight']!.dataSync()).every((v) => v === 1)).toBe(true)
    },
  )

  it('maps images to logits; the zero-initialised head gives uniform logits (loss log 10) at first', () => {
    const { params } = model.init(Rng.make(0))
    const x = tf.tensor4d(values(3 * 28 * 28, 1), [3, 28, 28, 1])
    const out = model.forward(params, {}, x, { training: false, rng: Rng.make(0) })
    expect(out.output.shape).toEqual([3, 10])
    expect(Array.from(out.output.dataSync()).every((v) => v === 0)).toBe(true)
    expect(model.losses(out.output, tf.tensor1d([1, 2, 3], 'int32'))['loss']!.dataSync()[0]).toBeCloseTo(
      Math.log(10),
      5,
    )
  })

  const trained = () => {
    // Replace the zero head so that gradients reach the backbone.
    const { params } = model.init(Rng.make(1))
    return { ...params, 'head.layers.head.weight': tf.tensor2d(values(10 * 16, 9), [10, 16]) }
  }

  it('dropout (drop_rate) is reproducible from the forward stream and absent in eval mode', () => {
    const dropping = VisionTransformerModel.build({ ...small, drop_rate: 0.2 })
    const params = trained()
    const x = tf.tensor4d(values(2 * 28 * 28, 2), [2, 28, 28, 1])
    const run = (training: boolean, seed: number) =>
      Array.from(dropping.forward(params, {}, x, { training, rng: Rng.make(seed) }).output.dataSync())
    expect(run(true, 1)).toEqual(run(true, 1))
    expect(run(true, 1)).not.toEqual(run(true, 2))
    expect(run(false, 1)).toEqual(run(false, 2))
    expect(run(false, 1)).toEqual(
      Array.from(model.forward(params, {}, x, { training: true, rng: Rng.make(1) }).output.dataSync()),
    )
  })

  it('gives every parameter a finite, non-zero gradient and leaves no tensors behind', () => {
    const dropping = VisionTransformerModel.build({ ...small, drop_rate: 0.1 })
    const params = trained()
    const x = tf.tensor4d(values(4 * 28 * 28, 3), [4, 28, 28, 1])
    const labels = tf.tensor1d([0, 1, 2, 3], 'int32')
    const result = step(dropping, params, {}, x, labels)
    expect(badGradients(result.grads)).toEqual([])
    expect(tensorGrowth(() => step(dropping, params, {}, x, labels), 1)).toBe(0)
  })

  it('has small defaults (28×28×1, patch 7, 64 dims, 3 layers, 4 heads) and strict arguments', () => {
    const d = VisionTransformerModel.build({ num_classes: 10 })
    expect(d.info.params.find((p) => p.name === 'backbone.pos_embed')!.shape).toEqual([1, 17, 64])
    expect(d.info.backbone).toEqual({ kind: 'vit', numLayers: 3 })
    expect(d.info.params.find((p) => p.name === 'backbone.layers.0.ffn.layers.0.0.weight')!.shape).toEqual([256, 64])
    expect(d.info.params.find((p) => p.name === 'backbone.layers.0.attn.qkv.weight')!.shape).toEqual([192, 64])
    const bad = build({ type: 'VisionTransformer', num_classes: 10, embed_dims: 30, num_heads: 4 })
    expect(bad._tag === 'Left' && bad.left[0]!.message).toContain('embed_dims 30 must be divisible by num_heads 4')
    const typo = build({ type: 'VisionTransformer', num_classes: 10, num_head: 4 })
    expect(typo._tag === 'Left' && typo.left[0]!.message).toContain("did you mean 'num_heads'")
  })
})
