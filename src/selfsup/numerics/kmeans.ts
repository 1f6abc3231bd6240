/**
 * k-means as MMSelfSup's DeepCluster and ODC use it (`clustering.type='Kmeans'`,
 * `k`, `pca_dim`), in pure TypeScript: features PCA-reduced and whitened to
 * `pca_dim` (unless −1), rows L2-normalised, then 20 Lloyd iterations.
 *
 * Where loopwright differs from MMSelfSup's faiss run, and why:
 * - the start is k-means++ (D² sampling) drawn from the project's
 *   counter-based {@link Rng}, so a clustering is reproducible from its seed
 *   (MMSelfSup draws a fresh faiss seed from NumPy's global state each time);
 * - an emptied cluster takes the point farthest from its centroid (from a
 *   cluster that keeps at least one point) instead of faiss's split of a large
 *   centroid; this keeps the inertia non-increasing from one iteration to the
 *   next, a law the property tests check.
 *
 * @example
 * ```ts
 * const result = kmeans(points, n, d, 10, { seed: 7 })
 * result.labels      // Int32Array, one cluster per point
 * result.inertia     // per iteration, non-increasing
 * ```
 * @module
 */
import * as Rng from '../../dsl/Rng.js'
import { applyPca, fitPca, l2NormalizeRows } from './pca.js'

export interface KmeansOptions {
  /** Lloyd iterations (faiss `niter`, 20 in MMSelfSup). */
  readonly iterations?: number
  /** The seed of the k-means++ start. */
  readonly seed?: number
}

export interface KmeansResult {
  readonly k: number
  /** The cluster of each point. */
  readonly labels: Int32Array
  /** `k × d` centroids after the last update. */
  readonly centroids: Float64Array
  /** The sum of squared distances to the assigned centroids, after each iteration's assignment. */
  readonly inertia: ReadonlyArray<number>
}

const sqDist = (data: ArrayLike<number>, i: number, centroids: Float64Array, c: number, d: number): number => {
  let s = 0
  for (let j = 0; j < d; j++) {
    const diff = data[i * d + j]! - centroids[c * d + j]!
    s += diff * diff
  }
  return s
}

/**
 * k-means++ centroids: the first point uniformly, each next one with
 * probability proportional to its squared distance to the nearest chosen one.
 * Duplicate points are never chosen twice while distinct ones remain.
 */
export const kmeansPlusPlus = (
  data: ArrayLike<number>,
  n: number,
  d: number,
  k: number,
  rng: Rng.Rng,
): Float64Array => {
  const centroids = new Float64Array(k * d)
  const nearest = new Float64Array(n).fill(Infinity)
  let stream = rng
  const copy = (i: number, c: number): void => {
    for (let j = 0; j < d; j++) centroids[c * d + j] = data[i * d + j]!
  }
  const [u0, s0] = Rng.uniform(stream)
  stream = s0
  copy(Math.min(n - 1, Math.floor(u0 * n)), 0)
  for (let c = 1; c < k; c++) {
    let total = 0
    for (let i = 0; i < n; i++) {
      const dist = sqDist(data, i, centroids, c - 1, d)
      if (dist < nearest[i]!) nearest[i] = dist
      total += nearest[i]!
    }
    const [u, s] = Rng.uniform(stream)
    stream = s
    let chosen = n - 1
    if (total > 0) {
      let target = u * total
      for (let i = 0; i < n; i++) {
        target -= nearest[i]!
        if (target < 0 && nearest[i]! > 0) {
          chosen = i
          break
        }
      }
      // Rounding can leave the target just above zero at the end: take the last point with weight.
      if (target >= 0)
        for (let i = n - 1; i >= 0; i--)
          if (nearest[i]! > 0) {
            chosen = i
            break
          }
    } else chosen = Math.min(n - 1, Math.floor(u * n))
    copy(chosen, c)
  }
  return centroids
}

/** One Lloyd run: `n` rows of `d` values, `k` centroids, and each point's cluster and squared distance to it. */
interface Lloyd {
  readonly data: ArrayLike<number>
  readonly n: number
  readonly d: number
  readonly k: number
  readonly centroids: Float64Array
  readonly labels: Int32Array
  readonly dists: Float64Array
}

/**
 * Each point to its nearest centroid (the first of equals); returns the inertia. The search ranks centroids by
 * `x·c − ‖c‖²/2` (`‖x − c‖² = ‖x‖² − 2x·c + ‖c‖²`: one multiply-add per value instead of three operations); the
 * chosen distance is then computed exactly, so the inertia is the plain sum of squared distances.
 */
