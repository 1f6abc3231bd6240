/**
 * MMSelfSup's `ODCMemory(length, feat_dim, momentum, num_classes, min_cluster)`:
 * ODC's samples memory (a feature bank of L2-normalised features and a label bank, one row per sample) and its
 * centroids memory. A value, not a module: every operation returns a new memory and leaves its argument alone, so a
 * replay can compare each step's `feature_bank`, `label_bank` and `centroids` with MMSelfSup's recorded numbers.
 *
 * The operations carry MMSelfSup's names ({@link init_memory}, {@link update_samples_memory},
 * {@link deal_with_small_clusters}, {@link update_centroids_memory}). Arithmetic runs in float64 and is stored in
 * float32 (PyTorch computes in float32: values agree to float32 rounding).
 *
 * Where loopwright differs, and why:
 * - the largest cluster is split with loopwright's seeded 2-means (k-means++ start, seed 0, 20 iterations; sklearn's
 *   `KMeans(n_clusters=2, random_state=0, max_iter=20)` in MMSelfSup), and when that leaves a side empty the members
 *   are halved in index order (MMSelfSup draws a random half from NumPy's global state);
 * - a sample index repeated within one batch takes the values of its last occurrence (PyTorch's indexed assignment
 *   leaves the order unspecified), all occurrences computed from the bank before the batch.
 *
 * @example
 * ```ts
 * let memory = ODCMemory.make({ length: 4, feat_dim: 2, momentum: 0.5, num_classes: 2, min_cluster: 1 })
 * const features = Float32Array.from([1, 0, 0, 1, 1, 0.1, 0.1, 1])
 * memory = ODCMemory.init_memory(memory, features, Int32Array.from([0, 1, 0, 1]))
 * const { memory: next, changeRatio } = ODCMemory.update_samples_memory(memory, [2], Float32Array.from([0, 1]))
 * ```
 * @module
 */
import type * as t from 'io-ts'
import {
  boolean,
  formatIssue,
  issuesOf,
  literal,
  nonNegativeInt,
  number,
  positiveInt,
  struct,
} from '../../schema/codec.js'
import { kmeans } from '../numerics/kmeans.js'
import { histogram } from '../numerics/reweight.js'

/** The constructor's keyword arguments, as MMSelfSup's configs write them (`debug` is accepted and ignored). */
export const args = struct(
  'ODCMemory arguments (length, feat_dim, momentum, num_classes, min_cluster)',
  {
    length: positiveInt,
    feat_dim: positiveInt,
    momentum: number,
    num_classes: positiveInt,
    min_cluster: nonNegativeInt,
  },
  { debug: boolean },
)

export type ODCMemoryCfg = t.TypeOf<typeof args>

/** A whole `memory_bank=dict(type='ODCMemory', …)` entry of an ODC config. */
export const configDict = struct(
  'an ODCMemory dict (type, length, feat_dim, momentum, num_classes, min_cluster)',
  {
    type: literal('ODCMemory', 'mmselfsup.ODCMemory'),
    length: positiveInt,
    feat_dim: positiveInt,
    momentum: number,
    num_classes: positiveInt,
    min_cluster: nonNegativeInt,
  },
  { debug: boolean },
)

export interface ODCMemory {
  readonly length: number
  readonly feat_dim: number
  readonly momentum: number
  readonly num_classes: number
  readonly min_cluster: number
  /** `length × feat_dim`, row-major; rows L2-normalised once initialised. */
  readonly feature_bank: Float32Array
  /** The cluster of each sample. */
  readonly label_bank: Int32Array
  /** `num_classes × feat_dim`, row-major. */
  readonly centroids: Float32Array
}

/** A memory of zeros, as the constructor makes it. */
export const make = (cfg: ODCMemoryCfg): ODCMemory => ({
  length: cfg.length,
  feat_dim: cfg.feat_dim,
  momentum: cfg.momentum,
  num_classes: cfg.num_classes,
  min_cluster: cfg.min_cluster,
  feature_bank: new Float32Array(cfg.length * cfg.feat_dim),
  label_bank: new Int32Array(cfg.length),
  centroids: new Float32Array(cfg.num_classes * cfg.feat_dim),
})

/** {@link make} from a config dict (`dict(type='ODCMemory', length=…, …)`); an error names the bad key. */
export const fromConfig = (dict: unknown): ODCMemory => {
  const decoded = configDict.decode(dict)
  if (decoded._tag === 'Left') throw new Error(issuesOf(decoded.left).map(formatIssue).join('; '))
  return make(decoded.right)
}

