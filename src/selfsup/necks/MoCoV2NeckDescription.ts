/**
 * `MoCoV2Neck`'s arguments and parameters, without tensor code (see `../ComponentDescription.ts`);
 * `./MoCoV2Neck.ts` builds it.
 * @module
 */
import type * as t from 'io-ts'
import type { ParamInfo } from '../../models/ModelInfo.js'
import { boolean, json, positiveInt, struct } from '../../schema/codec.js'
import { join } from '../Component.js'
import { linearInfo } from '../params.js'

export const args = struct(
  'MoCoV2Neck arguments',
  { in_channels: positiveInt, hid_channels: positiveInt, out_channels: positiveInt },
  { with_avg_pool: boolean, init_cfg: json },
)

export const info = (a: t.TypeOf<typeof args>, prefix: string): ReadonlyArray<ParamInfo> => [
  ...linearInfo(join(prefix, 'mlp.0'), a.in_channels, a.hid_channels, true),
  ...linearInfo(join(prefix, 'mlp.2'), a.hid_channels, a.out_channels, true),
]
