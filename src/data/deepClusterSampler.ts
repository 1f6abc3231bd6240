/**
 * MMSelfSup's `DeepClusterSampler(shuffle=True, seed=None, replace=False, round_up=True)`: a `DefaultSampler` whose
 * epoch order may instead be drawn uniformly over pseudo-labels, as `DeepClusterHook(unif_sampling=True)` asks
 * (`set_uniform_indices`).
 *
 * - Ordinary epochs: a permutation of the dataset (as `DefaultSampler`), or with `replace=True` `N` indices drawn
 *   with replacement; in order without `shuffle`.
 * - Uniform epochs: `⌊N / k⌋ + 1` samples from every non-empty cluster (with replacement only where the cluster has
 *   no more members than that), shuffled, cut to `N`.
 * - Both are padded by repetition to a multiple of the world size and sharded by rank like `DefaultSampler`
 *   (rank `r` takes positions `r, r + W, …`).
 *
 * The draws come from loopwright's counter-based {@link Rng} (torch's generator and NumPy's global state are not
 * reproduced): ordinary epochs from the sampler's stream of `seed + epoch`, uniform epochs from a stream of
 * `seed + epoch` where `epoch` is the one the hook clustered at. Same inputs, same order, so resume stays exact.
 *
 * @example
 * ```ts
 * const order = deepClusterOrder({ type: 'DeepClusterSampler' }, 6, 0, 1, {
 *   labels: [0, 0, 0, 0, 1, 1], numClasses: 2, epoch: 1,
 * })  // 6 indices, about half from each cluster
 * ```
 * @module
 */
import type { Json } from '../dsl/MessageHub.js'
import * as Rng from '../dsl/Rng.js'
import { epochStream, indicesForEpoch, permutation, samplerSeed, uniformInt } from './sampler.js'
import type { SamplerCfg } from './samplerCfg.js'

/** What `set_uniform_indices(labels, num_classes)` gives the sampler, and the epoch it was called at. */
export interface UniformSampling {
  readonly labels: ArrayLike<number>
  readonly numClasses: number
  readonly epoch: number
}

/** The label of the uniform draws' stream (split from `Rng.make(seed + epoch)`). */
export const UNIFORM_STREAM = 0x756e6966

/** Is this sampler config a `DeepClusterSampler` (with or without a scope)? */
export const isDeepClusterSampler = (cfg: SamplerCfg | undefined): boolean =>
  cfg?.type.endsWith('DeepClusterSampler') === true

/** `count` draws from `members` with replacement, or without (a partial Fisher–Yates) when `replace` is false. */
const choose = (
  members: ReadonlyArray<number>,
  count: number,
  replace: boolean,
  rng: Rng.Rng,
): readonly [number[], Rng.Rng] => {
  const out: number[] = []
  let r = rng
  if (replace) {
    for (let i = 0; i < count; i++) {
      const [j, next] = uniformInt(r, members.length)
      r = next
      out.push(members[j]!)
    }
    return [out, r]
  }
  const pool = [...members]
  for (let i = 0; i < count; i++) {
    const [j, next] = uniformInt(r, pool.length - i)
    r = next
    const pick = i + j
    const tmp = pool[i]!
    pool[i] = pool[pick]!
    pool[pick] = tmp
    out.push(pool[i]!)
  }
  return [out, r]
}

