import * as tf from '@tensorflow/tfjs-core'
import { beforeAll, describe, expect, it } from 'vitest'
import * as BatchNorm from '../../../src/models/BatchNorm.js'
import * as GroupNorm from '../../../src/models/GroupNorm.js'
import { useCpu } from '../../../src/tensor/cpu.js'
import { closeTo, values } from './helpers.js'

beforeAll(useCpu)

describe('BatchNorm', () => {
  it('keeps weight/bias as parameters and running_mean/running_var/num_batches_tracked (int32 0) as buffers', () => {
    const { params, buffers } = BatchNorm.init('bn', 3)
    expect(Object.keys(params)).toEqual(['bn.weight', 'bn.bias'])
    expect(Object.keys(buffers)).toEqual(['bn.running_mean', 'bn.running_var', 'bn.num_batches_tracked'])
    expect(Array.from(params['bn.weight']!.dataSync())).toEqual([1, 1, 1])
    expect(Array.from(params['bn.bias']!.dataSync())).toEqual([0, 0, 0])
    expect(Array.from(buffers['bn.running_mean']!.dataSync())).toEqual([0, 0, 0])
    expect(Array.from(buffers['bn.running_var']!.dataSync())).toEqual([1, 1, 1])
    expect(buffers['bn.num_batches_tracked']!.dtype).toBe('int32')
    expect(buffers['bn.num_batches_tracked']!.shape).toEqual([])
    expect(Object.keys(BatchNorm.init('bn', 3, false).params)).toEqual([])
  })

  it(
    'train mode: biased batch variance to normalise, unbiased variance and momentum ' +
      '0.1 for the running stats (hand-computed)',
    () => {
      // Channel 0 sees 1, 3: mean 2, biased var 1, unbiased 2. Channel 1 sees 2, 6: mean 4, biased var 4, unbiased 8.
      const params = { 'bn.weight': tf.tensor1d([2, 1]), 'bn.bias': tf.tensor1d([0.5, 0]) }
      const { buffers } = BatchNorm.init('bn', 2)
      const x = tf.tensor2d([
        [1, 2],
        [3, 6],
      ])
      const [y, updates] = BatchNorm.apply1d(params, buffers, 'bn', x, { training: true })
      const a = 1 / Math.sqrt(1 + 1e-5)
      const b = 2 / Math.sqrt(4 + 1e-5)
      expect(closeTo(y.dataSync(), [-2 * a + 0.5, -b, 2 * a + 0.5, b], 1e-6)).toBe(true)
      expect(closeTo(updates['bn.running_mean']!.dataSync(), [0.2, 0.4], 1e-7)).toBe(true)
      expect(closeTo(updates['bn.running_var']!.dataSync(), [0.9 + 0.2, 0.9 + 0.8], 1e-7)).toBe(true)
      expect(updates['bn.num_batches_tracked']!.dtype).toBe('int32')
      expect(updates['bn.num_batches_tracked']!.dataSync()[0]).toBe(1)
      // The given buffers are untouched and alive.
      expect(buffers['bn.running_mean']!.isDisposed).toBe(false)
      expect(Array.from(buffers['bn.running_var']!.dataSync())).toEqual([1, 1])
      // A second step compounds: 0.9 · 0.2 + 0.1 · 2 and the counter reaches 2.
      const [, second] = BatchNorm.apply1d(params, { ...buffers, ...updates }, 'bn', x, { training: true })
      expect(closeTo(second['bn.running_mean']!.dataSync(), [0.9 * 0.2 + 0.2, 0.9 * 0.4 + 0.4], 1e-6)).toBe(true)
      expect(second['bn.num_batches_tracked']!.dataSync()[0]).toBe(2)
    },
  )

  it('eval mode normalises with the running statistics and updates nothing', () => {
    const params = { 'bn.weight': tf.tensor1d([2, 1]), 'bn.bias': tf.tensor1d([0.5, 0]) }
    const buffers = {
      'bn.running_mean': tf.tensor1d([0.2, 0.4]),
      'bn.running_var': tf.tensor1d([1.1, 1.7]),
      'bn.num_batches_tracked': tf.scalar(1, 'int32'),
    }
    const [y, updates] = BatchNorm.apply1d(params, buffers, 'bn', tf.tensor2d([[1, 2]]), { training: false })
    expect(updates).toEqual({})
    expect(
      closeTo(y.dataSync(), [((1 - 0.2) / Math.sqrt(1.1 + 1e-5)) * 2 + 0.5, (2 - 0.4) / Math.sqrt(1.7 + 1e-5)], 1e-6),
    ).toBe(true)
  })

  it('eval mode: gradients in x, weight and bias; without affine parameters; with the ReLU', () => {
    const buffers = {
      'bn.running_mean': tf.tensor1d([0.2, 0.4]),
      'bn.running_var': tf.tensor1d([1.1, 1.7]),
      'bn.num_batches_tracked': tf.scalar(1, 'int32'),
    }
    const x = tf.tensor2d([
      [1, -2],
      [3, 0.4],
    ])
    const inv = [1 / Math.sqrt(1.1 + 1e-5), 1 / Math.sqrt(1.7 + 1e-5)]
    const [gx, gw, gb] = tf.grads((xs: tf.Tensor, w: tf.Tensor, b: tf.Tensor) =>
      tf.sum(BatchNorm.apply1d({ 'bn.weight': w, 'bn.bias': b }, buffers, 'bn', xs, { training: false })[0]),
    )([x, tf.tensor1d([2, 1]), tf.tensor1d([0.5, 0])])
    expect(closeTo(gx!.dataSync(), [2 * inv[0]!, inv[1]!, 2 * inv[0]!, inv[1]!], 1e-6)).toBe(true)
    expect(closeTo(gw!.dataSync(), [(1 - 0.2 + 3 - 0.2) * inv[0]!, (-2 - 0.4 + 0.4 - 0.4) * inv[1]!], 1e-6)).toBe(true)
    expect(Array.from(gb!.dataSync())).toEqual([2, 2])
    const [plain] = BatchNorm.apply1d({}, buffers, 'bn', x, { training: false })
    expect(closeTo(plain.dataSync(), [0.8 * inv[0]!, -2.4 * inv[1]!, 2.8 * inv[0]!, 0], 1e-6)).toBe(true)
    const [relu] = BatchNorm.apply1d({}, buffers, 'bn', x, { training: false, relu: true })
    expect(closeTo(relu.dataSync(), [0.8 * inv[0]!, 0, 2.8 * inv[0]!, 0], 1e-6)).toBe(true)
  })

  it(
    'BatchNorm2d on NHWC matches a per-channel loop reference, and refuses one value ' + 'per channel in train mode',
    () => {
      const [n, h, w, c] = [3, 2, 2, 4]
      const data = values(n * h * w * c, 3)
      const { params, buffers } = BatchNorm.init('bn', c)
      const [y, updates] = BatchNorm.apply2d(params, buffers, 'bn', tf.tensor4d(data, [n, h, w, c]), {
        training: true,
        momentum: 0.3,
        eps: 1e-3,
      })
      const out = y.dataSync()
      const m = n * h * w
      const expectedMean: number[] = []
      const expectedVar: number[] = []
      for (let ch = 0; ch < c; ch++) {
        const xs = Array.from({ length: m }, (_, i) => data[i * c + ch]!)
        const mean = xs.reduce((s, v) => s + v, 0) / m
        const biased = xs.reduce((s, v) => s + (v - mean) ** 2, 0) / m
        xs.forEach((v, i) => {
          expect(out[i * c + ch]).toBeCloseTo((v - mean) / Math.sqrt(biased + 1e-3), 5)
        })
        expectedMean.push(0.3 * mean)
        expectedVar.push(0.7 + (0.3 * biased * m) / (m - 1))
      }
      expect(closeTo(updates['bn.running_mean']!.dataSync(), expectedMean, 1e-6)).toBe(true)
      expect(closeTo(updates['bn.running_var']!.dataSync(), expectedVar, 1e-6)).toBe(true)
      expect(() =>
        BatchNorm.apply2d(params, buffers, 'bn', tf.zeros([1, 1, 1, 4]) as tf.Tensor4D, { training: true }),
      ).toThrow('more than 1 value per channel')
      expect(() =>
        BatchNorm.apply2d(params, buffers, 'bn', tf.zeros([2, 4]) as unknown as tf.Tensor4D, { training: true }),
      ).toThrow('NHWC')
    },
  )

  it('gradients flow to weight, bias and the input; no tensors are left behind', () => {
    const { params, buffers } = BatchNorm.init('bn', 2)
    const x = tf.tensor2d([
      [1, 2],
      [3, 7],
      [0, -1],
    ])
    const target = tf.tensor2d([
      [1, 0],
      [0, 1],
      [1, 1],
    ])
    const run = () =>
      tf.tidy(() => {
        const [gw, gb, gx] = tf.grads((wt: tf.Tensor, bs: tf.Tensor, input: tf.Tensor) => {
          const [y] = BatchNorm.apply({ 'bn.weight': wt, 'bn.bias': bs }, buffers, 'bn', input, { training: true })
          return tf.sum(tf.mul(y, target))
        })([params['bn.weight']!, params['bn.bias']!, x])
        return [gw!.dataSync(), gb!.dataSync(), gx!.dataSync()]
      })
    const before = tf.memory().numTensors
    const [gw, gb, gx] = run()
    expect(tf.memory().numTensors).toBe(before)
    // d/dbias = Σ target per channel; d/dweight = Σ x̂ · target.
    expect(Array.from(gb!)).toEqual([2, 2])
    expect(gw!.every((v) => Number.isFinite(v) && v !== 0)).toBe(true)
    // The input gradient of a batch-normalised output sums to zero per channel.
    expect(Math.abs(gx![0]! + gx![2]! + gx![4]!)).toBeLessThan(1e-5)
  })
})

