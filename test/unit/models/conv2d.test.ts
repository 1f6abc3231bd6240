import * as tf from '@tensorflow/tfjs-core'
import { beforeAll, describe, expect, it } from 'vitest'
import * as Rng from '../../../src/dsl/Rng.js'
import * as Conv2d from '../../../src/models/Conv2d.js'
import { useCpu } from '../../../src/tensor/cpu.js'

beforeAll(useCpu)

describe('Conv2d', () => {
  it('keeps PyTorch’s weight layout [out, in, kh, kw] and bound 1/√(in·k·k)', () => {
    const [params] = Conv2d.init('conv1', { in_channels: 2, out_channels: 3, kernel_size: 3 }, Rng.make(0))
    expect(Object.keys(params)).toEqual(['conv1.weight', 'conv1.bias'])
    expect(params['conv1.weight']!.shape).toEqual([3, 2, 3, 3])
    const bound = 1 / Math.sqrt(18)
    for (const v of params['conv1.weight']!.dataSync()) expect(Math.abs(v)).toBeLessThanOrEqual(bound)
  })

  it('computes PyTorch’s cross-correlation with stride and zero padding (hand-checked values)', () => {
    // One input channel, one output channel, a 2×2 kernel [[1, 2], [3, 4]] and bias 1 over a 3×3 image 1…9.
    const params = { 'c.weight': tf.tensor4d([1, 2, 3, 4], [1, 1, 2, 2]), 'c.bias': tf.tensor1d([1]) }
    const x = tf.tensor4d([1, 2, 3, 4, 5, 6, 7, 8, 9], [1, 3, 3, 1])
    // Windows [1,2,4,5], [2,3,5,6], [4,5,7,8], [5,6,8,9] against [1,2,3,4], plus the bias.
    expect(Array.from(Conv2d.apply(params, 'c', {}, x).dataSync())).toEqual([
      1 + 1 + 4 + 12 + 20,
      1 + 2 + 6 + 15 + 24,
      1 + 4 + 10 + 21 + 32,
      1 + 5 + 12 + 24 + 36,
    ])
    const padded = Conv2d.apply(params, 'c', { padding: 1, stride: 2 }, x)
    expect(padded.shape).toEqual([1, 2, 2, 1])
    // Top-left window sees only x[0][0] = 1 under kernel position (1, 1): 4·1 + bias.
    expect(padded.dataSync()[0]).toBe(5)
  })
})
