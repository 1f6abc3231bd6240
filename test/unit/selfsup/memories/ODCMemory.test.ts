import * as tf from '@tensorflow/tfjs-core'
import { beforeAll, describe, expect, it } from 'vitest'
import * as ODCMemory from '../../../../src/selfsup/memories/ODCMemory.js'
import { updateSamplesTensor } from '../../../../src/selfsup/memories/updateSamplesTensor.js'
import { useCpu } from '../../../../src/tensor/cpu.js'

const cfg = { length: 6, feat_dim: 2, momentum: 0.5, num_classes: 3, min_cluster: 2 }
/** Six samples: 0–1 along x, 2–3 along y, 4–5 along −x. */
const features = Float32Array.from([2, 0, 3, 0.3, 0, 1, 0.2, 2, -1, 0, -2, -0.2])
const initial = () => ODCMemory.init_memory(ODCMemory.make(cfg), features, [0, 0, 1, 1, 2, 2])
const close = (actual: ArrayLike<number>, expected: ArrayLike<number>, digits = 6) => {
  expect(actual.length).toBe(expected.length)
  for (let i = 0; i < actual.length; i++) expect(actual[i]).toBeCloseTo(expected[i]!, digits)
}

beforeAll(async () => {
  await useCpu()
})

describe('ODCMemory', () => {
  it("is built from MMSelfSup's config dict, and a bad key is named", () => {
    const m = ODCMemory.fromConfig({ type: 'ODCMemory', ...cfg, debug: false })
    expect(m.feature_bank).toHaveLength(12)
    expect(m.label_bank).toHaveLength(6)
    expect(m.centroids).toHaveLength(6)
    expect(() => ODCMemory.fromConfig({ type: 'ODCMemory', ...cfg, feat_dim: 0 })).toThrow(/feat_dim/)
    expect(() => ODCMemory.fromConfig({ type: 'ODCMemory', ...cfg, min_clster: 2 })).toThrow(/min_cluster/)
  })

  it('init_memory stores normalised features and the labels, and centroids as the mean of each cluster', () => {
    const m = initial()
    close(m.feature_bank.subarray(0, 2), [1, 0])
    expect(Array.from(m.label_bank)).toEqual([0, 0, 1, 1, 2, 2])
    const b1 = [0.3 / Math.hypot(3, 0.3), 0.3 / Math.hypot(3, 0.3)]
    close(m.centroids.subarray(0, 2), [(1 + 3 / Math.hypot(3, 0.3)) / 2, b1[0]! / 2])
    expect(() => ODCMemory.init_memory(ODCMemory.make(cfg), features, [0, 0, 0, 1, 1, 1])).toThrow(/cluster\(s\) 2/)
  })

  it('update_samples_memory mixes by momentum, renormalises, relabels by the nearest centroid, reports changes', () => {
    const m = initial()
    // Sample 0: (1, 0)·0.5 + (0, 1)·0.5 → (1, 1)/√2, labelled by the best-scoring centroid; sample 4 keeps its way.
    const { memory, changeRatio } = ODCMemory.update_samples_memory(m, [0, 4], Float32Array.from([0, 5, -3, 0]))
    close(memory.feature_bank.subarray(0, 2), [Math.SQRT1_2, Math.SQRT1_2])
    close(memory.feature_bank.subarray(8, 10), [-1, 0])
    const score = (c: number) => m.centroids[2 * c]! * Math.SQRT1_2 + m.centroids[2 * c + 1]! * Math.SQRT1_2
    const expected0 = [0, 1, 2].reduce((best, c) => (score(c) > score(best) ? c : best), 0)
    expect(memory.label_bank[0]).toBe(expected0)
    expect(memory.label_bank[4]).toBe(2)
    expect(changeRatio).toBe(expected0 === 0 ? 0 : 0.5)
    // The argument is left alone.
    close(m.feature_bank.subarray(0, 2), [1, 0])
  })

  it('update_samples_memory: a repeated index takes its last occurrence, each computed from the old bank', () => {
    const m = initial()
    const { memory } = ODCMemory.update_samples_memory(m, [2, 2], Float32Array.from([1, 0, 0, 1]))
    close(memory.feature_bank.subarray(4, 6), [0, 1])
  })

  it('update_centroids_memory recomputes the clusters named (all by default); an empty one keeps its centroid', () => {
    const m = initial()
    const moved = { ...m, label_bank: Int32Array.from([0, 0, 0, 0, 2, 2]) }
    const some = ODCMemory.update_centroids_memory(moved, [0])
    close(some.centroids.subarray(2, 4), m.centroids.subarray(2, 4))
    expect(some.centroids[0]).not.toBeCloseTo(m.centroids[0]!, 6)
    const all = ODCMemory.update_centroids_memory(moved)
    close(all.centroids.subarray(2, 4), m.centroids.subarray(2, 4))
    close(all.centroids.subarray(0, 2), some.centroids.subarray(0, 2))
  })

  it('deal_with_small_clusters moves small clusters to the nearest other centroid, then splits the largest', () => {
    const m = initial()
    const oneSmall = { ...m, label_bank: Int32Array.from([0, 0, 0, 1, 1, 2]) }
    const fixed = ODCMemory.deal_with_small_clusters({ ...oneSmall, min_cluster: 2 })
    // Sample 5 (along −x) goes to the nearer of clusters 0 and 1, then cluster 2 takes half of the largest.
    const counts = [0, 1, 2].map((c) => Array.from(fixed.label_bank).filter((l) => l === c).length)
    expect(counts.every((n) => n >= 1)).toBe(true)
    expect(counts.reduce((a, b) => a + b, 0)).toBe(6)
    expect(ODCMemory.smallClusters({ ...fixed, min_cluster: 1 })).toEqual([])
    expect(ODCMemory.deal_with_small_clusters({ ...m, min_cluster: 1 })).toEqual({ ...m, min_cluster: 1 })
  })
})

describe('updateSamplesTensor', () => {
  it('equals the host update_samples_memory (float32), repeated indices included', () => {
    const m = initial()
    const idx = Int32Array.from([1, 3, 1, 5])
    const batch = Float32Array.from([0.5, 2, -1, 1, 3, -3, 0.1, 0.1])
    const host = ODCMemory.update_samples_memory(m, idx, batch)
    const out = updateSamplesTensor(
      {
        featureBank: tf.tensor2d(m.feature_bank, [6, 2]),
        labelBank: tf.tensor1d(m.label_bank, 'int32'),
        centroids: tf.tensor2d(m.centroids, [3, 2]),
      },
      idx,
      tf.tensor2d(batch, [4, 2]),
      cfg.momentum,
    )
    close(out.featureBank.dataSync(), host.memory.feature_bank, 6)
    expect(Array.from(out.labelBank.dataSync())).toEqual(Array.from(host.memory.label_bank))
    expect(out.changeRatio.dataSync()[0]).toBeCloseTo(host.changeRatio, 6)
  })
})
