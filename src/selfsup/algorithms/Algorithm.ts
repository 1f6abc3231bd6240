/**
 * MMSelfSup's algorithms (`BaseModel` subclasses) as loopwright models.
 *
 * An algorithm is a backbone, usually a neck and a head, plus whatever state
 * it keeps besides its trained parameters — momentum encoders, queues,
 * memories — which lives in the model's *buffers*, so it is saved, resumed and
 * freed with the rest of the state. Its `loss` is MMSelfSup's
 * `model(data, mode='loss')`: it takes the batch's views and returns the loss
 * dict and the buffers it changed. Knobs hooks adjust (`loss_lambda`, SwAV's
 * queue length, class weights) come in as the model's attributes.
 *
 * Views: from the dataset's pipeline (`MultiView`), the forward context's
 * `views` (`[n, h_v, w_v, c]` each, crops of several sizes allowed); without
 * a pipeline, samples that stack their views, `[n, V, h, w, c]`.
 * @module
 */
import * as tf from '@tensorflow/tfjs-core'
import type { Json } from '../../dsl/MessageHub.js'
import type * as Rng from '../../dsl/Rng.js'
import type { Model } from '../../models/Model.js'
import type { ModelInfo } from '../../models/ModelInfo.js'
import type { Tree } from '../../tensor/tree.js'
import type { ComponentContext, Initialised } from '../Component.js'
import type { Backbone } from '../backbones/Backbone.js'
import { detach, globalAvgPool } from '../functional.js'
import { FEAT_STD, featureSpread } from '../featureSpread.js'
import { FROZEN_LAYERS } from '../attributes.js'

/** What a training forward may read: the mode, counters, the model's attributes, a random stream. */
export interface LossContext extends ComponentContext {
  readonly rng: Rng.Rng
  /** The 0-based global iteration (MMEngine's `runner.iter`) and `max_iters`, for momentum schedules. */
  readonly iter: number
  readonly maxIters: number
  /** The batch's dataset indices (MMSelfSup's `sample_idx`), when the interpreter knows them. */
  readonly indices?: Int32Array
}

/** A loss dict (entries whose names contain `loss` are summed) and the buffers the step changed. */
export interface LossResult {
  readonly losses: { readonly [name: string]: tf.Scalar }
  readonly buffers: Tree
  /**
   * The online projections of the batch (`[n, d]`), when the algorithm has them: their spread is logged as
   * `feat_std` (see `../featureSpread.ts`), which `CollapseDetectionHook` watches.
   */
  readonly features?: tf.Tensor
}

export interface Algorithm {
  /** The registry `type` (`'SimSiam'`, `'BYOL'`, …). */
  readonly type: string
  readonly backbone: Backbone
  /**
   * Parameters (trained) and buffers (BatchNorm statistics, momentum encoders, queues), as MMSelfSup initialises them.
   */
  readonly init: (rng: Rng.Rng) => Initialised
  readonly info: ModelInfo
  /** How many views a batch must carry. */
  readonly views: number
  /** MMSelfSup's in-place no-gradient parameter rewrites at the start of a step (SwAV's prototype normalisation). */
  readonly prepare?: (params: Tree) => Tree
  /** The model's attributes at construction (DenseCL's `loss_lambda`). */
  readonly attributes?: Attributes
  /** The features `DeepClusterHook` clusters (see {@link Model.extract}). */
  readonly extract?: (params: Tree, buffers: Tree, x: tf.Tensor) => tf.Tensor
  readonly loss: (
    params: Tree,
    buffers: Tree,
    views: ReadonlyArray<tf.Tensor>,
    targets: tf.Tensor | undefined,
    ctx: LossContext,
  ) => LossResult
}

/** The views of a batch: `[n, V, …]` split along axis 1, or the list itself; an error naming the count otherwise. */
export const viewsOf = (
  algorithm: string,
  inputs: tf.Tensor | ReadonlyArray<tf.Tensor>,
  count: number,
): ReadonlyArray<tf.Tensor> => {
  const views = Array.isArray(inputs)
    ? inputs
    : (inputs as tf.Tensor).rank === 5
      ? tf.unstack(inputs as tf.Tensor, 1)
      : [inputs as tf.Tensor]
  if (views.length < count)
    throw new Error(
      `${algorithm}: expected a batch of ${count} views ([n, ${count}, h, w, c] or a ` +
        `list), got ${views.length}; use a multi-view pipeline`,
    )
  return views
}

/**
 * The features MMSelfSup's `extract_feat` gives for evaluation (kNN, linear probe): the backbone map, globally
 * average-pooled.
 */
export const extractFeatures = (backbone: Backbone, params: Tree, buffers: Tree, x: tf.Tensor): tf.Tensor => {
  const map = backbone.apply(params, buffers, x, false)
  const pooled = globalAvgPool(map.value)
  map.value.dispose()
  return pooled
}

/**
 * The algorithm as a {@link Model}: training goes through `loss`; an
 * eval-mode forward returns the pooled backbone features (for kNN and the
 * linear probe).
 */
export const asModel = (algorithm: Algorithm): Model => ({
  type: algorithm.type,
  task: 'self-supervised',
  init: algorithm.init,
  info: algorithm.info,
  // One image as the dataset stores it; the views come from the dataset's pipeline (or are stacked in the sample).
  inputShape: algorithm.backbone.inputShape,
  // Evaluation reads one image per sample: the first view when the batch carries several.
  forward: (params, buffers, inputs, ctx) => {
    const first = ctx.views?.[0] ?? (inputs.rank === 5 ? tf.unstack(inputs, 1)[0]! : inputs)
    return { output: extractFeatures(algorithm.backbone, params, buffers, first), buffers }
  },
  losses: () => {
    throw new Error(`${algorithm.type} computes its losses from the views (Model.loss); it has no classification loss`)
  },
  ...(algorithm.prepare === undefined ? {} : { prepare: algorithm.prepare }),
  ...(algorithm.attributes === undefined ? {} : { attributes: algorithm.attributes }),
  ...(algorithm.extract === undefined ? {} : { extract: algorithm.extract }),
  loss: (params, buffers, inputs, targets, ctx) => {
    const views = ctx.views ?? viewsOf(algorithm.type, inputs, algorithm.views)
    if (views.length < algorithm.views)
      throw new Error(
        `${algorithm.type}: expected ${algorithm.views} views per sample, the pipeline makes ${views.length}`,
      )
    const r = algorithm.loss(withFrozen(params, ctx.attributes[FROZEN_LAYERS]), buffers, views, targets, ctx)
    // Logged beside the loss (its name has no `loss`, so it is not summed); a batch of one has no spread.
    const spread =
      r.features === undefined || (r.features.shape[0] ?? 0) < 2
        ? {}
        : { [FEAT_STD]: featureSpread(detach(r.features)) }
    return { losses: { ...r.losses, ...spread }, buffers: { ...buffers, ...r.buffers } }
  },
})

export { FROZEN_LAYERS }

/** Parameters whose names contain a frozen fragment, detached (their gradient is zero). */
const withFrozen = (params: Tree, frozen: Json | undefined): Tree => {
  if (!Array.isArray(frozen) || frozen.length === 0) return params
  const fragments = frozen.filter((f): f is string => typeof f === 'string')
  return Object.fromEntries(
    Object.entries(params).map(([n, p]) => [n, fragments.some((f) => n.includes(f)) ? detach(p) : p]),
  )
}

/** Attributes as the algorithms read them. */
export type Attributes = { readonly [name: string]: Json }
