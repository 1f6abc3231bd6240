/**
 * Many `AfterTrainIter` steps at once: what `ParamSchedulerHook` does over
 * `count` iterations, at a cost that follows the schedules' breakpoints, not
 * the iteration count (the dry run plans a million iterations this way).
 *
 * Between breakpoints — a scheduler entering or leaving its `[begin, end)`, a
 * family's special step (the first one, a milestone, a cosine restart) — the
 * recursive rule telescopes: Linear, CosineAnnealing, Poly and Exponential
 * have products in closed form, Step, MultiStep and Constant leave the value
 * alone. A stretch of regular steps is jumped over but for its last step, and
 * every special step and every last step is taken exactly (so `_last_value`
 * and Adam's `betas` are as the recursion leaves them). Telescoped values
 * agree with the recursion to rounding (a few ulps), as the closed forms do.
 * Where two schedulers move one parameter at the same time, or a family has
 * no closed form here (OneCycle, CosineRestart, ReduceOnPlateau by
 * iteration), the steps are taken one by one.
 * @module
 */
import * as E from 'fp-ts/lib/Either.js'
import { familyOf } from './catalogue.js'
import { assign } from './ParamScheduler.js'
import type { ChainableScheduler, ParamScheduler } from './state.js'
import { isSelected, stepAll } from './stepping.js'
import type { StepAllError } from './stepping.js'
import { floorOf } from './families/cosineAnnealing.js'
import { numbersIn, pyMod } from './types.js'
import type { Groups } from './types.js'

type Schedulers = ReadonlyArray<ParamScheduler>
type Walked = { readonly schedulers: Schedulers; readonly groups: Groups }

const afterIter = { _tag: 'AfterTrainIter' } as const

/** Families whose regular steps this module can jump over. */
const jumpable = new Set(['Linear', 'CosineAnnealing', 'Poly', 'Exponential', 'Step', 'MultiStep', 'Constant'])

/** The next `last_step` value ≥ `t` at which the family's step is special (not telescoped), or Infinity. */
const nextSpecial = (s: ChainableScheduler, t: number): number => {
  if (t <= 0) return 0
  switch (familyOf(s.type)) {
    case 'CosineAnnealing': {
      // Restarts at t with (t − 1 − T) mod 2T = 0.
      const T = (s as { readonly T_max: number }).T_max
      return t + pyMod(T + 1 - t, 2 * T)
    }
    case 'MultiStep':
      return Math.min(
        Infinity,
        ...Object.keys((s as { readonly milestones: object }).milestones)
          .map(Number)
          .filter((m) => m >= t),
      )
    case 'Step': {
      const size = (s as { readonly step_size: number }).step_size
      return Math.ceil(t / size) * size
    }
    case 'Constant': {
      const total = (s as { readonly total_iters: number }).total_iters
      return total >= t ? total : Infinity
    }
    default:
      return Infinity
  }
}

/** The group values of a scheduler's param after its regular steps `t0 + 1 … t1` (telescoped). */
const telescoped = (s: ChainableScheduler, xs: ReadonlyArray<number>, t0: number, t1: number): number[] => {
  switch (familyOf(s.type)) {
    case 'Linear': {
      const a = s as unknown as { readonly start_factor: number; readonly end_factor: number; total_iters: number }
      const delta = a.end_factor - a.start_factor
      const at = (t: number) => a.total_iters * a.start_factor + t * delta
      return xs.map((x) => (x * at(t1)) / at(t0))
    }
    case 'CosineAnnealing': {
      const T = (s as { readonly T_max: number }).T_max
      const c = (t: number) => 1 + Math.cos((Math.PI * t) / T)
      return xs.slice(0, s.base_values.length).map((x, i) => {
        const eta = floorOf(s as never, s.base_values[i]!)
        return ((x - eta) * c(t1)) / c(t0) + eta
      })
    }
    case 'Poly': {
      const a = s as unknown as { readonly eta_min: number; readonly power: number; readonly total_iters: number }
      const factor = ((a.total_iters - t1) / (a.total_iters - t0)) ** a.power
      return xs.map((x) => (x - a.eta_min) * factor + a.eta_min)
    }
    case 'Exponential': {
      const gamma = (s as { readonly gamma: number }).gamma
      return xs.map((x) => x * gamma ** (t1 - t0))
    }
    default:
      return [...xs]
  }
}

/**
 * The schedulers and groups after `count` `AfterTrainIter` steps, or the failure MMEngine would raise (the
 * same as `count` calls of `stepAll`).
 */
export const stepIterations = (schedulers: Schedulers, groups: Groups, count: number): E.Either<StepAllError, Walked> =>
  stepMany(schedulers, groups, count, afterIter)

