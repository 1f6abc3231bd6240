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
import { positiveInt, struct } from '../schema/codec.js'
import type { ModelInfo } from './ModelInfo.js'
import * as LayerNorm from './LayerNorm.js'
import * as Linear from './Linear.js'
import { meanSquaredError } from './losses.js'
import type { ModelType } from './Model.js'

export interface TinyRegressorConfig {
  readonly in_features: number
  readonly hidden: number
  readonly out_features: number
}

/** `named_parameters()` order: the backbone's own `pos_embed`, then `fc1`, `norm`, then the head. */
export const info = (cfg: TinyRegressorConfig): ModelInfo => ({
  params: [
    { name: 'backbone.pos_embed', shape: [1, cfg.in_features], requiresGrad: true, module: { type: 'TinyBackbone' } },
    {
      name: 'backbone.fc1.weight',
      shape: [cfg.hidden, cfg.in_features],
      requiresGrad: true,
      module: { type: 'Linear' },
    },
    { name: 'backbone.fc1.bias', shape: [cfg.hidden], requiresGrad: true, module: { type: 'Linear' } },
    { name: 'backbone.norm.weight', shape: [cfg.hidden], requiresGrad: true, module: { type: 'LayerNorm' } },
    { name: 'backbone.norm.bias', shape: [cfg.hidden], requiresGrad: true, module: { type: 'LayerNorm' } },
    { name: 'head.fc.weight', shape: [cfg.out_features, cfg.hidden], requiresGrad: true, module: { type: 'Linear' } },
    { name: 'head.fc.bias', shape: [cfg.out_features], requiresGrad: true, module: { type: 'Linear' } },
  ],
})

/** The prediction for a batch `[n, in_features]`. */
export const apply = (params: { readonly [name: string]: tf.Tensor }, x: tf.Tensor): tf.Tensor =>
  tf.tidy(() => {
    const shifted = tf.add(x, params['backbone.pos_embed']!)
    const hidden = tf.relu(LayerNorm.apply(params, 'backbone.norm', Linear.apply(params, 'backbone.fc1', shifted)))
    return Linear.apply(params, 'head.fc', hidden)
  })

const args = struct(
  'TinyRegressor arguments (in_features, hidden, out_features)',
  {},
  { in_features: positiveInt, hidden: positiveInt, out_features: positiveInt },
)

export const TinyRegressorModel: ModelType<t.TypeOf<typeof args>> = {
  name: 'TinyRegressor',
  args,
  build: (a) => {
    const cfg: TinyRegressorConfig = {
      in_features: a.in_features ?? 4,
      hidden: a.hidden ?? 8,
      out_features: a.out_features ?? 2,
    }
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
