import * as tf from '@tensorflow/tfjs-core'
import { beforeAll, describe, expect, it } from 'vitest'
import * as Rng from '../../../../src/dsl/Rng.js'
import { symmetricEigen } from '../../../../src/selfsup/numerics/eigen.js'
import { cluster, kmeans, preprocessFeatures } from '../../../../src/selfsup/numerics/kmeans.js'
import { applyPca, fitPca } from '../../../../src/selfsup/numerics/pca.js'
import { histogram, histogramSummary, reweight } from '../../../../src/selfsup/numerics/reweight.js'
import { sinkhorn } from '../../../../src/selfsup/numerics/sinkhorn.js'
import { sinkhornTensor } from '../../../../src/selfsup/numerics/sinkhornTensor.js'
import '../../../../src/tensor/gradients.js'
import { useCpu } from '../../../../src/tensor/cpu.js'

beforeAll(useCpu)

const gaussian = (rng: Rng.Rng): [number, Rng.Rng] => {
  const [u1, r1] = Rng.uniform(rng)
  const [u2, r2] = Rng.uniform(r1)
  return [Math.sqrt(-2 * Math.log(1 - u1)) * Math.cos(2 * Math.PI * u2), r2]
}

describe('symmetricEigen', () => {
  it('finds A·v = λ·v with unit, orthogonal vectors, eigenvalues descending', () => {
    const d = 6
    let rng = Rng.make(3)
    const b = new Float64Array(d * d)
    for (let i = 0; i < d * d; i++) [b[i], rng] = gaussian(rng) as [number, Rng.Rng]
    const a = new Float64Array(d * d)
    for (let i = 0; i < d; i++)
      for (let j = 0; j < d; j++) for (let k = 0; k < d; k++) a[i * d + j]! += b[i * d + k]! * b[j * d + k]!
    const { values, vectors } = symmetricEigen(a, d)
    for (let e = 0; e < d; e++) {
      if (e > 0) expect(values[e]!).toBeLessThanOrEqual(values[e - 1]!)
      for (let i = 0; i < d; i++) {
        let av = 0
        for (let k = 0; k < d; k++) av += a[i * d + k]! * vectors[e * d + k]!
        expect(av).toBeCloseTo(values[e]! * vectors[e * d + i]!, 9)
      }
      for (let f = 0; f < d; f++) {
        let dot = 0
        for (let k = 0; k < d; k++) dot += vectors[e * d + k]! * vectors[f * d + k]!
        expect(dot).toBeCloseTo(e === f ? 1 : 0, 9)
      }
    }
  })
  it('a diagonal matrix is its own decomposition', () => {
    expect(Array.from(symmetricEigen([1, 0, 0, 5], 2).values)).toEqual([5, 1])
  })
})

describe('PCA with whitening', () => {
  it('the output has zero mean and identity covariance', () => {
    const n = 400
    const d = 4
    let rng = Rng.make(11)
    const data = new Float64Array(n * d)
    for (let i = 0; i < n; i++) {
      const z: number[] = []
      for (let j = 0; j < d; j++) {
        const [g, r] = gaussian(rng)
        rng = r
        z.push(g)
      }
      // Correlated, unequal scales, shifted.
      data[i * d] = 5 * z[0]! + 3
      data[i * d + 1] = z[0]! + 0.5 * z[1]!
      data[i * d + 2] = -2 * z[2]! + z[1]!
      data[i * d + 3] = 0.1 * z[3]! - 7
    }
    const out = applyPca(fitPca(data, n, d, 3), data, n)
    for (let a = 0; a < 3; a++) {
      let mean = 0
      for (let i = 0; i < n; i++) mean += out[i * 3 + a]! / n
      expect(mean).toBeCloseTo(0, 9)
      for (let b = 0; b < 3; b++) {
        let c = 0
        for (let i = 0; i < n; i++) c += (out[i * 3 + a]! * out[i * 3 + b]!) / n
        expect(c).toBeCloseTo(a === b ? 1 : 0, 9)
      }
    }
  })
  it('a constant direction gets weight 0, not infinity', () => {
    const data = Float64Array.from([1, 2, 1, 4, 1, 6])
    const out = applyPca(fitPca(data, 3, 2, 2), data, 3)
    expect(Array.from(out).every(Number.isFinite)).toBe(true)
    expect(out[1]).toBe(0)
  })
  it('rejects an output wider than the input', () => {
    expect(() => fitPca([1, 2], 1, 2, 3)).toThrow(/output must be 1 to 2/)
  })
})

