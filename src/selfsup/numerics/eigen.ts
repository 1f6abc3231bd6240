/**
 * Eigenvalues and eigenvectors of a symmetric matrix by cyclic Jacobi
 * rotations, in float64. Exact to rounding and simple; its cost is about
 * `10 · d³` operations, a fraction of a second for the feature sizes
 * loopwright trains (d ≤ 512), which is why nothing faster is needed here.
 *
 * @example
 * ```ts
 * const { values, vectors } = symmetricEigen(Float64Array.from([2, 1, 1, 2]), 2)
 * // values [3, 1] (descending); vectors row i is the unit eigenvector of values[i]
 * ```
 * @module
 */

/** Eigenvalues in descending order, and the matching unit eigenvectors as the rows of a `d × d` matrix. */
export interface Eigen {
  readonly values: Float64Array
  readonly vectors: Float64Array
}

const MAX_SWEEPS = 100

/** The eigen-decomposition of the symmetric `d × d` matrix `matrix` (row-major; only read). */
export const symmetricEigen = (matrix: ArrayLike<number>, d: number): Eigen => {
  const a = Float64Array.from(matrix as ArrayLike<number>)
  const v = new Float64Array(d * d)
  for (let i = 0; i < d; i++) v[i * d + i] = 1
  let scale = 0
  for (let i = 0; i < d * d; i++) scale += a[i]! * a[i]!
  for (let sweep = 0; sweep < MAX_SWEEPS; sweep++) {
    let off = 0
    for (let p = 0; p < d; p++) for (let q = p + 1; q < d; q++) off += a[p * d + q]! * a[p * d + q]!
    if (off <= 1e-30 * scale || off === 0) break
    for (let p = 0; p < d; p++) {
      for (let q = p + 1; q < d; q++) {
        const apq = a[p * d + q]!
        if (apq === 0) continue
        const theta = (a[q * d + q]! - a[p * d + p]!) / (2 * apq)
        const t = (theta >= 0 ? 1 : -1) / (Math.abs(theta) + Math.sqrt(theta * theta + 1))
        const c = 1 / Math.sqrt(t * t + 1)
        const s = t * c
        // A ← Jᵀ A J with the rotation J that zeroes a[p][q]; V ← V J accumulates the eigenvectors (columns).
        for (let k = 0; k < d; k++) {
          const akp = a[k * d + p]!
          const akq = a[k * d + q]!
          a[k * d + p] = c * akp - s * akq
          a[k * d + q] = s * akp + c * akq
        }
        for (let k = 0; k < d; k++) {
          const apk = a[p * d + k]!
          const aqk = a[q * d + k]!
          a[p * d + k] = c * apk - s * aqk
          a[q * d + k] = s * apk + c * aqk
        }
        for (let k = 0; k < d; k++) {
          const vkp = v[k * d + p]!
          const vkq = v[k * d + q]!
          v[k * d + p] = c * vkp - s * vkq
          v[k * d + q] = s * vkp + c * vkq
        }
      }
    }
  }
  const order = Array.from({ length: d }, (_, i) => i).sort((i, j) => a[j * d + j]! - a[i * d + i]! || i - j)
  const values = Float64Array.from(order, (i) => a[i * d + i]!)
  const vectors = new Float64Array(d * d)
  order.forEach((col, row) => {
    for (let k = 0; k < d; k++) vectors[row * d + k] = v[k * d + col]!
  })
  return { values, vectors }
}
