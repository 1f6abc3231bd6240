/**
 * The optimizer's part of `State.optim`: per optimizer wrapper, its param
 * groups (plain hyper-parameters the schedulers rewrite), its schedulers
 * (plain JSON-serialisable values) and its tensor state (optimizer slots,
 * accumulation sums, loss scaler) as the interpreter stores it — refs in
 * the tensor interpreter, nothing in the dry run.
 *
 * Everything here but `tensors` is numbers, so both interpreters step the
 * schedulers the same way and log the same learning rates. This module
 * builds no combinator and loads no tensor code (the dry run's view);
 * `./OptimState.ts` adds the built wrapper.
 * @module
 */
import * as E from 'fp-ts/lib/Either.js'
import type { Issue } from '../schema/codec.js'
import type { Json } from '../dsl/MessageHub.js'
import type { SchedulerTrigger } from '../dsl/Services.js'
import { buildParamGroups } from './constructors/index.js'
import type { ModelInfo } from './constructors/index.js'
import * as OW from './WrapperSettings.js'
import type { ParamGroup } from './ParamGroups.js'
import { buildAll, stepAll } from './schedulers/index.js'
import type { Groups, ParamScheduler, StepAllError } from './schedulers/index.js'
import { shared } from './schedulers/sharedSchedules.js'

/** One wrapper's state. */
export interface WrapperSlot {
  readonly groups: OW.WrapperGroups
  readonly schedulers: ReadonlyArray<ParamScheduler>
  /** The wrapper's tensor state, as the interpreter keeps it (`undefined` in the dry run). */
  readonly tensors: unknown
}

/** `State.optim` when an optimizer is configured. `name` is `undefined` for a single `OptimWrapper`. */
export interface OptimState {
  readonly _tag: 'OptimState'
  readonly slots: ReadonlyArray<{ readonly name: string | undefined; readonly slot: WrapperSlot }>
}

/** The optimizer state inside `State.optim`, if there is one. */
export const read = (optim: { readonly [key: string]: unknown }): OptimState | undefined =>
  (optim as unknown as OptimState)._tag === 'OptimState' ? (optim as unknown as OptimState) : undefined

/** Store an optimizer state as `State.optim`. */
export const write = (optim: OptimState): { readonly [key: string]: unknown } =>
  optim as unknown as { readonly [key: string]: unknown }

/**
 * The one place that replaces a wrapper's tensor state (the interpreter's handles), for the single
 * `OptimWrapper` by default; every other part of the state is kept.
 *
 * @example
 * ```ts
 * withTensors(optim, store.externalize(next)) // slot 0's tensors replaced
 * ```
 */
export const withTensors = (optim: OptimState, tensors: unknown, index = 0): OptimState => ({
  ...optim,
  slots: optim.slots.map((s, i) => (i === index ? { ...s, slot: { ...s.slot, tensors } } : s)),
})

/** What the runner knows when it builds the optimizer: the run's length. */
export interface RunLength {
  readonly epochLength: number
  readonly maxEpochs: number
  readonly maxIters: number
}

/** A decoded wrapper and the groups it owns. */
export interface Described {
  readonly settings: OW.WrapperSettings
  readonly state: OptimState
  /** What the constructor reported (which parameter got which multiplier). */
  readonly log: ReadonlyArray<string>
  readonly warnings: ReadonlyArray<string>
}

/**
 * Build the param groups (constructor), decode the wrapper and build the schedulers for
 * one `optim_wrapper` config and a model, as the runner does before training
 * (spec §1.3): groups first, then schedulers, which record `initial_lr`.
 */
