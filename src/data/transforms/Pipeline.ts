/**
 * Running a decoded {@link Pipeline} on a batch: the shared transforms once,
 * then each view's transforms, every sample drawing from its own stream
 * `sampleStream(seed, epoch, index, view)`. The views come back as a list of
 * `[b, h_v, w_v, c]` tensors in view order (MMSelfSup's `inputs` list);
 * {@link packViews} lays them out for a model.
 *
 * @example
 * ```ts
 * const views = runPipeline(pipeline, images, { seed: 0, epoch: 3, indices })  // e.g. 2 × [b, 28, 28, 1]
 * ```
 * @module
 */
import * as tf from '@tensorflow/tfjs-core'
import type { Pipeline } from './registry.js'
import { compose, sampleStream } from './Transform.js'

/** What makes a batch's draws: the run's seed, the epoch (sampler pass), and each sample's dataset index. */
export interface DrawKey {
  readonly seed: number
  readonly epoch: number
  readonly indices: ArrayLike<number>
}

/** The views of a batch (owned by the caller; `images` is neither kept nor disposed). */
export const runPipeline = (pipeline: Pipeline, images: tf.Tensor4D, key: DrawKey): ReadonlyArray<tf.Tensor4D> => {
  const streamsOf = (view: number) => Array.from(key.indices, (index) => sampleStream(key.seed, key.epoch, index, view))
  const shared = compose(pipeline.before)(images, streamsOf(-1))
  const views = pipeline.views.map((list, v) => compose(list)(shared, streamsOf(v)))
  shared.dispose()
  return views
}

/**
 * The views as one model input: concatenated along the batch axis, view-major
 * (`[V·b, h, w, c]`: all samples' view 0, then view 1, …), as MMSelfSup's
 * algorithms `torch.cat` them. With views of different sizes (SwAV's
 * multi-crop) only the leading views of the first view's size are
 * concatenated; the model reads every view from its forward context.
 */
export const packViews = (views: ReadonlyArray<tf.Tensor4D>): tf.Tensor4D => {
  if (views.length === 1) return views[0]!.clone()
  const shape = views[0]!.shape.slice(1).join()
  const end = views.findIndex((v) => v.shape.slice(1).join() !== shape)
  return tf.concat(end < 0 ? [...views] : views.slice(0, end), 0)
}
