/**
 * A multi-layer perceptron with PyTorch names: `layers.0`, `layers.1`, … are
 * `nn.Linear`s with ReLU between them (no activation after the last).
 *
 * @example
 * ```ts
 * const [params] = MLP.init({ in_features: 784, hidden: [256, 128], num_classes: 10 }, Rng.make(0))
 * Object.keys(params) // ['layers.0.weight', 'layers.0.bias', 'layers.1.weight', …, 'layers.2.bias']
 * ```
 * @module
 */
import * as tf from '@tensorflow/tfjs-core'
import type * as Rng from '../dsl/Rng.js'
import type { Tree } from '../tensor/tree.js'
import type * as t from 'io-ts'
import * as Linear from './Linear.js'
import { crossEntropy } from './losses.js'
import { withoutBuffers } from './Model.js'
import type { ModelType } from './Model.js'
import { type args, configOf, info, MLPDescription, widths } from './mlpSpecs.js'
import type { MLPConfig } from './mlpSpecs.js'

export type { MLPConfig } from './mlpSpecs.js'
export { info } from './mlpSpecs.js'

/** The parameters, in PyTorch's `named_parameters()` order. */
export const init = (cfg: MLPConfig, rng: Rng.Rng): readonly [Tree, Rng.Rng] => {
  const w = widths(cfg)
  let params: Tree = {}
  let r = rng
  for (let i = 0; i + 1 < w.length; i++) {
    const [layer, next] = Linear.init(`layers.${i}`, w[i]!, w[i + 1]!, r)
    params = { ...params, ...layer }
    r = next
  }
  return [params, r]
}

/** Logits for a batch `[n, in_features]` (inputs of other ranks are flattened per sample). */
export const apply = (cfg: MLPConfig, params: Tree, x: tf.Tensor): tf.Tensor => {
  const layers = widths(cfg).length - 1
  let h = x.rank === 2 ? x : tf.reshape(x, [x.shape[0]!, -1])
  for (let i = 0; i < layers; i++) h = Linear.apply(params, `layers.${i}`, h, i + 1 < layers ? 'relu' : undefined)
  return h
}

/**
 * `model = dict(type='MLP', in_features=784, hidden=[256, 128], num_classes=10)`: a classifier trained with
 * cross-entropy.
 */
export const MLPModel: ModelType<t.TypeOf<typeof args>> = {
  ...MLPDescription,
  build: (a) => {
    const cfg = configOf(a)
    return {
      type: 'MLP',
      task: 'classification',
      init: withoutBuffers((rng) => init(cfg, rng)),
      info: info(cfg),
      // Samples of any shape with `in_features` values (an MNIST image is 28 × 28 × 1 = 784).
      inputShape: [cfg.in_features],
      forward: (params, buffers, inputs) => ({ output: apply(cfg, params, inputs), buffers }),
      losses: (output, targets) => ({ loss: crossEntropy(output, targets) }),
    }
  },
}