describe('GroupNorm', () => {
  it(
    'normalises per sample and group over space and the group’s channels (loop ' +
      'reference), then scales per channel',
    () => {
      const [n, h, w, c, groups] = [2, 3, 2, 6, 3]
      const data = values(n * h * w * c, 9)
      const params = {
        'gn.weight': tf.tensor1d([1, 2, 3, 4, 5, 6]),
        'gn.bias': tf.tensor1d([0, 0.1, 0.2, 0.3, 0.4, 0.5]),
      }
      const out = GroupNorm.apply(params, 'gn', { num_groups: groups }, tf.tensor4d(data, [n, h, w, c])).dataSync()
      const per = c / groups
      const weight = [1, 2, 3, 4, 5, 6]
      const bias = [0, 0.1, 0.2, 0.3, 0.4, 0.5]
      for (let s = 0; s < n; s++)
        for (let g = 0; g < groups; g++) {
          const idx: number[] = []
          for (let p = 0; p < h * w; p++) for (let k = 0; k < per; k++) idx.push(s * h * w * c + p * c + g * per + k)
          const mean = idx.reduce((a, i) => a + data[i]!, 0) / idx.length
          const variance = idx.reduce((a, i) => a + (data[i]! - mean) ** 2, 0) / idx.length
          for (const i of idx) {
            const ch = i % c
            expect(out[i]).toBeCloseTo(((data[i]! - mean) / Math.sqrt(variance + 1e-5)) * weight[ch]! + bias[ch]!, 5)
          }
        }
    },
  )

  it('initialises ones/zeros, works on [n, C], and rejects channels not divisible into groups', () => {
    const params = GroupNorm.init('gn', 4)
    expect(Object.keys(params)).toEqual(['gn.weight', 'gn.bias'])
    expect(GroupNorm.init('gn', 4, false)).toEqual({})
    const y = GroupNorm.apply(params, 'gn', { num_groups: 2 }, tf.tensor2d([[1, 3, 10, 10]]))
    expect(closeTo(y.dataSync(), [-1 / Math.sqrt(1 + 1e-5), 1 / Math.sqrt(1 + 1e-5), 0, 0], 1e-6)).toBe(true)
    expect(() => GroupNorm.apply(params, 'gn', { num_groups: 3 }, tf.zeros([1, 4]))).toThrow('not divisible')
  })
})
