/**
 * PCA with whitening, as MMSelfSup's DeepCluster and ODC reduce features
 * before k-means (`faiss.PCAMatrix(d, pca_dim, eigen_power=-0.5)`): the mean
 * is subtracted, the data are projected on the `outDim` leading eigenvectors
 * of the covariance (`1/n · Σ (x − μ)(x − μ)ᵀ`), and each component is scaled
 * by `eigenvalue^-½`, so every output dimension has unit variance.
 *
 * A component with zero variance would be scaled by infinity (faiss yields
 * NaN there, and MMSelfSup zeroes rare NaNs); here it is 0 from the start.
 * Pure TypeScript in float64; the covariance costs `n · d²`.
 *
 * @example
 * ```ts
 * const fitted = fitPca(features, n, 512, 256)
 * const reduced = applyPca(fitted, features, n)   // n × 256, whitened
 * ```
 * @module
 */
import { symmetricEigen } from './eigen.js'

export interface Pca {
  readonly inDim: number
  readonly outDim: number
  readonly mean: Float64Array
  /** `outDim × inDim`, the leading eigenvectors already scaled by `eigenvalue^power`. */
  readonly projection: Float64Array
  /** The covariance's eigenvalues, descending (all `inDim` of them). */
  readonly eigenvalues: Float64Array
}

/**
 * Fit the projection on `n` rows of `d` values (row-major); `power` is faiss's
 * `eigen_power` (−½: whitening; 0: plain PCA).
 */
export const fitPca = (data: ArrayLike<number>, n: number, d: number, outDim: number, power = -0.5): Pca => {
  if (!(outDim >= 1 && outDim <= d))
    throw new RangeError(`PCA from dimension ${d} to ${outDim}: the output must be 1 to ${d}`)
  if (data.length !== n * d || n < 1) throw new RangeError(`PCA: ${data.length} values are not ${n} rows of ${d}`)
  const mean = new Float64Array(d)
  for (let i = 0; i < n; i++) for (let j = 0; j < d; j++) mean[j]! += data[i * d + j]!
  for (let j = 0; j < d; j++) mean[j]! /= n
  const cov = new Float64Array(d * d)
  const row = new Float64Array(d)
  for (let i = 0; i < n; i++) {
    for (let j = 0; j < d; j++) row[j] = data[i * d + j]! - mean[j]!
    for (let j = 0; j < d; j++) {
      const rj = row[j]!
      if (rj === 0) continue
      for (let k = j; k < d; k++) cov[j * d + k]! += rj * row[k]!
    }
  }
  for (let j = 0; j < d; j++) {
    for (let k = j; k < d; k++) {
      cov[j * d + k]! /= n
      cov[k * d + j] = cov[j * d + k]!
    }
  }
  const { values, vectors } = symmetricEigen(cov, d)
  const floor = Math.max(values[0]!, 0) * 1e-12
  const projection = new Float64Array(outDim * d)
  for (let c = 0; c < outDim; c++) {
    const lambda = values[c]!
    const factor = power === 0 ? 1 : lambda > floor && lambda > 0 ? lambda ** power : 0
    for (let k = 0; k < d; k++) projection[c * d + k] = vectors[c * d + k]! * factor
  }
  return { inDim: d, outDim, mean, projection, eigenvalues: values }
}

/** Project `n` rows through a fitted PCA: `n × outDim` values. */
export const applyPca = (pca: Pca, data: ArrayLike<number>, n: number): Float64Array => {
  const { inDim: d, outDim, mean, projection } = pca
  const out = new Float64Array(n * outDim)
  const row = new Float64Array(d)
  for (let i = 0; i < n; i++) {
    for (let j = 0; j < d; j++) row[j] = data[i * d + j]! - mean[j]!
    for (let c = 0; c < outDim; c++) {
      let s = 0
      for (let k = 0; k < d; k++) s += projection[c * d + k]! * row[k]!
      out[i * outDim + c] = s
    }
  }
  return out
}

/** Each row divided by its L2 norm plus `1e-10` (MMSelfSup's `preprocess_features`), in place; returns `data`. */
export const l2NormalizeRows = <A extends Float64Array | Float32Array>(data: A, n: number, d: number): A => {
  for (let i = 0; i < n; i++) {
    let s = 0
    for (let j = 0; j < d; j++) s += data[i * d + j]! * data[i * d + j]!
    const norm = Math.sqrt(s) + 1e-10
    for (let j = 0; j < d; j++) data[i * d + j]! /= norm
  }
  return data
}
