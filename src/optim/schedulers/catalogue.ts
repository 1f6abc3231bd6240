/**
 * The registered scheduler names (spec §12.2): ten schedule families, each
 * as an LR scheduler, a momentum scheduler (no OneCycle) and a generic
 * `*ParamScheduler` that takes `param_name`.
 * @module
 */
import { unscoped } from '../../schema/registry.js'

export const families = [
  'Constant',
  'CosineAnnealing',
  'Exponential',
  'Linear',
  'MultiStep',
  'Step',
  'Poly',
  'OneCycle',
  'CosineRestart',
  'ReduceOnPlateau',
] as const

/** A schedule family: the shared behaviour of `XLR`, `XMomentum` and `XParamScheduler`. */
export type Family = (typeof families)[number]

/** Which hyper-parameter the class fixes: `lr`, `momentum`, or any (`param_name`). */
export type Kind = 'LR' | 'Momentum' | 'ParamScheduler'

/** The registered names of one family. */
export type NameOf<F extends Family> = F extends 'OneCycle'
  ? `${F}LR` | `${F}ParamScheduler`
  : `${F}LR` | `${F}Momentum` | `${F}ParamScheduler`

/** Every registered scheduler name. */
export type SchedulerType = NameOf<Family>

export interface Entry {
  readonly family: Family
  readonly kind: Kind
}

const entries: ReadonlyArray<readonly [SchedulerType, Entry]> = families.flatMap((family) =>
  (['LR', 'Momentum', 'ParamScheduler'] as const)
    .filter((kind) => !(family === 'OneCycle' && kind === 'Momentum'))
    .map((kind) => [`${family}${kind}` as SchedulerType, { family, kind }] as const),
)

const table: ReadonlyMap<string, Entry> = new Map(entries)

/** All 29 registered names, LR, Momentum, ParamScheduler for each family in catalogue order. */
export const schedulerTypes: ReadonlyArray<SchedulerType> = entries.map(([name]) => name)

/** The family and kind of a registered name (a scope prefix such as `mmengine.` is ignored), or `undefined`. */
export const lookup = (type: string): (Entry & { readonly name: SchedulerType }) | undefined => {
  const name = unscoped(type)
  const entry = table.get(name)
  return entry === undefined ? undefined : { ...entry, name: name as SchedulerType }
}

/** The family of a registered name. */
export const familyOf = (type: SchedulerType): Family => table.get(type)!.family

/** The kind of a registered name. */
export const kindOf = (type: SchedulerType): Kind => table.get(type)!.kind

/** The hyper-parameter an LR or momentum scheduler fixes; generic schedulers take it from `param_name`. */
export const fixedParam = (kind: Kind): string | undefined =>
  kind === 'LR' ? 'lr' : kind === 'Momentum' ? 'momentum' : undefined