const assign = ({ data, n, d, k, centroids, labels, dists }: Lloyd): number => {
  const halfNorms = new Float64Array(k)
  for (let c = 0; c < k; c++) {
    let s = 0
    for (let j = 0; j < d; j++) s += centroids[c * d + j]! * centroids[c * d + j]!
    halfNorms[c] = s / 2
  }
  let inertia = 0
  // Four centroids per pass over the row: each value of the row is read once for four products. Every dot product
  // is still summed over j in order, so the scores, and the labels, are those of one centroid at a time.
  const fours = k - (k % 4)
  for (let i = 0; i < n; i++) {
    const row = i * d
    let best = 0
    let bestScore = -Infinity
    for (let c = 0; c < fours; c += 4) {
      const c0 = c * d
      const c1 = c0 + d
      const c2 = c1 + d
      const c3 = c2 + d
      let dot0 = 0
      let dot1 = 0
      let dot2 = 0
      let dot3 = 0
      for (let j = 0; j < d; j++) {
        const x = data[row + j]!
        dot0 += x * centroids[c0 + j]!
        dot1 += x * centroids[c1 + j]!
        dot2 += x * centroids[c2 + j]!
        dot3 += x * centroids[c3 + j]!
      }
      const s0 = dot0 - halfNorms[c]!
      const s1 = dot1 - halfNorms[c + 1]!
      const s2 = dot2 - halfNorms[c + 2]!
      const s3 = dot3 - halfNorms[c + 3]!
      if (s0 > bestScore) {
        bestScore = s0
        best = c
      }
      if (s1 > bestScore) {
        bestScore = s1
        best = c + 1
      }
      if (s2 > bestScore) {
        bestScore = s2
        best = c + 2
      }
      if (s3 > bestScore) {
        bestScore = s3
        best = c + 3
      }
    }
    for (let c = fours; c < k; c++) {
      const col = c * d
      let dot = 0
      for (let j = 0; j < d; j++) dot += data[row + j]! * centroids[col + j]!
      const score = dot - halfNorms[c]!
      if (score > bestScore) {
        bestScore = score
        best = c
      }
    }
    const dist = sqDist(data, i, centroids, best, d)
    labels[i] = best
    dists[i] = dist
    inertia += dist
  }
  return inertia
}

/** Centroids as the means of their points; an empty cluster takes the point farthest from its own centroid. */
const update = ({ data, n, d, k, centroids, labels, dists }: Lloyd): void => {
  const counts = new Int32Array(k)
  for (let i = 0; i < n; i++) counts[labels[i]!]! += 1
  for (let c = 0; c < k; c++) {
    if (counts[c]! > 0) continue
    let far = -1
    for (let i = 0; i < n; i++) if (counts[labels[i]!]! > 1 && (far < 0 || dists[i]! > dists[far]!)) far = i
    if (far < 0) continue
    counts[labels[far]!]! -= 1
    labels[far] = c
    counts[c] = 1
    dists[far] = 0
  }
  const sums = new Float64Array(k * d)
  for (let i = 0; i < n; i++) {
    const c = labels[i]!
    for (let j = 0; j < d; j++) sums[c * d + j]! += data[i * d + j]!
  }
  for (let c = 0; c < k; c++) {
    if (counts[c] === 0) continue
    for (let j = 0; j < d; j++) centroids[c * d + j] = sums[c * d + j]! / counts[c]!
  }
}

/** Lloyd's k-means on `n` rows of `d` values (row-major), from a k-means++ start. */
export const kmeans = (
  data: ArrayLike<number>,
  n: number,
  d: number,
  k: number,
  options: KmeansOptions = {},
): KmeansResult => {
  if (!(Number.isInteger(k) && k >= 1 && k <= n))
    throw new RangeError(`k-means: k must be 1 to the number of points (${n}), got ${k}`)
  if (data.length !== n * d) throw new RangeError(`k-means: ${data.length} values are not ${n} rows of ${d}`)
  const iterations = options.iterations ?? 20
  const centroids = kmeansPlusPlus(data, n, d, k, Rng.make(options.seed ?? 0))
  const labels = new Int32Array(n)
  const dists = new Float64Array(n)
  const run: Lloyd = { data, n, d, k, centroids, labels, dists }
  const inertia: number[] = []
  for (let it = 0; it < iterations; it++) {
    inertia.push(assign(run))
    update(run)
  }
  if (iterations > 0) inertia.push(assign(run))
  return { k, labels, centroids, inertia }
}

/**
 * MMSelfSup's `preprocess_features`: PCA with whitening to `pcaDim` (−1: none),
 * then each row L2-normalised.
 */
export const preprocessFeatures = (
  features: ArrayLike<number>,
  n: number,
  d: number,
  pcaDim: number,
): { readonly data: Float64Array; readonly dim: number } => {
  if (pcaDim === -1) return { data: l2NormalizeRows(Float64Array.from(features as ArrayLike<number>), n, d), dim: d }
  const reduced = applyPca(fitPca(features, n, d, pcaDim), features, n)
  return { data: l2NormalizeRows(reduced, n, pcaDim), dim: pcaDim }
}

/** MMSelfSup's `Kmeans(k, pca_dim=256)` clustering: preprocess, then k-means. */
export interface KmeansCfg {
  readonly k: number
  readonly pca_dim?: number
}

/**
 * Cluster features as `dict(type='Kmeans', k=..., pca_dim=...)` does:
 * the labels and the final inertia (MMSelfSup logs it as the loss).
 */
export const cluster = (
  features: ArrayLike<number>,
  n: number,
  d: number,
  cfg: KmeansCfg,
  options: KmeansOptions = {},
): { readonly labels: Int32Array; readonly loss: number } => {
  const pre = preprocessFeatures(features, n, d, cfg.pca_dim ?? 256)
  const result = kmeans(pre.data, n, pre.dim, cfg.k, options)
  return { labels: result.labels, loss: result.inertia.at(-1) ?? 0 }
}
