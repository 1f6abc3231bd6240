/**
 * The other data-parallel replicas as a training forward sees them: what MMSelfSup's algorithms call inside
 * `loss()` across processes (`concat_all_gather`, `all_gather`, `all_reduce`). The tensor interpreter provides it to
 * a model's loss when more than one worker trains (`TrainContext.replicas`); with one worker there is none, and the
 * algorithms do what one process does.
 *
 * Every call is collective: all replicas make the same calls in the same order, inside the same train step. Results
 * carry no gradient (the helpers in `src/selfsup/gather.ts` add the gradients MMSelfSup's autograd functions give) and
 * are bit-identical on every replica.
 * @module
 */
import type * as tf from '@tensorflow/tfjs-core'

export interface Replicas {
  /** This replica's rank, `0 ≤ rank < worldSize`. */
  readonly rank: number
  readonly worldSize: number
  /**
   * Every replica's `x` concatenated along axis 0 in rank order (`torch.cat(all_gather(x))`); the other axes must
   * agree, the first may differ. float32 or int32 (integers exact below 2^24). A new tensor, owned by the caller.
   */
  readonly allGather: (x: tf.Tensor) => tf.Tensor
  /** The element-wise sum of `x` over the replicas (`dist.all_reduce`), added in rank order. A new tensor. */
  readonly allReduceSum: (x: tf.Tensor) => tf.Tensor
}
