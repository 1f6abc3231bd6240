/**
 * Data-parallel gradient averaging, where PyTorch's DistributedDataParallel
 * does it: on the gradients about to step the optimizer, after accumulation
 * (DDP's `no_sync` between micro-batches) and before loss unscaling,
 * clipping and the optimizer. The accumulated window's sum is averaged over
 * the workers once, so with `accumulative_counts=k` there is one all-reduce
 * per k iterations.
 *
 * `reduce` replaces a flat float32 array by its mean over the workers in
 * place (a `Communicator`'s `allReduceMean`). The gradients are flattened in
 * name order into one array: one collective call per step, whatever the
 * number of parameters. The state is the inner transformation's own, so a
 * checkpoint does not depend on the number of workers.
 *
 * @example
 * ```ts
 * const ddp = reduceGradients(communicator.allReduceMean)(chain(clipByGlobalNorm(1), sgd()))
 * ```
 * @module
 */
import * as tf from '@tensorflow/tfjs-core'
import type { GradientTransformation } from '../GradientTransformation.js'
import { releaseIntermediate } from '../ownership.js'
import { copyValuesInto } from '../../tensor/copyValues.js'
import type { Tree } from '../../tensor/tree.js'

/** The mean of `grads` over all workers (new tensors), computed by `reduce` on one flat array. */
export const averaged = (grads: Tree, reduce: (values: Float32Array) => void): Tree => {
  const names = Object.keys(grads).sort()
  const sizes = names.map((n) => grads[n]!.size)
  const flat = new Float32Array(sizes.reduce((a, b) => a + b, 0))
  let offset = 0
  names.forEach((n, i) => {
    copyValuesInto(grads[n]!, flat, offset)
    offset += sizes[i]!
  })
  reduce(flat)
  offset = 0
  const out: { [name: string]: tf.Tensor } = {}
  names.forEach((n, i) => {
    out[n] = tf.tensor(flat.subarray(offset, offset + sizes[i]!), grads[n]!.shape, 'float32')
    offset += sizes[i]!
  })
  return out
}

/** `inner`, fed the workers' mean of the gradients it receives. */
export const reduceGradients =
  (reduce: (values: Float32Array) => void) =>
  <S>(inner: GradientTransformation<S>): GradientTransformation<S> => ({
    init: inner.init,
    update: (grads, state, params, groups) => {
      const mean = averaged(grads, reduce)
      const [updates, next] = inner.update(mean, state, params, groups)
      releaseIntermediate(mean, [updates, next], grads)
      return [updates, next]
    },
  })
