/**
 * `nn.SyncBatchNorm` in train mode across data-parallel replicas: the batch
 * statistics are those of every replica's batch together, as PyTorch's
 * `SyncBatchNorm` computes them, and so is the input gradient.
 *
 * Forward: each replica's count, mean and sum of squared deviations per
 * channel are all-gathered and combined in float64 (Chan's parallel
 * variance, where PyTorch's `batch_norm_gather_stats_with_counts` combines
 * Welford states); the input is normalised by the global mean and biased
 * variance. Backward: the per-channel sums of `dy` and `dy·x̂` are summed over
 * the replicas (`all_reduce`), and
 *
 *     dx = w · invstd · (dy − Σdy / N − x̂ · Σ(dy·x̂) / N)      (N: every replica's count)
 *
 * while the weight and bias gradients stay this replica's own sums, which the
 * gradient average then averages, as under DDP. So N workers at batch b with
 * SyncBN compute the gradient of one worker at batch N·b with BatchNorm.
 *
 * Every replica makes the same collective calls in the same order: one
 * all-gather per layer forward, one all-reduce per layer backward.
 * @module
 */
import * as tf from '@tensorflow/tfjs-core'
import type { Replicas } from '../tensor/Replicas.js'

/** The output, the global batch statistics (float32 `[C]`) and the global count of values per channel. */
export interface SyncedBatchNorm {
  readonly y: tf.Tensor
  readonly mean: tf.Tensor
  readonly variance: tf.Tensor
  readonly count: number
}

/** The global mean and biased variance per channel from every replica's `[count, mean…, m2…]` row. */
const combine = (rows: Float32Array, channels: number, worldSize: number) => {
  const width = 1 + 2 * channels
  let count = 0
  for (let r = 0; r < worldSize; r++) count += rows[r * width]!
  const mean = new Float64Array(channels)
  const m2 = new Float64Array(channels)
  for (let r = 0; r < worldSize; r++) {
    const n = rows[r * width]!
    for (let c = 0; c < channels; c++) mean[c]! += (n * rows[r * width + 1 + c]!) / count
  }
  for (let r = 0; r < worldSize; r++) {
    const n = rows[r * width]!
    for (let c = 0; c < channels; c++) {
      const d = rows[r * width + 1 + c]! - mean[c]!
      m2[c]! += rows[r * width + 1 + channels + c]! + n * d * d
    }
  }
  return { count, mean: Float32Array.from(mean), variance: Float32Array.from(m2, (v) => v / count) }
}

/**
 * Normalise `x` (channels last) with the statistics of every replica's batch, scaled by `weight` and shifted by
 * `bias` when given. Differentiable in `x`, `weight` and `bias`; the caller updates the running statistics from
 * `mean`, `variance` and `count`.
 */
export const syncBatchNorm = (
  x: tf.Tensor,
  weight: tf.Tensor | undefined,
  bias: tf.Tensor | undefined,
  eps: number,
  replicas: Replicas,
): SyncedBatchNorm => {
  const channels = x.shape.at(-1)!
  const axes = Array.from({ length: x.rank - 1 }, (_, i) => i)
  const localCount = x.size / channels
  const stats = tf.tidy(() => {
    const local = tf.moments(x, axes)
    const row = tf.concat([tf.tensor1d([localCount]), local.mean, tf.mul(local.variance, localCount)])
    return combine(
      replicas.allGather(tf.reshape(row, [1, -1])).dataSync() as Float32Array,
      channels,
      replicas.worldSize,
    )
  })
  const mean = tf.tensor1d(stats.mean)
  const variance = tf.tensor1d(stats.variance)
  const count = stats.count
  const affine = [weight, bias].filter((t): t is tf.Tensor => t !== undefined)
  // customGrad's arguments: x, then the affine tensors present (weight before bias), then the save function.
  const op = tf.customGrad(((...args: tf.Tensor[]) => {
    const [input, ...rest] = args as [tf.Tensor, ...tf.Tensor[]]
    const save = rest.pop() as unknown as tf.GradSaveFunc
    const w = weight === undefined ? undefined : rest.shift()
    const b = bias === undefined ? undefined : rest.shift()
    const invstd = tf.rsqrt(tf.add(variance, eps))
    const xhat = tf.mul(tf.sub(input, mean), invstd)
    let y = w === undefined ? xhat : tf.mul(xhat, w)
    if (b !== undefined) y = tf.add(y, b)
    save([xhat, invstd, ...(w === undefined ? [] : [w])])
    return {
      value: y,
      gradFunc: (dy: tf.Tensor, saved: tf.Tensor[]) => {
        const [savedXhat, savedInvstd, savedWeight] = saved as [tf.Tensor, tf.Tensor, tf.Tensor | undefined]
        const sumDy = tf.sum(dy, axes)
        const sumDyXhat = tf.sum(tf.mul(dy, savedXhat), axes)
        const global = replicas.allReduceSum(tf.concat([sumDy, sumDyXhat]))
        const [globalDy, globalDyXhat] = tf.split(global, 2)
        const centred = tf.sub(tf.sub(dy, tf.div(globalDy!, count)), tf.mul(savedXhat, tf.div(globalDyXhat!, count)))
        const scale = savedWeight === undefined ? savedInvstd : tf.mul(savedWeight, savedInvstd)
        const dx = tf.mul(centred, scale)
        return [dx, ...(weight === undefined ? [] : [sumDyXhat]), ...(bias === undefined ? [] : [sumDy])]
      },
    }
  }) as unknown as Parameters<typeof tf.customGrad>[0])
  const y = (op as unknown as (...inputs: tf.Tensor[]) => tf.Tensor)(x, ...affine)
  return { y, mean, variance, count }
}
