/**
 * `LinearLR` / `LinearMomentum` / `LinearParamScheduler`: the factor moves
 * linearly from `start_factor` to `end_factor`, reached at the last in-range
 * step t = `end − begin − 1` (spec §12.2, §15 item 20).
 * @module
 */
import * as E from 'fp-ts/lib/Either.js'
import { int, unitInterval } from '../../../schema/codec.js'
import type { FamilyDef } from '../family.js'
import type { LinearScheduler } from '../state.js'
import { div, guarded, numbersIn } from '../types.js'

const required = {}
const optional = { start_factor: unitInterval, end_factor: unitInterval }

export const Linear: FamilyDef<typeof required, typeof optional, LinearScheduler> = {
  family: 'Linear',
  required,
  optional,
  toIterBased: (a) => a,
  own: (a, env) =>
    E.right({
      own: {
        start_factor: a.start_factor ?? 1.0 / 3,
        end_factor: a.end_factor ?? 1.0,
        total_iters: env.end - env.begin - 1,
      },
      groups: env.groups,
    }),
  // t=0: x·start; otherwise x·(1 + (end−start)/(T·start + (t−1)·(end−start))), the ratio of consecutive closed-form
  // factors.
  value: (s, groups) =>
    guarded(() =>
      E.map((xs: ReadonlyArray<number>) => {
        if (s.last_step === 0) return xs.map((x) => x * s.start_factor)
        const delta = s.end_factor - s.start_factor
        const ratio = 1 + div(delta, s.total_iters * s.start_factor + (s.last_step - 1) * delta)
        return xs.map((x) => x * ratio)
      })(numbersIn(groups, s.param_name)),
    ),
  state: { start_factor: unitInterval, end_factor: unitInterval, total_iters: int },
}
