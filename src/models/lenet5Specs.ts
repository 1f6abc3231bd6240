/**
 * LeNet-5 described without tensors: its configuration, arguments and parameters; `./LeNet5.ts` builds it.
 * @module
 */
import type * as t from 'io-ts'
import { json, literal, positiveInt, struct } from '../schema/codec.js'
import type { ModelDescription } from './ModelDescription.js'
import type { ModelInfo, ParamInfo } from './ModelInfo.js'

export interface LeNet5Config {
  readonly num_classes: number
  /** 32 (LeNet's own size) or 28 (MNIST, zero-padded to 32 in the model). */
  readonly input_size: 28 | 32
}

/** The convolutions (5×5), in order. */
export const convs = [
  { name: 'backbone.features.0', in: 1, out: 6 },
  { name: 'backbone.features.3', in: 6, out: 16 },
  { name: 'backbone.features.6', in: 16, out: 120 },
] as const

/** The linears of the classifier, in order. */
export const linears = (cfg: LeNet5Config) => [
  { name: 'backbone.classifier.0', in: 120, out: 84 },
  { name: 'backbone.classifier.2', in: 84, out: cfg.num_classes },
]

/**
 * The parameters in `named_parameters()` order, with the owning modules.
 *
 * @example
 * ```ts
 * info({ num_classes: 10, input_size: 28 }).params[0] // { name: 'backbone.features.0.weight', shape: [6, 1, 5, 5],
 * module: { type: 'Conv2d', inChannels: 1, groups: 1 }, … }
 * ```
 */
export const info = (cfg: LeNet5Config): ModelInfo => {
  const params: ParamInfo[] = []
  for (const c of convs) {
    const module = { type: 'Conv2d', inChannels: c.in, groups: 1 }
    params.push({ name: `${c.name}.weight`, shape: [c.out, c.in, 5, 5], requiresGrad: true, module })
    params.push({ name: `${c.name}.bias`, shape: [c.out], requiresGrad: true, module })
  }
  for (const l of linears(cfg)) {
    const module = { type: 'Linear' }
    params.push({ name: `${l.name}.weight`, shape: [l.out, l.in], requiresGrad: true, module })
    params.push({ name: `${l.name}.bias`, shape: [l.out], requiresGrad: true, module })
  }
  return { params }
}

export const args = struct(
  'LeNet5 arguments (num_classes, input_size)',
  { num_classes: positiveInt },
  { input_size: literal(28, 32), data_preprocessor: json },
)

/** The configuration of decoded arguments (28 × 28 inputs by default). */
export const configOf = (a: t.TypeOf<typeof args>): LeNet5Config => ({
  num_classes: a.num_classes,
  input_size: a.input_size ?? 28,
})

/** `model = dict(type='LeNet5', …)` without tensors. */
export const LeNet5Description: ModelDescription<t.TypeOf<typeof args>> = {
  name: 'LeNet5',
  args,
  info: (a) => info(configOf(a)),
}
