/**
 * `CosineAnnealingLR` / `CosineAnnealingMomentum` /
 * `CosineAnnealingParamScheduler`: half a cosine from the current value down
 * to `eta_min` over `T_max` steps, then up again along the same cosine
 * (spec §12.2). `eta_min_ratio` makes the floor `base_value · ratio` per group.
 * @module
 */
import * as E from 'fp-ts/lib/Either.js'
import { nullable, number, positiveInt } from '../../../schema/codec.js'
import type { FamilyDef } from '../family.js'
import type { CosineAnnealingScheduler } from '../state.js'
import { div, guarded, numbersIn, pyMod } from '../types.js'

const required = {}
const optional = { T_max: nullable(positiveInt), eta_min: nullable(number), eta_min_ratio: nullable(number) }

/** The floor of a group: `eta_min`, or `base_value · eta_min_ratio`. */
export const floorOf = (
  s: { readonly eta_min: number | null; readonly eta_min_ratio: number | null },
  baseValue: number,
): number => (s.eta_min_ratio === null ? (s.eta_min ?? 0) : baseValue * s.eta_min_ratio)

export const CosineAnnealing: FamilyDef<typeof required, typeof optional, CosineAnnealingScheduler> = {
  family: 'CosineAnnealing',
  required,
  optional,
  toIterBased: (a, L) => (a.T_max === undefined || a.T_max === null ? a : { ...a, T_max: a.T_max * L }),
  own: (a, env) => {
    const ratio = a.eta_min_ratio ?? null
    // Both unset: eta_min = 0 (backwards compatibility); both set: an error.
    const etaMin = a.eta_min ?? (ratio === null ? 0 : null)
    if (etaMin !== null && ratio !== null)
      return E.left([{ path: 'eta_min_ratio', message: 'give either eta_min or eta_min_ratio, not both' }])
    // `T_max or (end - begin)`.
    return E.right({
      own: { T_max: a.T_max ?? env.end - env.begin, eta_min: etaMin, eta_min_ratio: ratio },
      groups: env.groups,
    })
  },
  // t=0: x. (t−1−T) mod 2T = 0: x + (b−η)(1−cos(π/T))/2 (the restart of the rising half, from the base value).
  // Otherwise (1+cos(πt/T))/(1+cos(π(t−1)/T))·(x−η) + η.
  value: (s, groups) =>
    guarded(() =>
      E.map((xs: ReadonlyArray<number>) => {
        const t = s.last_step
        const T = s.T_max
        if (t === 0) return xs
        const pairs = xs.slice(0, s.base_values.length)
        if (pyMod(t - 1 - T, 2 * T) === 0) {
          return pairs.map((x, i) => {
            const b = s.base_values[i]!
            return x + ((b - floorOf(s, b)) * (1 - Math.cos(Math.PI / T))) / 2
          })
        }
        const ratio = div(1 + Math.cos((Math.PI * t) / T), 1 + Math.cos((Math.PI * (t - 1)) / T))
        return pairs.map((x, i) => {
          const eta = floorOf(s, s.base_values[i]!)
          return ratio * (x - eta) + eta
        })
      })(numbersIn(groups, s.param_name)),
    ),
  state: { T_max: positiveInt, eta_min: nullable(number), eta_min_ratio: nullable(number) },
}
