/**
 * `ReduceOnPlateauLR` / `ReduceOnPlateauMomentum` /
 * `ReduceOnPlateauParamScheduler`: multiply by `factor` when the monitored
 * validation metric has not improved for more than `patience` validations
 * (spec §12.2).
 *
 * It does not go through the base constructor: no `base_values`, no step at
 * construction, `_global_step` starts at 0. A call without metrics (the
 * end of a train epoch) only counts; a call with metrics (after a
 * validation) judges, inside `[begin, end)` of that count.
 * @module
 */
import * as E from 'fp-ts/lib/Either.js'
import {
  array,
  dispatch,
  int,
  literal,
  nonNegativeInt,
  nonNegativeNumber,
  number,
  refine,
  string,
} from '../../../schema/codec.js'
import type { Issue, StructOf } from '../../../schema/codec.js'
import type { Json } from '../../../dsl/MessageHub.js'
import type { Env } from '../family.js'
import { assign, syncBetas } from '../ParamScheduler.js'
import type { ReduceOnPlateauScheduler, SchedulerBase } from '../state.js'
import { INF, numbersIn, schedulerError } from '../types.js'
import type { Groups, SchedulerError, Stepped } from '../types.js'

/** Validation metrics, by name (`after_val_epoch(metrics)`). */
export type Metrics = { readonly [name: string]: Json }

const belowOne = refine('a number < 1', (u): u is number => typeof u === 'number' && Number.isFinite(u) && u < 1)

const minValue = dispatch('a number or a list of numbers (one per real param group)', [
  [(u) => Array.isArray(u), array(number)],
  [() => true, number],
])

export const required = {}
export const optional = {
  monitor: string,
  rule: literal('less', 'greater'),
  factor: belowOne,
  patience: nonNegativeInt,
  threshold: nonNegativeNumber,
  threshold_rule: literal('rel', 'abs'),
  cooldown: nonNegativeInt,
  min_value: minValue,
  eps: number,
}

export type Args = StructOf<typeof required, typeof optional>

/** Codecs of the own state fields, to decode a saved state dict. */
export const state = {
  monitor: string,
  rule: literal('less', 'greater'),
  factor: belowOne,
  patience: nonNegativeInt,
  threshold: nonNegativeNumber,
  threshold_rule: literal('rel', 'abs'),
  cooldown: nonNegativeInt,
  cooldown_counter: int,
  min_values: array(number),
  eps: number,
  best: number,
  rule_worse: number,
  num_bad_epochs: int,
}

/**
 * The own fields. A `min_value` list has one entry per *real* group; with a
 * wrapper's base group it is extended by repeating its last entry.
 */
export const own = (
  a: Args,
  env: Env,
): E.Either<ReadonlyArray<Issue>, Omit<ReduceOnPlateauScheduler, keyof SchedulerBase>> => {
  const real = env.context.realGroups ?? env.groups.length
  const min = a.min_value ?? 0
  let minValues: ReadonlyArray<number>
  if (typeof min === 'number') minValues = env.groups.map(() => min)
  else {
    if (min.length !== real)
      return E.left([{ path: 'min_value', message: `expected ${real} min_lrs, got ${min.length}` }])
    minValues = real < env.groups.length && min.length > 0 ? [...min, min[min.length - 1]!] : min
  }
  const rule = a.rule ?? 'less'
  const worse = rule === 'less' ? INF : -INF
  return E.right({
    monitor: a.monitor ?? 'loss',
    rule,
    factor: a.factor ?? 0.1,
    patience: a.patience ?? 10,
    threshold: a.threshold ?? 1e-4,
    threshold_rule: a.threshold_rule ?? 'rel',
    cooldown: a.cooldown ?? 0,
    cooldown_counter: 0,
    min_values: minValues,
    eps: a.eps ?? 1e-8,
    best: worse,
    rule_worse: worse,
    num_bad_epochs: 0,
  })
}

