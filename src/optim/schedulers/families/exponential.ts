/**
 * `ExponentialLR` / `ExponentialMomentum` / `ExponentialParamScheduler`:
 * multiply by `gamma` at every step after the first (spec §12.2).
 * @module
 */
import * as E from 'fp-ts/lib/Either.js'
import { number } from '../../../schema/codec.js'
import type { FamilyDef } from '../family.js'
import type { ExponentialScheduler } from '../state.js'
import { numbersIn } from '../types.js'

const required = { gamma: number }
const optional = {}

export const Exponential: FamilyDef<typeof required, typeof optional, ExponentialScheduler> = {
  family: 'Exponential',
  required,
  optional,
  toIterBased: (a) => a,
  own: (a, env) => E.right({ own: { gamma: a.gamma }, groups: env.groups }),
  value: (s, groups) =>
    E.map((xs: ReadonlyArray<number>) => (s.last_step === 0 ? xs : xs.map((x) => x * s.gamma)))(
      numbersIn(groups, s.param_name),
    ),
  state: { gamma: number },
}
