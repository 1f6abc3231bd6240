/**
 * `ParamSchedulerHook`'s per-iteration steps, many at once: the dry run's way
 * over iterations it does not walk. Schedulers that step by epoch do nothing
 * after an iteration, so a run without iteration-based schedulers skips any
 * number of iterations at no cost; iteration-based ones are stepped exactly
 * (MMEngine's recursive rule, bit for bit), without the hooks around them.
 * @module
 */
import * as E from 'fp-ts/lib/Either.js'
import * as Optim from '../../optim/OptimState.js'
import type { StepFailure } from '../../optim/OptimState.js'

/** Does any wrapper hold a scheduler that steps after iterations (`by_epoch=False`)? */
export const stepsByIteration = (optim: Optim.OptimState): boolean =>
  optim.slots.some(({ slot }) => slot.schedulers.some((s) => !s.by_epoch))

/** The optimizer state after `count` `AfterTrainIter` steps, or the first failure. */
export const stepIterations = (optim: Optim.OptimState, count: number): E.Either<StepFailure, Optim.OptimState> => {
  if (count <= 0 || !stepsByIteration(optim)) return E.right(optim)
  let current = optim
  for (let k = 0; k < count; k++) {
    const stepped = Optim.stepSchedulers(current, { _tag: 'AfterTrainIter' })
    if (stepped._tag === 'Left') return stepped
    current = stepped.right
  }
  return E.right(current)
}
