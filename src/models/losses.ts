/**
 * The losses MMEngine models return, as tensor functions. Both average over
 * the batch as PyTorch's default `reduction='mean'` does.
 * @module
 */
import * as tf from '@tensorflow/tfjs-core'
import { softmaxCrossEntropy } from '../tensor/softmaxCrossEntropy.js'

/**
 * `F.cross_entropy(logits, labels)`: the mean over the batch of
 * `logsumexp(logits) − logits[label]`. `labels` are class indices (int32, `[n]`). One fused kernel where the
 * backend has it (`tensor/softmaxCrossEntropy.ts`), else tfjs's ops.
 */
export const crossEntropy = (logits: tf.Tensor, labels: tf.Tensor): tf.Scalar => softmaxCrossEntropy(logits, labels)

/** `F.mse_loss(pred, target)`: the mean of squared differences over every element. */
export const meanSquaredError = (pred: tf.Tensor, target: tf.Tensor): tf.Scalar =>
  tf.tidy(() => tf.mean(tf.square(tf.sub(pred, target))) as tf.Scalar)
