/**
 * A batch's views for the tensor interpreter: the dataset's pipeline run on
 * the gathered images, each view normalised by the model's data
 * preprocessor, and the views packed into the model's `inputs` (view-major,
 * see {@link packViews}). The step hands `views` to the model through its
 * forward context, for algorithms that take views of several sizes.
 * @module
 */
import type * as tf from '@tensorflow/tfjs-core'
import * as Preprocess from '../../data/preprocess.js'
import { type DrawKey, packViews, runPipeline } from '../../data/transforms/Pipeline.js'
import type { Pipeline } from '../../data/transforms/registry.js'

/** What a loader's gather gives a step; every tensor is owned by the step. */
export interface GatheredBatch {
  readonly raw: tf.Tensor
  readonly inputs: tf.Tensor
  readonly targets: tf.Tensor
  /** The preprocessed views, when the dataset has a pipeline (`inputs` packs them). */
  readonly views?: ReadonlyArray<tf.Tensor>
}

/** The preprocessed views of `images` and their packed `inputs`. */
export const viewsOf = (
  pipeline: Pipeline,
  preprocessor: Preprocess.Preprocessor,
  images: tf.Tensor,
  key: DrawKey,
): { readonly inputs: tf.Tensor; readonly views: ReadonlyArray<tf.Tensor> } => {
  if (images.rank !== 4)
    throw new Error(
      `a transform pipeline needs images [b, h, w, c]; this dataset's samples have ` +
        `shape [${images.shape.slice(1).join(', ')}]`,
    )
  const raw = runPipeline(pipeline, images as tf.Tensor4D, key)
  const views =
    preprocessor === Preprocess.identity
      ? raw
      : raw.map((v) => {
          const out = Preprocess.apply(preprocessor, v) as tf.Tensor4D
          if (out !== v) v.dispose()
          return out
        })
  return { inputs: packViews(views), views }
}
