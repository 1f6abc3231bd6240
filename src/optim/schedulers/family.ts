/**
 * What a chainable schedule family contributes to the shared mechanics of
 * `ParamScheduler.ts`: its arguments, its `build_iter_from_epoch` scaling,
 * its own constructor fields and its `_get_value()` rule.
 * @module
 */
import type * as E from 'fp-ts/lib/Either.js'
import type { AnyCodec, Issue, StructOf } from '../../schema/codec.js'
import type { Kind } from './catalogue.js'
import type { ChainableBase, ChainableFamily, ChainableScheduler } from './state.js'
import type { BuildContext, Groups, Values } from './types.js'
import type { SchedulerType } from './catalogue.js'

/** Codecs by argument name (the shape `struct` takes). */
export type Props = { readonly [key: string]: AnyCodec }

/** What a family constructor sees once `end` has its default and the iter conversion is done. */
export interface Env {
  readonly begin: number
  readonly end: number
  readonly paramName: string
  readonly lastStep: number
  readonly kind: Kind
  /** The groups as the family constructor receives them (after the momentum mixin's `betas` copy). */
  readonly groups: Groups
  readonly context: BuildContext
}

/** A family's own state fields (everything but the base fields). */
export type OwnOf<S> = Omit<S, keyof ChainableBase<SchedulerType>>

/** Own fields, plus the groups when the family constructor writes them (OneCycle). */
export interface Constructed<S> {
  readonly own: OwnOf<S>
  readonly groups: Groups
}

export interface FamilyDef<Req extends Props, Opt extends Props, S extends ChainableScheduler> {
  readonly family: ChainableFamily
  /** Required arguments besides the common keys. */
  readonly required: Req
  /** Optional arguments besides the common keys; defaults are applied by `own`. */
  readonly optional: Opt
  /**
   * `build_iter_from_epoch`: multiply the family's own lengths by the epoch length (begin/end are done by the caller).
   */
  readonly toIterBased: (args: StructOf<Req, Opt>, epochLength: number) => StructOf<Req, Opt>
  /** The family's constructor: defaults, cross-argument checks, own fields. */
  readonly own: (args: StructOf<Req, Opt>, env: Env) => E.Either<ReadonlyArray<Issue>, Constructed<S>>
  /** `_get_value()`: the recursive (chainable) rule, operation by operation as MMEngine codes it. */
  readonly value: (s: S, groups: Groups) => Values
  /** Codecs of the own state fields, to decode a saved state dict. */
  readonly state: Props
}
