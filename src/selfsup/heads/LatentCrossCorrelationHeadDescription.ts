/**
 * `LatentCrossCorrelationHead`'s arguments and parameters, without tensor code (see `../ComponentDescription.ts`);
 * `./LatentCrossCorrelationHead.ts` builds it.
 * Its BatchNorm `bn` has no affine parameters (buffers only).
 * @module
 */
import type * as t from 'io-ts'
import type { ParamInfo } from '../../models/ModelInfo.js'
import { positiveInt, struct } from '../../schema/codec.js'
import { componentDict } from '../registry.js'
import { join } from '../Component.js'
import { describeComponent, type Descriptions } from '../ComponentDescription.js'

export const args = struct('LatentCrossCorrelationHead arguments', { in_channels: positiveInt, loss: componentDict })

export const info = (a: t.TypeOf<typeof args>, prefix: string, registry: Descriptions): ReadonlyArray<ParamInfo> =>
  describeComponent(registry, a.loss, join(prefix, 'loss'), 'loss', 'loss')
