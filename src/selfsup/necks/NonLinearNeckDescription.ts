/**
 * `NonLinearNeck`'s arguments and parameters, without tensor code (see `../ComponentDescription.ts`);
 * `./NonLinearNeck.ts` builds it.
 * @module
 */
import type * as t from 'io-ts'
import type { ParamInfo } from '../../models/ModelInfo.js'
import { boolean, json, positiveInt, struct } from '../../schema/codec.js'
import { normCfg } from '../../models/normCfg.js'
import { join } from '../Component.js'
import { batchNormInfo, linearInfo } from '../params.js'

export const args = struct(
  'NonLinearNeck arguments',
  { in_channels: positiveInt, hid_channels: positiveInt, out_channels: positiveInt },
  {
    num_layers: positiveInt,
    with_bias: boolean,
    with_last_bn: boolean,
    with_last_bn_affine: boolean,
    with_last_bias: boolean,
    with_avg_pool: boolean,
    vit_backbone: boolean,
    norm_cfg: normCfg,
    init_cfg: json,
  },
)

/** One `fc` and the BatchNorm after it. */
export interface Layer {
  readonly fc: string
  readonly inC: number
  readonly outC: number
  readonly bias: boolean
  /** The BatchNorm after it, if any, and whether it is affine. */
  readonly bn: { readonly name: string; readonly affine: boolean } | undefined
}

/** The layers, as MMSelfSup builds them. */
export const layersOf = (a: t.TypeOf<typeof args>): ReadonlyArray<Layer> => {
  const n = a.num_layers ?? 2
  const layers: Layer[] = [
    {
      fc: 'fc0',
      inC: a.in_channels,
      outC: a.hid_channels,
      bias: a.with_bias ?? false,
      bn: { name: 'bn0', affine: true },
    },
  ]
  for (let i = 1; i < n; i++) {
    const last = i === n - 1
    layers.push({
      fc: `fc${i}`,
      inC: a.hid_channels,
      outC: last ? a.out_channels : a.hid_channels,
      bias: last ? (a.with_last_bias ?? false) : (a.with_bias ?? false),
      bn: !last
        ? { name: `bn${i}`, affine: true }
        : (a.with_last_bn ?? true)
          ? { name: `bn${i}`, affine: a.with_last_bn_affine ?? true }
          : undefined,
    })
  }
  return layers
}

/** Arguments the tensor code refuses. */
export const refuse = (a: t.TypeOf<typeof args>): void => {
  if (a.vit_backbone === true)
    throw new Error('NonLinearNeck: vit_backbone=True is not provided (no ViT self-supervised backbone yet)')
}

export const info = (a: t.TypeOf<typeof args>, prefix: string): ReadonlyArray<ParamInfo> => {
  refuse(a)
  return layersOf(a).flatMap((l) => [
    ...linearInfo(join(prefix, l.fc), l.inC, l.outC, l.bias),
    ...(l.bn === undefined ? [] : batchNormInfo(join(prefix, l.bn.name), l.outC, l.bn.affine)),
  ])
}
