/**
 * The optimizer's part of `State.optim` (see `./OptimStateValues.ts`, re-exported here) and {@link build}, which also
 * builds the wrapper's combinators for the tensor interpreter.
 * @module
 */
import * as E from 'fp-ts/lib/Either.js'
import type { Json } from '../dsl/MessageHub.js'
import type { Issue } from '../schema/codec.js'
import type { ModelInfo } from './constructors/index.js'
import * as OW from './OptimWrapper.js'
import * as Values from './OptimStateValues.js'
import type { OptimState, RunLength } from './OptimStateValues.js'

export * from './OptimStateValues.js'

/** A built wrapper and the groups it owns. */
export interface Built {
  readonly wrapper: OW.OptimWrapper
  readonly state: OptimState
  /** What the constructor reported (which parameter got which multiplier). */
  readonly log: ReadonlyArray<string>
  readonly warnings: ReadonlyArray<string>
}

/** {@link Values.build}, and the wrapper's combinators from the decoded settings. */
export const build = (
  optimWrapper: { readonly [key: string]: Json },
  schedulers: ReadonlyArray<Json>,
  model: ModelInfo,
  length: RunLength,
): E.Either<ReadonlyArray<Issue>, Built> =>
  E.map(({ settings, ...rest }: Values.Described): Built => ({ wrapper: OW.fromSettings(settings), ...rest }))(
    Values.build(optimWrapper, schedulers, model, length),
  )
