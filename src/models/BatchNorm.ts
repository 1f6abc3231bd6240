/**
 * `nn.BatchNorm1d` and `nn.BatchNorm2d` as functions over named parameters
 * and buffers, channel-last (`[n, C]`, `[n, L, C]` or NHWC `[n, h, w, C]`).
 *
 * Parameters `weight` (ones) and `bias` (zeros); buffers `running_mean`
 * (zeros), `running_var` (ones) and `num_batches_tracked` (an int32 scalar 0),
 * kept in a separate tree as PyTorch keeps them out of `parameters()`.
 *
 * - Train mode normalises with the batch mean and the *biased* batch variance
 *   and returns new buffers: `running = (1 − momentum)·running + momentum·batch`
 *   with the *unbiased* batch variance, `num_batches_tracked + 1`.
 * - Eval mode normalises with the running statistics and updates nothing.
 *
 * The given buffers are never disposed or changed: the new ones are new
 * tensors, owned by the caller.
 *
 * @example
 * ```ts
 * const { params, buffers } = BatchNorm.init('bn1', 16)
 * const [y, updates] = BatchNorm.apply(params, buffers, 'bn1', x, { training: true })
 * // updates: { 'bn1.running_mean', 'bn1.running_var', 'bn1.num_batches_tracked' } (new tensors)
 * const next = { ...buffers, ...updates }
 * ```
 * @module
 */
import * as tf from '@tensorflow/tfjs-core'
import { fusedBatchNorm, hasFusedBatchNorm } from '../tensor/fusedBatchNorm.js'
import type { Replicas } from '../tensor/Replicas.js'
import type { Tree } from '../tensor/tree.js'
import { syncBatchNorm } from './syncBatchNorm.js'

export interface BatchNormOptions {
  /** Train mode (batch statistics, running statistics updated) or eval mode (running statistics). */
  readonly training: boolean
  /** Default 1e-5, as PyTorch. */
  readonly eps?: number
  /** Default 0.1, as PyTorch (`running = (1 − m)·running + m·batch`). */
  readonly momentum?: number
  /**
   * `SyncBatchNorm` across these data-parallel replicas (`norm_cfg=dict(type='SyncBN')` with several workers):
   * in train mode the batch statistics are every replica's batch together (`syncBatchNorm.ts`). Absent, or one
   * replica: BatchNorm on this batch alone.
   */
  readonly replicas?: Replicas
  /**
   * A ReLU after the normalisation (`conv → bn → relu` blocks), computed in the fused kernels' passes where the
   * backend has them, else `tf.relu` on the output: the same values either way. Default false.
   */
  readonly relu?: boolean
}

/**
 * The buffer names of a BatchNorm, in `named_buffers()` order.
 *
 * @example
 * ```ts
 * BatchNorm.bufferNames('bn1') // ['bn1.running_mean', 'bn1.running_var', 'bn1.num_batches_tracked']
 * ```
 */
export const bufferNames = (prefix: string): ReadonlyArray<string> => [
  `${prefix}.running_mean`,
  `${prefix}.running_var`,
  `${prefix}.num_batches_tracked`,
]

/**
 * `${prefix}.weight` (ones) and `${prefix}.bias` (zeros) unless `affine` is
 * false; buffers `${prefix}.running_mean` (zeros), `.running_var` (ones),
 * `.num_batches_tracked` (int32 scalar 0). Nothing random.
 *
 * @example
 * ```ts
 * BatchNorm.init('bn', 3).buffers['bn.num_batches_tracked']!.dtype // 'int32'
 * ```
 */
export const init = (
  prefix: string,
  numFeatures: number,
  affine = true,
): { readonly params: Tree; readonly buffers: Tree } => ({
  params: affine ? { [`${prefix}.weight`]: tf.ones([numFeatures]), [`${prefix}.bias`]: tf.zeros([numFeatures]) } : {},
  buffers: {
    [`${prefix}.running_mean`]: tf.zeros([numFeatures]),
    [`${prefix}.running_var`]: tf.ones([numFeatures]),
    [`${prefix}.num_batches_tracked`]: tf.scalar(0, 'int32'),
  },
})

/**
 * Normalise `x` over every axis but the last (the channels). Returns the
 * output and the buffer updates: new tensors for this layer's three buffers
 * in train mode, `{}` in eval mode. Without buffers (PyTorch's
 * `track_running_stats=False`) batch statistics are used in both modes and
 * nothing is updated.
 *
 * @example
 * ```ts
 * const [y] = BatchNorm.apply(params, buffers, 'bn1', x, { training: false }) // running statistics, no updates
 * ```
 */
