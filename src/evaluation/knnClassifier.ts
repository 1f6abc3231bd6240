/**
 * The weighted k-nearest-neighbour classifier MMSelfSup benchmarks
 * self-supervised features with (`knn_classifier`, from DINO): features are
 * L2-normalised, each query's `k` most cosine-similar bank samples vote for
 * their labels with weight `exp(similarity / T)`, and the classes are ranked
 * by their summed votes. MMSelfSup's tool evaluates `k ∈ {10, 20, 100, 200}`
 * at `T = 0.07`.
 *
 * Ties (equal similarities, equal votes) go to the lower index, the order a
 * stable sort gives; PyTorch's `topk` leaves them unspecified. The cost is
 * `queries × bank × dim` multiply-adds in plain numbers (about a minute for
 * 10 000 × 60 000 × 64), paid once for all `k` ({@link knnClassifyEach}),
 * which is why a benchmark config may bank a subset.
 *
 * @example
 * ```ts
 * const options = { dim: 64, k: 20, temperature: 0.07, numClasses: 10 }
 * knnClassify({ features: bank, labels: bankLabels }, { features: queries, labels: queryLabels }, options)
 * // { top1: 91.5, top5: 99.2 }  (percentages)
 * ```
 * @module
 */

export interface LabelledFeatures {
  /** Row-major, `n × dim`. */
  readonly features: ArrayLike<number>
  readonly labels: ArrayLike<number>
}

export interface KnnOptions {
  readonly dim: number
  readonly k: number
  readonly temperature: number
  readonly numClasses: number
}

const normalized = (features: ArrayLike<number>, n: number, dim: number): Float64Array => {
  const out = new Float64Array(n * dim)
  for (let i = 0; i < n; i++) {
    let s = 0
    for (let j = 0; j < dim; j++) s += features[i * dim + j]! * features[i * dim + j]!
    // torch.nn.functional.normalize: x / max(‖x‖, 1e-12).
    const norm = Math.max(Math.sqrt(s), 1e-12)
    for (let j = 0; j < dim; j++) out[i * dim + j] = features[i * dim + j]! / norm
  }
  return out
}

/** The classes ranked for one query (best first) from its neighbours' similarities and labels. */
export const vote = (
  similarities: ArrayLike<number>,
  labels: ArrayLike<number>,
  temperature: number,
  numClasses: number,
): number[] => {
  const scores = new Float64Array(numClasses)
  for (let i = 0; i < similarities.length; i++) scores[labels[i]!]! += Math.exp(similarities[i]! / temperature)
  return Array.from({ length: numClasses }, (_, c) => c).sort((a, b) => scores[b]! - scores[a]! || a - b)
}

/** Top-1 and top-5 accuracy (percent) of the weighted kNN classifier of `queries` against `bank`. */
export const knnClassify = (
  bank: LabelledFeatures,
  queries: LabelledFeatures,
  options: KnnOptions,
): { readonly top1: number; readonly top5: number } =>
  knnClassifyEach(bank, queries, { ...options, ks: [options.k] })[0]!

/**
 * {@link knnClassify} for several `k` at once: the similarities are computed once and the `max(ks)` nearest kept;
 * each `k` votes with the first `k` of them (the same neighbours, in the same order, as a search for `k` alone).
 */
export const knnClassifyEach = (
  bank: LabelledFeatures,
  queries: LabelledFeatures,
  options: Omit<KnnOptions, 'k'> & { readonly ks: ReadonlyArray<number> },
): ReadonlyArray<{ readonly top1: number; readonly top5: number }> => {
  const { dim, temperature, numClasses } = options
  const nBank = bank.labels.length
  const nQuery = queries.labels.length
  if (bank.features.length !== nBank * dim || queries.features.length !== nQuery * dim)
    throw new RangeError(`kNN: features are not rows of ${dim} values, one per label`)
  if (nQuery === 0) throw new RangeError('kNN: no query samples')
  const ks = options.ks.map((k) => Math.min(k, nBank))
  const kMax = Math.max(...ks)
  const b = normalized(bank.features, nBank, dim)
  const q = normalized(queries.features, nQuery, dim)
  // The kMax best so far, most similar first; a later bank index never displaces an equal similarity.
  const topSim = new Float64Array(kMax)
  const topLabel = new Int32Array(kMax)
  const top1 = ks.map(() => 0)
  const top5 = ks.map(() => 0)
  for (let i = 0; i < nQuery; i++) {
    let count = 0
    for (let m = 0; m < nBank; m++) {
      let s = 0
      for (let j = 0; j < dim; j++) s += q[i * dim + j]! * b[m * dim + j]!
      if (count === kMax && s <= topSim[kMax - 1]!) continue
      let at = count < kMax ? count++ : kMax - 1
      while (at > 0 && topSim[at - 1]! < s) {
        topSim[at] = topSim[at - 1]!
        topLabel[at] = topLabel[at - 1]!
        at--
      }
      topSim[at] = s
      topLabel[at] = bank.labels[m]!
    }
    const label = queries.labels[i]!
    ks.forEach((k, n) => {
      const ranked = vote(topSim.subarray(0, k), topLabel.subarray(0, k), temperature, numClasses)
      if (ranked[0] === label) top1[n]!++
      // MMSelfSup counts top-5 among min(5, k) predictions: with k < 5, top-5 means top-k.
      if (ranked.slice(0, Math.min(5, k)).includes(label)) top5[n]!++
    })
  }
  return ks.map((_, n) => ({ top1: (top1[n]! * 100) / nQuery, top5: (top5[n]! * 100) / nQuery }))
}
