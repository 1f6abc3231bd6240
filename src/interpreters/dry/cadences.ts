/**
 * Cadences: when each hook type acts across train iterations, declared as
 * pure functions of the counters, so that the dry run can fast-forward the
 * iterations in between (issue 13 §5: the cost of a plan grows with the events
 * that differ, not with the iteration count).
 *
 * A hook's train-iteration stages (`before_train_iter`, `after_train_iter`)
 * are *quiet* at an iteration when running them changes nothing but what
 * {@link Cadence.advance} computes in closed form, and what the real
 * iterations just before the next real one re-establish (the dry run always
 * walks a short tail before each real iteration: values that are functions
 * of the counters, such as DenseCL's `loss_lambda`, and the message hub's
 * recent history come back from there). A hook type without a cadence makes
 * the dry run walk every iteration, as before.
 * @module
 */
import type { HookDecl, Program } from '../../dsl/Program.js'
import type { State } from '../../dsl/State.js'
import * as S from '../../dsl/State.js'
import * as Optim from '../../optim/OptimStateValues.js'
import * as Registry from '../../schema/registry.js'
import type { HookType } from '../../hooks/HookType.js'
import { CheckpointSchedule } from '../../hooks/CheckpointHook.js'
import type { CheckpointHookArgs } from '../../hooks/CheckpointHook.js'
import { started } from '../../hooks/EMAHook.js'
import type { EMAHookArgs, EMAHookState } from '../../hooks/EMAHook.js'
import { LoggerSchedule } from '../../hooks/LoggerHook.js'
import type { LoggerHookArgs } from '../../hooks/LoggerHook.js'
import type { SimSiamHookArgs } from '../../hooks/SimSiamHook.js'
import type { EmptyCacheHookArgs } from '../../hooks/EmptyCacheHook.js'
import { stepIterations, stepsByIteration } from './schedulerSteps.js'

/** The next iteration to interpret: its global index, its epoch and its batch index as the timeline gives them. */
export interface Position {
  readonly iter: number
  readonly epoch: number
  readonly batchIdx: number
}

/** Facts a cadence may use besides its arguments. */
export interface CadenceContext {
  /** Batches per epoch of the train loader. */
  readonly trainLength: number
  readonly maxIters: number
  readonly maxEpochs: number
}

/** An iteration whose only effect is output of a known kind (a log line): counted from a template, not run. */
export interface Occurrence {
  readonly iter: number
  /** What happens there, e.g. `'line'` or `'exp+line'`: occurrences of one kind record the same things. */
  readonly kind: string
}

export interface Cadence {
  /**
   * The first iteration in `[at.iter, limit)` (all in `at`'s epoch) at which this hook must run for real, or
   * `limit` when there is none. Countable occurrences are not counted here.
   */
  readonly nextActive: (at: Position, limit: number) => number
  /** The first countable occurrence in `[at.iter, limit)`, if any. */
  readonly nextOccurrence?: (at: Position, limit: number) => Occurrence | undefined
  /**
   * The state after the hook's train-iteration stages ran on the quiet iterations `[at.iter, to)` of `at`'s epoch,
   * or `undefined` when that cannot be told without running them (the dry run then walks them).
   */
  readonly advance?: (state: State, at: Position, to: number) => State | undefined
}

/** A cadence for one hook as configured: its decoded arguments, its key in the run, the run's facts. */
export type CadenceOf = (args: unknown, key: string, context: CadenceContext) => Cadence | undefined

/** Never active; no state of its own changes across quiet iterations. */
const quiet: Cadence = { nextActive: (_at, limit) => limit }

/** The batch index of iteration `iter` in the epoch of `at` (the timeline counts both together). */
const batchOf = (at: Position, iter: number): number => at.batchIdx + (iter - at.iter)

/** The smallest `m ≥ from` with `(m + 1) % every === 0`. */
const nextMultipleEnd = (from: number, every: number): number => Math.ceil((from + 1) / every) * every - 1