/** `_is_better(a, best)`, with the thresholds computed as MMEngine computes them. */
export const isBetter = (
  s: Pick<ReduceOnPlateauScheduler, 'rule' | 'threshold_rule' | 'threshold'>,
  a: number,
  best: number,
): boolean => {
  if (s.rule === 'less' && s.threshold_rule === 'rel') return a < best * (1 - s.threshold)
  if (s.rule === 'less') return a < best - s.threshold
  if (s.threshold_rule === 'rel') return a > best * (s.threshold + 1)
  return a > best + s.threshold
}

const judged = (
  s: ReduceOnPlateauScheduler,
  groups: Groups,
  metrics: Metrics,
): E.Either<SchedulerError, Stepped<ReduceOnPlateauScheduler>> => {
  const metric = Object.hasOwn(metrics, s.monitor) ? metrics[s.monitor] : undefined
  if (metric === undefined || metric === null)
    return E.left(
      schedulerError(
        'KeyError',
        `Excepted key in ${JSON.stringify(Object.keys(metrics))}, but got key ${s.monitor} is not in dict`,
      ),
    )
  if (typeof metric !== 'number')
    return E.left(schedulerError('TypeError', `metric '${s.monitor}' must be a number, got ${JSON.stringify(metric)}`))
  let next: ReduceOnPlateauScheduler = { ...s, last_step: s.last_step + 1 }
  next = isBetter(next, metric, next.best)
    ? { ...next, best: metric, num_bad_epochs: 0 }
    : { ...next, num_bad_epochs: next.num_bad_epochs + 1 }
  // Bad epochs during a cooldown do not count.
  if (next.cooldown_counter > 0) next = { ...next, cooldown_counter: next.cooldown_counter - 1, num_bad_epochs: 0 }
  if (next.num_bad_epochs <= next.patience) return E.right({ scheduler: next, groups })
  const current = numbersIn(groups, s.param_name)
  if (current._tag === 'Left') return current
  // new = max(x·factor, min); applied only when it lowers x by more than eps.
  const values = current.right.slice(0, s.min_values.length).map((x, i) => {
    const v = x * s.factor
    const min = s.min_values[i]!
    // biome-ignore lint/complexity/useMathMinMax: Python's max(v, min): v unless min > v (NaN as PyTorch has it)
    return min > v ? min : v
  })
  const kept = values.map((v, i) => (current.right[i]! - v > s.eps ? v : current.right[i]!))
  return E.right({
    scheduler: { ...next, cooldown_counter: next.cooldown, num_bad_epochs: 0 },
    groups: assign(groups, s.param_name, kept),
  })
}

/**
 * `step(metrics=None)`: without metrics only `_global_step += 1`; with them,
 * inside `[begin, end)`, judge the monitored metric.
 */
export const step = (
  s: ReduceOnPlateauScheduler,
  groups: Groups,
  metrics?: Metrics,
): E.Either<SchedulerError, Stepped<ReduceOnPlateauScheduler>> => {
  let stepped: E.Either<SchedulerError, Stepped<ReduceOnPlateauScheduler>>
  if (metrics === undefined) stepped = E.right({ scheduler: { ...s, _global_step: s._global_step + 1 }, groups })
  else {
    const inRange = s.begin <= s._global_step && s._global_step < s.end
    const done = inRange ? judged(s, groups, metrics) : E.right({ scheduler: s, groups })
    if (done._tag === 'Left') return done
    const last = numbersIn(done.right.groups, s.param_name)
    if (last._tag === 'Left') return last
    stepped = E.right({ scheduler: { ...done.right.scheduler, _last_value: last.right }, groups: done.right.groups })
  }
  if (s.use_betas !== true || stepped._tag === 'Left') return stepped
  const { scheduler } = stepped.right
  return E.map((synced: Groups) => ({ scheduler, groups: synced }))(syncBetas(stepped.right.groups))
}
