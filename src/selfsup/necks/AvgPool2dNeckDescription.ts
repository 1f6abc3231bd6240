/**
 * `AvgPool2dNeck`'s arguments and parameters, without tensor code (see `../ComponentDescription.ts`);
 * `./AvgPool2dNeck.ts` builds it.
 * @module
 */
import type * as t from 'io-ts'
import type { ParamInfo } from '../../models/ModelInfo.js'
import { literal, struct } from '../../schema/codec.js'

export const args = struct('AvgPool2dNeck arguments', {}, { output_size: literal(1) })

export const info = (_a: t.TypeOf<typeof args>, _prefix: string): ReadonlyArray<ParamInfo> => []
