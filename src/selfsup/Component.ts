/**
 * MMSelfSup's building blocks (necks, heads, losses) as functions over named
 * tensor trees, the way `src/models/` writes layers: a component never keeps
 * tensors; its parameters and buffers live under a dotted prefix
 * (`neck.fc0.weight`, `head.predictor.bn0.running_mean`) in trees the caller owns.
 *
 * Two shapes:
 * - a {@link Neck} maps a feature tensor to a feature tensor (`NonLinearNeck`, `MoCoV2Neck`, …);
 * - a {@link LossComponent} maps named inputs to a scalar loss (heads and losses:
 *   `LatentPredictHead(input, target)`, `ContrastiveHead(pos, neg)`, `SwAVLoss(x)`, …),
 *   with its forward's argument names as MMSelfSup spells them.
 * @module
 */
import type * as tf from '@tensorflow/tfjs-core'
import type * as Rng from '../dsl/Rng.js'
import type { Json } from '../dsl/MessageHub.js'
import type { ParamInfo } from '../models/ModelInfo.js'
import type { Replicas } from '../tensor/Replicas.js'
import type { Tree } from '../tensor/tree.js'

/** Parameters and buffers a component creates at construction, and the advanced stream. */
export interface Initialised {
  readonly params: Tree
  readonly buffers: Tree
  readonly rng: Rng.Rng
}

/** What a component's forward may read besides its inputs. */
export interface ComponentContext {
  /** Train mode (BatchNorm batch statistics, running statistics updated) or eval mode. */
  readonly training: boolean
  /** Model attributes hooks set through the state (`use_queue`, `loss_lambda`, …), by dotted name. */
  readonly attributes?: { readonly [name: string]: Json }
  /**
   * Receives intermediate values by name (a predictor's output, Sinkhorn's
   * inputs and codes) for the conformance replay. The component does not
   * dispose what it hands over; the receiver keeps what it wants.
   */
  readonly capture?: (name: string, value: tf.Tensor | { readonly [key: string]: tf.Tensor }) => void
  /**
   * The other data-parallel replicas in a training forward with several workers; absent in one process (and in
   * eval mode). Components reach them through `gather.ts`.
   */
  readonly replicas?: Replicas
}

/** A forward's result: the value and the buffers it changed (only those; new tensors owned by the caller). */
export interface Applied<T> {
  readonly value: T
  readonly buffers: Tree
}

interface Base {
  /** The registry `type` that built it. */
  readonly type: string
  /** Parameters and buffers under `prefix` (no dot at its end; `''` for none), initialised as MMSelfSup does. */
  readonly init: (prefix: string, rng: Rng.Rng) => Initialised
  /** The parameters under `prefix` as the optimizer constructors see them. */
  readonly info: (prefix: string) => ReadonlyArray<ParamInfo>
}

/** A neck: backbone features in, projected features out. */
export interface Neck extends Base {
  readonly kind: 'neck'
  /** The width of the output features. */
  readonly outChannels: number
  readonly apply: (
    params: Tree,
    buffers: Tree,
    prefix: string,
    x: tf.Tensor,
    ctx: ComponentContext,
  ) => Applied<tf.Tensor>
}

/** A head or a loss: named inputs in, a scalar loss out. */
export interface LossComponent extends Base {
  readonly kind: 'loss'
  /** The forward's argument names, in order (`['input', 'target']`). */
  readonly inputs: ReadonlyArray<string>
  /**
   * Names of inputs the component never differentiates (MMSelfSup detaches
   * them, e.g. `LatentPredictHead`'s `target`): their gradient is zero.
   */
  readonly detached?: ReadonlyArray<string>
  /**
   * MMSelfSup's in-place, no-gradient rewrite of parameters at the start of
   * the forward (`SwAVLoss` normalises its prototypes): the rewritten
   * parameters, new tensors owned by the caller, who stores them as the
   * parameters before differentiating.
   */
  readonly prepare?: (params: Tree, prefix: string) => Tree
  readonly forward: (
    params: Tree,
    buffers: Tree,
    prefix: string,
    inputs: { readonly [name: string]: tf.Tensor },
    ctx: ComponentContext,
  ) => Applied<tf.Scalar>
}

export type Component = Neck | LossComponent

/** `prefix.name`, or `name` at the root. */
export const join = (prefix: string, name: string): string => (prefix === '' ? name : `${prefix}.${name}`)

/** The named input, or a one-line error naming the component and the argument. */
export const input = (component: string, inputs: { readonly [name: string]: tf.Tensor }, name: string): tf.Tensor => {
  const x = inputs[name]
  if (x === undefined)
    throw new Error(`${component}: missing input '${name}' (given: ${Object.keys(inputs).join(', ') || 'none'})`)
  return x
}