export const apply = (
  params: Tree,
  buffers: Tree,
  prefix: string,
  x: tf.Tensor,
  options: BatchNormOptions,
): readonly [tf.Tensor, Tree] => {
  const eps = options.eps ?? 1e-5
  const momentum = options.momentum ?? 0.1
  if (x.rank < 2)
    throw new Error(
      `BatchNorm '${prefix}': expected an input of rank ≥ 2 (channels last), got shape [${x.shape.join(', ')}]`,
    )
  const channels = x.shape.at(-1)!
  const [runningMean, runningVar, tracked] = bufferNames(prefix).map((name) => buffers[name])
  const tracking = runningMean !== undefined && runningVar !== undefined
  const useBatch = options.training || !tracking
  const axes = Array.from({ length: x.rank - 1 }, (_, i) => i)
  const count = x.size / channels
  const replicas = options.training && (options.replicas?.worldSize ?? 1) > 1 ? options.replicas : undefined
  // Under SyncBN the values behind the statistics are every replica's (as PyTorch's SyncBatchNorm checks).
  if (useBatch && count * (replicas?.worldSize ?? 1) <= 1)
    throw new Error(
      `BatchNorm '${prefix}': expected more than 1 value per channel when training, ` +
        `got input shape [${x.shape.join(', ')}]`,
    )
  const [y, updates] = tf.tidy((): [tf.Tensor, Tree] => {
    let mean: tf.Tensor
    let variance: tf.Tensor
    let y: tf.Tensor
    // Values per channel behind the batch statistics: every replica's under SyncBN.
    let statisticsCount = count
    const weight = params[`${prefix}.weight`]
    const bias = params[`${prefix}.bias`]
    if (replicas !== undefined) {
      const synced = syncBatchNorm(x, weight, bias, eps, replicas)
      ;({ y, mean, variance } = synced)
      statisticsCount = synced.count
      if (options.relu === true) y = tf.relu(y)
    }
    // Two kernels instead of ~20 where the backend has them (WASM); the same formulas to float tolerance.
    else if (useBatch && x.dtype === 'float32' && hasFusedBatchNorm())
      ({ y, mean, variance } = fusedBatchNorm(x, weight, bias, eps, options.relu === true))
    else if (useBatch) {
      ;({ mean, variance } = tf.moments(x, axes))
      y = tf.mul(tf.sub(x, mean), tf.rsqrt(tf.add(variance, eps)))
      if (weight !== undefined) y = tf.mul(y, weight)
      if (bias !== undefined) y = tf.add(y, bias)
      if (options.relu === true) y = tf.relu(y)
    } else {
      // Running statistics: `x·α + β` per channel (α = w/√(var + ε), β = b − mean·α), as PyTorch's CPU inference
      // computes it: two passes over the input instead of four.
      ;[mean, variance] = [runningMean!, runningVar!]
      let alpha = tf.rsqrt(tf.add(variance, eps))
      if (weight !== undefined) alpha = tf.mul(alpha, weight)
      const beta = bias === undefined ? tf.neg(tf.mul(mean, alpha)) : tf.sub(bias, tf.mul(mean, alpha))
      y = tf.add(tf.mul(x, alpha), beta)
      if (options.relu === true) y = tf.relu(y)
    }
    if (!(options.training && tracking)) return [y, {}]
    const batchMean = mean
    const unbiased = tf.mul(variance, statisticsCount / (statisticsCount - 1))
    const updates: Tree = {
      [`${prefix}.running_mean`]: tf.add(tf.mul(runningMean!, 1 - momentum), tf.mul(batchMean, momentum)),
      [`${prefix}.running_var`]: tf.add(tf.mul(runningVar!, 1 - momentum), tf.mul(unbiased, momentum)),
      ...(tracked === undefined ? {} : { [`${prefix}.num_batches_tracked`]: tf.add(tracked, tf.scalar(1, 'int32')) }),
    }
    return [y, updates]
  })
  return [y, updates]
}

/**
 * `nn.BatchNorm1d` on `[n, C]` or channel-last `[n, L, C]`: {@link apply} with a rank check.
 *
 * @example
 * ```ts
 * const [y, updates] = BatchNorm.apply1d(params, buffers, 'bn', tf.tensor2d([[1, 2], [3, 6]]), { training: true })
 * ```
 */
export const apply1d = (
  params: Tree,
  buffers: Tree,
  prefix: string,
  x: tf.Tensor,
  options: BatchNormOptions,
): readonly [tf.Tensor, Tree] => {
  if (x.rank !== 2 && x.rank !== 3)
    throw new Error(`BatchNorm1d '${prefix}': expected [n, C] or [n, L, C], got shape [${x.shape.join(', ')}]`)
  return apply(params, buffers, prefix, x, options)
}

/**
 * `nn.BatchNorm2d` on NHWC `[n, h, w, C]`: {@link apply} with a rank check.
 *
 * @example
 * ```ts
 * const [y] = BatchNorm.apply2d(params, buffers, 'bn1', x, { training: false }) // x: [n, h, w, C]
 * ```
 */
export const apply2d = (
  params: Tree,
  buffers: Tree,
  prefix: string,
  x: tf.Tensor4D,
  options: BatchNormOptions,
): readonly [tf.Tensor4D, Tree] => {
  if (x.rank !== 4)
    throw new Error(`BatchNorm2d '${prefix}': expected NHWC [n, h, w, C], got shape [${x.shape.join(', ')}]`)
  return apply(params, buffers, prefix, x, options) as readonly [tf.Tensor4D, Tree]
}
