/**
 * `nn.GroupNorm` as a function over named parameters, channel-last: the
 * channels (last axis) are split into `num_groups` consecutive groups and
 * each sample is normalised over its group's channels and all spatial
 * positions, with the biased variance, as PyTorch computes it. `weight`
 * (ones) and `bias` (zeros) are per channel. No buffers; train and eval
 * mode are the same.
 *
 * @example
 * ```ts
 * const params = GroupNorm.init('gn', 8) // { 'gn.weight': ones [8], 'gn.bias': zeros [8] }
 * const y = GroupNorm.apply(params, 'gn', { num_groups: 2 }, x) // x: [n, h, w, 8]
 * ```
 * @module
 */
import * as tf from '@tensorflow/tfjs-core'
import type { Tree } from '../tensor/tree.js'

export interface GroupNormOptions {
  readonly num_groups: number
  /** Default 1e-5, as PyTorch. */
  readonly eps?: number
}

/**
 * `${prefix}.weight` (ones) and `${prefix}.bias` (zeros), both `[num_channels]`; none when `affine` is false.
 *
 * @example
 * ```ts
 * Object.keys(GroupNorm.init('gn', 4)) // ['gn.weight', 'gn.bias']
 * ```
 */
export const init = (prefix: string, numChannels: number, affine = true): Tree =>
  affine ? { [`${prefix}.weight`]: tf.ones([numChannels]), [`${prefix}.bias`]: tf.zeros([numChannels]) } : {}

/**
 * Normalise `x` (`[n, …spatial, C]`, e.g. NHWC or `[n, C]`) per sample and group.
 *
 * @example
 * ```ts
 * const y = GroupNorm.apply(params, 'gn', { num_groups: 2, eps: 1e-5 }, tf.ones([2, 4, 4, 8]))
 * ```
 */
export const apply = (params: Tree, prefix: string, options: GroupNormOptions, x: tf.Tensor): tf.Tensor => {
  const groups = options.num_groups
  const channels = x.shape.at(-1)!
  if (x.rank < 2) throw new Error(`GroupNorm '${prefix}': expected [n, …, C], got shape [${x.shape.join(', ')}]`)
  if (!Number.isInteger(groups) || groups < 1 || channels % groups !== 0)
    throw new Error(`GroupNorm '${prefix}': ${channels} channels are not divisible into ${groups} groups`)
  return tf.tidy(() => {
    const n = x.shape[0]!
    const grouped = tf.reshape(x, [n, -1, groups, channels / groups])
    const { mean, variance } = tf.moments(grouped, [1, 3], true)
    let y = tf.reshape(tf.mul(tf.sub(grouped, mean), tf.rsqrt(tf.add(variance, options.eps ?? 1e-5))), x.shape)
    const weight = params[`${prefix}.weight`]
    const bias = params[`${prefix}.bias`]
    if (weight !== undefined) y = tf.mul(y, weight)
    if (bias !== undefined) y = tf.add(y, bias)
    return y
  })
}
