/**
 * The tiny regressor described without tensors: its configuration, arguments and parameters; `./TinyRegressor.ts`
 * builds it.
 * @module
 */
import type * as t from 'io-ts'
import { positiveInt, struct } from '../schema/codec.js'
import type { ModelDescription } from './ModelDescription.js'
import type { ModelInfo } from './ModelInfo.js'

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

export const args = struct(
  'TinyRegressor arguments (in_features, hidden, out_features)',
  {},
  { in_features: positiveInt, hidden: positiveInt, out_features: positiveInt },
)

/** The configuration of decoded arguments (4 → 8 → 2 by default). */
export const configOf = (a: t.TypeOf<typeof args>): TinyRegressorConfig => ({
  in_features: a.in_features ?? 4,
  hidden: a.hidden ?? 8,
  out_features: a.out_features ?? 2,
})

/** `model = dict(type='TinyRegressor', …)` without tensors. */
export const TinyRegressorDescription: ModelDescription<t.TypeOf<typeof args>> = {
  name: 'TinyRegressor',
  args,
  info: (a) => info(configOf(a)),
}
