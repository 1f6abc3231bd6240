/**
 * The collapse statistic of the SimSiam paper (Chen & He 2021, §4.1): the projections, L2-normalised per sample,
 * their standard deviation over the batch per dimension (PyTorch's `std`, unbiased), averaged over the dimensions.
 * Healthy features of dimension `d` stay near `1/√d`; collapsed ones (every sample mapped to the same point) give 0.
 * @module
 */
import * as tf from '@tensorflow/tfjs-core'
import { normalize } from './functional.js'

export { FEAT_STD } from './attributes.js'

/** `mean_j std_i (z_i / ‖z_i‖)_j` of `[n, d]` projections (any rank flattened to `[n, −1]`); needs n ≥ 2. */
export const featureSpread = (z: tf.Tensor): tf.Scalar =>
  tf.tidy(() => {
    const n = z.shape[0] ?? 0
    if (n < 2) throw new RangeError(`featureSpread: needs at least 2 samples, got ${n}`)
    const unit = normalize(tf.reshape(z, [n, -1]), 1)
    const { variance } = tf.moments(unit, 0)
    return tf.mean(tf.sqrt(tf.mul(variance, n / (n - 1)))) as tf.Scalar
  })
