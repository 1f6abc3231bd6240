/**
 * {@link sinkhorn}'s iteration as tfjs ops, for a loss that computes its codes
 * inside a tensor step (`SwAVLoss`): the same normalisations, in float32, with
 * no gradient flowing through (MMSelfSup runs it under `torch.no_grad()`).
 * With `replicas` (data parallel), `B` counts every replica's rows and the
 * total and the row sums are summed over the replicas, as {@link sinkhorn}'s
 * `allReduce` does (the row sums always, like the original SwAV code; MMSelfSup
 * only in its zero-row branch).
 *
 * @example
 * ```ts
 * const codes = tf.tidy(() => sinkhornTensor(scores))  // [B, K], rows sum to 1
 * ```
 * @module
 */
import * as tf from '@tensorflow/tfjs-core'
import type { Replicas } from '../../tensor/Replicas.js'
import { EPS_NUM_STAB, type SinkhornOptions } from './sinkhorn.js'

/**
 * Codes `[B, K]` for scores `[B, K]`; the caller owns the result.
 * No gradient reaches the scores (the codes are targets).
 */
export const sinkhornTensor = (
  out: tf.Tensor2D,
  options: Pick<SinkhornOptions, 'iterations' | 'epsilon'> & { readonly replicas?: Replicas } = {},
): tf.Tensor2D => {
  const replicas = options.replicas
  const across: Across =
    replicas === undefined
      ? { worldSize: 1, sum: (t) => t }
      : { worldSize: replicas.worldSize, sum: replicas.allReduceSum }
  // One custom-gradient node with a zero gradient: the iteration's ops (`any` has no gradient) never reach the tape.
  const codes = tf.customGrad((...args: Array<tf.Tensor | tf.GradSaveFunc>) => ({
    value: iterate(args[0] as tf.Tensor2D, options.iterations ?? 3, options.epsilon ?? 0.05, across),
    gradFunc: (dy: tf.Tensor) => tf.zerosLike(dy),
  })) as (x: tf.Tensor2D) => tf.Tensor2D
  return codes(out)
}

/** The replicas' count and sum (the identity in one process). */
interface Across {
  readonly worldSize: number
  readonly sum: (t: tf.Tensor) => tf.Tensor
}

const iterate = (out: tf.Tensor2D, iterations: number, epsilon: number, across: Across): tf.Tensor2D =>
  tf.tidy(() => {
    const [rows, K] = out.shape
    const B = rows * across.worldSize
    let q = tf.transpose(tf.exp(tf.div(out, epsilon))) as tf.Tensor2D
    q = tf.div(q, across.sum(tf.sum(q)))
    for (let it = 0; it < iterations; it++) {
      // MMSelfSup's guard against a prototype no sample reaches (a zero row), branch-free so nothing is read back
      // in one process; data parallel, the row sums are the replicas' (read back anyway to be summed).
      const anyZero = tf.cast(tf.any(tf.equal(across.sum(tf.sum(q, 1, true)), 0)), 'float32')
      q = tf.add(q, tf.mul(anyZero, EPS_NUM_STAB))
      const u = across.sum(tf.sum(q, 1, true))
      q = tf.div(tf.div(q, u), K)
      q = tf.div(tf.div(q, tf.sum(q, 0, true)), B)
    }
    return tf.transpose(tf.mul(q, B)) as tf.Tensor2D
  })
