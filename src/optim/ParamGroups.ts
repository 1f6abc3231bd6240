/**
 * Param groups: which parameters share hyper-parameters, and their current
 * values (`lr`, `momentum`, `betas`, `weight_decay`, …, plus any flags a
 * constructor copied in, such as `lars_exclude`). Schedulers rewrite these
 * values between steps; optimizers read them at every step.
 * @module
 */
import type { Json } from '../dsl/MessageHub.js'

/** One group's hyper-parameters, as PyTorch keeps them in `param_groups[i]` (minus `params`). */
export type Hyper = { readonly [key: string]: Json }

export interface ParamGroup {
  /** Parameter names, in model order. */
  readonly names: ReadonlyArray<string>
  readonly hyper: Hyper
}

export type ParamGroups = ReadonlyArray<ParamGroup>

/**
 * A group's hyper-parameters with the optimizer defaults filled in where it sets nothing: PyTorch's
 * `add_param_group` (`param_group.setdefault(name, default)`), so the group's keys keep their value and place
 * and the defaults follow in their own order. The constructors and `OptimWrapper.build` both fill through this.
 */
export const fillDefaults = <H extends Hyper>(hyper: H, defaults: Hyper): H => {
  const filled: { [key: string]: Json } = { ...hyper }
  for (const [k, v] of Object.entries(defaults)) if (!Object.hasOwn(filled, k)) filled[k] = v
  return filled as H
}

/** The group index of every parameter name. */
export const indexOf = (groups: ParamGroups): ReadonlyMap<string, number> => {
  const index = new Map<string, number>()
  groups.forEach((g, i) => {
    g.names.forEach((n) => {
      index.set(n, i)
    })
  })
  return index
}

/** A number hyper-parameter, or `fallback`. */
export const num = (hyper: Hyper, key: string, fallback: number): number => {
  const v = hyper[key]
  return typeof v === 'number' ? v : fallback
}

/** A boolean hyper-parameter, or `fallback`. */
export const flag = (hyper: Hyper, key: string, fallback: boolean): boolean => {
  const v = hyper[key]
  return typeof v === 'boolean' ? v : fallback
}

/** A pair hyper-parameter such as `betas`, or `fallback`. */
export const pair = (hyper: Hyper, key: string, fallback: readonly [number, number]): readonly [number, number] => {
  const v = hyper[key]
  return Array.isArray(v) && v.length === 2 && typeof v[0] === 'number' && typeof v[1] === 'number'
    ? [v[0], v[1]]
    : fallback
}

/** Replace one hyper-parameter in every group (what a scheduler does). */
export const setAll = (groups: ParamGroups, key: string, values: ReadonlyArray<Json>): ParamGroups =>
  groups.map((g, i) => ({ ...g, hyper: { ...g.hyper, [key]: values[i] ?? g.hyper[key] ?? null } }))
