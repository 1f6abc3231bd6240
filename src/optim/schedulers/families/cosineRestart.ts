/**
 * `CosineRestartLR` / `CosineRestartMomentum` / `CosineRestartParamScheduler`:
 * cosine annealing restarted at the start of every period, from
 * `base_value · restart_weight` (spec §12.2). After the last period the value
 * is left as it is.
 * @module
 */
import * as E from 'fp-ts/lib/Either.js'
import { array, nullable, number, positiveInt } from '../../../schema/codec.js'
import type { Issue } from '../../../schema/codec.js'
import type { FamilyDef } from '../family.js'
import type { CosineRestartScheduler } from '../state.js'
import { div, guarded, numbersIn } from '../types.js'
import { floorOf } from './cosineAnnealing.js'

const required = { periods: array(positiveInt) }
const optional = { restart_weights: array(number), eta_min: nullable(number), eta_min_ratio: nullable(number) }

/** `[sum(periods[:i+1]) for i in range(len(periods))]`. */
export const cumulative = (periods: ReadonlyArray<number>): ReadonlyArray<number> => {
  let sum = 0
  return periods.map((p) => (sum += p))
}

/** The index of the first cumulative period greater than `t`, or `undefined` past the last one. */
export const positionOf = (t: number, cumulativePeriods: ReadonlyArray<number>): number | undefined => {
  const i = cumulativePeriods.findIndex((c) => t < c)
  return i < 0 ? undefined : i
}

export const CosineRestart: FamilyDef<typeof required, typeof optional, CosineRestartScheduler> = {
  family: 'CosineRestart',
  required,
  optional,
  toIterBased: (a, L) => ({ ...a, periods: a.periods.map((p) => p * L) }),
  own: (a, env) => {
    const etaMin = a.eta_min ?? null
    const ratio = a.eta_min_ratio ?? null
    const weights = a.restart_weights ?? [1]
    const issues: Issue[] = []
    // Unlike CosineAnnealing there is no default: exactly one must be given.
    if ((etaMin === null) === (ratio === null))
      issues.push({ path: 'eta_min', message: 'give exactly one of eta_min and eta_min_ratio' })
    if (weights.length !== a.periods.length)
      issues.push({
        path: 'restart_weights',
        message: `periods and restart_weights should have the same length (${a.periods.length} ≠ ${weights.length})`,
      })
    if (issues.length > 0) return E.left(issues)
    return E.right({
      own: {
        periods: a.periods,
        restart_weights: weights,
        eta_min: etaMin,
        eta_min_ratio: ratio,
        cumulative_periods: cumulative(a.periods),
      },
      groups: env.groups,
    })
  },
  // In period idx at offset s: s=0 gives b·w; otherwise (1+cos(πs/P))/(1+cos(π(s−1)/P))·(x−η) + η.
  value: (s, groups) =>
    guarded(() =>
      E.map((xs: ReadonlyArray<number>) => {
        const idx = positionOf(s.last_step, s.cumulative_periods)
        if (idx === undefined) return xs
        const weight = s.restart_weights[idx]!
        const nearestRestart = idx === 0 ? 0 : s.cumulative_periods[idx - 1]!
        const period = s.periods[idx]!
        const offset = s.last_step - nearestRestart
        return xs.slice(0, s.base_values.length).map((x, i) => {
          const b = s.base_values[i]!
          const etaMax = b * weight
          const eta = floorOf(s, b)
          if (offset === 0) return etaMax
          return (
            div(1 + Math.cos((Math.PI * offset) / period), 1 + Math.cos((Math.PI * (offset - 1)) / period)) *
              (x - eta) +
            eta
          )
        })
      })(numbersIn(groups, s.param_name)),
    ),
  state: {
    periods: array(positiveInt),
    restart_weights: array(number),
    eta_min: nullable(number),
    eta_min_ratio: nullable(number),
    cumulative_periods: array(positiveInt),
  },
}
