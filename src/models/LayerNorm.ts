/**
 * `nn.LayerNorm` over the last dimension: `(x − mean) / √(var + eps) · weight + bias`
 * with the biased variance, as PyTorch computes it. `weight` starts at ones
 * and `bias` at zeros.
 *
 * @example
 * ```ts
 * const params = LayerNorm.init('norm', 8) // { 'norm.weight': ones [8], 'norm.bias': zeros [8] }
 * const y = LayerNorm.apply(params, 'norm', x)
 * ```
 * @module
 */
import * as tf from '@tensorflow/tfjs-core'
import type { Tree } from '../tensor/tree.js'

/** `${prefix}.weight` (ones) and `${prefix}.bias` (zeros), both `[dim]`; none when `elementwiseAffine` is false. */
export const init = (prefix: string, dim: number, elementwiseAffine = true): Tree =>
  elementwiseAffine ? { [`${prefix}.weight`]: tf.ones([dim]), [`${prefix}.bias`]: tf.zeros([dim]) } : {}

/** Normalise `x` over its last dimension (PyTorch's default `eps` is 1e-5). */
export const apply = (params: Tree, prefix: string, x: tf.Tensor, eps = 1e-5): tf.Tensor =>
  tf.tidy(() => {
    const axis = x.rank - 1
    const { mean, variance } = tf.moments(x, axis, true)
    let y = tf.mul(tf.sub(x, mean), tf.rsqrt(tf.add(variance, eps)))
    const weight = params[`${prefix}.weight`]
    const bias = params[`${prefix}.bias`]
    if (weight !== undefined) y = tf.mul(y, weight)
    if (bias !== undefined) y = tf.add(y, bias)
    return y
  })
