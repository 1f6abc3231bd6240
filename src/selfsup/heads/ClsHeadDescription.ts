/**
 * `ClsHead`'s arguments and parameters, without tensor code (see `../ComponentDescription.ts`);
 * `./ClsHead.ts` builds it.
 * @module
 */
import type * as t from 'io-ts'
import type { ParamInfo } from '../../models/ModelInfo.js'
import { boolean, json, positiveInt, struct } from '../../schema/codec.js'
import { componentDict } from '../registry.js'
import { join } from '../Component.js'
import { describeComponent, type Descriptions } from '../ComponentDescription.js'
import { linearInfo } from '../params.js'

export const args = struct(
  'ClsHead arguments',
  { loss: componentDict },
  { with_avg_pool: boolean, in_channels: positiveInt, num_classes: positiveInt, vit_backbone: boolean, init_cfg: json },
)

/** Arguments the tensor code refuses. */
export const refuse = (a: t.TypeOf<typeof args>): void => {
  if (a.vit_backbone === true) throw new Error('ClsHead: vit_backbone=True is not provided')
}

/** `fc_cls` (`in_channels` 2048 → `num_classes` 1000 by default), then the loss's parameters. */
export const info = (a: t.TypeOf<typeof args>, prefix: string, registry: Descriptions): ReadonlyArray<ParamInfo> => {
  refuse(a)
  return [
    ...linearInfo(join(prefix, 'fc_cls'), a.in_channels ?? 2048, a.num_classes ?? 1000, true),
    ...describeComponent(registry, a.loss, join(prefix, 'loss'), 'loss', 'loss'),
  ]
}