describe('k-means', () => {
  it('separates three well-apart blobs exactly', () => {
    const centres = [
      [0, 0],
      [10, 10],
      [-10, 10],
    ]
    const data: number[] = []
    const truth: number[] = []
    let rng = Rng.make(5)
    for (let i = 0; i < 90; i++) {
      const c = i % 3
      const [g1, r1] = gaussian(rng)
      const [g2, r2] = gaussian(r1)
      rng = r2
      data.push(centres[c]![0]! + 0.5 * g1, centres[c]![1]! + 0.5 * g2)
      truth.push(c)
    }
    const { labels } = kmeans(data, 90, 2, 3, { seed: 1 })
    // The same partition up to renaming the clusters.
    const rename = new Map<number, number>()
    truth.forEach((t, i) => {
      if (!rename.has(t)) rename.set(t, labels[i]!)
      expect(labels[i]).toBe(rename.get(t))
    })
    expect(new Set(rename.values()).size).toBe(3)
  })
  it('different seeds may start differently; the same seed is bit-identical', () => {
    const data = Array.from({ length: 60 }, (_, i) => Math.sin(i * 1.7) * 3)
    const a = kmeans(data, 30, 2, 4, { seed: 9 })
    const b = kmeans(data, 30, 2, 4, { seed: 9 })
    expect(a.centroids).toEqual(b.centroids)
  })
  it('k = n puts every distinct point in its own cluster with zero inertia', () => {
    const { inertia, labels } = kmeans([0, 1, 5, 9], 4, 1, 4, { seed: 2 })
    expect(inertia.at(-1)).toBe(0)
    expect(new Set(labels).size).toBe(4)
  })
  it('checks k', () => {
    expect(() => kmeans([1, 2], 2, 1, 3)).toThrow(/k must be 1 to the number of points \(2\)/)
  })
  it('cluster() as Kmeans(k, pca_dim): preprocessed rows are unit vectors', () => {
    const features = Float32Array.from({ length: 200 }, (_, i) => Math.cos(i * 0.37) + (i % 10 < 5 ? 2 : -2))
    const pre = preprocessFeatures(features, 20, 10, 4)
    expect(pre.dim).toBe(4)
    for (let i = 0; i < 20; i++) {
      let s = 0
      for (let j = 0; j < 4; j++) s += pre.data[i * 4 + j]! ** 2
      expect(Math.sqrt(s)).toBeCloseTo(1, 6)
    }
    const { labels, loss } = cluster(features, 20, 10, { k: 3, pca_dim: 4 }, { seed: 0 })
    expect(labels.length).toBe(20)
    expect(loss).toBeGreaterThanOrEqual(0)
    expect(cluster(features, 20, 10, { k: 3, pca_dim: -1 }).labels.length).toBe(20)
  })
})

describe('histogram and reweighting', () => {
  it('counts labels and weighs small clusters more, summing to 1', () => {
    const hist = histogram([0, 0, 0, 0, 1], 3)
    expect(Array.from(hist)).toEqual([4, 1, 0])
    const w = reweight([4, 1, 1], 0.5)
    expect(w.reduce((a, b) => a + b, 0)).toBeCloseTo(1, 12)
    expect(w[0]! / w[1]!).toBeCloseTo(0.5, 9)
    expect(histogramSummary(hist)).toEqual({ empty: 1, min: 0, max: 4 })
    expect(() => histogram([3], 3)).toThrow(/label 3 at 0/)
  })
})

describe('Sinkhorn-Knopp', () => {
  it('uniform scores give uniform codes', () => {
    const q = sinkhorn(new Float64Array(6).fill(0.3), 2, 3)
    for (const v of q) expect(v).toBeCloseTo(1 / 3, 12)
  })
  it('a sample close to one prototype puts most of its code there', () => {
    const q = sinkhorn([0.9, 0.1, 0.1, 0.9], 2, 2)
    expect(q[0]!).toBeGreaterThan(0.99)
    expect(q[3]!).toBeGreaterThan(0.99)
  })
  it('the tensor version agrees with the float64 one', () => {
    const rows = 5
    const cols = 7
    const scores = Array.from({ length: rows * cols }, (_, i) => Math.sin(i * 0.91))
    const expected = sinkhorn(scores, rows, cols, { epsilon: 0.5 })
    const before = tf.memory().numTensors
    const input = tf.tensor2d(scores, [rows, cols])
    const codes = sinkhornTensor(input, { epsilon: 0.5 })
    const got = codes.dataSync()
    tf.dispose([input, codes])
    expect(tf.memory().numTensors).toBe(before)
    got.forEach((v, i) => {
      expect(v).toBeCloseTo(expected[i]!, 5)
    })
  })
  it('the tensor version passes no gradient to the scores', () => {
    const x = tf.tensor2d([0.2, 0.4, 0.1, 0.3], [2, 2])
    const g = tf.grad((s: tf.Tensor) => tf.sum(tf.mul(sinkhornTensor(s as tf.Tensor2D), s)))(x)
    // d/ds Σ q·s with q held constant is q itself.
    const q = sinkhornTensor(x)
    expect(Array.from(g.dataSync())).toEqual(Array.from(q.dataSync()))
    tf.dispose([x, g, q])
  })
})
