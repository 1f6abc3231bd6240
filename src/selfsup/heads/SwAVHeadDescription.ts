/**
 * `SwAVHead`'s arguments and parameters, without tensor code (see `../ComponentDescription.ts`);
 * `./SwAVHead.ts` builds it.
 * @module
 */
import type * as t from 'io-ts'
import type { ParamInfo } from '../../models/ModelInfo.js'
import { struct } from '../../schema/codec.js'
import { componentDict } from '../registry.js'
import { join } from '../Component.js'
import { describeComponent, type Descriptions } from '../ComponentDescription.js'

export const args = struct('SwAVHead arguments', { loss: componentDict })

export const info = (a: t.TypeOf<typeof args>, prefix: string, registry: Descriptions): ReadonlyArray<ParamInfo> =>
  describeComponent(registry, a.loss, join(prefix, 'loss'), 'loss', 'loss')
