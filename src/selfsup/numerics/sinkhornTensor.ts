/**
 * {@link sinkhorn}'s iteration as tfjs ops, for a loss that computes its codes
 * inside a tensor step (`SwAVLoss`): the same normalisations, in float32, with
 * no gradient flowing through (MMSelfSup runs it under `torch.no_grad()`).
 * One process only: the sums are not all-reduced.
 *
 * @example
 * ```ts
 * const codes = tf.tidy(() => sinkhornTensor(scores))  // [B, K], rows sum to 1
 * ```
 * @module
 */
import * as tf from '@tensorflow/tfjs-core'
import { EPS_NUM_STAB, type SinkhornOptions } from './sinkhorn.js'

/**
 * Codes `[B, K]` for scores `[B, K]`; the caller owns the result.
 * No gradient reaches the scores (the codes are targets).
 */
export const sinkhornTensor = (
  out: tf.Tensor2D,
  options: Pick<SinkhornOptions, 'iterations' | 'epsilon'> = {},
): tf.Tensor2D => {
  // One custom-gradient node with a zero gradient: the iteration's ops (`any` has no gradient) never reach the tape.
  const codes = tf.customGrad((...args: Array<tf.Tensor | tf.GradSaveFunc>) => ({
    value: iterate(args[0] as tf.Tensor2D, options.iterations ?? 3, options.epsilon ?? 0.05),
    gradFunc: (dy: tf.Tensor) => tf.zerosLike(dy),
  })) as (x: tf.Tensor2D) => tf.Tensor2D
  return codes(out)
}

const iterate = (out: tf.Tensor2D, iterations: number, epsilon: number): tf.Tensor2D =>
  tf.tidy(() => {
    const [B, K] = out.shape
    let q = tf.transpose(tf.exp(tf.div(out, epsilon))) as tf.Tensor2D
    q = tf.div(q, tf.sum(q))
    for (let it = 0; it < iterations; it++) {
      // MMSelfSup's guard against a prototype no sample reaches (a zero row), branch-free so nothing is read back.
      const anyZero = tf.cast(tf.any(tf.equal(tf.sum(q, 1, true), 0)), 'float32')
      q = tf.add(q, tf.mul(anyZero, EPS_NUM_STAB))
      const u = tf.sum(q, 1, true)
      q = tf.div(tf.div(q, u), K)
      q = tf.div(tf.div(q, tf.sum(q, 0, true)), B)
    }
    return tf.transpose(tf.mul(q, B)) as tf.Tensor2D
  })
