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
import type { SchedulerTrigger } from '../../dsl/Services.js'
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
export const curve = (
  config: unknown,
  groups: Groups,
  context: BuildContext,
  count: number,
): E.Either<ReadonlyArray<Issue>, ReadonlyArray<ReadonlyArray<number>>> => {
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

/** When a simulated step failed: before iteration `iter` ended, or at the end of epoch `epoch` (0-based). */
export type Moment =
  | { readonly _tag: 'iter'; readonly iter: number }
  | { readonly _tag: 'epoch'; readonly epoch: number }

/** The shape of a train loop as the schedulers see it. */
export interface TrainWalk {
  readonly maxIters: number
  /** Iterations per epoch (`len(train_dataloader)`). */
  readonly epochLength: number
  /** Epoch-based loops end an epoch every `epochLength` iterations; an iteration-based loop ends one, at the end. */
  readonly epochBased: boolean
  /** Validation metrics after epoch `e` (1-based), or `undefined` when there is no validation then. */
  readonly metrics?: (epoch: number) => Metrics | undefined
  /**
   * Visit only where `nextVisit(i)` (> i) says, and at epoch ends: the `AfterTrainIter` steps of the iterations in
   * between are taken together by `walkTrainLoop`'s `stepMany` (none at all when it is not given: then no scheduler
   * may step by iteration). The cost follows the visits and epochs, not the iterations.
   */
  readonly sparse?: { readonly nextVisit: (iter: number) => number }
}

/**
 * The one scheduler simulation: `ParamSchedulerHook`'s stepping order over a whole train loop, for any state
 * that holds schedulers (a scheduler list with its groups, or a whole optimizer state). Before each iteration
 * `visit` sees the state (the values *during* it); then `AfterTrainIter`; at an epoch's end `AfterTrainEpoch`,
 * then `AfterValEpoch` when there are metrics.
 *
 * @example
 * ```ts
 * walkTrainLoop(optim, stepSchedulers, { maxIters: 12, epochLength: 4, epochBased: true }, (o, i) => log(i, o))
 * ```
 */
export const walkTrainLoop = <S, Err>(
  initial: S,
  stepWith: (state: S, trigger: SchedulerTrigger) => E.Either<Err, S>,
  walk: TrainWalk,
  visit: (state: S, iter: number) => void,
  stepMany?: (state: S, count: number) => E.Either<Err, S>,
  /** Whole epochs at once (their iterations and their ends), between visits of an epoch-based walk. */
  stepEpochs?: (state: S, epochs: number) => E.Either<Err, S>,
): E.Either<{ readonly error: Err; readonly at: Moment }, S> => {
  let state = initial
  const idle = walk.sparse
  // With idle iterations, the next iteration that matters: a visit, or the last one of an epoch.
  const nextAfter = (i: number): number =>
    idle === undefined
      ? i + 1
      : Math.min(
          idle.nextVisit(i),
          walk.epochBased ? (Math.floor((i + 1) / walk.epochLength) + 1) * walk.epochLength - 1 : walk.maxIters - 1,
        )
  for (let i = 0; i < walk.maxIters; ) {
    visit(state, i)
    if (idle === undefined || stepMany !== undefined) {
      const afterIter = stepWith(state, { _tag: 'AfterTrainIter' })
      if (afterIter._tag === 'Left') return E.left({ error: afterIter.left, at: { _tag: 'iter', iter: i } })
      state = afterIter.right
    }
    if (walk.epochBased ? (i + 1) % walk.epochLength === 0 : i + 1 === walk.maxIters) {
      const epoch = Math.floor(i / walk.epochLength)
      const afterEpoch = stepWith(state, { _tag: 'AfterTrainEpoch' })
      if (afterEpoch._tag === 'Left') return E.left({ error: afterEpoch.left, at: { _tag: 'epoch', epoch } })
      state = afterEpoch.right
      const metrics = walk.metrics?.(epoch + 1)
      if (metrics !== undefined) {
        const afterVal = stepWith(state, { _tag: 'AfterValEpoch', metrics })
        if (afterVal._tag === 'Left') return E.left({ error: afterVal.left, at: { _tag: 'epoch', epoch } })
        state = afterVal.right
      }
    }
    // Whole epochs before the next visit's epoch, when one just ended (without metrics, every epoch is alike).
    const start = i + 1
    if (idle !== undefined && stepEpochs !== undefined && walk.epochBased && walk.metrics === undefined) {
      let whole = start % walk.epochLength === 0 ? Math.floor((idle.nextVisit(i) - start) / walk.epochLength) : 0
      // A step that fails is met by fewer epochs at a time (halving), and at last by the walk, which says when.
      while (whole > 0 && start < walk.maxIters) {
        const jumped = stepEpochs(state, whole)
        if (jumped._tag === 'Right') {
          state = jumped.right
          break
        }
        whole = Math.floor(whole / 2)
      }
      if (whole > 0 && start < walk.maxIters) {
        i = start + whole * walk.epochLength
        continue
      }
    }
    const next = Math.max(i + 1, nextAfter(i))
    // The iterations between visits: none ends an epoch, so only their AfterTrainIter steps remain.
    if (stepMany !== undefined && next - i - 1 > 0 && i + 1 < walk.maxIters) {
      const skipped = stepMany(state, Math.min(next, walk.maxIters) - i - 1)
      if (skipped._tag === 'Left') return E.left({ error: skipped.left, at: { _tag: 'iter', iter: i + 1 } })
      state = skipped.right
    }
    i = next
  }
  return E.right(state)
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
 * Simulate `EpochBasedTrainLoop` with `ParamSchedulerHook` ({@link walkTrainLoop}) and record the value
 * during each iteration.
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
): E.Either<
  StepAllError,
  {
    readonly during: ReadonlyArray<number>
    readonly schedulers: ReadonlyArray<ParamScheduler>
    readonly groups: Groups
  }
> => {
  const read = run.read ?? ((gs: Groups) => gs[0]?.['lr'] as number)
  const during: number[] = []
  const walked = walkTrainLoop(
    { schedulers, groups },
    (state, trigger) => stepAll(state.schedulers, state.groups, trigger),
    {
      maxIters: run.epochs * run.epochLength,
      epochLength: run.epochLength,
      epochBased: true,
      ...(run.metrics === undefined ? {} : { metrics: run.metrics }),
    },
    (state) => during.push(read(state.groups)),
  )
  return walked._tag === 'Left' ? E.left(walked.left.error) : E.right({ during, ...walked.right })
}
