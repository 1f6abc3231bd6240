import * as tf from '@tensorflow/tfjs-core'
import { Effect } from 'effect'
import { beforeAll, describe, expect, it } from 'vitest'
import * as Rng from '../../../src/dsl/Rng.js'
import * as Activation from '../../../src/models/Activation.js'
import * as BatchNorm from '../../../src/models/BatchNorm.js'
import * as Embedding from '../../../src/models/Embedding.js'
import * as GroupNorm from '../../../src/models/GroupNorm.js'
import type { Model } from '../../../src/models/Model.js'
import * as Pooling from '../../../src/models/Pooling.js'
import { build } from '../../../src/models/registry.js'
import { selectBackend } from '../../../src/tensor/backend.js'
import { badGradients, maxError, step, tensorGrowth, values } from './helpers.js'
import { rowsBeyondHeap, wasmHeapBytes } from '../../support/kernels.js'

// Both backends initialised once; each check runs the same computation on both from plain arrays.
beforeAll(async () => {
  await Effect.runPromise(selectBackend('cpu'))
  await Effect.runPromise(selectBackend('wasm'))
})

const onBoth = async <A>(f: () => A): Promise<{ readonly cpu: A; readonly wasm: A }> => {
  await tf.setBackend('cpu')
  const cpu = f()
  await tf.setBackend('wasm')
  const wasm = f()
  return { cpu, wasm }
}

/** Forward + gradient of `sum(g(x) · weights)` as plain arrays. */
const valueAndGrad = (g: (x: tf.Tensor) => tf.Tensor, data: Float32Array, shape: number[]) =>
  tf.tidy(() => {
    const x = tf.tensor(data, shape)
    const y = g(x)
    const weights = tf.tensor(values(y.size, 99), y.shape)
    const [grad] = tf.grads((t: tf.Tensor) => tf.sum(tf.mul(g(t), weights)))([x])
    return { y: Array.from(y.dataSync()), grad: Array.from(grad!.dataSync()) }
  })

const layerCases: ReadonlyArray<readonly [string, (x: tf.Tensor) => tf.Tensor, number[]]> = [
  ['GELU (erf)', (x) => Activation.gelu(tf.mul(x, 3)), [4, 9]],
  ['SiLU', (x) => Activation.silu(tf.mul(x, 3)), [4, 9]],
  [
    'MaxPool2d 3/2 pad 1 over negative values',
    (x) => Pooling.maxPool2d(tf.sub(tf.abs(x), 2) as tf.Tensor4D, { kernel_size: 3, stride: 2, padding: 1 }),
    [2, 7, 6, 3],
  ],
  [
    'AvgPool2d 2/2 pad 1 (count_include_pad)',
    (x) => Pooling.avgPool2d(x as tf.Tensor4D, { kernel_size: 2, padding: 1 }),
    [2, 5, 5, 2],
  ],
  ['AdaptiveAvgPool2d', (x) => Pooling.adaptiveAvgPool2d(x as tf.Tensor4D), [2, 3, 4, 5]],
  [
    'GroupNorm',
    (x) =>
      GroupNorm.apply(
        { 'g.weight': tf.tensor1d([1, 2, 3, 4]), 'g.bias': tf.tensor1d([0, 1, 0, 1]) },
        'g',
        { num_groups: 2 },
        x,
      ),
    [2, 3, 3, 4],
  ],
  [
    'BatchNorm2d, train',
    (x) => BatchNorm.apply2d({}, BatchNorm.init('b', 3).buffers, 'b', x as tf.Tensor4D, { training: true })[0],
    [3, 4, 4, 3],
  ],
]

