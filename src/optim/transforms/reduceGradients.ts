/**
 * Data-parallel gradient averaging, where PyTorch's DistributedDataParallel
 * does it: on the gradients about to step the optimizer, after accumulation
 * (DDP's `no_sync` between micro-batches) and before loss unscaling,
 * clipping and the optimizer. The accumulated window's sum is averaged over
 * the workers once, so with `accumulative_counts=k` there is one all-reduce
 * per k iterations.
 *
 * `reduce` averages one flat float32 array over the workers (a
 * `Communicator`'s `allReduceMeanVia`, or `inPlace(allReduceMean)`). The
 * gradients are written in name order straight into the transport's buffer
 * and the new gradients made from the mean where it lies: one collective call
 * per step, whatever the number of parameters, and no array of the
 * gradients' size allocated per step (a fresh 1 MB array costs more than the
 * copies into it). The state is the inner transformation's own, so a
 * checkpoint does not depend on the number of workers.
 *
 * @example
 * ```ts
 * const ddp = reduceGradients(communicator.allReduceMeanVia)(chain(clipByGlobalNorm(1), sgd()))
 * ```
 * @module
 */
import type * as tf from '@tensorflow/tfjs-core'
import type { GradientTransformation } from '../GradientTransformation.js'
import { releaseIntermediate } from '../ownership.js'
import { copyValuesInto, tensorOfValues } from '../../tensor/copyValues.js'
import type { Tree } from '../../tensor/tree.js'
import type { MeanReducer } from './meanReducer.js'

/** The mean of `grads` over all workers (new tensors), computed by `reduce` on one flat array. */
export const averaged = (grads: Tree, reduce: MeanReducer): Tree => {
  const names = Object.keys(grads).sort()
  const sizes = names.map((n) => grads[n]!.size)
  const out: { [name: string]: tf.Tensor } = {}
  reduce(
    sizes.reduce((a, b) => a + b, 0),
    (flat) => {
      let offset = 0
      names.forEach((n, i) => {
        copyValuesInto(grads[n]!, flat, offset)
        offset += sizes[i]!
      })
    },
    (mean) => {
      let offset = 0
      names.forEach((n, i) => {
        out[n] = tensorOfValues(mean.subarray(offset, offset + sizes[i]!), grads[n]!.shape)
        offset += sizes[i]!
      })
    },
  )
  return out
}

/** `inner`, fed the workers' mean of the gradients it receives. */
export const reduceGradients =
  (reduce: MeanReducer) =>
  <S>(inner: GradientTransformation<S>): GradientTransformation<S> => ({
    init: inner.init,
    update: (grads, state, params, groups) => {
      const mean = averaged(grads, reduce)
      const [updates, next] = inner.update(mean, state, params, groups)
      releaseIntermediate(mean, [updates, next], grads)
      return [updates, next]
    },
  })