/** Row `i` of `values` scaled to unit length (`x / (‖x‖ + 1e-10)`, MMSelfSup's epsilon), into `out` at `at`. */
const normalizeRow = (values: ArrayLike<number>, i: number, d: number, out: Float64Array | Float32Array, at = i) => {
  let sq = 0
  for (let j = 0; j < d; j++) sq += values[i * d + j]! ** 2
  const scale = 1 / (Math.sqrt(sq) + 1e-10)
  for (let j = 0; j < d; j++) out[at * d + j] = values[i * d + j]! * scale
}

/**
 * Centroids recomputed as the mean feature of every non-empty cluster in `clusters` (all clusters when absent); the
 * others keep theirs.
 */
const computeCentroids = (memory: ODCMemory, clusters?: ReadonlyArray<number>): Float32Array => {
  const d = memory.feat_dim
  const k = memory.num_classes
  const sums = new Float64Array(k * d)
  const counts = new Int32Array(k)
  for (let i = 0; i < memory.length; i++) {
    const c = memory.label_bank[i]!
    counts[c]! += 1
    for (let j = 0; j < d; j++) sums[c * d + j]! += memory.feature_bank[i * d + j]!
  }
  const centroids = Float32Array.from(memory.centroids)
  for (const c of clusters ?? Array.from({ length: k }, (_, c) => c)) {
    if (counts[c] === 0) continue
    for (let j = 0; j < d; j++) centroids[c * d + j] = sums[c * d + j]! / counts[c]!
  }
  return centroids
}

/**
 * `init_memory(feature, label)`: the label bank takes `label`, the feature bank the L2-normalised `feature`
 * (`length × feat_dim`), and the centroids are computed from them. Every cluster must have a sample (as MMSelfSup
 * asserts): an error names the empty ones.
 */
export const init_memory = (memory: ODCMemory, feature: ArrayLike<number>, label: ArrayLike<number>): ODCMemory => {
  const { length, feat_dim: d, num_classes: k } = memory
  if (feature.length !== length * d || label.length !== length)
    throw new RangeError(
      `ODCMemory.init_memory: expected ${length} features of ${d} values and ${length} labels, ` +
        `got ${feature.length} values and ${label.length} labels`,
    )
  const empty = Array.from(histogram(label, k).entries())
    .filter(([, h]) => h === 0)
    .map(([c]) => c)
  if (empty.length > 0)
    throw new Error(`ODCMemory.init_memory: cluster(s) ${empty.slice(0, 10).join(', ')} have no sample`)
  const feature_bank = new Float32Array(length * d)
  for (let i = 0; i < length; i++) normalizeRow(feature, i, d, feature_bank)
  const next = { ...memory, feature_bank, label_bank: Int32Array.from(label) }
  return { ...next, centroids: computeCentroids(next) }
}

/** The cluster whose centroid has the largest dot product with row `i` of `rows` (the first of equals). */
const nearestCentroid = (
  centroids: Float32Array,
  candidates: ReadonlyArray<number>,
  rows: ArrayLike<number>,
  i: number,
  d: number,
): number => {
  let best = candidates[0]!
  let bestScore = -Infinity
  for (const c of candidates) {
    let s = 0
    for (let j = 0; j < d; j++) s += centroids[c * d + j]! * rows[i * d + j]!
    if (s > bestScore) {
      bestScore = s
      best = c
    }
  }
  return best
}

const allClusters = (k: number): ReadonlyArray<number> => Array.from({ length: k }, (_, c) => c)

/**
 * `update_samples_memory(idx, feature)`: for each sample of the batch,
 * `f = normalize((1 − m)·f_old + m·normalize(x))`
 * goes into the feature bank and the nearest centroid (largest dot product) into the label bank. Returns the new
 * memory and the fraction of the batch whose label changed (`change_ratio`).
 */
