/**
 * `ParamSchedulerHook`'s per-iteration steps, many at once: the dry run's way
 * over iterations it does not walk. Schedulers that step by epoch do nothing
 * after an iteration, so a run without iteration-based schedulers skips any
 * number of iterations at no cost; iteration-based ones are stepped exactly
 * (MMEngine's recursive rule, bit for bit), without the hooks around them.
 * @module
 */
import * as E from 'fp-ts/lib/Either.js'
import * as Optim from '../../optim/OptimStateValues.js'
import type { StepFailure } from '../../optim/OptimStateValues.js'
import { stepEpochs as jumpEpochs, stepIterations as jump } from '../../optim/schedulers/jump.js'

/** Does any wrapper hold a scheduler that steps after iterations (`by_epoch=False`)? */
export const stepsByIteration = (optim: Optim.OptimState): boolean =>
  optim.slots.some(({ slot }) => slot.schedulers.some((s) => !s.by_epoch))

/**
 * The optimizer state after `count` `AfterTrainIter` steps (jumping over regular stretches of the schedules), or
 * the first failure.
 */
export const stepIterations = (optim: Optim.OptimState, count: number): E.Either<StepFailure, Optim.OptimState> =>
  count <= 0 || !stepsByIteration(optim)
    ? E.right(optim)
    : Optim.moveSchedulers(optim, (schedulers, groups) => jump(schedulers, groups, count))

/**
 * The optimizer state after `epochs` whole epochs of `batches` iterations each, as `ParamSchedulerHook` steps it
 * (see `stepEpochs` in jump.ts), or the first failure.
 */
export const stepEpochs = (
  optim: Optim.OptimState,
  epochs: number,
  batches: number,
): E.Either<StepFailure, Optim.OptimState> =>
  epochs <= 0
    ? E.right(optim)
    : Optim.moveSchedulers(optim, (schedulers, groups) => jumpEpochs(schedulers, groups, epochs, batches))
