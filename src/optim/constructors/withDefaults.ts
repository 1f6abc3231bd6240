/**
 * From constructor groups to optimizer groups: PyTorch's `add_param_group`
 * fills every hyper-parameter a group leaves unset from the optimizer's
 * defaults (`param_group.setdefault(name, default)`, in the defaults' order).
 * @module
 */
import type { Json } from '../../schema/codec.js'
import { fillDefaults } from '../ParamGroups.js'
import type { ParamGroups } from '../ParamGroups.js'
import type { GroupRecord } from './types.js'

/**
 * Each group with the optimizer defaults filled in where it sets nothing;
 * keys it sets keep their value and their place.
 *
 * @example
 * ```ts
 * withDefaults([{ params: ['a'], lr: 0.2 }, { params: ['b'] }], { lr: 0.1, momentum: 0.9 })
 * // [{ params: ['a'], lr: 0.2, momentum: 0.9 }, { params: ['b'], lr: 0.1, momentum: 0.9 }]
 * ```
 */
export const withDefaults = (
  groups: ReadonlyArray<GroupRecord>,
  defaults: { readonly [key: string]: Json },
): ReadonlyArray<GroupRecord> => groups.map((g) => fillDefaults(g, defaults))

/**
 * The groups in the shape the optimizer layer uses (`{ names, hyper }`,
 * see `ParamGroups`); its `OptimWrapper.build` fills the defaults.
 *
 * @example
 * ```ts
 * toParamGroups([{ params: ['a'], lr: 0.2 }]) // [{ names: ['a'], hyper: { lr: 0.2 } }]
 * ```
 */
export const toParamGroups = (groups: ReadonlyArray<GroupRecord>): ParamGroups =>
  groups.map(({ params, ...hyper }) => ({ names: [...params], hyper }))
