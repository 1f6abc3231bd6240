/**
 * state_dict / load_state_dict (spec §3.6.5 step 7, §15 item 11): the saved
 * state replaces everything, so config edits made since are ignored.
 */
import { describe, expect, it } from 'vitest'
import * as S from '../../../../src/optim/schedulers/index.js'
import { left, right } from './support.js'

const stepN = (s: S.Stepped<S.ParamScheduler>, n: number): S.Stepped<S.ParamScheduler> => {
  let r = s
  for (let k = 0; k < n; k++) r = right(S.step(r.scheduler, r.groups))
  return r
}

const roundTrip = <A>(a: A): A => JSON.parse(JSON.stringify(a)) as A

describe('stateDict / loadStateDict', () => {
  it('the state is MMEngine’s __dict__ (minus the optimizer) plus type, and survives JSON', () => {
    const s = stepN(right(S.build({ type: 'CosineAnnealingLR', T_max: 10, eta_min: 1e-3 }, [{ lr: 0.1 }])), 3).scheduler
    expect(Object.keys(S.stateDict(s)).sort()).toEqual(
      [
        'type',
        'param_name',
        'begin',
        'end',
        'by_epoch',
        'last_step',
        'base_values',
        '_global_step',
        'verbose',
        '_last_value',
        'T_max',
        'eta_min',
        'eta_min_ratio',
      ].sort(),
    )
    expect(roundTrip(S.stateDict(s))).toEqual(S.stateDict(s))
  })

  it(
    'loading into a differently configured scheduler replaces every field, and the ' + 'schedule continues as saved',
    () => {
      const original = stepN(right(S.build({ type: 'CosineAnnealingLR', T_max: 10, eta_min: 1e-3 }, [{ lr: 0.1 }])), 4)
      const saved = roundTrip(S.stateDict(original.scheduler))
      const edited = right(
        S.build({ type: 'CosineAnnealingLR', T_max: 20, eta_min: 0.05, begin: 3, end: 50 }, [{ lr: 0.1 }]),
      )
      const loaded = right(S.loadStateDict(edited.scheduler, saved))
      expect(loaded).toEqual(original.scheduler)
      const groups = roundTrip(original.groups)
      expect(stepN({ scheduler: loaded, groups }, 6)).toEqual(stepN(original, 6))
    },
  )

  it('is dict.update: fields absent from the saved dict are kept', () => {
    const s = right(S.build({ type: 'StepLR', step_size: 2 }, [{ lr: 1 }])).scheduler
    expect(right(S.loadStateDict(s, { gamma: 0.5, last_step: 7 }))).toEqual({ ...s, gamma: 0.5, last_step: 7 })
  })

  it('decodes strictly: unknown fields with a did-you-mean, wrong values, a foreign type', () => {
    const s = right(S.build({ type: 'StepLR', step_size: 2 }, [{ lr: 1 }])).scheduler
    expect(left(S.loadStateDict(s, { step_sise: 3, last_step: 'x' }))).toEqual([
      { path: 'step_sise', message: "unknown key (did you mean 'step_size'?)" },
      { path: 'last_step', message: 'expected an integer ≥ -1, got "x"' },
    ])
    expect(left(S.loadStateDict(s, { type: 'ExponentialLR' }))).toEqual([
      { path: 'type', message: `the saved state is for "ExponentialLR", this scheduler is 'StepLR'` },
    ])
    expect(left(S.loadStateDict(s, [1, 2]))[0]!.path).toBe('')
  })

  it('fromStateDict restores every family from its saved state alone, and needs every field', () => {
    const configs: ReadonlyArray<{ readonly type: string; readonly [k: string]: unknown }> = [
      { type: 'ConstantMomentum' },
      { type: 'CosineAnnealingLR', eta_min_ratio: 0.1 },
      { type: 'ExponentialParamScheduler', param_name: 'weight_decay', gamma: 0.9 },
      { type: 'LinearLR', end: 4 },
      { type: 'MultiStepLR', milestones: [1, 1, 3] },
      { type: 'StepMomentum', step_size: 2 },
      { type: 'PolyLR', end: 6, power: 2 },
      { type: 'OneCycleLR', eta_max: 1, total_steps: 10 },
      { type: 'CosineRestartLR', periods: [2, 3], restart_weights: [1, 0.5], eta_min_ratio: 0.1 },
      { type: 'ReduceOnPlateauMomentum' },
    ]
    for (const config of configs) {
      const built = stepN(
        right(S.build(config, [{ lr: 0.1, betas: [0.9, 0.999], weight_decay: 0.01 }], { maxEpochs: 10 })),
        2,
      )
      const restored = right(S.fromStateDict(roundTrip(S.stateDict(built.scheduler))))
      expect(restored).toEqual(built.scheduler)
      expect(stepN({ scheduler: restored, groups: built.groups }, 2)).toEqual(stepN(built, 2))
    }
    const s = right(S.build({ type: 'StepLR', step_size: 2 }, [{ lr: 1 }])).scheduler
    const { gamma: _, ...partial } = S.stateDict(s)
    expect(left(S.fromStateDict(partial))).toEqual([{ path: 'gamma', message: 'required key missing (a number)' }])
    expect(left(S.fromStateDict({ ...S.stateDict(s), type: 'StepLr' }))).toEqual([
      { path: 'type', message: "unknown scheduler type 'StepLr' (did you mean 'StepLR'?)" },
    ])
  })
})
