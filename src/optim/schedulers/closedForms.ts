/**
 * The closed forms of the schedules (spec §12.2, "closed form when alone"):
 * the value at in-range step `t` (= `last_step`, counted from `begin`) of a
 * scheduler acting alone on a group whose value was `x0` just before its
 * first in-range step. They are *not* how the schedulers compute (that is
 * the recursive rule, for bit-exactness with MMEngine); they serve tests,
 * laws and fast plotting. They agree with the recursion up to rounding.
 * @module
 */
import { anneal } from './families/oneCycle.js'

/** Step: `x₀·γ^⌊t/step_size⌋`. @example `stepAt(0.05, 3, { step_size: 3, gamma: 0.1 }) // ≈ 0.005` */
export const stepAt = (x0: number, t: number, a: { readonly step_size: number; readonly gamma: number }): number =>
  x0 * a.gamma ** Math.floor(t / a.step_size)

/** MultiStep: `x₀·γ^(number of milestones ≤ t, repeats counted)`. */
export const multiStepAt = (
  x0: number,
  t: number,
  a: { readonly milestones: ReadonlyArray<number>; readonly gamma: number },
): number => x0 * a.gamma ** a.milestones.filter((m) => m <= t).length

/**
 * Constant: `factor·x₀` for `t < total_iters` (= end−begin−1), then `x₀`.
 * With `total_iters = 0` the only in-range step is t=0 and the factor is never undone.
 */
export const constantAt = (
  x0: number,
  t: number,
  a: { readonly factor: number; readonly total_iters: number },
): number => (t === 0 || t < a.total_iters ? a.factor * x0 : x0)

/** Exponential: `x₀·γ^t`. */
export const exponentialAt = (x0: number, t: number, a: { readonly gamma: number }): number => x0 * a.gamma ** t

/** Linear: `x₀·(start + (end−start)·min(t,T)/T)` with T = end−begin−1 (`x₀·start` when T = 0). */
export const linearAt = (
  x0: number,
  t: number,
  a: { readonly start_factor: number; readonly end_factor: number; readonly total_iters: number },
): number => {
  const T = a.total_iters
  if (T === 0) return x0 * a.start_factor
  return x0 * (a.start_factor + ((a.end_factor - a.start_factor) * Math.min(t, T)) / T)
}

/**
 * CosineAnnealing: `η + (x₀−η)(1+cos(πt/T))/2`, rising again past T. Beyond
 * T the recursion restarts from the base value, so there this holds only
 * when `x₀ = b`. `eta_min` here is the group's floor (`b·eta_min_ratio` for a ratio).
 */
export const cosineAnnealingAt = (
  x0: number,
  t: number,
  a: { readonly T_max: number; readonly eta_min: number },
): number => a.eta_min + ((x0 - a.eta_min) * (1 + Math.cos((Math.PI * t) / a.T_max))) / 2

/** Poly: `η + (x₀−η)(1 − t/T)^power` with T = end−begin−1 (`x₀` when T = 0). */
export const polyAt = (
  x0: number,
  t: number,
  a: { readonly eta_min: number; readonly power: number; readonly total_iters: number },
): number => {
  const T = a.total_iters
  if (T === 0) return x0
  return a.eta_min + (x0 - a.eta_min) * (1 - t / T) ** a.power
}

/**
 * CosineRestart: `η + (b·w − η)(1+cos(πs/P))/2` at offset `s` of the period
 * containing t; past the last period the value of its last step (never η);
 * with no periods at all, `x₀`. `b` is the group's base value.
 */
export const cosineRestartAt = (
  x0: number,
  b: number,
  t: number,
  a: {
    readonly periods: ReadonlyArray<number>
    readonly restart_weights: ReadonlyArray<number>
    readonly eta_min: number
  },
): number => {
  if (a.periods.length === 0) return x0
  let start = 0
  for (let i = 0; i < a.periods.length; i++) {
    const P = a.periods[i]!
    const last = i === a.periods.length - 1
    if (t < start + P || last) {
      const s = Math.min(t - start, P - 1)
      return a.eta_min + ((b * a.restart_weights[i]! - a.eta_min) * (1 + Math.cos((Math.PI * s) / P))) / 2
    }
    start += P
  }
  return x0
}

/**
 * OneCycle (absolute, not chainable): from `eta_max/div_factor` up to
 * `eta_max` by step `pct·N − 1`, then down to `initial/final_div_factor`
 * at `N − 1` (three-phase: back to initial at `2·pct·N − 2` first).
 */
export const oneCycleAt = (
  t: number,
  a: {
    readonly eta_max: number
    readonly total_steps: number
    readonly pct_start: number
    readonly anneal_strategy: 'cos' | 'linear'
    readonly div_factor: number
    readonly final_div_factor: number
    readonly three_phase: boolean
  },
): number => {
  const initial = a.eta_max / a.div_factor
  const min = initial / a.final_div_factor
  const up = a.pct_start * a.total_steps - 1
  const last = a.total_steps - 1
  if (t <= up) return anneal(a.anneal_strategy, initial, a.eta_max, t / up)
  if (!a.three_phase) return anneal(a.anneal_strategy, a.eta_max, min, (t - up) / (last - up))
  const down = 2 * a.pct_start * a.total_steps - 2
  if (t <= down) return anneal(a.anneal_strategy, a.eta_max, initial, (t - up) / (down - up))
  return anneal(a.anneal_strategy, initial, min, (t - down) / (last - down))
}
