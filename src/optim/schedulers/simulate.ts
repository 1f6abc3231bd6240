/**
 * Running schedules without a runner: the value curve of one scheduler, and
 * a whole epoch-based training timeline as `ParamSchedulerHook` drives it —
 * for plots, dry runs and tests.
 * @module
 */
import * as E from 'fp-ts/lib/Either.js'
import type { Issue } from '../../schema/codec.js'
import { build } from './build.js'
import type { Metrics } from './families/reduceOnPlateau.js'
import type { ParamScheduler } from './state.js'
import { step, stepAll } from './stepping.js'
import type { StepAllError } from './stepping.js'
import type { BuildContext, Groups } from './types.js'

/**
 * `get_last_value()` of one scheduler after construction and after each of
 * the following `count − 1` steps (what MMEngine's scheduler tests check).
 *
 * @example
 * ```ts
 * curve({ type: 'StepLR', step_size: 3 }, [{ lr: 0.05 }], {}, 10) // Right([[0.05], [0.05], [0.05], [0.005…], …])
 * ```
 */
export const curve = (config: unknown, groups: Groups, context: BuildContext, count: number): E.Either<ReadonlyArray<Issue>, ReadonlyArray<ReadonlyArray<number>>> => {
  const built = build(config, groups, context)
  if (built._tag === 'Left') return built
  let { scheduler, groups: current } = built.right
  const values: Array<ReadonlyArray<number>> = []
  for (let k = 0; k < count; k++) {
    if (k > 0) {
      const r = step(scheduler, current)
      if (r._tag === 'Left') return E.left([{ path: '', message: `${r.left.error} at step ${k}: ${r.left.message}` }])
      ;({ scheduler, groups: current } = r.right)
    }
    values.push(scheduler._last_value)
  }
  return E.right(values)
}

/** An epoch-based training timeline. */
export interface EpochRun {
  readonly epochs: number
  /** Iterations per epoch (`len(train_dataloader)`). */
  readonly epochLength: number
  /** What to record during each iteration; defaults to the first group's `lr` (the logged `train/lr`). */
  readonly read?: (groups: Groups) => number
  /** Validation metrics after epoch `e` (1-based), or `undefined` when there is no validation then. */
  readonly metrics?: (epoch: number) => Metrics | undefined
}

/**
 * Simulate `EpochBasedTrainLoop` with `ParamSchedulerHook`: for each
 * iteration record the value *during* it (read before the hook steps), then
 * step the iteration-based schedulers; after each epoch step the
 * epoch-based ones, then (if there are metrics) the plateau ones.
 *
 * @example
 * ```ts
 * simulateEpochs(schedulers, groups, { epochs: 3, epochLength: 4 }) // Right({ during: [0.05, 0.05, …], … })
 * ```
 */
export const simulateEpochs = (
  schedulers: ReadonlyArray<ParamScheduler>,
  groups: Groups,
  run: EpochRun,
): E.Either<StepAllError, { readonly during: ReadonlyArray<number>; readonly schedulers: ReadonlyArray<ParamScheduler>; readonly groups: Groups }> => {
  const read = run.read ?? ((gs: Groups) => gs[0]?.['lr'] as number)
  const during: number[] = []
  let state = { schedulers, groups }
  for (let epoch = 1; epoch <= run.epochs; epoch++) {
    for (let i = 0; i < run.epochLength; i++) {
      during.push(read(state.groups))
      const r = stepAll(state.schedulers, state.groups, { _tag: 'AfterTrainIter' })
      if (r._tag === 'Left') return r
      state = r.right
    }
    const r = stepAll(state.schedulers, state.groups, { _tag: 'AfterTrainEpoch' })
    if (r._tag === 'Left') return r
    state = r.right
    const metrics = run.metrics?.(epoch)
    if (metrics !== undefined) {
      const v = stepAll(state.schedulers, state.groups, { _tag: 'AfterValEpoch', metrics })
      if (v._tag === 'Left') return v
      state = v.right
    }
  }
  return E.right({ during, ...state })
}
