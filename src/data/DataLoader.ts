/**
 * Batching, as PyTorch's `DataLoader` with a `BatchSampler` does it in one
 * process: an epoch's order (from the sampler) is cut into consecutive
 * batches of `batch_size`; the last, shorter batch is kept unless
 * `drop_last=True`. Everything here is pure except {@link gather}, which
 * allocates the batch tensors (the caller owns and disposes them).
 *
 * @example
 * ```ts
 * const order = indicesForEpoch(cfg.sampler, ds.length, seed, epoch)
 * for (let b = 0; b < batchesPerEpoch(ds.length, 128, false); b++) {
 *   const { inputs, targets } = gather(ds, batchIndices(order, b, 128, false))
 *   // … train step …
 *   tf.dispose([inputs, targets])
 * }
 * ```
 * @module
 */
import * as tf from '@tensorflow/tfjs-core'
import type { Dataset } from './Dataset.js'
import { type SamplerCfg, streamSlice } from './sampler.js'

/**
 * The number of batches in one epoch: `⌈length / batchSize⌉`, or
 * `⌊length / batchSize⌋` with `dropLast`.
 *
 * @example
 * ```ts
 * batchesPerEpoch(10, 4, false)  // 3
 * batchesPerEpoch(10, 4, true)   // 2
 * ```
 */
export const batchesPerEpoch = (length: number, batchSize: number, dropLast: boolean): number =>
  dropLast ? Math.floor(length / batchSize) : Math.ceil(length / batchSize)

/**
 * The sample indices of batch `batchIdx` of an epoch whose order is `order`
 * (a view, not a copy). Throws a `RangeError` for a batch the epoch does not
 * have — an interpreter bug, never a user's mistake.
 *
 * @example
 * ```ts
 * batchIndices(Int32Array.from([4, 2, 0, 1, 3]), 1, 2, false)  // [0, 1]
 * batchIndices(Int32Array.from([4, 2, 0, 1, 3]), 2, 2, false)  // [3]
 * ```
 */
export const batchIndices = (order: Int32Array, batchIdx: number, batchSize: number, dropLast: boolean): Int32Array => {
  const batches = batchesPerEpoch(order.length, batchSize, dropLast)
  if (!Number.isInteger(batchIdx) || batchIdx < 0 || batchIdx >= batches) {
    throw new RangeError(
      `batch ${batchIdx} does not exist: an epoch of ${order.length} samples has ` +
        `${batches} batches of ${batchSize}${dropLast ? ' (drop_last)' : ''}`,
    )
  }
  const start = batchIdx * batchSize
  return order.subarray(start, Math.min(order.length, start + batchSize))
}

/**
 * The sample indices of global batch `batchIdx` under an `InfiniteSampler`:
 * positions `batchIdx · batchSize …` of its endless stream, running across
 * pass boundaries as MMEngine's batch sampler does (every batch is full).
 *
 * @example
 * ```ts
 * infiniteBatchIndices({ type: 'InfiniteSampler', shuffle: false }, 5, 0, 1, 3)  // [3, 4, 0]
 * ```
 */
export const infiniteBatchIndices = (
  cfg: SamplerCfg | undefined,
  length: number,
  seed: number,
  batchIdx: number,
  batchSize: number,
): Int32Array => streamSlice(cfg, length, seed, batchIdx * batchSize, batchSize)

/** One batch as tensors. */
export interface Batch {
  /** float32 `[b, ...sampleShape]`. */
  readonly inputs: tf.Tensor
  /** int32 `[b]` class labels, or float32 `[b, ...shape]` values. */
  readonly targets: tf.Tensor
}

const prod = (shape: ReadonlyArray<number>): number => shape.reduce((a, b) => a * b, 1)

/**
 * The samples at `indices` as tensors: inputs converted to float32 (bytes
 * keep their 0–255 values; normalisation is the preprocessor's job), targets
 * as int32 labels or float32 values. Each sample is copied with one
 * `TypedArray.set` into a single buffer, then one `tf.tensor` call creates
 * the batch.
 *
 * @example
 * ```ts
 * const { inputs, targets } = gather(mnist, Int32Array.from([0, 1]))
 * inputs.shape   // [2, 28, 28, 1]
 * targets.dtype  // 'int32'
 * ```
 */
export const gather = (dataset: Dataset, indices: ArrayLike<number>): Batch => {
  const b = indices.length
  const size = prod(dataset.sampleShape)
  const inputs = new Float32Array(b * size)
  const source = dataset.inputs
  for (let k = 0; k < b; k++) {
    const i = indices[k]!
    if (!(i >= 0 && i < dataset.length))
      throw new RangeError(`sample ${i} does not exist in ${dataset.name} (${dataset.length} samples)`)
    inputs.set(source.subarray(i * size, (i + 1) * size), k * size)
  }
  const inputTensor = tf.tensor(inputs, [b, ...dataset.sampleShape], 'float32')
  const t = dataset.targets
  if (t.kind === 'class') {
    const labels = new Int32Array(b)
    for (let k = 0; k < b; k++) labels[k] = t.labels[indices[k]!]!
    return { inputs: inputTensor, targets: tf.tensor(labels, [b], 'int32') }
  }
  const width = prod(t.shape)
  const values = new Float32Array(b * width)
  for (let k = 0; k < b; k++) {
    const i = indices[k]!
    values.set(t.values.subarray(i * width, (i + 1) * width), k * width)
  }
  return { inputs: inputTensor, targets: tf.tensor(values, [b, ...t.shape], 'float32') }
}
