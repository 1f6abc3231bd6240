/**
 * Gradient clipping as PyTorch's `clip_grad_norm_` and `clip_grad_value_`
 * compute it (spec §7.3). Norm clipping records the total norm *before*
 * clipping (MMEngine logs it as `grad_norm`) as a device scalar in its state;
 * it is read back only when someone logs it.
 * @module
 */
import * as tf from '@tensorflow/tfjs-core'
import type { GradientTransformation } from '../GradientTransformation.js'
import type { Tree } from '../../tensor/tree.js'
import { map } from '../../tensor/tree.js'

export interface ClipNormState {
  /**
   * The total norm of the last clipped gradients, before clipping (a scalar tensor), or undefined before the first
   * step.
   */
  readonly gradNorm: tf.Scalar | undefined
}

const normOf = (g: tf.Tensor, normType: number): tf.Scalar =>
  normType === Infinity
    ? tf.max(tf.abs(g))
    : normType === 2
      ? (tf.norm(g) as tf.Scalar)
      : (tf.pow(tf.sum(tf.pow(tf.abs(g), normType)), 1 / normType) as tf.Scalar)

/** The total `normType`-norm of all gradients: the norm of the per-tensor norms (max for ∞). */
export const globalNorm = (grads: Tree, normType: number): tf.Scalar =>
  tf.tidy(() => {
    const norms = Object.values(grads).map((g) => normOf(g, normType))
    if (norms.length === 0) return tf.scalar(0)
    return normOf(tf.stack(norms), normType)
  })

/**
 * Scale all gradients by `min(1, max_norm / (total + 1e-6))` — always
 * multiplied, even when the factor is 1, as PyTorch does.
 */
export const clipByGlobalNorm = (maxNorm: number, normType = 2): GradientTransformation<ClipNormState> => ({
  init: () => ({ gradNorm: undefined }),
  update: (grads) => {
    if (Object.keys(grads).length === 0) return [grads, { gradNorm: undefined }]
    const total = globalNorm(grads, normType)
    const factor = tf.tidy(() => tf.minimum(tf.div(maxNorm, tf.add(total, 1e-6)), 1))
    const clipped = map(grads, (g) => tf.mul(g, factor))
    factor.dispose()
    return [clipped, { gradNorm: total }]
  },
})

/** Clamp every gradient entry to `[-clipValue, clipValue]`. Stateless and idempotent. */
export const clipByValue = (clipValue: number): GradientTransformation<null> => ({
  init: () => null,
  update: (grads) => [map(grads, (g) => tf.clipByValue(g, -clipValue, clipValue)), null],
})
