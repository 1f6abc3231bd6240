import * as tf from '@tensorflow/tfjs-core'
import { beforeAll, describe, expect, it } from 'vitest'
import * as Rng from '../../../src/dsl/Rng.js'
import * as Activation from '../../../src/models/Activation.js'
import * as Dropout from '../../../src/models/Dropout.js'
import * as Embedding from '../../../src/models/Embedding.js'
import * as Pooling from '../../../src/models/Pooling.js'
import { useCpu } from '../../../src/tensor/cpu.js'
import { closeTo } from './helpers.js'

beforeAll(useCpu)

describe('Dropout', () => {
  const ones = () => tf.ones([100, 100])

  it('is reproducible from the Rng value alone and returns the stream advanced by one draw per element', () => {
    const x = ones()
    const [a, r1] = Dropout.apply(x, 0.3, true, Rng.make(11))
    const [b, r2] = Dropout.apply(x, 0.3, true, Rng.make(11))
    const [c] = Dropout.apply(x, 0.3, true, r1)
    expect(Array.from(a.dataSync())).toEqual(Array.from(b.dataSync()))
    expect(Array.from(c.dataSync())).not.toEqual(Array.from(a.dataSync()))
    expect(r1).toEqual({ seed: Rng.make(11).seed, counter: 10_000 })
    expect(r2).toEqual(r1)
    // Element i is dropped exactly when draw i is below p (the mask is the Rng's, element by element).
    const v = a.dataSync()
    for (let i = 0; i < 50; i++) expect(v[i] === 0).toBe(Rng.at(Rng.make(11).seed, i) / 2 ** 32 < 0.3)
  })

  it('keeps about 1 − p of the elements and scales them by 1 / (1 − p) (inverted dropout)', () => {
    const [y] = Dropout.apply(ones(), 0.25, true, Rng.make(2))
    const v = y.dataSync()
    const kept = v.filter((e) => e !== 0)
    expect(Math.abs(kept.length / v.length - 0.75)).toBeLessThan(0.02)
    expect(kept.every((e) => Math.abs(e - 1 / 0.75) < 1e-6)).toBe(true)
  })

  it('is the identity in eval mode and with p = 0 (no draws), zeros with p = 1, and an error outside [0, 1]', () => {
    const input = tf.tensor1d([1, -2, 3])
    const rng = Rng.make(4)
    const [e, re] = Dropout.apply(input, 0.5, false, rng)
    expect(Array.from(e.dataSync())).toEqual([1, -2, 3])
    expect(e).not.toBe(input)
    expect(re).toBe(rng)
    expect(Dropout.apply(input, 0, true, rng)[1]).toBe(rng)
    expect(Array.from(Dropout.apply(input, 1, true, rng)[0].dataSync()).map(Math.abs)).toEqual([0, 0, 0])
    expect(() => Dropout.apply(input, 1.5, true, rng)).toThrow('p must be in [0, 1]')
  })

  it('passes gradients through the kept elements only, scaled', () => {
    const input = tf.tensor1d([1, 2, 3, 4, 5, 6, 7, 8])
    const [y] = Dropout.apply(input, 0.5, true, Rng.make(3))
    const [g] = tf.grads((t: tf.Tensor) => tf.sum(Dropout.apply(t, 0.5, true, Rng.make(3))[0]))([input])
    expect(Array.from(g!.dataSync())).toEqual(Array.from(y.dataSync()).map((v, i) => v / (i + 1)))
  })
})

describe('activations', () => {
  it('GELU is the exact erf form (PyTorch’s nn.GELU()), with a working gradient', () => {
    const x = tf.tensor1d([-1, 0, 0.5, 1, 2])
    expect(
      closeTo(
        Activation.gelu(x).dataSync(),
        [-0.15865525393145707, 0, 0.34573123063700656, 0.8413447460685429, 1.9544997361036416],
        1e-6,
      ),
    ).toBe(true)
    // d/dx x·Φ(x) = Φ(x) + x·φ(x): at 1, 0.8413447 + 0.2419707.
    const [g] = tf.grads((t: tf.Tensor) => tf.sum(Activation.gelu(t)))([tf.tensor1d([1, 0])])
    expect(closeTo(g!.dataSync(), [0.8413447460685429 + 0.24197072451914337, 0.5], 1e-5)).toBe(true)
  })

  it('ReLU, SiLU and Tanh, also by PyTorch class name', () => {
    const x = tf.tensor1d([-2, 0, 1])
    expect(Array.from(Activation.relu(x).dataSync())).toEqual([0, 0, 1])
    expect(closeTo(Activation.silu(x).dataSync(), [-0.2384058440442351, 0, 0.7310585786300049], 1e-6)).toBe(true)
    expect(closeTo(Activation.byName['Tanh']!(x).dataSync(), [Math.tanh(-2), 0, Math.tanh(1)], 1e-6)).toBe(true)
    expect(Object.keys(Activation.byName)).toEqual(['ReLU', 'GELU', 'SiLU', 'Tanh'])
  })
})

