/**
 * A scheduler is its state: the JSON value MMEngine's `state_dict()` returns
 * (`__dict__` minus `optimizer`), with MMEngine's attribute names, plus the
 * registered `type` so that the value says what it is.
 *
 * Two deliberate departures from the pickled `__dict__`: OneCycle keeps
 * `anneal_strategy` (a string) instead of the bound `anneal_func`, and
 * MultiStep's `Counter` is a dict from milestone (as a string key) to count.
 * @module
 */
import type { Family, NameOf, SchedulerType } from './catalogue.js'

/** The fields `_ParamScheduler.__init__` sets, common to the whole catalogue. */
export interface SchedulerBase<T extends SchedulerType = SchedulerType> {
  readonly type: T
  readonly param_name: string
  readonly begin: number
  readonly end: number
  readonly by_epoch: boolean
  /** Steps taken inside `[begin, end)`, minus one: the `t` of the formulas. */
  readonly last_step: number
  /** Steps taken in total, minus one (ReduceOnPlateau: calls without metrics). */
  readonly _global_step: number
  readonly verbose: boolean
  /** `get_last_value()`: the group values after the latest step. */
  readonly _last_value: ReadonlyArray<number>
  /** Momentum schedulers only: whether the groups are Adam's (`betas[0]` mirrors `momentum`). */
  readonly use_betas?: boolean
}

/** Schedulers that go through the base constructor (all but ReduceOnPlateau) also record `base_values`. */
export interface ChainableBase<T extends SchedulerType> extends SchedulerBase<T> {
  /** `[group['initial_' + param_name] for group in groups]` at construction. */
  readonly base_values: ReadonlyArray<number>
}

export interface StepScheduler extends ChainableBase<NameOf<'Step'>> {
  readonly step_size: number
  readonly gamma: number
}

export interface MultiStepScheduler extends ChainableBase<NameOf<'MultiStep'>> {
  /** `Counter(milestones)`: milestone → how many times it was listed. */
  readonly milestones: { readonly [milestone: string]: number }
  readonly gamma: number
}

export interface ConstantScheduler extends ChainableBase<NameOf<'Constant'>> {
  readonly factor: number
  /** `end − begin − 1`. */
  readonly total_iters: number
}

export interface ExponentialScheduler extends ChainableBase<NameOf<'Exponential'>> {
  readonly gamma: number
}

export interface LinearScheduler extends ChainableBase<NameOf<'Linear'>> {
  readonly start_factor: number
  readonly end_factor: number
  /** `end − begin − 1`. */
  readonly total_iters: number
}

export interface CosineAnnealingScheduler extends ChainableBase<NameOf<'CosineAnnealing'>> {
  readonly T_max: number
  /** `null` when `eta_min_ratio` is given. */
  readonly eta_min: number | null
  readonly eta_min_ratio: number | null
}

export interface PolyScheduler extends ChainableBase<NameOf<'Poly'>> {
  readonly eta_min: number
  readonly power: number
  /** `end − begin − 1`. */
  readonly total_iters: number
}

export interface CosineRestartScheduler extends ChainableBase<NameOf<'CosineRestart'>> {
  readonly periods: ReadonlyArray<number>
  readonly restart_weights: ReadonlyArray<number>
  readonly eta_min: number | null
  readonly eta_min_ratio: number | null
  readonly cumulative_periods: ReadonlyArray<number>
}

/** One OneCycle phase: it ends at `end_step` and anneals from group[`start_lr`] to group[`end_lr`]. */
export interface OneCyclePhase {
  readonly end_step: number
  readonly start_lr: string
  readonly end_lr: string
}

export interface OneCycleScheduler extends ChainableBase<NameOf<'OneCycle'>> {
  readonly eta_max: number | ReadonlyArray<number>
  readonly total_steps: number
  readonly div_factor: number
  readonly final_div_factor: number
  readonly anneal_strategy: 'cos' | 'linear'
  readonly _schedule_phases: ReadonlyArray<OneCyclePhase>
}

export interface ReduceOnPlateauScheduler extends SchedulerBase<NameOf<'ReduceOnPlateau'>> {
  readonly monitor: string
  readonly rule: 'less' | 'greater'
  readonly factor: number
  readonly patience: number
  readonly threshold: number
  readonly threshold_rule: 'rel' | 'abs'
  readonly cooldown: number
  readonly cooldown_counter: number
  /** One lower bound per group (the base group's is the last real group's). */
  readonly min_values: ReadonlyArray<number>
  readonly eps: number
  /** The best metric so far; starts at `rule_worse`. */
  readonly best: number
  /** `INF` for `less`, `−INF` for `greater` (MMEngine's `int(1e9)`, not infinity). */
  readonly rule_worse: number
  readonly num_bad_epochs: number
}

/** The scheduler state of each family. */
export interface ByFamily {
  readonly Constant: ConstantScheduler
  readonly CosineAnnealing: CosineAnnealingScheduler
  readonly Exponential: ExponentialScheduler
  readonly Linear: LinearScheduler
  readonly MultiStep: MultiStepScheduler
  readonly Step: StepScheduler
  readonly Poly: PolyScheduler
  readonly OneCycle: OneCycleScheduler
  readonly CosineRestart: CosineRestartScheduler
  readonly ReduceOnPlateau: ReduceOnPlateauScheduler
}

/** The families whose schedulers recompute the value at every in-range step. */
export type ChainableFamily = Exclude<Family, 'ReduceOnPlateau'>

export type ChainableScheduler = ByFamily[ChainableFamily]

/** Any scheduler of the catalogue: an immutable, JSON-serialisable value. */
export type ParamScheduler = ByFamily[Family]
