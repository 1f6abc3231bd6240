/**
 * Samplers: the order in which a data loader visits a dataset, as pure
 * functions of the sampler config, the dataset length, the seed and the
 * epoch — never a mutable generator, so any epoch's order can be recomputed
 * on resume.
 *
 * - `DefaultSampler` (MMEngine): with `shuffle=True` (the default) each epoch
 *   is a fresh permutation derived from `seed + epoch`; without shuffling the
 *   order is `0, 1, …, length - 1`. `round_up` only matters with several
 *   processes (it pads the index list to a multiple of the world size); with
 *   one process it changes nothing.
 * - `InfiniteSampler` (MMEngine): an endless stream of indices, pass after
 *   pass; pass `k` is ordered like epoch `k` of a `DefaultSampler` with the
 *   same `shuffle` and seed. Batches run across pass boundaries.
 *
 * **Shuffling is not torch's.** MMEngine seeds a `torch.Generator` with
 * `seed + epoch` and takes `torch.randperm`. That generator (a Mersenne
 * Twister feeding torch's own permutation algorithm) is not reproduced here;
 * instead the permutation is a Fisher–Yates shuffle driven by the
 * counter-based {@link Rng}: the stream `Rng.split(Rng.make(seed + epoch),
 * SAMPLER_STREAM)`. The properties that matter are kept — every epoch's
 * order is a permutation, the same seed and epoch give the same order, other
 * epochs give other orders, and `seed + epoch` is the only input (so seed 1
 * epoch 0 equals seed 0 epoch 1, exactly as in MMEngine) — but the indices
 * differ from a PyTorch run's.
 *
 * @example
 * ```ts
 * const cfg = { type: 'DefaultSampler', shuffle: true } as const
 * indicesForEpoch(cfg, 5, 0, 0)  // Int32Array, a permutation of 0..4
 * indicesForEpoch({ type: 'DefaultSampler', shuffle: false }, 5, 0, 3)  // [0, 1, 2, 3, 4]
 * ```
 * @module
 */
import type { SamplerCfg } from './samplerCfg.js'
import * as Rng from '../dsl/Rng.js'

export type { SamplerCfg } from './samplerCfg.js'

/**
 * The label of the sampler's stream, split from `Rng.make(seed + epoch)` so it never coincides with the run's root
 * stream.
 */
export const SAMPLER_STREAM = 0x53414d50

/**
 * Is this an `InfiniteSampler` config (with or without an `mmengine.` scope)?
 *
 * @example
 * ```ts
 * isInfinite({ type: 'mmengine.InfiniteSampler' })  // true
 * ```
 */
export const isInfinite = (cfg: SamplerCfg | undefined): boolean => cfg?.type.endsWith('InfiniteSampler') === true

/** Whether the sampler shuffles: its `shuffle`, default `true` as in MMEngine (and when no sampler is configured). */
export const shuffles = (cfg: SamplerCfg | undefined): boolean => cfg?.shuffle ?? true

/**
 * The seed the sampler uses: its own `seed` when the config sets one, else
 * the run's seed. (MMEngine draws a seed from NumPy when `seed=None`, which
 * the run's seed determines; loopwright uses the run's seed itself.)
 *
 * @example
 * ```ts
 * samplerSeed({ type: 'DefaultSampler', seed: 3 }, 0)  // 3
 * samplerSeed(undefined, 42)                          // 42
 * ```
 */
export const samplerSeed = (cfg: SamplerCfg | undefined, runSeed: number): number =>
  cfg !== undefined && typeof cfg.seed === 'number' ? cfg.seed : runSeed

/**
 * A uniform integer in `[0, n)` (`1 ≤ n ≤ 2³²`) from `rng`, without modulo
 * bias (rejection sampling), and the advanced stream.
 *
 * @example
 * ```ts
 * const [k, next] = uniformInt(Rng.make(0), 6)  // k in 0..5
 * ```
 */
