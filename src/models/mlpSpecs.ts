/**
 * The MLP described without tensors: its configuration, arguments and parameters; `./MLP.ts` builds it.
 * @module
 */
import type * as t from 'io-ts'
import { array, positiveInt, struct } from '../schema/codec.js'
import type { ModelDescription } from './ModelDescription.js'
import type { ModelInfo, ParamInfo } from './ModelInfo.js'

export interface MLPConfig {
  readonly in_features: number
  readonly hidden: ReadonlyArray<number>
  readonly num_classes: number
}

/** Layer widths, input to classes. */
export const widths = (cfg: MLPConfig): ReadonlyArray<number> => [cfg.in_features, ...cfg.hidden, cfg.num_classes]

/** The parameters as the optimizer constructors see them: `nn.Linear` modules `layers.i`. */
export const info = (cfg: MLPConfig): ModelInfo => {
  const w = widths(cfg)
  const params: ParamInfo[] = []
  for (let i = 0; i + 1 < w.length; i++) {
    const module = { type: 'Linear' }
    params.push({ name: `layers.${i}.weight`, shape: [w[i + 1]!, w[i]!], requiresGrad: true, module })
    params.push({ name: `layers.${i}.bias`, shape: [w[i + 1]!], requiresGrad: true, module })
  }
  return { params }
}

export const args = struct(
  'MLP arguments (in_features, hidden, num_classes)',
  { in_features: positiveInt, num_classes: positiveInt },
  { hidden: array(positiveInt) },
)

/** The configuration of decoded arguments (no hidden layer by default). */
export const configOf = (a: t.TypeOf<typeof args>): MLPConfig => ({
  in_features: a.in_features,
  hidden: a.hidden ?? [],
  num_classes: a.num_classes,
})

/** `model = dict(type='MLP', …)` without tensors. */
export const MLPDescription: ModelDescription<t.TypeOf<typeof args>> = {
  name: 'MLP',
  args,
  info: (a) => info(configOf(a)),
}
