/**
 * `StepLR` / `StepMomentum` / `StepParamScheduler`: multiply by `gamma`
 * every `step_size` steps (spec §12.2).
 * @module
 */
import * as E from 'fp-ts/lib/Either.js'
import { number, positiveInt } from '../../../schema/codec.js'
import type { FamilyDef } from '../family.js'
import type { StepScheduler } from '../state.js'
import { numbersIn, pyMod } from '../types.js'

const required = { step_size: positiveInt }
const optional = { gamma: number }

export const Step: FamilyDef<typeof required, typeof optional, StepScheduler> = {
  family: 'Step',
  required,
  optional,
  toIterBased: (a, L) => ({ ...a, step_size: a.step_size * L }),
  own: (a, env) => E.right({ own: { step_size: a.step_size, gamma: a.gamma ?? 0.1 }, groups: env.groups }),
  // t=0 or t % step_size ≠ 0: x; otherwise x·γ.
  value: (s, groups) =>
    E.map((xs: ReadonlyArray<number>) =>
      s.last_step === 0 || pyMod(s.last_step, s.step_size) !== 0 ? xs : xs.map((x) => x * s.gamma),
    )(numbersIn(groups, s.param_name)),
  state: { step_size: positiveInt, gamma: number },
}
