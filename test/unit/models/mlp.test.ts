import * as tf from '@tensorflow/tfjs-core'
import { beforeAll, describe, expect, it } from 'vitest'
import * as Rng from '../../../src/dsl/Rng.js'
import * as Linear from '../../../src/models/Linear.js'
import * as MLP from '../../../src/models/MLP.js'
import { useCpu } from '../../../src/tensor/cpu.js'

beforeAll(useCpu)

describe('Linear', () => {
  it('uses PyTorch’s names, layout [out, in] and default bound 1/√fan_in, reproducibly from the seed', () => {
    const [p1] = Linear.init('fc', 16, 4, Rng.make(3))
    const [p2] = Linear.init('fc', 16, 4, Rng.make(3))
    const [p3] = Linear.init('fc', 16, 4, Rng.make(4))
    expect(Object.keys(p1)).toEqual(['fc.weight', 'fc.bias'])
    expect(p1['fc.weight']!.shape).toEqual([4, 16])
    const w = Array.from(p1['fc.weight']!.dataSync())
    expect(Math.max(...w.map(Math.abs))).toBeLessThanOrEqual(0.25)
    expect(Math.max(...w.map(Math.abs))).toBeGreaterThan(0.2)
    expect(w).toEqual(Array.from(p2['fc.weight']!.dataSync()))
    expect(w).not.toEqual(Array.from(p3['fc.weight']!.dataSync()))
  })

  it('computes x·Wᵀ + b, also over leading batch dimensions', () => {
    const params = {
      'l.weight': tf.tensor2d([
        [1, 2],
        [3, 4],
        [5, 6],
      ]),
      'l.bias': tf.tensor1d([0.5, 0, -1]),
    }
    expect(Array.from(Linear.apply(params, 'l', tf.tensor2d([[1, 1]])).dataSync())).toEqual([3.5, 7, 10])
    const y = Linear.apply(params, 'l', tf.ones([2, 3, 2]))
    expect(y.shape).toEqual([2, 3, 3])
    expect(() => Linear.apply({}, 'missing', tf.ones([1, 2]))).toThrow('parameter missing.weight is missing')
  })
})

describe('MLP', () => {
  it('names its layers layers.i and maps a batch to logits', () => {
    const cfg = { in_features: 784, hidden: [32, 16], num_classes: 10 }
    const [params] = MLP.init(cfg, Rng.make(0))
    expect(Object.keys(params)).toEqual([
      'layers.0.weight',
      'layers.0.bias',
      'layers.1.weight',
      'layers.1.bias',
      'layers.2.weight',
      'layers.2.bias',
    ])
    expect(params['layers.1.weight']!.shape).toEqual([16, 32])
    expect(MLP.apply(cfg, params, tf.ones([5, 28, 28])).shape).toEqual([5, 10])
  })
})
