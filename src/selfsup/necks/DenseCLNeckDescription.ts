/**
 * `DenseCLNeck`'s arguments and parameters, without tensor code (see `../ComponentDescription.ts`);
 * `./DenseCLNeck.ts` builds it.
 * @module
 */
import type * as t from 'io-ts'
import type { ParamInfo } from '../../models/ModelInfo.js'
import { json, nullable, positiveInt, struct } from '../../schema/codec.js'
import { join } from '../Component.js'
import { linearInfo } from '../params.js'

export const args = struct(
  'DenseCLNeck arguments',
  { in_channels: positiveInt, hid_channels: positiveInt, out_channels: positiveInt },
  { num_grid: nullable(positiveInt), init_cfg: json },
)

/** A 1×1 convolution with bias, `in → out` channels. */
const convInfo = (name: string, inC: number, outC: number): ReadonlyArray<ParamInfo> => [
  {
    name: `${name}.weight`,
    shape: [outC, inC, 1, 1],
    requiresGrad: true,
    module: { type: 'Conv2d', inChannels: inC, groups: 1 },
  },
  { name: `${name}.bias`, shape: [outC], requiresGrad: true, module: { type: 'Conv2d', inChannels: inC, groups: 1 } },
]

export const info = (a: t.TypeOf<typeof args>, prefix: string): ReadonlyArray<ParamInfo> => [
  ...linearInfo(join(prefix, 'mlp.0'), a.in_channels, a.hid_channels, true),
  ...linearInfo(join(prefix, 'mlp.2'), a.hid_channels, a.out_channels, true),
  ...convInfo(join(prefix, 'mlp2.0'), a.in_channels, a.hid_channels),
  ...convInfo(join(prefix, 'mlp2.2'), a.hid_channels, a.out_channels),
]
