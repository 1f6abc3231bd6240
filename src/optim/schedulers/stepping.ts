/**
 * Stepping schedulers, alone or as `ParamSchedulerHook` does (spec §3.5):
 * after every train iteration the `by_epoch=False` ones, after every train
 * epoch the `by_epoch=True` ones (ReduceOnPlateau then only counts), after a
 * validation with metrics the ReduceOnPlateau ones — each in list order,
 * each reading the group values the previous one wrote (chainable).
 * @module
 */
import * as E from 'fp-ts/lib/Either.js'
import type { SchedulerTrigger } from '../../dsl/Services.js'
import { familyOf } from './catalogue.js'
import { chainable } from './families/index.js'
import * as Plateau from './families/reduceOnPlateau.js'
import type { Metrics } from './families/reduceOnPlateau.js'
import type { FamilyDef, Props } from './family.js'
import { stepChainable } from './ParamScheduler.js'
import type { ChainableScheduler, ParamScheduler, ReduceOnPlateauScheduler } from './state.js'
import type { Groups, SchedulerError, Stepped } from './types.js'

export type { SchedulerTrigger } from '../../dsl/Services.js'
export type { Metrics } from './families/reduceOnPlateau.js'

/** Is this a ReduceOnPlateau scheduler (`need_val_args = True`)? */
export const needValArgs = (s: ParamScheduler): s is ReduceOnPlateauScheduler => familyOf(s.type) === 'ReduceOnPlateau'

/**
 * One `scheduler.step()` (or `step(metrics)` for ReduceOnPlateau; the other
 * families ignore metrics). An exception MMEngine would raise — OneCycle
 * stepped past `total_steps`, a missing monitor key, a division by zero —
 * comes back as a `SchedulerError`.
 *
 * @example
 * ```ts
 * const r = step(scheduler, groups)
 * if (r._tag === 'Right') ({ scheduler, groups } = r.right)
 * ```
 */
export const step = (
  s: ParamScheduler,
  groups: Groups,
  metrics?: Metrics,
): E.Either<SchedulerError, Stepped<ParamScheduler>> => {
  if (needValArgs(s)) return Plateau.step(s, groups, metrics)
  const def = chainable[familyOf(s.type) as keyof typeof chainable] as FamilyDef<Props, Props, ChainableScheduler>
  return stepChainable(s, groups, def.value)
}

/** Does `ParamSchedulerHook` step this scheduler on this trigger? */
export const isSelected = (s: ParamScheduler, trigger: SchedulerTrigger): boolean => {
  switch (trigger._tag) {
    case 'AfterTrainIter':
      return !s.by_epoch
    case 'AfterTrainEpoch':
      return s.by_epoch
    case 'AfterValEpoch':
      return s.by_epoch && needValArgs(s)
  }
}

/** A step failure, with the index of the scheduler that failed. */
export type StepAllError = SchedulerError & { readonly index: number }

/**
 * What `ParamSchedulerHook` does on a trigger: step the selected schedulers
 * in list order on the same groups.
 *
 * @example
 * ```ts
 * stepAll(schedulers, groups, { _tag: 'AfterTrainIter' })
 * stepAll(schedulers, groups, { _tag: 'AfterValEpoch', metrics: { loss: 0.3 } })
 * ```
 */
export const stepAll = (
  schedulers: ReadonlyArray<ParamScheduler>,
  groups: Groups,
  trigger: SchedulerTrigger,
): E.Either<StepAllError, { readonly schedulers: ReadonlyArray<ParamScheduler>; readonly groups: Groups }> => {
  const out: ParamScheduler[] = []
  let current = groups
  for (let i = 0; i < schedulers.length; i++) {
    const s = schedulers[i]!
    if (!isSelected(s, trigger)) {
      out.push(s)
      continue
    }
    const r = step(s, current, trigger._tag === 'AfterValEpoch' ? trigger.metrics : undefined)
    if (r._tag === 'Left') return E.left({ ...r.left, index: i })
    out.push(r.right.scheduler)
    current = r.right.groups
  }
  return E.right({ schedulers: out, groups: current })
}

/** `get_last_value()`: the group values after the scheduler's latest step. */
export const lastValue = (s: ParamScheduler): ReadonlyArray<number> => s._last_value
