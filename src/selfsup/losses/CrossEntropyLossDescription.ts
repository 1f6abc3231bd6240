/**
 * `CrossEntropyLoss`'s arguments and parameters, without tensor code (see `../ComponentDescription.ts`);
 * `./CrossEntropyLoss.ts` builds it.
 * @module
 */
import type * as t from 'io-ts'
import type { ParamInfo } from '../../models/ModelInfo.js'
import { array, literal, number, struct } from '../../schema/codec.js'

export const args = struct(
  'CrossEntropyLoss arguments',
  {},
  {
    use_sigmoid: literal(false),
    use_soft: literal(false),
    reduction: literal('mean'),
    loss_weight: number,
    class_weight: array(number),
    pos_weight: array(number),
    label_smooth_val: number,
  },
)

/** Arguments the tensor code refuses. */
export const refuse = (a: t.TypeOf<typeof args>): void => {
  if (a.pos_weight !== undefined || a.label_smooth_val !== undefined)
    throw new Error('CrossEntropyLoss: pos_weight and label_smooth_val are not provided')
}

export const info = (a: t.TypeOf<typeof args>, _prefix: string): ReadonlyArray<ParamInfo> => {
  refuse(a)
  return []
}
