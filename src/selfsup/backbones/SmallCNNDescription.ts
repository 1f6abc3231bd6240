/**
 * loopwright's `SmallCNN` backbone described without tensors: its arguments, layers and parameters; `./SmallCNN.ts`
 * builds it.
 * @module
 */
import type * as t from 'io-ts'
import { json, positiveInt, struct } from '../../schema/codec.js'
import type { ParamInfo } from '../../models/ModelInfo.js'
import { batchNormInfo } from '../params.js'
import type { BackboneDescription } from './Backbone.js'

export const args = struct(
  'SmallCNN arguments (in_channels, base_channels, stages, img_size)',
  {},
  { in_channels: positiveInt, base_channels: positiveInt, stages: positiveInt, img_size: positiveInt, norm_cfg: json },
)

/** One `conv 3×3 → BatchNorm2d → ReLU` block. */
export interface Layer {
  readonly name: string
  readonly in: number
  readonly out: number
  readonly stride: number
}

/** The blocks: the first of stride 1, the others of stride 2, channels `base_channels · 2^i`. */
export const layersOf = (a: t.TypeOf<typeof args>): ReadonlyArray<Layer> => {
  const inC = a.in_channels ?? 1
  const base = a.base_channels ?? 16
  return Array.from({ length: a.stages ?? 2 }, (_, i) => ({
    name: `backbone.layers.${i}`,
    in: i === 0 ? inC : base * 2 ** (i - 1),
    out: base * 2 ** i,
    stride: i === 0 ? 1 : 2,
  }))
}

/** Each block's conv (no bias) and BatchNorm. */
export const info = (a: t.TypeOf<typeof args>): ReadonlyArray<ParamInfo> =>
  layersOf(a).flatMap((l) => [
    {
      name: `${l.name}.conv.weight`,
      shape: [l.out, l.in, 3, 3],
      requiresGrad: true,
      module: { type: 'Conv2d', inChannels: l.in, groups: 1 },
    },
    ...batchNormInfo(`${l.name}.bn`, l.out, true, 'BatchNorm2d'),
  ])

/** `backbone=dict(type='SmallCNN', …)` without tensors. */
export const SmallCNNDescription: BackboneDescription = {
  name: 'SmallCNN',
  args,
  info: info as BackboneDescription['info'],
  outChannels: ((a: t.TypeOf<typeof args>) => layersOf(a).at(-1)!.out) as BackboneDescription['outChannels'],
}