const logger: CadenceOf = (raw, _key, context) => {
  const a = raw as LoggerHookArgs
  const interval = a.interval ?? 10
  const expEvery = a.interval_exp_name ?? 1000
  const kindAt = (at: Position, iter: number): string | undefined => {
    const b = batchOf(at, iter)
    const exp = LoggerSchedule.expNameAfterTrainIter(a, iter, b, context.trainLength)
    const line = LoggerSchedule.lineAfterTrainIter(a, b, context.trainLength)
    return exp && line ? 'exp+line' : exp ? 'exp' : line ? 'line' : undefined
  }
  return {
    nextActive: (_at, limit) => limit,
    nextOccurrence: (at, limit) => {
      let iter = at.iter
      while (iter < limit) {
        const b = batchOf(at, iter)
        // Lines fall on batch multiples of the interval and the last batch; the experiment name on iteration multiples.
        const candidates = [
          iter + (nextMultipleEnd(b, interval) - b),
          nextMultipleEnd(iter, expEvery),
          ...(context.trainLength - 1 >= b ? [iter + (context.trainLength - 1 - b)] : []),
        ]
        const next = Math.min(...candidates)
        if (next >= limit) return undefined
        const kind = kindAt(at, next)
        if (kind !== undefined) return { iter: next, kind }
        iter = next + 1
      }
      return undefined
    },
  }
}

const paramScheduler: CadenceOf = () => ({
  nextActive: (_at, limit) => limit,
  // The iteration-based schedulers step after every iteration: the same pure steps, without the hooks around them.
  advance: (state, at, to) => {
    const optim = Optim.read(state.optim)
    if (optim === undefined) return state
    const stepped = stepIterations(optim, to - at.iter)
    // A step that fails is left to the real iteration that meets it, where the plan reports it.
    if (stepped._tag === 'Left') return undefined
    return stepped.right === optim ? state : { ...state, optim: Optim.write(stepped.right) }
  },
})

const checkpoint: CadenceOf = (raw, _key, context) => {
  const a = raw as CheckpointHookArgs
  if (a.by_epoch ?? true) return quiet
  const interval = a.interval ?? -1
  const begin = a.save_begin ?? 0
  return {
    nextActive: (at, limit) => {
      // everyN: (m + 1 − save_begin) is a non-negative multiple of the interval.
      const from = Math.max(at.iter, begin - 1)
      const saves = [
        ...(interval > 0 ? [begin - 1 + Math.ceil((from + 1 - begin) / interval) * interval] : []),
        ...((a.save_last ?? true) && context.maxIters - 1 >= at.iter ? [context.maxIters - 1] : []),
      ].filter((m) => CheckpointSchedule.afterTrainIter(a, m, context.maxIters))
      return Math.min(limit, ...saves)
    },
  }
}

const ema: CadenceOf = (raw, key) => {
  const a = raw as EMAHookArgs
  return {
    nextActive: (_at, limit) => limit,
    // Each quiet iteration either follows the model (no count) or averages once (`steps` + 1); refs stay as they are.
    advance: (state, at, to) => {
      const own = state.hooks[key] as EMAHookState | undefined
      if (own?._tag !== 'EMAHookState') return state
      let averaged = 0
      if ((a.begin_epoch ?? 0) > 0) averaged = started(a, at.epoch, at.iter) ? to - at.iter : 0
      else averaged = Math.max(0, to - Math.max(at.iter, (a.begin_iter ?? 0) - 1))
      return averaged === 0 ? state : S.setHookState(state, key, { ...own, steps: own.steps + averaged })
    },
  }
}

/**
 * With `adjust_by_epoch=False` it pins the predictor's lr at every iteration start. Under schedulers that step by
 * epoch the pin is the same every time (the walked tail re-applies it); interleaved with iteration-based steps it
 * is not, and those stretches are walked.
 */
