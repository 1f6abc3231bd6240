/**
 * `Model`: what the tensor interpreter needs from a model, as plain
 * functions over named tensor trees.
 *
 * A model is built from its config (`model = dict(type='MLP', ...)`) by a
 * {@link ModelType}. Its parameters and buffers are trees with PyTorch's
 * dotted names and layouts, owned by the interpreter; the model never keeps
 * tensors of its own. `forward` is pure in the tensor sense: it returns new
 * tensors (the logits, and new buffers when train-mode BatchNorm updates its
 * running statistics) and disposes nothing it was given.
 *
 * @example
 * ```ts
 * const built = Models.build({ type: 'MLP', in_features: 784, hidden: [256], num_classes: 10 })
 * // built.right.init(Rng.make(0)) → { params: { 'layers.0.weight': …, … }, buffers: {}, rng }
 * ```
 * @module
 */
import type * as tf from '@tensorflow/tfjs-core'
import type { Json } from '../dsl/MessageHub.js'
import type * as Rng from '../dsl/Rng.js'
import type { ModelDescription } from './ModelDescription.js'
import type { ModelInfo } from './ModelInfo.js'
import type { Replicas } from '../tensor/Replicas.js'
import type { Tree } from '../tensor/tree.js'

/** How a forward pass runs: train or eval mode, and the random stream dropout draws from. */
export interface ForwardContext {
  readonly training: boolean
  /**
   * The other data-parallel replicas, when more than one worker trains (absent in one process): the algorithms'
   * gathers, and `SyncBN` layers' batch statistics.
   */
  readonly replicas?: Replicas
  /**
   * The stream for this forward pass (dropout, stochastic depth). Derived by the interpreter from the state; never
   * reused.
   */
  readonly rng: Rng.Rng
  /**
   * Every view of the batch, preprocessed, when the dataset's pipeline makes
   * views (`MultiView`): `[b, h_v, w_v, c]` each, in view order. `inputs` packs
   * them view-major; a model taking views of several sizes (multi-crop) reads them here.
   */
  readonly views?: ReadonlyArray<tf.Tensor>
}

/**
 * A forward pass's result: the output (logits or predictions) and the buffers after it (the same tree when nothing
 * changed).
 */
export interface ForwardResult {
  readonly output: tf.Tensor
  readonly buffers: Tree
}

/** What the model predicts: class logits (scored by `Accuracy`) or values (scored by `MSE`). */
export type Task = 'classification' | 'regression' | 'self-supervised'

export interface Model {
  /** The registry type that built it (`'MLP'`, `'LeNet5'`, …). */
  readonly type: string
  readonly task: Task
  /** The parameters and buffers, initialised as PyTorch does, drawn from `rng`; returns the advanced stream. */
  readonly init: (rng: Rng.Rng) => { readonly params: Tree; readonly buffers: Tree; readonly rng: Rng.Rng }
  /**
   * The parameters as the optimizer constructors see them (names, shapes, owning modules), without allocating tensors.
   */
  readonly info: ModelInfo
  /** The shape of one input sample, NHWC for images (`[28, 28, 1]`), as the data pipeline delivers it. */
  readonly inputShape?: ReadonlyArray<number>
  /** The forward pass for a batch of inputs. */
  readonly forward: (params: Tree, buffers: Tree, inputs: tf.Tensor, ctx: ForwardContext) => ForwardResult
  /**
   * The losses of a batch, as MMEngine's `model(data, mode='loss')` returns
   * them: a dict whose entries with `loss` in their name are summed into the
   * total (`parse_losses`). Scalars, owned by the caller.
   */
  readonly losses: (output: tf.Tensor, targets: tf.Tensor) => { readonly [name: string]: tf.Scalar }
  /**
   * For models whose loss is not a function of one forward's output
   * (self-supervised algorithms: several views, momentum encoders, queues):
   * the loss dict straight from the batch, and the buffers after it. When
   * present, the train step uses it instead of `forward` + `losses`.
   */
  readonly loss?: (
    params: Tree,
    buffers: Tree,
    inputs: tf.Tensor,
    targets: tf.Tensor,
    ctx: TrainContext,
  ) => { readonly losses: { readonly [name: string]: tf.Scalar }; readonly buffers: Tree }
  /**
   * In-place, no-gradient rewrites of parameters at the start of a train step
   * (SwAV normalises its prototypes): the rewritten parameters only, new
   * tensors; the step stores them before differentiating.
   */
  readonly prepare?: (params: Tree) => Tree
  /** The model's attributes at construction (DenseCL's `loss_lambda`), the start of `State.model.attributes`. */
  readonly attributes?: { readonly [name: string]: Json }
  /**
   * The features clustering hooks read (MMSelfSup's `Extractor`: the neck on the backbone's last map, eval mode),
   * `[n, d]`; models without it are clustered on their eval-mode `forward` output.
   */
  readonly extract?: (params: Tree, buffers: Tree, inputs: tf.Tensor) => tf.Tensor
}

/**
 * What {@link Model.loss} reads besides the batch: the forward context, counters and the model's attributes from the
 * state.
 */
export interface TrainContext extends ForwardContext {
  /** The 0-based global iteration and the run's `max_iters`. */
  readonly iter: number
  readonly maxIters: number
  /** `State.model.attributes`: knobs hooks set (`loss_lambda`, queue lengths, class weights). */
  readonly attributes: { readonly [name: string]: Json }
  /** The batch's dataset indices (MMSelfSup's `sample_idx`: ODC's memory rows, DeepCluster's pseudo-labels). */
  readonly indices?: Int32Array
}

/**
 * `Model.init` for a model without buffers, from its `init(cfg, rng) → [params, rng]`.
 *
 * @example
 * ```ts
 * init: withoutBuffers((rng) => MLP.init(cfg, rng))
 * ```
 */
export const withoutBuffers =
  (init: (rng: Rng.Rng) => readonly [Tree, Rng.Rng]): Model['init'] =>
  (rng) => {
    const [params, next] = init(rng)
    return { params, buffers: {}, rng: next }
  }

/**
 * A model type in the registry: its description (name, argument codec, strict with config paths, and parameters) and
 * how to build it; the built model's `info` is the description's.
 */
export interface ModelType<A> extends ModelDescription<A> {
  readonly build: (args: A) => Model
}
