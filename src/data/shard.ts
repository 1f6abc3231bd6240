/**
 * Samplers across ranks, as MMEngine's samplers do it with several processes:
 * every rank computes the same global order (same seed and epoch), and takes
 * every `worldSize`-th index from position `rank`.
 *
 * - `DefaultSampler` with `round_up=True` (the default) first pads the order
 *   by repeating it from the start, to `⌈length / W⌉ · W` indices, so every
 *   rank gets `⌈length / W⌉` samples; with `round_up=False` rank `r` gets
 *   `⌈(length − r) / W⌉` samples and nothing is repeated.
 * - `InfiniteSampler`: rank `r`'s stream is positions `r, r + W, r + 2W, …`
 *   of the global endless stream.
 *
 * Hence the data-parallel law: batch `i` of every rank at batch size `b`
 * together are batch `i` of one process at batch size `W · b` whenever the
 * dataset splits into whole global batches.
 *
 * @example
 * ```ts
 * shardOrder(Int32Array.from([4, 2, 0, 1, 3]), 1, 2, true)   // [2, 1, 4]: padded to 6, odd positions
 * shardOrder(Int32Array.from([4, 2, 0, 1, 3]), 1, 2, false)  // [2, 1]
 * ```
 * @module
 */
import type { SamplerCfg } from './sampler.js'
import { streamSlice } from './sampler.js'

/** Where this process sits among the data-parallel workers. */
export interface Shard {
  readonly rank: number
  readonly worldSize: number
}

/** Whether a `DefaultSampler` pads to a multiple of the world size: its `round_up`, default `true` as in MMEngine. */
export const roundsUp = (cfg: SamplerCfg | undefined): boolean =>
  (cfg as { readonly round_up?: boolean } | undefined)?.round_up ?? true

/** The number of samples rank `rank` sees in one epoch of `length` samples. */
export const shardLength = (length: number, shard: Shard, roundUp: boolean): number =>
  roundUp ? Math.ceil(length / shard.worldSize) : Math.max(0, Math.ceil((length - shard.rank) / shard.worldSize))

/** Rank `rank`'s part of an epoch's global `order` (`DefaultSampler.__iter__` with several processes). */
export const shardOrder = (order: Int32Array, rank: number, worldSize: number, roundUp: boolean): Int32Array => {
  if (worldSize === 1) return order
  const length = order.length
  const shard = new Int32Array(shardLength(length, { rank, worldSize }, roundUp))
  for (let k = 0; k < shard.length; k++) shard[k] = order[(rank + k * worldSize) % length]!
  return shard
}

/**
 * `count` consecutive indices of rank `shard.rank`'s `InfiniteSampler`
 * stream from its position `start`: global stream positions
 * `(start + k) · W + rank`.
 *
 * @example
 * ```ts
 * shardedStreamSlice({ type: 'InfiniteSampler', shuffle: false }, 5, 0, { rank: 1, worldSize: 2 }, 0, 3)  // [1, 3, 0]
 * ```
 */
export const shardedStreamSlice = (
  cfg: SamplerCfg | undefined,
  length: number,
  seed: number,
  shard: Shard,
  start: number,
  count: number,
): Int32Array => {
  const { rank, worldSize } = shard
  if (worldSize === 1) return streamSlice(cfg, length, seed, start, count)
  if (count === 0) return new Int32Array(0)
  // The global positions span (count − 1)·W + 1 consecutive indices; take every W-th.
  const span = streamSlice(cfg, length, seed, start * worldSize + rank, (count - 1) * worldSize + 1)
  const out = new Int32Array(count)
  for (let k = 0; k < count; k++) out[k] = span[k * worldSize]!
  return out
}
