/**
 * `TinyRegressor`, the model of the MMEngine conformance scenarios:
 * `pred = head.fc(relu(layer_norm(backbone.fc1(x + backbone.pos_embed))))`,
 * trained with the mean squared error. Its parameter names (`pos_embed`,
 * `norm`, `bias`) are the ones `paramwise_cfg` rules and the layer-decay
 * constructors look for, which is why the scenarios use it.
 *
 * @example
 * ```ts
 * const model = TinyRegressorModel.build({ in_features: 4, hidden: 8, out_features: 2 })
 * model.info.params.map((p) => p.name) // ['backbone.pos_embed', 'backbone.fc1.weight', …, 'head.fc.bias']
 * ```
 * @module
 */
import * as tf from '@tensorflow/tfjs-core'
import type * as t from 'io-ts'
import * as LayerNorm from './LayerNorm.js'
import * as Linear from './Linear.js'
import { meanSquaredError } from './losses.js'
import type { ModelType } from './Model.js'
import { type args, configOf, info, TinyRegressorDescription } from './tinyRegressorSpecs.js'

export type { TinyRegressorConfig } from './tinyRegressorSpecs.js'
export { info } from './tinyRegressorSpecs.js'

/** The prediction for a batch `[n, in_features]`. */
export const apply = (params: { readonly [name: string]: tf.Tensor }, x: tf.Tensor): tf.Tensor =>
  tf.tidy(() => {
    const shifted = tf.add(x, params['backbone.pos_embed']!)
    const hidden = tf.relu(LayerNorm.apply(params, 'backbone.norm', Linear.apply(params, 'backbone.fc1', shifted)))
    return Linear.apply(params, 'head.fc', hidden)
  })

export const TinyRegressorModel: ModelType<t.TypeOf<typeof args>> = {
  ...TinyRegressorDescription,
  build: (a) => {
    const cfg = configOf(a)
    return {
      type: 'TinyRegressor',
      task: 'regression',
      init: (rng) => {
        const [fc1, r1] = Linear.init('backbone.fc1', cfg.in_features, cfg.hidden, rng)
        const [head, r2] = Linear.init('head.fc', cfg.hidden, cfg.out_features, r1)
        const params = {
          'backbone.pos_embed': tf.zeros([1, cfg.in_features]),
          ...fc1,
          ...LayerNorm.init('backbone.norm', cfg.hidden),
          ...head,
        }
        return { params, buffers: {}, rng: r2 }
      },
      info: info(cfg),
      inputShape: [cfg.in_features],
      forward: (params, buffers, inputs) => ({ output: apply(params, inputs), buffers }),
      losses: (output, targets) => ({ loss: meanSquaredError(output, targets) }),
    }
  },
}