const simSiam: CadenceOf = (raw) => {
  const a = raw as SimSiamHookArgs
  if ((a.adjust_by_epoch ?? true) || !a.fix_pred_lr) return quiet
  return {
    nextActive: (_at, limit) => limit,
    advance: (state) => {
      const optim = Optim.read(state.optim)
      return optim !== undefined && stepsByIteration(optim) ? undefined : state
    },
  }
}

/**
 * A hook that acts only on what the model computes (its memory, its logged statistics) finds nothing in a plan,
 * whose model holds no tensors: there its iterations are quiet. Given a state that does hold a model, the
 * iterations are walked.
 */
export const quietWithoutModel = (state: State): State | undefined =>
  Object.keys(state.model.params).length === 0 && Object.keys(state.model.buffers).length === 0 ? state : undefined

/** `ODCHook` updates centroids, small clusters and loss weights from the model's memory buffers. */
const odc: CadenceOf = () => ({ nextActive: (_at, limit) => limit, advance: quietWithoutModel })

/**
 * `CollapseDetectionHook` reads `feat_std`, which the model logs with its loss (the dry run's steps log nothing):
 * without it in the message hub the hook does nothing.
 */
const collapseDetection: CadenceOf = () => ({
  nextActive: (_at, limit) => limit,
  advance: (state) => ([...state.messageHub.scalars.keys()].some((k) => k.endsWith('feat_std')) ? undefined : state),
})

/** Releasing memory after every iteration logs on the first one; walked when configured. */
const emptyCache: CadenceOf = (raw) => ((raw as EmptyCacheHookArgs).after_iter === true ? undefined : quiet)

/**
 * The cadences of the built-in hook types that act at train-iteration stages. RuntimeInfoHook, IterTimerHook
 * (under the dry run's still clock), DenseCLHook and SwAVHook set what is a function of the counters or of the
 * last iterations: the walked tail re-establishes it.
 */
export const builtInCadences: { readonly [hookType: string]: CadenceOf } = {
  RuntimeInfoHook: () => quiet,
  IterTimerHook: () => quiet,
  LoggerHook: logger,
  ParamSchedulerHook: paramScheduler,
  CheckpointHook: checkpoint,
  EMAHook: ema,
  SimSiamHook: simSiam,
  DenseCLHook: () => quiet,
  SwAVHook: () => quiet,
  EmptyCacheHook: emptyCache,
  ODCHook: odc,
  CollapseDetectionHook: collapseDetection,
}

/** A hook of the run with its cadence, or why it has none. */
export type HookCadence =
  | { readonly _tag: 'Cadence'; readonly key: string; readonly cadence: Cadence }
  | { readonly _tag: 'None'; readonly name: string }

/**
 * The cadence of every hook of `program` that acts at a train-iteration stage (`actsPerIter` says which do).
 * Plan-only hook types change nothing, so they are quiet.
 */
export const cadencesOf = (
  program: Program,
  hookTypes: Registry.Registry<HookType<unknown>>,
  actsPerIter: (decl: HookDecl) => boolean,
  context: CadenceContext,
  table: { readonly [hookType: string]: CadenceOf } = builtInCadences,
): ReadonlyArray<HookCadence> =>
  program.hooks.filter(actsPerIter).map((decl): HookCadence => {
    const resolved = Registry.resolve(hookTypes, decl.spec.type)
    if (resolved._tag === 'Left') return { _tag: 'None', name: decl.spec.type }
    const type = resolved.right
    if (type.planOnly !== undefined) return { _tag: 'Cadence', key: decl.key, cadence: quiet }
    const of = table[type.name]
    const args = type.args.decode(decl.spec.args)
    const cadence = of === undefined || args._tag === 'Left' ? undefined : of(args.right, decl.key, context)
    return cadence === undefined ? { _tag: 'None', name: type.name } : { _tag: 'Cadence', key: decl.key, cadence }
  })
