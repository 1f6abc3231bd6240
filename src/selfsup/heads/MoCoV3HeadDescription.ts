/**
 * `MoCoV3Head`'s arguments and parameters, without tensor code (see `../ComponentDescription.ts`);
 * `./MoCoV3Head.ts` builds it.
 * @module
 */
import type * as t from 'io-ts'
import type { ParamInfo } from '../../models/ModelInfo.js'
import { positiveNumber, struct } from '../../schema/codec.js'
import { componentDict } from '../registry.js'
import { join } from '../Component.js'
import { describeComponent, type Descriptions } from '../ComponentDescription.js'

export const args = struct(
  'MoCoV3Head arguments',
  { predictor: componentDict, loss: componentDict },
  { temperature: positiveNumber },
)

/** The predictor's parameters under `<prefix>.predictor`, then the loss's under `<prefix>.loss`. */
export const info = (a: t.TypeOf<typeof args>, prefix: string, registry: Descriptions): ReadonlyArray<ParamInfo> => [
  ...describeComponent(registry, a.predictor, join(prefix, 'predictor'), 'predictor', 'neck'),
  ...describeComponent(registry, a.loss, join(prefix, 'loss'), 'loss', 'loss'),
]
