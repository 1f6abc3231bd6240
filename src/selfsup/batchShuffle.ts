/**
 * MMSelfSup's `batch_shuffle_ddp` / `batch_unshuffle_ddp` (`mmselfsup/utils/batch_shuffle.py`), MoCo's "shuffling
 * BN": the key encoder's BatchNorm must not see the same sub-batch as the query encoder's, or the batch statistics
 * leak which key matches which query. Every replica's key images are gathered, permuted by one permutation that all
 * replicas draw alike (MMSelfSup draws it on rank 0 and broadcasts it; here every replica draws it from the step's
 * shared random stream), and each replica encodes its slice of the permuted batch; the keys are gathered again and
 * put back in the original order. In one process it is the identity (a permutation does not change a batch's
 * statistics), so nothing is done there.
 * @module
 */
import * as tf from '@tensorflow/tfjs-core'
import { permutation } from '../data/sampler.js'
import type * as Rng from '../dsl/Rng.js'
import type { Replicas } from '../tensor/Replicas.js'

/** The label of the stream (split from the step's) that a key shuffle's permutation is drawn from. */
export const SHUFFLE_STREAM = 0x73687566

/** A replica's slice of the shuffled global batch, and how to put its encodings back. */
export interface Shuffled {
  readonly x: tf.Tensor
  /** `idx_unshuffle` of this replica's rows: their positions in the shuffled global batch. */
  readonly unshuffle: Int32Array
}

/** `batch_shuffle_ddp(x)` with the permutation drawn from `rng` (the same stream on every replica). */
export const batchShuffle = (replicas: Replicas, x: tf.Tensor, rng: Rng.Rng): Shuffled => {
  const n = x.shape[0]!
  const all = replicas.allGather(x)
  const order = permutation(all.shape[0]!, rng)
  const inverse = new Int32Array(order.length)
  for (let i = 0; i < order.length; i++) inverse[order[i]!] = i
  const from = replicas.rank * n
  const shuffled = tf.tidy(() => tf.gather(all, tf.tensor1d(order.subarray(from, from + n), 'int32')))
  all.dispose()
  return { x: shuffled, unshuffle: inverse.slice(from, from + n) }
}

/** `batch_unshuffle_ddp(y, idx_unshuffle)`: this replica's rows of `y` (encodings of shuffled slices), unshuffled. */
export const batchUnshuffle = (replicas: Replicas, y: tf.Tensor, unshuffle: Int32Array): tf.Tensor =>
  tf.tidy(() => tf.gather(replicas.allGather(y), tf.tensor1d(unshuffle, 'int32')))

/**
 * Shuffling BN around a key encoder: `x` shuffled across the replicas, and the function that unshuffles the
 * encodings of it; with no replicas, `x` itself and the identity.
 */
export const shuffleAcrossReplicas = (
  replicas: Replicas | undefined,
  x: tf.Tensor,
  rng: Rng.Rng,
): { readonly x: tf.Tensor; readonly unshuffle: (y: tf.Tensor) => tf.Tensor } => {
  if (replicas === undefined) return { x, unshuffle: (y) => y }
  const shuffled = batchShuffle(replicas, x, rng)
  return { x: shuffled.x, unshuffle: (y) => batchUnshuffle(replicas, y, shuffled.unshuffle) }
}