/**
 * The schedulers and groups after `count` steps on `trigger` (`AfterTrainIter` or `AfterTrainEpoch`: the
 * by-epoch schedulers jump over whole epochs the same way), or the failure MMEngine would raise.
 */
export const stepMany = (
  schedulers: Schedulers,
  groups: Groups,
  count: number,
  trigger: { readonly _tag: 'AfterTrainIter' } | { readonly _tag: 'AfterTrainEpoch' },
): E.Either<StepAllError, Walked> => {
  let state: Walked = { schedulers, groups }
  let left = count
  const exactly = (n: number): E.Either<StepAllError, Walked> => {
    for (let k = 0; k < n; k++) {
      const r = stepAll(state.schedulers, state.groups, trigger)
      if (r._tag === 'Left') return r
      state = r.right
    }
    return E.right(state)
  }
  while (left > 0) {
    const selected = state.schedulers.filter((s) => isSelected(s, trigger))
    if (selected.length === 0) return E.right(state)
    // Steps (1-based from here) at which some scheduler's regime changes.
    let event = Infinity
    let slow = false
    const active: ChainableScheduler[] = []
    for (const s of selected) {
      if (!jumpable.has(familyOf(s.type))) slow = true
      const c = s as ChainableScheduler
      const g = c._global_step + 1
      if (g < c.begin) event = Math.min(event, c.begin - c._global_step)
      else if (g < c.end) {
        active.push(c)
        event = Math.min(event, c.end - c._global_step, nextSpecial(c, c.last_step + 1) - c.last_step)
      }
    }
    const params = active.map((s) => s.param_name)
    if (slow || new Set(params).size < params.length) return exactly(left)
    const regular = Math.min(left, event - 1)
    if (regular <= 1) {
      const r = exactly(1)
      if (r._tag === 'Left') return r
      left -= 1
      continue
    }
    // All but the last regular step in closed form; the last one exactly.
    const jumped = regular - 1
    let out = state.groups
    for (const s of active) {
      const xs = numbersIn(out, s.param_name)
      if (xs._tag === 'Left') return exactly(left)
      out = assign(out, s.param_name, telescoped(s, xs.right, s.last_step, s.last_step + jumped))
    }
    state = {
      groups: out,
      schedulers: state.schedulers.map((s) => {
        if (!isSelected(s, trigger)) return s
        const inRange = active.includes(s as ChainableScheduler)
        return { ...s, _global_step: s._global_step + jumped, ...(inRange ? { last_step: s.last_step + jumped } : {}) }
      }),
    }
    const r = exactly(1)
    if (r._tag === 'Left') return r
    left -= regular
  }
  return E.right(state)
}

const afterEpoch = { _tag: 'AfterTrainEpoch' } as const

/** Does any of these schedulers move a value during its next `count` steps (a step inside `[begin, end)`)? */
const movesWithin = (schedulers: Schedulers, byEpoch: boolean, count: number): boolean =>
  schedulers.some((s) => {
    if (s.by_epoch !== byEpoch) return false
    const c = s as ChainableScheduler
    // ReduceOnPlateau has no range: it may move at any step.
    return c.begin === undefined || (c._global_step + 1 < c.end && c._global_step + count >= c.begin)
  })

/**
 * The schedulers and groups after `epochs` whole epochs of `batches` iterations, as `ParamSchedulerHook` steps
 * them: after every iteration the iteration-based schedulers, after every epoch the epoch-based ones. When only
 * one kind moves a value in the stretch, each kind is jumped over at once (the other only counts its steps), its
 * last steps taken in the walk's order so that `_last_value` is what the walk leaves; while both move, epoch by
 * epoch.
 */
export const stepEpochs = (
  schedulers: Schedulers,
  groups: Groups,
  epochs: number,
  batches: number,
): E.Either<StepAllError, Walked> => {
  let state: Walked = { schedulers, groups }
  let left = epochs
  while (left > 0) {
    const iterMoves = movesWithin(state.schedulers, false, left * batches)
    const both = iterMoves && movesWithin(state.schedulers, true, left)
    const steps: ReadonlyArray<readonly [number, typeof afterIter | typeof afterEpoch]> = both
      ? [
          [batches, afterIter],
          [1, afterEpoch],
        ]
      : iterMoves
        ? [
            [left * batches, afterIter],
            [left, afterEpoch],
          ]
        : [
            [left - 1, afterEpoch],
            [left * batches, afterIter],
            [1, afterEpoch],
          ]
    for (const [count, trigger] of steps) {
      if (count <= 0) continue
      const r = stepMany(state.schedulers, state.groups, count, trigger)
      if (r._tag === 'Left') return r
      state = r.right
    }
    left = both ? left - 1 : 0
  }
  return E.right(state)
}