/** `set_uniform_indices`: `⌊N/k⌋ + 1` draws per non-empty cluster, shuffled, the first `N` kept. */
export const uniformIndices = (uniform: UniformSampling, seed: number): Int32Array => {
  const n = uniform.labels.length
  const perCluster = Math.floor(n / uniform.numClasses) + 1
  const members: number[][] = Array.from({ length: uniform.numClasses }, () => [])
  for (let i = 0; i < n; i++) {
    const c = uniform.labels[i]!
    if (!(Number.isInteger(c) && c >= 0 && c < uniform.numClasses))
      throw new RangeError(
        `DeepClusterSampler: pseudo-label ${c} of sample ${i} is not a cluster of 0 … ${uniform.numClasses - 1}`,
      )
    members[c]!.push(i)
  }
  let rng = Rng.split(Rng.make(seed + uniform.epoch), UNIFORM_STREAM)
  const drawn: number[] = []
  for (const cluster of members) {
    if (cluster.length === 0) continue
    const [picked, next] = choose(cluster, perCluster, cluster.length <= perCluster, rng)
    rng = next
    drawn.push(...picked)
  }
  const shuffled = permutation(drawn.length, rng)
  const out = new Int32Array(Math.min(n, drawn.length))
  for (let i = 0; i < out.length; i++) out[i] = drawn[shuffled[i]!]!
  return out
}

/**
 * The global order of one epoch of a `DeepClusterSampler` over `length` samples (before padding and sharding):
 * `uniform`'s draws when given, else a permutation, `length` draws with replacement (`replace=True`), or `0 … N−1`
 * without `shuffle`.
 */
export const deepClusterOrder = (
  cfg: SamplerCfg | undefined,
  length: number,
  seed: number,
  epoch: number,
  uniform?: UniformSampling,
): Int32Array => {
  const own = samplerSeed(cfg, seed)
  const shuffle = cfg?.shuffle ?? true
  if (uniform !== undefined) {
    if (!shuffle) throw new Error('DeepClusterSampler: uniform sampling needs shuffle=True (as MMSelfSup asserts)')
    if (uniform.labels.length !== length)
      throw new RangeError(`DeepClusterSampler: ${uniform.labels.length} pseudo-labels for ${length} samples`)
    // Fewer draws than samples (many empty clusters) repeat from the start, as MMSelfSup pads its list.
    const drawn = uniformIndices(uniform, own)
    if (drawn.length === 0) throw new Error('DeepClusterSampler: no pseudo-labelled sample to draw from')
    return Int32Array.from({ length }, (_, i) => drawn[i % drawn.length]!)
  }
  const replace = (cfg as { readonly replace?: boolean } | undefined)?.replace === true
  if (!shuffle || !replace) return indicesForEpoch(cfg, length, seed, epoch)
  const out = new Int32Array(length)
  let r = epochStream(own, epoch)
  for (let i = 0; i < length; i++) {
    const [j, next] = uniformInt(r, length)
    r = next
    out[i] = j
  }
  return out
}

/** The model attribute holding the pseudo-labels, one per training sample (MMSelfSup's `clustering_label`). */
export const CLUSTERING_LABEL = 'clustering_label'

/**
 * The model attribute `{ train_epoch, num_classes, epoch }` that `DeepClusterHook(unif_sampling=True)` sets: the
 * train epoch whose `DeepClusterSampler` draws uniformly over the pseudo-labels (the next one to start; MMSelfSup's
 * `unif_sampling_flag` holds for one `__iter__`), the cluster count, and the epoch the draws are seeded from.
 */
export const UNIFORM_SAMPLING = 'clustering_uniform'

type Attributes = { readonly [name: string]: Json }

/** The uniform sampling the model's attributes ask of train epoch `trainEpoch`, if any. */
export const uniformSamplingFor = (attributes: Attributes, trainEpoch: number): UniformSampling | undefined => {
  const labels = attributes[CLUSTERING_LABEL]
  const uniform = attributes[UNIFORM_SAMPLING]
  if (!Array.isArray(labels) || uniform === null || typeof uniform !== 'object' || Array.isArray(uniform))
    return undefined
  const { train_epoch, num_classes, epoch } = uniform as { readonly [key: string]: Json }
  if (train_epoch !== trainEpoch || typeof num_classes !== 'number' || typeof epoch !== 'number') return undefined
  return { labels: labels as ReadonlyArray<number>, numClasses: num_classes, epoch }
}
