/**
 * `ParamSchedulerHook`'s per-iteration steps, many at once: the dry run's way
 * over iterations it does not walk. Schedulers that step by epoch do nothing
 * after an iteration, so a run without iteration-based schedulers skips any
 * number of iterations at no cost; iteration-based ones are stepped exactly
 * (MMEngine's recursive rule, bit for bit), without the hooks around them.
 * @module
 */
import * as E from 'fp-ts/lib/Either.js'
import type * as Optim from '../../optim/OptimStateValues.js'
import type { StepFailure } from '../../optim/OptimStateValues.js'
import * as OW from '../../optim/WrapperSettings.js'
import { stepEpochs as jumpEpochs, stepIterations as jump } from '../../optim/schedulers/jump.js'

/** Does any wrapper hold a scheduler that steps after iterations (`by_epoch=False`)? */
export const stepsByIteration = (optim: Optim.OptimState): boolean =>
  optim.slots.some(({ slot }) => slot.schedulers.some((s) => !s.by_epoch))

/**
 * The optimizer state after `count` `AfterTrainIter` steps (jumping over regular stretches of the schedules), or
 * the first failure.
 */
export const stepIterations = (optim: Optim.OptimState, count: number): E.Either<StepFailure, Optim.OptimState> => {
  if (count <= 0 || !stepsByIteration(optim)) return E.right(optim)
  const slots: Array<Optim.OptimState['slots'][number]> = []
  for (const { name, slot } of optim.slots) {
    const stepped = jump(slot.schedulers, OW.scheduledGroups(slot.groups), count)
    if (stepped._tag === 'Left')
      return E.left({
        wrapper: name,
        index: stepped.left.index,
        message: `${stepped.left.error}: ${stepped.left.message}`,
      })
    slots.push({
      name,
      slot: {
        ...slot,
        schedulers: stepped.right.schedulers,
        groups: OW.withScheduled(slot.groups, stepped.right.groups as never),
      },
    })
  }
  return E.right({ ...optim, slots })
}

/**
 * The optimizer state after `epochs` whole epochs of `batches` iterations each, as `ParamSchedulerHook` steps it
 * (see `stepEpochs` in jump.ts), or the first failure.
 */
export const stepEpochs = (
  optim: Optim.OptimState,
  epochs: number,
  batches: number,
): E.Either<StepFailure, Optim.OptimState> => {
  if (epochs <= 0) return E.right(optim)
  const slots: Array<Optim.OptimState['slots'][number]> = []
  for (const { name, slot } of optim.slots) {
    const stepped = jumpEpochs(slot.schedulers, OW.scheduledGroups(slot.groups), epochs, batches)
    if (stepped._tag === 'Left')
      return E.left({
        wrapper: name,
        index: stepped.left.index,
        message: `${stepped.left.error}: ${stepped.left.message}`,
      })
    slots.push({
      name,
      slot: {
        ...slot,
        schedulers: stepped.right.schedulers,
        groups: OW.withScheduled(slot.groups, stepped.right.groups as never),
      },
    })
  }
  return E.right({ ...optim, slots })
}
