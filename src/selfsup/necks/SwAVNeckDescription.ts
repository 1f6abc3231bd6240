/**
 * `SwAVNeck`'s arguments and parameters, without tensor code (see `../ComponentDescription.ts`);
 * `./SwAVNeck.ts` builds it.
 * @module
 */
import type * as t from 'io-ts'
import type { ParamInfo } from '../../models/ModelInfo.js'
import { boolean, json, nonNegativeInt, positiveInt, struct } from '../../schema/codec.js'
import { normCfg } from '../../models/normCfg.js'
import { join } from '../Component.js'
import { batchNormInfo, linearInfo } from '../params.js'

export const args = struct(
  'SwAVNeck arguments',
  { in_channels: positiveInt, hid_channels: nonNegativeInt, out_channels: nonNegativeInt },
  { with_avg_pool: boolean, with_l2norm: boolean, norm_cfg: normCfg, init_cfg: json },
)

/** No projection (`out_channels=0`), one linear (`hid_channels=0`), or linear → BatchNorm → ReLU → linear. */
export const modeOf = (a: t.TypeOf<typeof args>): 'none' | 'linear' | 'mlp' =>
  a.out_channels === 0 ? 'none' : a.hid_channels === 0 ? 'linear' : 'mlp'

export const info = (a: t.TypeOf<typeof args>, prefix: string): ReadonlyArray<ParamInfo> => {
  const p = join(prefix, 'projection_neck')
  const mode = modeOf(a)
  if (mode === 'none') return []
  if (mode === 'linear') return linearInfo(p, a.in_channels, a.out_channels, true)
  return [
    ...linearInfo(`${p}.0`, a.in_channels, a.hid_channels, true),
    ...batchNormInfo(`${p}.1`, a.hid_channels, true),
    ...linearInfo(`${p}.3`, a.hid_channels, a.out_channels, true),
  ]
}
