import { describe, expect, it } from 'vitest'
import {
  CLUSTERING_LABEL,
  deepClusterOrder,
  UNIFORM_SAMPLING,
  uniformSamplingFor,
} from '../../../src/data/deepClusterSampler.js'
import { indicesForEpoch } from '../../../src/data/sampler.js'

const sampler = { type: 'DeepClusterSampler', shuffle: true } as const
const counts = (order: Int32Array, labels: ReadonlyArray<number>, k: number) => {
  const c = new Array<number>(k).fill(0)
  for (const i of order) c[labels[i]!]! += 1
  return c
}

describe('DeepClusterSampler', () => {
  it('is a DefaultSampler between clusterings: the same permutation for the same seed and epoch', () => {
    expect(Array.from(deepClusterOrder(sampler, 20, 3, 2))).toEqual(
      Array.from(indicesForEpoch({ type: 'DefaultSampler', shuffle: true }, 20, 3, 2)),
    )
    expect(Array.from(deepClusterOrder({ ...sampler, shuffle: false }, 5, 3, 2))).toEqual([0, 1, 2, 3, 4])
  })

  it('with replace=True draws N indices with replacement, a function of seed + epoch', () => {
    const order = deepClusterOrder({ ...sampler, replace: true }, 50, 0, 1)
    expect(order).toHaveLength(50)
    expect(new Set(order).size).toBeLessThan(50)
    expect(Array.from(deepClusterOrder({ ...sampler, replace: true }, 50, 0, 1))).toEqual(Array.from(order))
    expect(Array.from(deepClusterOrder({ ...sampler, replace: true }, 50, 0, 2))).not.toEqual(Array.from(order))
  })

  it('draws uniformly over clusters: ⌊N/k⌋ + 1 per cluster, a small cluster with replacement, cut to N', () => {
    const labels = [...new Array<number>(40).fill(0), 1, 1]
    const order = deepClusterOrder(sampler, 42, 0, 0, { labels, numClasses: 2, epoch: 0 })
    expect(order).toHaveLength(42)
    const [big, small] = counts(order, labels, 2)
    // 22 draws each, two of the 44 cut: the 2-sample cluster is drawn about as often as the 40-sample one.
    expect(big! + small!).toBe(42)
    expect(big).toBeLessThanOrEqual(22)
    expect(small).toBeGreaterThanOrEqual(20)
    // The large cluster is drawn without replacement.
    const fromBig = Array.from(order).filter((i) => labels[i] === 0)
    expect(new Set(fromBig).size).toBe(fromBig.length)
  })

  it('repeats its draws up to N when most clusters are empty, as MMSelfSup pads', () => {
    const labels = new Array<number>(40).fill(3)
    const order = deepClusterOrder(sampler, 40, 0, 0, { labels, numClasses: 10, epoch: 0 })
    expect(order).toHaveLength(40)
    expect(Array.from(order.subarray(5, 10))).toEqual(Array.from(order.subarray(0, 5)))
  })

  it('refuses uniform sampling without shuffle and labels of another length', () => {
    const uniform = { labels: [0, 1], numClasses: 2, epoch: 0 }
    expect(() => deepClusterOrder({ ...sampler, shuffle: false }, 2, 0, 0, uniform)).toThrow(/shuffle=True/)
    expect(() => deepClusterOrder(sampler, 3, 0, 0, uniform)).toThrow(/2 pseudo-labels for 3 samples/)
  })

  it('reads the uniform sampling the hook asked for, for that train epoch only', () => {
    const labels = [0, 1, 1]
    const attributes = { [CLUSTERING_LABEL]: labels, [UNIFORM_SAMPLING]: { train_epoch: 4, num_classes: 2, epoch: 3 } }
    expect(uniformSamplingFor(attributes, 4)).toEqual({ labels, numClasses: 2, epoch: 3 })
    expect(uniformSamplingFor(attributes, 5)).toBeUndefined()
    expect(uniformSamplingFor({ [CLUSTERING_LABEL]: labels }, 4)).toBeUndefined()
  })
})
