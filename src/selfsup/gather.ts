/**
 * What MMSelfSup's algorithms do across processes, over the train step's {@link Replicas} (absent in one process,
 * where each helper is what one process computes):
 *
 * - {@link concatAllGather}: `concat_all_gather` (`mmselfsup/utils/gather.py`), every replica's rows in rank order,
 *   no gradient: MoCo's and DenseCL's keys before they enter the queues, MoCo v3's negatives, ODC's memory update;
 * - {@link gatherLayer}: `torch.cat(GatherLayer.apply(x))` (`models/utils/gather_layer.py`), the same rows, and the
 *   gradient of the replica's own rows passed back to it (the other rows are constants here): SimCLR's embeddings;
 * - {@link allReduceSum}: `dist.all_reduce(x)` on a tensor in the graph; autograd does not see the in-place sum, so
 *   the gradient reaches the local `x` alone: Barlow Twins' cross-correlation matrix, Sinkhorn's sums.
 * @module
 */
import * as tf from '@tensorflow/tfjs-core'
import type { Replicas } from '../tensor/Replicas.js'

/** Where the helpers find the replicas: a component's or a loss's context. */
export interface AcrossReplicas {
  readonly replicas?: Replicas
}

/** `concat_all_gather(x)`: every replica's `x` along axis 0, in rank order; `x` itself in one process. */
export const concatAllGather = (ctx: AcrossReplicas, x: tf.Tensor): tf.Tensor =>
  ctx.replicas === undefined ? x : ctx.replicas.allGather(x)

/** The number of replicas (`get_world_size()`), 1 in one process. */
export const worldSizeOf = (ctx: AcrossReplicas): number => ctx.replicas?.worldSize ?? 1

/** `get_rank()`, 0 in one process. */
export const rankOf = (ctx: AcrossReplicas): number => ctx.replicas?.rank ?? 0

/**
 * `torch.cat(GatherLayer.apply(x))`: every replica's `x` in rank order, differentiable in this replica's rows:
 * the gradient of rows `rank·n … rank·n + n − 1` flows back to `x` (every replica holds `n` rows, as `all_gather`
 * needs).
 */
export const gatherLayer = (ctx: AcrossReplicas, x: tf.Tensor): tf.Tensor => {
  const replicas = ctx.replicas
  if (replicas === undefined) return x
  const n = x.shape[0]!
  const op = tf.customGrad(((input: tf.Tensor) => {
    const all = replicas.allGather(input)
    if (all.shape[0] !== n * replicas.worldSize)
      throw new Error(`GatherLayer: every replica must hold ${n} rows; ${all.shape[0]} rows were gathered`)
    const begin = [replicas.rank * n, ...x.shape.slice(1).map(() => 0)]
    return { value: all, gradFunc: (dy: tf.Tensor) => tf.slice(dy, begin, x.shape) }
  }) as unknown as Parameters<typeof tf.customGrad>[0])
  return op(x)
}

/**
 * `dist.all_reduce(x)` inside a loss: the sum of every replica's `x`, whose gradient is the gradient of the local `x`
 * alone (as PyTorch's untracked in-place all-reduce leaves it); `x` itself in one process.
 */
export const allReduceSum = (ctx: AcrossReplicas, x: tf.Tensor): tf.Tensor => {
  const replicas = ctx.replicas
  if (replicas === undefined) return x
  const op = tf.customGrad(((input: tf.Tensor) => ({
    value: replicas.allReduceSum(input),
    gradFunc: (dy: tf.Tensor) => tf.clone(dy),
  })) as unknown as Parameters<typeof tf.customGrad>[0])
  return op(x)
}
