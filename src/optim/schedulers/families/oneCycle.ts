/**
 * `OneCycleLR` / `OneCycleParamScheduler` (learning rate only): the 1cycle
 * policy. Not chainable: every step writes an absolute value annealed
 * between the group's `initial_lr`, `max_lr` and `min_lr`, which the
 * constructor (re)writes when `last_step == -1` (spec §12.2).
 * @module
 */
import * as E from 'fp-ts/lib/Either.js'
import {
  array,
  boolean,
  dispatch,
  literal,
  nonEmptyString,
  nullable,
  number,
  positiveInt,
  positiveNumber,
  struct,
  unitInterval,
} from '../../../schema/codec.js'
import type { Issue } from '../../../schema/codec.js'
import type { FamilyDef } from '../family.js'
import type { OneCyclePhase, OneCycleScheduler } from '../state.js'
import { div, guarded, numberIn, schedulerError } from '../types.js'
import type { GroupValues } from '../types.js'

/** A float, or one float per group. */
export const numberOrList = dispatch('a number or a list of numbers (one per param group)', [
  [(u) => Array.isArray(u), array(number)],
  [() => true, number],
])

const required = {}
const optional = {
  eta_max: numberOrList,
  total_steps: nullable(positiveInt),
  pct_start: unitInterval,
  anneal_strategy: literal('cos', 'linear'),
  div_factor: positiveNumber,
  final_div_factor: positiveNumber,
  three_phase: boolean,
}

/** The phases, with their end steps computed as MMEngine does (`float(pct·N) − 1`, `float(2·pct·N) − 2`, `N − 1`). */
export const phasesOf = (
  totalSteps: number,
  pctStart: number,
  threePhase: boolean,
  param = 'lr',
): ReadonlyArray<OneCyclePhase> => {
  const [initial, max, min] = [`initial_${param}`, `max_${param}`, `min_${param}`]
  const up = { end_step: pctStart * totalSteps - 1, start_lr: initial, end_lr: max }
  return threePhase
    ? [
        up,
        { end_step: 2 * pctStart * totalSteps - 2, start_lr: max, end_lr: initial },
        { end_step: totalSteps - 1, start_lr: initial, end_lr: min },
      ]
    : [up, { end_step: totalSteps - 1, start_lr: max, end_lr: min }]
}

/** `_annealing_cos` and `_annealing_linear`. */
export const anneal = (strategy: 'cos' | 'linear', start: number, end: number, pct: number): number => {
  if (strategy === 'linear') return (end - start) * pct + start
  const cosOut = Math.cos(Math.PI * pct) + 1
  return end + ((start - end) / 2.0) * cosOut
}

export const OneCycle: FamilyDef<typeof required, typeof optional, OneCycleScheduler> = {
  family: 'OneCycle',
  required,
  optional,
  toIterBased: (a, L) =>
    a.total_steps === undefined || a.total_steps === null ? a : { ...a, total_steps: a.total_steps * L },
  own: (a, env) => {
    const issues: Issue[] = []
    if (env.paramName !== 'lr')
      issues.push({
        path: 'param_name',
        message: `OneCycle only works for learning rate updating, but got param_name as ${env.paramName}`,
      })
    const etaMax = a.eta_max ?? 0
    const n = env.groups.length
    if (typeof etaMax !== 'number' && etaMax.length !== n)
      issues.push({
        path: 'eta_max',
        message: `expected ${n} values for max_lr (one per param group), got ${etaMax.length}`,
      })
    if (issues.length > 0) return E.left(issues)
    const totalSteps = a.total_steps ?? env.end - env.begin
    const divFactor = a.div_factor ?? 25
    const finalDivFactor = a.final_div_factor ?? 1e4
    const maxValues = typeof etaMax === 'number' ? env.groups.map(() => etaMax) : etaMax
    const p = env.paramName
    // A fresh schedule overwrites initial_lr (so base_values follow eta_max), max_lr and min_lr.
    const groups =
      env.lastStep === -1
        ? env.groups.map((g, i): GroupValues => {
            const initial = maxValues[i]! / divFactor
            return {
              ...g,
              [`initial_${p}`]: initial,
              [`max_${p}`]: maxValues[i]!,
              [`min_${p}`]: initial / finalDivFactor,
            }
          })
        : env.groups
    return E.right({
      own: {
        eta_max: etaMax,
        total_steps: totalSteps,
        div_factor: divFactor,
        final_div_factor: finalDivFactor,
        anneal_strategy: a.anneal_strategy ?? 'cos',
        _schedule_phases: phasesOf(totalSteps, a.pct_start ?? 0.3, a.three_phase ?? false, p),
      },
      groups,
    })
  },
  // The first phase with t ≤ end_step (or the last), pct = (t − start_step)/(end_step − start_step).
  value: (s, groups) =>
    guarded(() => {
      const step = s.last_step
      if (step > s.total_steps)
        return E.left(
          schedulerError(
            'ValueError',
            `Tried to step ${step + 1} times. The specified number of total steps is ${s.total_steps}`,
          ),
        )
      const out: number[] = []
      for (let g = 0; g < groups.length; g++) {
        let startStep = 0
        for (let i = 0; i < s._schedule_phases.length; i++) {
          const phase = s._schedule_phases[i]!
          if (step <= phase.end_step || i === s._schedule_phases.length - 1) {
            const pct = div(step - startStep, phase.end_step - startStep)
            const start = numberIn(groups[g]!, phase.start_lr, g)
            if (start._tag === 'Left') return start
            const end = numberIn(groups[g]!, phase.end_lr, g)
            if (end._tag === 'Left') return end
            out.push(anneal(s.anneal_strategy, start.right, end.right, pct))
            break
          }
          startStep = phase.end_step
        }
      }
      return E.right(out)
    }),
  state: {
    eta_max: numberOrList,
    total_steps: positiveInt,
    div_factor: positiveNumber,
    final_div_factor: positiveNumber,
    anneal_strategy: literal('cos', 'linear'),
    _schedule_phases: array(
      struct('a OneCycle phase', { end_step: number, start_lr: nonEmptyString, end_lr: nonEmptyString }),
    ),
  },
}
