/**
 * Laws of DeepCluster's and ODC's clustering state (issue 14):
 * - DeepCluster's relabelling leaves the sample set unchanged: whatever pseudo-labels the hook assigns, an ordinary
 *   epoch of the `DeepClusterSampler` is the same permutation of every sample, and a uniform epoch draws N samples
 *   of the dataset, no cluster more than ⌊N/k⌋ + 1 times;
 * - ODC's memory update keeps every feature of the bank L2-normalised, and its labels are clusters.
 * (k-means' non-increasing inertia is in numerics.property.test.ts.)
 */
import * as tf from '@tensorflow/tfjs-core'
import fc from 'fast-check'
import { beforeAll, describe, expect, it } from 'vitest'
import { deepClusterOrder } from '../../src/data/deepClusterSampler.js'
import * as ODCMemory from '../../src/selfsup/memories/ODCMemory.js'
import { updateSamplesTensor } from '../../src/selfsup/memories/updateSamplesTensor.js'
import { useCpu } from '../../src/tensor/cpu.js'

beforeAll(async () => {
  await useCpu()
})

const labelling = fc
  .record({ n: fc.integer({ min: 1, max: 60 }), k: fc.integer({ min: 1, max: 8 }) })
  .chain(({ n, k }) =>
    fc.record({
      k: fc.constant(k),
      labels: fc.array(fc.integer({ min: 0, max: k - 1 }), { minLength: n, maxLength: n }),
    }),
  )

describe('DeepCluster relabelling', () => {
  const sampler = { type: 'DeepClusterSampler', shuffle: true } as const

  it('leaves an ordinary epoch the same permutation of all samples, whatever the labels', () => {
    fc.assert(
      fc.property(labelling, fc.nat(100), fc.nat(20), ({ labels }, seed, epoch) => {
        const order = deepClusterOrder(sampler, labels.length, seed, epoch)
        expect([...order].sort((a, b) => a - b)).toEqual(labels.map((_, i) => i))
      }),
    )
  })

  it('makes a uniform epoch of N samples of the dataset, no cluster drawn more than ⌊N/k⌋ + 1 times', () => {
    fc.assert(
      fc.property(labelling, fc.nat(100), fc.nat(20), ({ k, labels }, seed, epoch) => {
        const n = labels.length
        const order = deepClusterOrder(sampler, n, seed, 0, { labels, numClasses: k, epoch })
        expect(order).toHaveLength(n)
        for (const i of order) expect(i >= 0 && i < n).toBe(true)
        const distinctDraws = Math.floor(n / k) + 1
        const perCluster = new Array<number>(k).fill(0)
        // Before padding (the first min(N, draws) positions), each cluster contributes at most ⌊N/k⌋ + 1.
        const nonEmpty = new Set(labels).size
        const unpadded = Math.min(n, nonEmpty * distinctDraws)
        for (const i of order.subarray(0, unpadded)) perCluster[labels[i]!]! += 1
        for (const c of perCluster) expect(c).toBeLessThanOrEqual(distinctDraws)
      }),
    )
  })
})

/** `n` rows of `d` values in [−4, 4], none of them zero (a zero feature has no direction to normalise). */
const rows = (n: number, d: number) =>
  fc
    .array(fc.integer({ min: -40, max: 40 }), { minLength: n * d, maxLength: n * d })
    .map((v) => v.map((x, j) => (j % d === 0 && x === 0 ? 1 : x) / 10))

describe('ODC memory update', () => {
  const arbitrary = fc
    .record({
      n: fc.integer({ min: 2, max: 12 }),
      d: fc.integer({ min: 1, max: 4 }),
      b: fc.integer({ min: 1, max: 6 }),
      // At exactly 1/2 a feature opposite to its stored one cancels it: a zero vector has no direction to keep.
      momentum: fc.double({ min: 0.05, max: 0.95, noNaN: true }).filter((m) => m !== 0.5),
    })
    .chain((s) =>
      fc.record({
        s: fc.constant(s),
        bank: rows(s.n, s.d),
        batch: rows(s.b, s.d),
        idx: fc.array(fc.integer({ min: 0, max: s.n - 1 }), { minLength: s.b, maxLength: s.b }),
      }),
    )

  it('keeps every feature of the bank L2-normalised and every label a cluster (host and tensor forms)', () => {
    fc.assert(
      fc.property(arbitrary, ({ s, bank, batch, idx }) => {
        const labels = Array.from({ length: s.n }, (_, i) => i % 2)
        const memory = ODCMemory.init_memory(
          ODCMemory.make({ length: s.n, feat_dim: s.d, momentum: s.momentum, num_classes: 2, min_cluster: 1 }),
          bank,
          labels,
        )
        const { memory: next, changeRatio } = ODCMemory.update_samples_memory(memory, idx, batch)
        const tensor = tf.tidy(() => {
          const u = updateSamplesTensor(
            {
              featureBank: tf.tensor2d(memory.feature_bank, [s.n, s.d]),
              labelBank: tf.tensor1d(memory.label_bank, 'int32'),
              centroids: tf.tensor2d(memory.centroids, [2, s.d]),
            },
            Int32Array.from(idx),
            tf.tensor2d(batch, [s.b, s.d]),
            s.momentum,
          )
          return u.featureBank.dataSync().slice()
        })
        for (const bankRows of [next.feature_bank, tensor])
          for (let i = 0; i < s.n; i++)
            expect(Math.hypot(...Array.from(bankRows.subarray(i * s.d, (i + 1) * s.d)))).toBeCloseTo(1, 4)
        for (const l of next.label_bank) expect(l === 0 || l === 1).toBe(true)
        expect(changeRatio >= 0 && changeRatio <= 1).toBe(true)
      }),
    )
  })
})
