/**
 * Sinkhorn-Knopp as MMSelfSup's `distributed_sinkhorn` runs it for
 * `SwAVLoss`: from a score matrix `out` (`B` samples × `K` prototypes) to soft
 * codes whose columns are equipartitioned over the prototypes.
 *
 * The iteration, in MMSelfSup's own order: `Q = exp(out / ε)ᵀ` (K × B), `Q /= ΣQ`;
 * then `iterations` times: rows normalised to sum `1/K` (when a row sums to 0,
 * `1e-12` is added to every entry first), columns normalised to sum `1/B`;
 * finally `Q *= B`, so each sample's codes sum to 1, and `Qᵀ` (B × K) is returned.
 *
 * `B` counts the samples of every process (`worldSize × rows`); the total and
 * the row sums are summed over processes through `allReduce` (the identity in
 * one process). MMSelfSup all-reduces the row sums only in its zero-row branch;
 * the original SwAV code always does, which is what an equipartition over all
 * processes needs, so loopwright always does (one process: no difference).
 *
 * Pure TypeScript over `Float64Array` (the codes are a small matrix per step and
 * need no gradient); {@link sinkhornTensor} is the same iteration inside a
 * tfjs graph.
 *
 * @example
 * ```ts
 * const q = sinkhorn(Float64Array.from([0.9, 0.1, 0.2, 0.8]), 2, 2)
 * // rows sum to 1; each prototype column sums to B / K = 1
 * ```
 * @module
 */

/** MMSelfSup's defaults: `sinkhorn_iterations=3`, `epsilon=0.05`. */
export interface SinkhornOptions {
  readonly iterations?: number
  readonly epsilon?: number
  /** Processes whose samples share the equipartition; `B = worldSize × rows`. */
  readonly worldSize?: number
  /** Sums over processes (MMSelfSup's `dist.all_reduce`), in place; the identity in one process. */
  readonly allReduce?: (values: Float64Array) => void
}

/** The constant MMSelfSup adds when a prototype's row sums to zero. */
export const EPS_NUM_STAB = 1e-12

/**
 * Codes for `rows × cols` scores (row-major, `rows` samples, `cols` prototypes):
 * a `rows × cols` matrix, each row summing to 1.
 *
 * @example
 * ```ts
 * sinkhorn(scores, 64, 3000, { iterations: 3, epsilon: 0.05 })
 * ```
 */
export const sinkhorn = (
  out: ArrayLike<number>,
  rows: number,
  cols: number,
  options: SinkhornOptions = {},
): Float64Array => {
  const iterations = options.iterations ?? 3
  const epsilon = options.epsilon ?? 0.05
  const allReduce = options.allReduce ?? ((): void => undefined)
  const B = rows * (options.worldSize ?? 1)
  const K = cols
  if (out.length !== rows * cols) throw new RangeError(`sinkhorn: ${out.length} scores do not form ${rows} × ${cols}`)
  // q is kept K × B (prototype-major) as in MMSelfSup, so "rows" below are prototypes.
  const q = new Float64Array(K * rows)
  for (let b = 0; b < rows; b++) for (let k = 0; k < K; k++) q[k * rows + b] = Math.exp(out[b * cols + k]! / epsilon)
  const total = Float64Array.of(q.reduce((a, v) => a + v, 0))
  allReduce(total)
  for (let i = 0; i < q.length; i++) q[i]! /= total[0]!
  const rowSums = new Float64Array(K)
  const colSums = new Float64Array(rows)
  for (let it = 0; it < iterations; it++) {
    sumRows(q, K, rows, rowSums)
    if (rowSums.some((u) => u === 0)) {
      for (let i = 0; i < q.length; i++) q[i]! += EPS_NUM_STAB
      sumRows(q, K, rows, rowSums)
    }
    allReduce(rowSums)
    for (let k = 0; k < K; k++) for (let b = 0; b < rows; b++) q[k * rows + b] = q[k * rows + b]! / rowSums[k]! / K
    colSums.fill(0)
    for (let k = 0; k < K; k++) for (let b = 0; b < rows; b++) colSums[b]! += q[k * rows + b]!
    for (let k = 0; k < K; k++) for (let b = 0; b < rows; b++) q[k * rows + b] = q[k * rows + b]! / colSums[b]! / B
  }
  const codes = new Float64Array(rows * cols)
  for (let b = 0; b < rows; b++) for (let k = 0; k < K; k++) codes[b * cols + k] = q[k * rows + b]! * B
  return codes
}

const sumRows = (q: Float64Array, K: number, B: number, into: Float64Array): void => {
  for (let k = 0; k < K; k++) {
    let s = 0
    for (let b = 0; b < B; b++) s += q[k * B + b]!
    into[k] = s
  }
}
