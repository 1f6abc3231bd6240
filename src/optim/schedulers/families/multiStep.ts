/**
 * `MultiStepLR` / `MultiStepMomentum` / `MultiStepParamScheduler`: multiply
 * by `gamma` at each milestone. The milestones are a `Counter`, so a
 * milestone listed twice multiplies by `gamma ** 2` (spec §12.2).
 * @module
 */
import * as E from 'fp-ts/lib/Either.js'
import { array, nonNegativeInt, number, positiveInt, record } from '../../../schema/codec.js'
import type { FamilyDef } from '../family.js'
import type { MultiStepScheduler } from '../state.js'
import { numbersIn } from '../types.js'

const required = { milestones: array(nonNegativeInt) }
const optional = { gamma: number }

/** `collections.Counter(milestones)`, keyed by the milestone's decimal string. */
export const counter = (milestones: ReadonlyArray<number>): { readonly [milestone: string]: number } => {
  const counts: { [milestone: string]: number } = {}
  for (const m of milestones) counts[String(m)] = (counts[String(m)] ?? 0) + 1
  return counts
}

export const MultiStep: FamilyDef<typeof required, typeof optional, MultiStepScheduler> = {
  family: 'MultiStep',
  required,
  optional,
  toIterBased: (a, L) => ({ ...a, milestones: a.milestones.map((m) => m * L) }),
  own: (a, env) => E.right({ own: { milestones: counter(a.milestones), gamma: a.gamma ?? 0.1 }, groups: env.groups }),
  // x·γ^count(t) at a milestone, x elsewhere (Python's float ** int is C pow, as Math.pow).
  value: (s, groups) => {
    const key = String(s.last_step)
    const count = Object.hasOwn(s.milestones, key) ? s.milestones[key] : undefined
    return E.map((xs: ReadonlyArray<number>) => (count === undefined ? xs : xs.map((x) => x * s.gamma ** count)))(
      numbersIn(groups, s.param_name),
    )
  },
  state: { milestones: record(positiveInt, 'a dict from milestone to count'), gamma: number },
}
