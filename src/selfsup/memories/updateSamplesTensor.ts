/**
 * {@link ODCMemory.update_samples_memory} on tensors, for ODC's train step: the memory stays on the device as the
 * model's buffers, and the batch's rows are rewritten without a read-back. The same formula as the host version
 * (in float32; a unit test holds the two together): `f = normalize((1 − m)·f_old + m·normalize(x))`, the label the
 * nearest centroid by dot product, a repeated index taking its last occurrence.
 * @module
 */
import * as tf from '@tensorflow/tfjs-core'

/** MMSelfSup's epsilon in `x / (‖x‖ + 1e-10)`. */
const EPS = 1e-10

const normalizeRows = (x: tf.Tensor2D): tf.Tensor2D =>
  tf.div(x, tf.add(tf.norm(x, 'euclidean', 1, true), EPS)) as tf.Tensor2D

/** The last position of every distinct index, in order of first appearance (the rows a batch finally writes). */
const lastOccurrences = (idx: Int32Array): { readonly rows: Int32Array; readonly positions: Int32Array } => {
  const last = new Map<number, number>()
  for (let i = 0; i < idx.length; i++) last.set(idx[i]!, i)
  return { rows: Int32Array.from(last.keys()), positions: Int32Array.from(last.values()) }
}

export interface SamplesUpdate {
  readonly featureBank: tf.Tensor2D
  readonly labelBank: tf.Tensor1D
  /** The fraction of the batch whose label changed, a float32 scalar. */
  readonly changeRatio: tf.Scalar
}

/** New feature and label banks after a batch of `feature` (`[b, d]`, no gradient) at dataset rows `idx`. */
export const updateSamplesTensor = (
  memory: { readonly featureBank: tf.Tensor2D; readonly labelBank: tf.Tensor1D; readonly centroids: tf.Tensor2D },
  idx: Int32Array,
  feature: tf.Tensor2D,
  momentum: number,
): SamplesUpdate =>
  tf.tidy(() => {
    const at = tf.tensor1d(idx, 'int32')
    const old = tf.gather(memory.featureBank, at) as tf.Tensor2D
    const mixed = tf.add(tf.mul(old, 1 - momentum), tf.mul(normalizeRows(feature), momentum)) as tf.Tensor2D
    const updated = normalizeRows(mixed)
    const labels = tf.cast(tf.argMax(tf.matMul(updated, memory.centroids, false, true), 1), 'int32') as tf.Tensor1D
    const changeRatio = tf.mean(tf.cast(tf.notEqual(labels, tf.gather(memory.labelBank, at)), 'float32')) as tf.Scalar
    const { rows, positions } = lastOccurrences(idx)
    const where = tf.tensor2d(rows, [rows.length, 1], 'int32')
    const picked = tf.tensor1d(positions, 'int32')
    const featureBank = tf.tensorScatterUpdate(memory.featureBank, where, tf.gather(updated, picked)) as tf.Tensor2D
    const labelBank = tf.tensorScatterUpdate(memory.labelBank, where, tf.gather(labels, picked)) as tf.Tensor1D
    return { featureBank, labelBank, changeRatio }
  })