export const update_samples_memory = (
  memory: ODCMemory,
  idx: ArrayLike<number>,
  feature: ArrayLike<number>,
): { readonly memory: ODCMemory; readonly changeRatio: number } => {
  const d = memory.feat_dim
  const b = idx.length
  if (feature.length !== b * d)
    throw new RangeError(`ODCMemory.update_samples_memory: ${feature.length} values are not ${b} features of ${d}`)
  const m = memory.momentum
  const normalized = new Float64Array(b * d)
  for (let i = 0; i < b; i++) normalizeRow(feature, i, d, normalized)
  const mixed = new Float64Array(b * d)
  for (let i = 0; i < b; i++) {
    const row = idx[i]!
    for (let j = 0; j < d; j++)
      mixed[i * d + j] = (1 - m) * memory.feature_bank[row * d + j]! + m * normalized[i * d + j]!
  }
  const updated = new Float32Array(b * d)
  for (let i = 0; i < b; i++) normalizeRow(mixed, i, d, updated)
  const clusters = allClusters(memory.num_classes)
  const feature_bank = Float32Array.from(memory.feature_bank)
  const label_bank = Int32Array.from(memory.label_bank)
  let changed = 0
  for (let i = 0; i < b; i++) {
    const row = idx[i]!
    const label = nearestCentroid(memory.centroids, clusters, updated, i, d)
    if (label !== memory.label_bank[row]) changed += 1
    feature_bank.set(updated.subarray(i * d, (i + 1) * d), row * d)
    label_bank[row] = label
  }
  return { memory: { ...memory, feature_bank, label_bank }, changeRatio: b === 0 ? 0 : changed / b }
}

/**
 * `update_centroids_memory(cinds)`: the centroids of `clusters` (all when absent) recomputed as their members' mean
 * feature; an empty cluster keeps its centroid.
 */
export const update_centroids_memory = (memory: ODCMemory, clusters?: ReadonlyArray<number>): ODCMemory => ({
  ...memory,
  centroids: computeCentroids(memory, clusters),
})

/** The clusters with fewer than `min_cluster` samples, ascending. */
export const smallClusters = (memory: ODCMemory): ReadonlyArray<number> =>
  Array.from(histogram(memory.label_bank, memory.num_classes).entries())
    .filter(([, h]) => h < memory.min_cluster)
    .map(([c]) => c)

/**
 * The two halves of the largest cluster's members, the one that keeps the label first: 2-means on their features
 * (index-order halves if it fails).
 */
const partition = (memory: ODCMemory, members: ReadonlyArray<number>): readonly [number[], number[]] => {
  const d = memory.feat_dim
  const data = new Float64Array(members.length * d)
  members.forEach((row, i) => {
    for (let j = 0; j < d; j++) data[i * d + j] = memory.feature_bank[row * d + j]!
  })
  const { labels } = kmeans(data, members.length, d, 2, { seed: 0, iterations: 20 })
  const first = members.filter((_, i) => labels[i] === 0)
  const second = members.filter((_, i) => labels[i] === 1)
  // Which half keeps the label is an accident of the k-means numbering (sklearn's in MMSelfSup): here the half with
  // the cluster's first sample keeps it, so the split depends only on the partition.
  if (first.length > 0 && second.length > 0) return first.includes(members[0]!) ? [first, second] : [second, first]
  const half = Math.floor(members.length / 2)
  return [members.slice(0, half), members.slice(half)]
}

/**
 * `deal_with_small_clusters()`: every sample of a cluster smaller than `min_cluster` moves to the nearest centroid
 * among the clusters that are not small; then each emptied cluster takes one half of the (then) largest cluster,
 * split by 2-means, and the centroids of both are recomputed.
 */
export const deal_with_small_clusters = (memory: ODCMemory): ODCMemory => {
  const small = smallClusters(memory)
  if (small.length === 0) return memory
  const d = memory.feat_dim
  const k = memory.num_classes
  const smallSet = new Set(small)
  const inclusion = allClusters(k).filter((c) => !smallSet.has(c))
  const label_bank = Int32Array.from(memory.label_bank)
  if (inclusion.length > 0)
    for (let i = 0; i < memory.length; i++)
      if (smallSet.has(label_bank[i]!))
        label_bank[i] = nearestCentroid(memory.centroids, inclusion, memory.feature_bank, i, d)
  let current: ODCMemory = { ...memory, label_bank }
  for (const empty of small) {
    const hist = histogram(current.label_bank, k)
    const largest = hist.indexOf(Math.max(...hist))
    const members: number[] = []
    for (let i = 0; i < current.length; i++) if (current.label_bank[i] === largest) members.push(i)
    if (members.length < 2) continue
    const [, moved] = partition(current, members)
    const labels = Int32Array.from(current.label_bank)
    for (const row of moved) labels[row] = empty
    current = update_centroids_memory({ ...current, label_bank: labels }, [largest, empty])
  }
  return current
}
