/**
 * `CosineSimilarityLoss`'s arguments and parameters, without tensor code (see `../ComponentDescription.ts`);
 * `./CosineSimilarityLoss.ts` builds it.
 * @module
 */
import type * as t from 'io-ts'
import type { ParamInfo } from '../../models/ModelInfo.js'
import { number, struct } from '../../schema/codec.js'

export const args = struct('CosineSimilarityLoss arguments', {}, { shift_factor: number, scale_factor: number })

export const info = (_a: t.TypeOf<typeof args>, _prefix: string): ReadonlyArray<ParamInfo> => []
