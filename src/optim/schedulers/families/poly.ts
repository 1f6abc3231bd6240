/**
 * `PolyLR` / `PolyMomentum` / `PolyParamScheduler`: polynomial decay to
 * `eta_min`, reached at t = `end − begin − 1` (spec §12.2).
 * @module
 */
import * as E from 'fp-ts/lib/Either.js'
import { int, number } from '../../../schema/codec.js'
import type { FamilyDef } from '../family.js'
import type { PolyScheduler } from '../state.js'
import { div, guarded, numbersIn, pow } from '../types.js'

const required = {}
const optional = { eta_min: number, power: number }

export const Poly: FamilyDef<typeof required, typeof optional, PolyScheduler> = {
  family: 'Poly',
  required,
  optional,
  toIterBased: (a) => a,
  own: (a, env) =>
    E.right({
      own: { eta_min: a.eta_min ?? 0, power: a.power ?? 1.0, total_iters: env.end - env.begin - 1 },
      groups: env.groups,
    }),
  // t=0: x; otherwise (x−η)·(1 − 1/(T−t+1))^p + η.
  value: (s, groups) =>
    guarded(() =>
      E.map((xs: ReadonlyArray<number>) => {
        if (s.last_step === 0) return xs
        const factor = pow(1 - div(1, s.total_iters - s.last_step + 1), s.power)
        return xs.map((x) => (x - s.eta_min) * factor + s.eta_min)
      })(numbersIn(groups, s.param_name)),
    ),
  state: { eta_min: number, power: number, total_iters: int },
}
