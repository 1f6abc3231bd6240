/**
 * MoCo's key queue: a `[feat_dim, queue_len]` buffer `queue` (columns are
 * keys) and a pointer `queue_ptr`. `_dequeue_and_enqueue` writes a batch of
 * keys into columns `ptr … ptr + n − 1` and moves the pointer to
 * `(ptr + n) mod queue_len` — a ring buffer, FIFO by construction. Done in the
 * graph (a masked select), so the pointer is never read back.
 * @module
 */
import * as tf from '@tensorflow/tfjs-core'
import type * as Rng from '../../dsl/Rng.js'
import { normalTensor } from '../../models/init.js'
import { normalize } from '../functional.js'

/** A fresh queue as MMSelfSup makes it, `normalize(randn(feat_dim, queue_len), dim=0)`, and the next rng. */
export const randomQueue = (rng: Rng.Rng, featDim: number, queueLen: number): readonly [tf.Tensor2D, Rng.Rng] => {
  const [raw, next] = normalTensor(rng, [featDim, queueLen], 1)
  const queue = normalize(raw, 0) as tf.Tensor2D
  raw.dispose()
  return [queue, next]
}

/** The queue and pointer after enqueuing `keys` (`[n, feat_dim]`, detached); `queue_len` must be a multiple of `n`. */
export const enqueue = (
  queue: tf.Tensor2D,
  ptr: tf.Tensor,
  keys: tf.Tensor2D,
): { readonly queue: tf.Tensor2D; readonly ptr: tf.Tensor } =>
  tf.tidy(() => {
    const length = queue.shape[1]
    const n = keys.shape[0]
    if (length % n !== 0)
      throw new Error(`MoCo: queue_len ${length} is not a multiple of the batch size ${n} (MMSelfSup asserts it)`)
    const p = tf.cast(tf.reshape(ptr, []), 'int32')
    const offset = tf.sub(tf.range(0, length, 1, 'int32'), p)
    const inside = tf.logicalAnd(tf.greaterEqual(offset, 0), tf.less(offset, n))
    const columns = tf.gather(tf.transpose(keys), tf.clipByValue(offset, 0, n - 1), 1)
    const next = tf.where(tf.reshape(inside, [1, length]), columns, queue) as tf.Tensor2D
    const nextPtr = tf.reshape(tf.mod(tf.add(p, n), length), [1])
    return { queue: next, ptr: tf.cast(nextPtr, ptr.dtype) }
  })
