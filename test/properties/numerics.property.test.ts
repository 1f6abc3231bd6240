/**
 * Laws of the self-supervised numerics (src/selfsup/numerics):
 * - Sinkhorn-Knopp: after its iterations the codes of every sample sum to 1 and,
 *   from the column (last) normalisation, exactly; the prototype marginals
 *   approach B / K, closer with more iterations;
 * - k-means: the inertia never increases from one iteration to the next, and
 *   every cluster keeps at least one point when there are at least k distinct points;
 * - k-means is a function of its seed: the same seed gives the same labels.
 */
import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { kmeans } from '../../src/selfsup/numerics/kmeans.js'
import { sinkhorn } from '../../src/selfsup/numerics/sinkhorn.js'

const scores = fc
  .record({ rows: fc.integer({ min: 1, max: 12 }), cols: fc.integer({ min: 1, max: 12 }) })
  .chain(({ rows, cols }) =>
    fc.record({
      rows: fc.constant(rows),
      cols: fc.constant(cols),
      // Cosine scores of unit vectors, as SwAV feeds them.
      values: fc.array(fc.double({ min: -1, max: 1, noNaN: true }), { minLength: rows * cols, maxLength: rows * cols }),
    }),
  )

const sumsOf = (q: Float64Array, rows: number, cols: number): { rowSums: number[]; colSums: number[] } => {
  const rowSums = Array.from({ length: rows }, (_, b) =>
    q.subarray(b * cols, (b + 1) * cols).reduce((a, v) => a + v, 0),
  )
  const colSums = Array.from({ length: cols }, (_, k) => {
    let s = 0
    for (let b = 0; b < rows; b++) s += q[b * cols + k]!
    return s
  })
  return { rowSums, colSums }
}

describe('Sinkhorn-Knopp marginals', () => {
  it('each sample’s codes sum to 1 and are non-negative', () => {
    fc.assert(
      fc.property(
        scores,
        fc.integer({ min: 1, max: 5 }),
        fc.double({ min: 0.05, max: 1, noNaN: true }),
        ({ rows, cols, values }, iterations, epsilon) => {
          const q = sinkhorn(values, rows, cols, { iterations, epsilon })
          const { rowSums } = sumsOf(q, rows, cols)
          for (const s of rowSums) expect(s).toBeCloseTo(1, 9)
          for (const v of q) expect(v).toBeGreaterThanOrEqual(0)
        },
      ),
    )
  })
  it('the prototype marginals reach B / K as the iterations grow', () => {
    fc.assert(
      fc.property(scores, ({ rows, cols, values }) => {
        const gap = (iterations: number): number => {
          const { colSums } = sumsOf(sinkhorn(values, rows, cols, { iterations, epsilon: 0.5 }), rows, cols)
          return Math.max(...colSums.map((s) => Math.abs(s - rows / cols)))
        }
        expect(gap(200)).toBeLessThan(1e-6 * Math.max(1, rows / cols))
        expect(gap(200)).toBeLessThanOrEqual(gap(1) + 1e-12)
      }),
    )
  })
})

const points = fc.record({ n: fc.integer({ min: 1, max: 40 }), d: fc.integer({ min: 1, max: 5 }) }).chain(({ n, d }) =>
  fc.record({
    n: fc.constant(n),
    d: fc.constant(d),
    // A grid of 0.01 steps: squared distances of subnormal coordinates would underflow to 0.
    data: fc.array(
      fc.integer({ min: -1000, max: 1000 }).map((v) => v / 100),
      { minLength: n * d, maxLength: n * d },
    ),
    k: fc.integer({ min: 1, max: n }),
    seed: fc.nat(),
  }),
)

describe('k-means', () => {
  it('the inertia is non-increasing across iterations', () => {
    fc.assert(
      fc.property(points, ({ n, d, data, k, seed }) => {
        const { inertia } = kmeans(data, n, d, k, { iterations: 10, seed })
        for (let i = 1; i < inertia.length; i++)
          expect(inertia[i]!).toBeLessThanOrEqual(inertia[i - 1]! * (1 + 1e-12) + 1e-9)
      }),
    )
  })
  it('no cluster ends empty when the points are distinct', () => {
    fc.assert(
      fc.property(points, ({ n, d, data, k, seed }) => {
        const distinct = new Set(Array.from({ length: n }, (_, i) => data.slice(i * d, (i + 1) * d).join(','))).size
        fc.pre(distinct === n)
        const { labels } = kmeans(data, n, d, k, { iterations: 5, seed })
        expect(new Set(labels).size).toBe(k)
      }),
    )
  })
  it('each point ends at its nearest centroid (whatever k, so any number of four-centroid passes)', () => {
    fc.assert(
      fc.property(points, fc.integer({ min: 1, max: 5 }), ({ n, d, data, k, seed }, iterations) => {
        const { labels, centroids } = kmeans(data, n, d, k, { iterations, seed })
        const sq = (i: number, c: number) =>
          Array.from({ length: d }, (_, j) => (data[i * d + j]! - centroids[c * d + j]!) ** 2).reduce((a, b) => a + b)
        for (let i = 0; i < n; i++) {
          const nearest = Math.min(...Array.from({ length: k }, (_, c) => sq(i, c)))
          expect(sq(i, labels[i]!)).toBeLessThanOrEqual(nearest * (1 + 1e-12) + 1e-9)
        }
      }),
    )
  })
  it('is a function of its seed', () => {
    fc.assert(
      fc.property(points, ({ n, d, data, k, seed }) => {
        expect(kmeans(data, n, d, k, { seed }).labels).toEqual(kmeans(data, n, d, k, { seed }).labels)
      }),
    )
  })
})
