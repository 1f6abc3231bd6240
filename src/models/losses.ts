/**
 * The losses MMEngine models return, as tensor functions. Both average over
 * the batch as PyTorch's default `reduction='mean'` does.
 * @module
 */
import * as tf from '@tensorflow/tfjs-core'

/**
 * `F.cross_entropy(logits, labels)`: the mean over the batch of
 * `logsumexp(logits) − logits[label]`. `labels` are class indices (int32, `[n]`).
 */
export const crossEntropy = (logits: tf.Tensor, labels: tf.Tensor): tf.Scalar =>
  tf.tidy(() => {
    const classes = logits.shape.at(-1)!
    const logProbs = tf.logSoftmax(logits as tf.Tensor2D)
    const picked = tf.sum(tf.mul(logProbs, tf.oneHot(tf.cast(labels, 'int32') as tf.Tensor1D, classes)), -1)
    return tf.neg(tf.mean(picked)) as tf.Scalar
  })

/** `F.mse_loss(pred, target)`: the mean of squared differences over every element. */
export const meanSquaredError = (pred: tf.Tensor, target: tf.Tensor): tf.Scalar =>
  tf.tidy(() => tf.mean(tf.square(tf.sub(pred, target))) as tf.Scalar)
