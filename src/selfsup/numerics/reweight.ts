/**
 * Cluster histograms and the loss weights DeepCluster and ODC derive from
 * them (`reweight=True`): `(1 / (hist + 1e-10)) ** pow`, normalised to sum 1,
 * so small clusters weigh more.
 *
 * @example
 * ```ts
 * histogram(Int32Array.from([0, 0, 1]), 3)  // [2, 1, 0]
 * reweight([2, 1, 0], 0.5)                  // sums to 1; the empty cluster dominates
 * ```
 * @module
 */

/** How many labels fall in each of `k` clusters (NumPy's `bincount(labels, minlength=k)`). */
export const histogram = (labels: ArrayLike<number>, k: number): Float64Array => {
  const hist = new Float64Array(k)
  for (let i = 0; i < labels.length; i++) {
    const c = labels[i]!
    if (!(Number.isInteger(c) && c >= 0 && c < k))
      throw new RangeError(`label ${c} at ${i} is not a cluster of 0 … ${k - 1}`)
    hist[c]! += 1
  }
  return hist
}

/** The loss weight per cluster: `(1 / (hist + 1e-10)) ** pow`, normalised to sum 1. */
export const reweight = (hist: ArrayLike<number>, pow = 0.5): Float64Array => {
  const inv = Float64Array.from(hist as ArrayLike<number>, (h) => (1 / (h + 1e-10)) ** pow)
  const total = inv.reduce((a, b) => a + b, 0)
  return inv.map((w) => w / total)
}

/** The histogram summary DeepClusterHook logs: empty clusters, smallest and largest cluster sizes. */
export const histogramSummary = (
  hist: ArrayLike<number>,
): { readonly empty: number; readonly min: number; readonly max: number } => {
  let empty = 0
  let min = Infinity
  let max = -Infinity
  for (let i = 0; i < hist.length; i++) {
    const h = hist[i]!
    if (h === 0) empty++
    min = Math.min(min, h)
    max = Math.max(max, h)
  }
  return { empty, min, max }
}