export const build = (
  optimWrapper: { readonly [key: string]: Json },
  schedulers: ReadonlyArray<Json>,
  model: ModelInfo,
  length: RunLength,
): E.Either<ReadonlyArray<Issue>, Described> => {
  const constructed = buildParamGroups(optimWrapper as never, model)
  if (constructed._tag === 'Left') return constructed
  const groups: ReadonlyArray<ParamGroup> = constructed.right.groups.map(({ params, ...hyper }) => ({
    names: params,
    hyper,
  }))
  const built = OW.describeWrapper(
    { ...(optimWrapper as unknown as OW.WrapperConfig), optimizer: constructed.right.optimizerCfg },
    groups,
  )
  if (built._tag === 'Left')
    return E.left(
      built.left.map((i) => ({
        path: i.path === '' ? 'optim_wrapper' : `optim_wrapper.${i.path}`,
        message: i.message,
      })),
    )
  const wrapperGroups = built.right.groups
  const scheduled = buildAll(schedulers, OW.scheduledGroups(wrapperGroups), {
    ...length,
    realGroups: wrapperGroups.real.length,
    defaults: built.right.settings.defaults as never,
  })
  if (scheduled._tag === 'Left')
    return E.left(
      scheduled.left.map((i) => ({
        path: `param_scheduler${i.path.startsWith('[') ? '' : '.'}${i.path}`,
        message: i.message,
      })),
    )
  const slot: WrapperSlot = {
    groups: OW.withScheduled(wrapperGroups, scheduled.right.groups as never),
    schedulers: scheduled.right.schedulers,
    tensors: undefined,
  }
  return E.right({
    settings: built.right.settings,
    state: { _tag: 'OptimState', slots: [{ name: undefined, slot }] },
    log: constructed.right.log,
    warnings: constructed.right.warnings,
  })
}

/** A scheduler step that MMEngine would abort with an exception. */
export interface StepFailure {
  readonly wrapper: string | undefined
  readonly index: number
  readonly message: string
}

/** One wrapper's schedulers moved on over its groups, or the step that failed (`stepAll` and the jumps give this). */
export type SchedulerMove = (
  schedulers: ReadonlyArray<ParamScheduler>,
  groups: Groups,
) => E.Either<StepAllError, { readonly schedulers: ReadonlyArray<ParamScheduler>; readonly groups: Groups }>

// The scheduled groups each moved wrapper's groups were written back from (the same values as
// `OW.scheduledGroups` reads from them): moving them on again finds its kinds of group known.
const scheduledOf = new WeakMap<OW.WrapperGroups, Groups>()

/**
 * Every wrapper with schedulers moved by `move` (one step, or many at once in the dry run), its scheduled groups
 * written back; the first failure names its wrapper and scheduler. The move is computed once per kind of group
 * (`sharedSchedules.ts`): hundreds of param-wise groups on one schedule cost what one does.
 */
export const moveSchedulers = (optim: OptimState, move: SchedulerMove): E.Either<StepFailure, OptimState> => {
  const slots: Array<OptimState['slots'][number]> = []
  for (const { name, slot } of optim.slots) {
    if (slot.schedulers.length === 0) {
      slots.push({ name, slot })
      continue
    }
    const scheduled = scheduledOf.get(slot.groups) ?? OW.scheduledGroups(slot.groups)
    const stepped = shared(move)(slot.schedulers, scheduled)
    if (stepped._tag === 'Left')
      return E.left({
        wrapper: name,
        index: stepped.left.index,
        message: `${stepped.left.error}: ${stepped.left.message}`,
      })
    if (stepped.right.schedulers === slot.schedulers && stepped.right.groups === scheduled) {
      slots.push({ name, slot })
      continue
    }
    const groups = OW.withScheduled(slot.groups, stepped.right.groups as never)
    scheduledOf.set(groups, stepped.right.groups)
    slots.push({ name, slot: { ...slot, schedulers: stepped.right.schedulers, groups } })
  }
  return E.right({ ...optim, slots })
}

/** Step every wrapper's schedulers for `trigger` (what `ParamSchedulerHook` does). */
export const stepSchedulers = (optim: OptimState, trigger: SchedulerTrigger): E.Either<StepFailure, OptimState> =>
  moveSchedulers(optim, (schedulers, groups) => stepAll(schedulers, groups, trigger))

/**
 * MMEngine's `optim_wrapper.get_lr()`, flattened to the scalar names
 * `RuntimeInfoHook` logs (`lr`, `base_lr`; `name.lr` for a wrapper dict),
 * each with the value of the first group.
 */
export const learningRates = (optim: OptimState): { readonly [key: string]: number } => {
  const out: { [key: string]: number } = {}
  for (const { name, slot } of optim.slots) {
    for (const [key, values] of Object.entries(OW.learningRates(slot.groups))) {
      const first = values[0]
      if (first !== undefined) out[name === undefined ? key : `${name}.${key}`] = first
    }
  }
  return out
}
