/**
 * `ConstantLR` / `ConstantMomentum` / `ConstantParamScheduler`: multiply by
 * `factor` at t=0 and divide it out at t = `end − begin − 1` — so the factor
 * lasts `end − begin − 1` steps, not `end − begin` (spec §12.2, §15 item 20).
 * @module
 */
import * as E from 'fp-ts/lib/Either.js'
import { int, unitInterval } from '../../../schema/codec.js'
import type { FamilyDef } from '../family.js'
import type { ConstantScheduler } from '../state.js'
import { div, guarded, numbersIn } from '../types.js'

const required = {}
const optional = { factor: unitInterval }

export const Constant: FamilyDef<typeof required, typeof optional, ConstantScheduler> = {
  family: 'Constant',
  required,
  optional,
  toIterBased: (a) => a,
  own: (a, env) =>
    E.right({ own: { factor: a.factor ?? 1.0 / 3, total_iters: env.end - env.begin - 1 }, groups: env.groups }),
  // t=0: x·factor; t = total_iters: x·(1.0/factor) (MMEngine multiplies by the reciprocal); otherwise x.
  value: (s, groups) =>
    guarded(() =>
      E.map((xs: ReadonlyArray<number>) => {
        const t = s.last_step
        if (t === 0) return xs.map((x) => x * s.factor)
        if (t !== s.total_iters) return xs
        const inverse = div(1.0, s.factor)
        return xs.map((x) => x * inverse)
      })(numbersIn(groups, s.param_name)),
    ),
  state: { factor: unitInterval, total_iters: int },
}