describe('the layers on WASM agree with the CPU backend (forward and gradient)', () => {
  for (const [name, g, shape] of layerCases)
    it(name, async () => {
      const data = values(
        shape.reduce((a, b) => a * b, 1),
        5,
      )
      const { cpu, wasm } = await onBoth(() => valueAndGrad(g, data, shape))
      expect(maxError(wasm.y, cpu.y)).toBeLessThan(1e-5)
      expect(maxError(wasm.grad, cpu.grad)).toBeLessThan(1e-5)
    })

  it('UnsortedSegmentSum takes its views after allocating the output, even when that grows the heap', async () => {
    await tf.setBackend('wasm')
    const before = wasmHeapBytes()
    // An output larger than the whole heap: its allocation must grow it, detaching views taken before.
    const segments = rowsBeyondHeap(1024)
    const x = tf.tensor2d([...Array(1024).fill(1), ...Array(1024).fill(2)], [2, 1024])
    const ids = tf.tensor1d([segments - 1, 0], 'int32')
    const sums = tf.unsortedSegmentSum(x, ids, segments)
    expect(wasmHeapBytes()).toBeGreaterThan(before)
    const out = sums.dataSync()
    expect([out[0], out[1023], out[(segments - 1) * 1024], out[segments * 1024 - 1], out[1024]]).toEqual([
      2, 2, 1, 1, 0,
    ])
    tf.dispose([x, ids, sums])
  })

  it('Embedding gradients (gather → UnsortedSegmentSum)', async () => {
    const table = values(10 * 3, 1)
    const { cpu, wasm } = await onBoth(() =>
      tf.tidy(() => {
        const ids = tf.tensor1d([3, 1, 3, 9], 'int32')
        const [g] = tf.grads((w: tf.Tensor) => tf.sum(tf.square(Embedding.apply({ 'e.weight': w }, 'e', ids))))([
          tf.tensor2d(table, [10, 3]),
        ])
        return Array.from(g!.dataSync())
      }),
    )
    expect(maxError(wasm, cpu)).toBeLessThan(1e-6)
  })
})

const models: ReadonlyArray<readonly [string, object, number[]]> = [
  ['LeNet5', { type: 'LeNet5', num_classes: 4, input_size: 32 }, [1, 32, 32, 1]],
  [
    'ResNet (BatchNorm in train mode, ImageNet stem with max pool)',
    {
      type: 'ResNet',
      stage_blocks: [1, 1],
      base_channels: 4,
      in_channels: 2,
      img_size: 12,
      stem: 'imagenet',
      num_classes: 4,
      zero_init_residual: false,
    },
    [3, 12, 12, 2],
  ],
  [
    'VisionTransformer (with dropout)',
    {
      type: 'VisionTransformer',
      num_classes: 4,
      embed_dims: 8,
      num_layers: 2,
      num_heads: 2,
      mlp_ratio: 2,
      img_size: 12,
      patch_size: 4,
      drop_rate: 0.1,
    },
    [3, 12, 12, 1],
  ],
]

describe('the models on WASM: loss, every gradient and the new buffers agree with the CPU backend', () => {
  for (const [name, cfg, shape] of models)
    it(name, async () => {
      const built = build(cfg)
      if (built._tag === 'Left') throw new Error(JSON.stringify(built.left))
      const model: Model = built.right
      await tf.setBackend('cpu')
      const init = model.init(Rng.make(4))
      const arrays = Object.fromEntries(
        Object.entries({ ...init.params, ...init.buffers }).map(([n, t]) => [
          n,
          { data: t.dataSync().slice(), shape: t.shape, dtype: t.dtype },
        ]),
      )
      const x = values(
        shape.reduce((a, b) => a * b, 1),
        6,
      )
      const run = () => {
        const tree = (names: string[]) =>
          Object.fromEntries(names.map((n) => [n, tf.tensor(arrays[n]!.data, arrays[n]!.shape, arrays[n]!.dtype)]))
        const params = tree(Object.keys(init.params))
        if (params['head.layers.head.weight'] !== undefined)
          params['head.layers.head.weight'] = tf.tensor(
            values(params['head.layers.head.weight'].size, 8),
            params['head.layers.head.weight'].shape,
          )
        const buffers = tree(Object.keys(init.buffers))
        const input = tf.tensor(x, shape)
        const labels = tf.tensor1d([0, 1, 3].slice(0, shape[0]), 'int32')
        const result = step(model, params, buffers, input, labels)
        const growth = tensorGrowth(() => step(model, params, buffers, input, labels), 1)
        tf.dispose([...Object.values(params), ...Object.values(buffers), input, labels])
        return { result, growth }
      }
      const { cpu, wasm } = await onBoth(run)
      expect(badGradients(wasm.result.grads)).toEqual([])
      expect(wasm.growth).toBe(0)
      expect(Math.abs(wasm.result.loss - cpu.result.loss)).toBeLessThan(1e-5)
      for (const n of Object.keys(cpu.result.grads))
        expect({ n, error: maxError(wasm.result.grads[n]!, cpu.result.grads[n]!) < 1e-4 }).toEqual({ n, error: true })
      for (const n of Object.keys(cpu.result.buffers))
        expect({ n, error: maxError(wasm.result.buffers[n]!, cpu.result.buffers[n]!) < 1e-5 }).toEqual({
          n,
          error: true,
        })
    })
})
