/**
 * MMClassification's `CrossEntropyLoss` as MMSelfSup configs name it
 * (`mmcls.CrossEntropyLoss`): softmax cross-entropy times `loss_weight`.
 * With `class_weight` each sample's loss is weighted by its class's weight and
 * the result is still the plain mean over the batch (mmcls's
 * `weight_reduce_loss`, not PyTorch's weighted mean): DeepCluster and ODC set
 * it from the cluster histogram. The class weights may also come from the
 * model's attributes (`<prefix>.class_weight`), which is how their hooks set them.
 * @module
 */
import * as tf from '@tensorflow/tfjs-core'
import type * as t from 'io-ts'
import { softmaxCrossEntropy } from '../../tensor/softmaxCrossEntropy.js'
import { input, join, type LossComponent } from '../Component.js'
import { args, info, refuse } from './CrossEntropyLossDescription.js'

export { args, info }

/**
 * Mean over the batch of `w[label] · (logsumexp(logits) − logits[label])`. Without class weights, `[n, classes]`
 * logits take the fused softmax cross-entropy (one kernel and its gradient on WASM, the composed ops elsewhere).
 */
export const crossEntropyLoss = (
  logits: tf.Tensor,
  labels: tf.Tensor,
  classWeight?: ReadonlyArray<number>,
): tf.Scalar =>
  tf.tidy(() => {
    if (classWeight === undefined && logits.rank === 2) return softmaxCrossEntropy(logits, labels)
    const classes = logits.shape.at(-1)!
    const oneHot = tf.oneHot(tf.cast(labels, 'int32') as tf.Tensor1D, classes)
    let perSample = tf.neg(tf.sum(tf.mul(tf.logSoftmax(logits as tf.Tensor2D), oneHot), -1))
    if (classWeight !== undefined)
      perSample = tf.mul(perSample, tf.sum(tf.mul(oneHot, tf.tensor1d(classWeight as number[])), -1))
    return tf.mean(perSample) as tf.Scalar
  })

export const build = (a: t.TypeOf<typeof args>): LossComponent => {
  refuse(a)
  return {
    kind: 'loss',
    type: 'CrossEntropyLoss',
    inputs: ['cls_score', 'label'],
    detached: ['label'],
    init: (_prefix, rng) => ({ params: {}, buffers: {}, rng }),
    info: (prefix) => info(a, prefix),
    forward: (_params, _buffers, prefix, inputs, ctx) => {
      const fromState = ctx.attributes?.[join(prefix, 'class_weight')]
      const weight = Array.isArray(fromState) ? (fromState as ReadonlyArray<number>) : a.class_weight
      const loss = crossEntropyLoss(
        input('CrossEntropyLoss', inputs, 'cls_score'),
        input('CrossEntropyLoss', inputs, 'label'),
        weight,
      )
      return {
        value:
          a.loss_weight === undefined || a.loss_weight === 1
            ? loss
            : (tf.tidy(() => tf.mul(loss, a.loss_weight!)) as tf.Scalar),
        buffers: {},
      }
    },
  }
}
