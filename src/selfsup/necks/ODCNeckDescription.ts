/**
 * `ODCNeck`'s arguments and parameters, without tensor code (see `../ComponentDescription.ts`);
 * `./ODCNeck.ts` builds it.
 * @module
 */
import type * as t from 'io-ts'
import type { ParamInfo } from '../../models/ModelInfo.js'
import { boolean, json, positiveInt, struct } from '../../schema/codec.js'
import { normCfg } from '../../models/normCfg.js'
import { join } from '../Component.js'
import { batchNormInfo, linearInfo } from '../params.js'

export const args = struct(
  'ODCNeck arguments',
  { in_channels: positiveInt, hid_channels: positiveInt, out_channels: positiveInt },
  { with_avg_pool: boolean, norm_cfg: normCfg, init_cfg: json },
)

export const info = (a: t.TypeOf<typeof args>, prefix: string): ReadonlyArray<ParamInfo> => [
  ...linearInfo(join(prefix, 'fc0'), a.in_channels, a.hid_channels, true),
  ...batchNormInfo(join(prefix, 'bn0'), a.hid_channels, false),
  ...linearInfo(join(prefix, 'fc1'), a.hid_channels, a.out_channels, true),
]
