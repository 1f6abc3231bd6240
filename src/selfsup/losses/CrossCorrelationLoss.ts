/**
 * MMSelfSup's `CrossCorrelationLoss(lambd=0.0051)` (Barlow Twins): for a
 * square cross-correlation matrix `C`, `Σᵢ (Cᵢᵢ − 1)² + λ · Σ_{i≠j} Cᵢⱼ²`.
 * @module
 */
import * as tf from '@tensorflow/tfjs-core'
import type * as t from 'io-ts'
import { input, type LossComponent } from '../Component.js'
import { args, info } from './CrossCorrelationLossDescription.js'

export { args, info }

/** The on-diagonal plus `lambd` times the off-diagonal loss of a square matrix. */
export const crossCorrelationLoss = (c: tf.Tensor2D, lambd = 0.0051): tf.Scalar =>
  tf.tidy(() => {
    const [n, m] = c.shape
    if (n !== m) throw new Error(`CrossCorrelationLoss: expected a square matrix, got [${n}, ${m}]`)
    const eye = tf.eye(n)
    const diag = tf.sum(tf.mul(c, eye), 1)
    const onDiag = tf.sum(tf.square(tf.sub(diag, 1)))
    const offDiag = tf.sum(tf.mul(tf.square(c), tf.sub(1, eye)))
    return tf.add(onDiag, tf.mul(lambd, offDiag)) as tf.Scalar
  })

export const build = (a: t.TypeOf<typeof args>): LossComponent => ({
  kind: 'loss',
  type: 'CrossCorrelationLoss',
  inputs: ['cross_correlation_matrix'],
  init: (_prefix, rng) => ({ params: {}, buffers: {}, rng }),
  info: (prefix) => info(a, prefix),
  forward: (_params, _buffers, _prefix, inputs) => ({
    value: crossCorrelationLoss(
      input('CrossCorrelationLoss', inputs, 'cross_correlation_matrix') as tf.Tensor2D,
      a.lambd ?? 0.0051,
    ),
    buffers: {},
  }),
})