describe('pooling', () => {
  const grid = (sign: number) =>
    tf.tensor4d(
      Array.from({ length: 16 }, (_, i) => sign * (i + 1)),
      [1, 4, 4, 1],
    )

  it('MaxPool2d(3, 2, padding 1) treats the padding as −∞ (hand-checked, also for all-negative inputs)', () => {
    expect(Array.from(Pooling.maxPool2d(grid(1), { kernel_size: 3, stride: 2, padding: 1 }).dataSync())).toEqual([
      6, 8, 14, 16,
    ])
    expect(Array.from(Pooling.maxPool2d(grid(-1), { kernel_size: 3, stride: 2, padding: 1 }).dataSync())).toEqual([
      -1, -2, -5, -6,
    ])
    expect(Array.from(Pooling.maxPool2d(grid(1), { kernel_size: 2 }).dataSync())).toEqual([6, 8, 14, 16])
  })

  it('AvgPool2d counts the zero padding (count_include_pad=True); the stride defaults to the kernel', () => {
    expect(Array.from(Pooling.avgPool2d(grid(1), { kernel_size: 2 }).dataSync())).toEqual([3.5, 5.5, 11.5, 13.5])
    expect(
      Array.from(
        Pooling.avgPool2d(tf.ones([1, 2, 2, 1]) as tf.Tensor4D, { kernel_size: 2, stride: 1, padding: 1 }).dataSync(),
      ),
    ).toEqual([0.25, 0.5, 0.25, 0.5, 1, 0.5, 0.25, 0.5, 0.25])
    expect(() => Pooling.avgPool2d(grid(1), { kernel_size: 2, padding: 2 })).toThrow('at most half')
  })

  it('AdaptiveAvgPool2d(1) averages over space, keeping [n, 1, 1, C]; gradients flow through all three', () => {
    const x = tf.tensor4d([1, 10, 2, 20, 3, 30, 4, 40], [1, 2, 2, 2])
    const y = Pooling.adaptiveAvgPool2d(x)
    expect(y.shape).toEqual([1, 1, 1, 2])
    expect(Array.from(y.dataSync())).toEqual([2.5, 25])
    const [g] = tf.grads((t: tf.Tensor) =>
      tf.add(
        tf.add(
          tf.sum(Pooling.maxPool2d(t as tf.Tensor4D, { kernel_size: 3, stride: 2, padding: 1 })),
          tf.sum(Pooling.avgPool2d(t as tf.Tensor4D, { kernel_size: 2, padding: 1 })),
        ),
        tf.sum(Pooling.adaptiveAvgPool2d(t as tf.Tensor4D)),
      ),
    )([grid(1)])
    const gv = g!.dataSync()
    // Max: the four window maxima (6, 8, 14, 16) get 1. Avg (2×2, stride 2, pad 1): each element is in exactly one
    // window, 1/4. Global: 1/16.
    const expected = Array.from({ length: 16 }, (_, i) => ([5, 7, 13, 15].includes(i) ? 1 : 0) + 0.25 + 1 / 16)
    expect(closeTo(gv, expected, 1e-6)).toBe(true)
  })
})

describe('Embedding', () => {
  it('weight [num, dim] from N(0, 1); lookups gather rows and gradients scatter back into them', () => {
    const [params, rng] = Embedding.init('emb', 50, 40, Rng.make(0))
    expect(Object.keys(params)).toEqual(['emb.weight'])
    expect(params['emb.weight']!.shape).toEqual([50, 40])
    expect(rng.counter).toBe(2000)
    const w = Array.from(params['emb.weight']!.dataSync())
    const mean = w.reduce((a, b) => a + b, 0) / w.length
    const std = Math.sqrt(w.reduce((a, b) => a + (b - mean) ** 2, 0) / w.length)
    expect(Math.abs(mean)).toBeLessThan(0.06)
    expect(Math.abs(std - 1)).toBeLessThan(0.06)
    const ids = tf.tensor2d(
      [
        [3, 1],
        [3, 0],
      ],
      [2, 2],
      'int32',
    )
    const y = Embedding.apply(params, 'emb', ids)
    expect(y.shape).toEqual([2, 2, 40])
    expect(Array.from(y.dataSync().slice(0, 40))).toEqual(Array.from(w.slice(120, 160)))
    const [g] = tf.grads((t: tf.Tensor) => tf.sum(Embedding.apply({ 'emb.weight': t }, 'emb', ids)))([
      params['emb.weight']!,
    ])
    const rows = Array.from({ length: 5 }, (_, r) => g!.dataSync()[r * 40])
    expect(rows).toEqual([1, 1, 0, 2, 0])
  })
})