export const uniformInt = (rng: Rng.Rng, n: number): readonly [number, Rng.Rng] => {
  const limit = 0x1_0000_0000 - (0x1_0000_0000 % n)
  let counter = rng.counter
  for (;;) {
    const bits = Rng.at(rng.seed, counter)
    counter += 1
    if (bits < limit) return [bits % n, { seed: rng.seed, counter }]
  }
}

/**
 * A uniformly random permutation of `0 .. length - 1` (Fisher–Yates,
 * from the last position down), drawn from `rng`.
 *
 * @example
 * ```ts
 * permutation(4, Rng.make(7))  // e.g. Int32Array [2, 0, 3, 1]
 * ```
 */
export const permutation = (length: number, rng: Rng.Rng): Int32Array => {
  const order = new Int32Array(length)
  for (let i = 0; i < length; i++) order[i] = i
  let r = rng
  for (let i = length - 1; i > 0; i--) {
    const [j, next] = uniformInt(r, i + 1)
    r = next
    const t = order[i]!
    order[i] = order[j]!
    order[j] = t
  }
  return order
}

/** The stream an epoch's shuffle draws from: `Rng.split(Rng.make(seed + epoch), SAMPLER_STREAM)`. */
export const epochStream = (seed: number, epoch: number): Rng.Rng => Rng.split(Rng.make(seed + epoch), SAMPLER_STREAM)

/**
 * The sample order of one epoch (for `InfiniteSampler`, of one pass over the
 * data). `seed` is the run's seed; a `seed` in the sampler config overrides
 * it. Without a sampler config, `DefaultSampler(shuffle=True)` is assumed.
 *
 * @example
 * ```ts
 * indicesForEpoch({ type: 'DefaultSampler', shuffle: true }, 60000, 0, 1)  // epoch 1's order
 * ```
 */
export const indicesForEpoch = (
  cfg: SamplerCfg | undefined,
  length: number,
  seed: number,
  epoch: number,
): Int32Array => {
  if (!shuffles(cfg)) {
    const order = new Int32Array(length)
    for (let i = 0; i < length; i++) order[i] = i
    return order
  }
  return permutation(length, epochStream(samplerSeed(cfg, seed), epoch))
}

/**
 * `count` consecutive indices of the endless stream an `InfiniteSampler`
 * yields, starting at stream position `start` (position `p` is item
 * `p mod length` of pass `⌊p / length⌋`). Any position is reached without
 * replaying the earlier passes.
 *
 * @example
 * ```ts
 * streamSlice({ type: 'InfiniteSampler', shuffle: false }, 3, 0, 2, 4)  // [2, 0, 1, 2]
 * ```
 */
export const streamSlice = (
  cfg: SamplerCfg | undefined,
  length: number,
  seed: number,
  start: number,
  count: number,
): Int32Array => {
  const out = new Int32Array(count)
  if (count === 0) return out
  if (length <= 0) throw new RangeError('an empty dataset has no indices to stream')
  let pass = Math.floor(start / length)
  let order = indicesForEpoch(cfg, length, seed, pass)
  for (let k = 0; k < count; k++) {
    const p = start + k
    const q = Math.floor(p / length)
    if (q !== pass) {
      pass = q
      order = indicesForEpoch(cfg, length, seed, pass)
    }
    out[k] = order[p - q * length]!
  }
  return out
}

/**
 * The endless stream of indices of an `InfiniteSampler` (MMEngine's
 * `_infinite_indices`), from stream position `start`.
 *
 * @example
 * ```ts
 * const it = infiniteIndices({ type: 'InfiniteSampler', shuffle: true }, 10, 0)
 * it.next().value  // the first index of pass 0
 * ```
 */
export function* infiniteIndices(
  cfg: SamplerCfg | undefined,
  length: number,
  seed: number,
  start = 0,
): Generator<number, never, undefined> {
  if (length <= 0) throw new RangeError('an empty dataset has no indices to stream')
  let pass = Math.floor(start / length)
  let offset = start - pass * length
  for (;;) {
    const order = indicesForEpoch(cfg, length, seed, pass)
    for (let i = offset; i < length; i++) yield order[i]!
    pass += 1
    offset = 0
  }
}
