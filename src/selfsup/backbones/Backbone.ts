/**
 * A backbone as MMSelfSup's algorithms use it: images in, the last stage's
 * NHWC feature map out, parameters and buffers under `backbone.` (MMPretrain's
 * names). Momentum encoders run the same function on their own copies of the
 * weights, renamed (see `../algorithms/targetNet.ts`).
 * @module
 */
import type * as tf from '@tensorflow/tfjs-core'
import type { AnyCodec } from '../../schema/codec.js'
import type * as Rng from '../../dsl/Rng.js'
import type { ParamInfo } from '../../models/ModelInfo.js'
import type { Replicas } from '../../tensor/Replicas.js'
import type { Tree } from '../../tensor/tree.js'
import type { Applied, Initialised } from '../Component.js'

export interface Backbone {
  readonly type: string
  /** Channels of the feature map. */
  readonly outChannels: number
  /** One input sample, NHWC. */
  readonly inputShape: readonly [number, number, number]
  readonly init: (rng: Rng.Rng) => Initialised
  readonly info: ReadonlyArray<ParamInfo>
  /**
   * The feature map; `buffers` holds the changed BatchNorm statistics in train mode. `replicas`: the data-parallel
   * replicas, which `SyncBN` layers normalise across in train mode.
   */
  readonly apply: (
    params: Tree,
    buffers: Tree,
    x: tf.Tensor,
    training: boolean,
    replicas?: Replicas,
  ) => Applied<tf.Tensor4D>
}

/** A backbone type as the plan sees it: its argument codec and its parameters (under `backbone.`), without tensors. */
export interface BackboneDescription {
  readonly name: string
  readonly args: AnyCodec
  readonly info: (args: never) => ReadonlyArray<ParamInfo>
  /** Channels of the feature map. */
  readonly outChannels: (args: never) => number
}

/** A backbone type: its description and builder; the built backbone's `info` is the description's. */
export interface BackboneType extends BackboneDescription {
  readonly build: (args: never) => Backbone
}
