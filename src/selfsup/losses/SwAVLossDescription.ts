/**
 * `SwAVLoss`'s arguments and parameters, without tensor code (see `../ComponentDescription.ts`);
 * `./SwAVLoss.ts` builds it.
 * @module
 */
import type * as t from 'io-ts'
import type { ParamInfo } from '../../models/ModelInfo.js'
import { array, nonNegativeInt, positiveInt, positiveNumber, struct } from '../../schema/codec.js'
import { join } from '../Component.js'
import { linearInfo } from '../params.js'

export const args = struct(
  'SwAVLoss arguments',
  { feat_dim: positiveInt },
  {
    sinkhorn_iterations: positiveInt,
    epsilon: positiveNumber,
    temperature: positiveNumber,
    crops_for_assign: array(nonNegativeInt),
    num_crops: array(positiveInt),
    num_prototypes: positiveInt,
    init_cfg: struct('init_cfg', {}),
  },
)

/** Crops in all (`num_crops`, default `[2]`). */
export const totalCropsOf = (a: t.TypeOf<typeof args>): number => (a.num_crops ?? [2]).reduce((x, y) => x + y, 0)

/** Arguments the tensor code refuses. */
export const refuse = (a: t.TypeOf<typeof args>): void => {
  const totalCrops = totalCropsOf(a)
  for (const c of a.crops_for_assign ?? [0, 1])
    if (c >= totalCrops)
      throw new Error(
        `SwAVLoss: crops_for_assign names crop ${c} but num_crops ` +
          `${JSON.stringify(a.num_crops ?? [2])} gives ${totalCrops} crops`,
      )
}

/** The prototypes, a linear without bias, `feat_dim` → `num_prototypes` (3000 by default). */
export const info = (a: t.TypeOf<typeof args>, prefix: string): ReadonlyArray<ParamInfo> => {
  refuse(a)
  return linearInfo(join(prefix, 'prototypes'), a.feat_dim, a.num_prototypes ?? 3000, false)
}
