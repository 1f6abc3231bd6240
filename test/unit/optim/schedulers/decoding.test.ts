/**
 * Strict decoding of scheduler dicts: every argument is checked per type,
 * with paths relative to the scheduler dict.
 */
import { describe, expect, it } from 'vitest'
import * as S from '../../../../src/optim/schedulers/index.js'
import { left, right } from './support.js'

const lr = [{ lr: 0.1 }]
const issues = (config: unknown, context: S.BuildContext = {}, groups: S.Groups = lr) =>
  left(S.build(config, groups, context))

describe('decoding scheduler arguments', () => {
  it('covers the whole catalogue: 10 LR, 9 momentum and 10 generic names', () => {
    expect(S.schedulerTypes.filter((n) => n.endsWith('LR'))).toHaveLength(10)
    expect(S.schedulerTypes.filter((n) => n.endsWith('Momentum'))).toHaveLength(9)
    expect(S.schedulerTypes.filter((n) => n.endsWith('ParamScheduler'))).toHaveLength(10)
    expect(S.lookup('mmengine.CosineAnnealingLR')).toEqual({
      family: 'CosineAnnealing',
      kind: 'LR',
      name: 'CosineAnnealingLR',
    })
  })

  it('an unknown type or argument gets a did-you-mean', () => {
    expect(issues({ type: 'CosineAnealingLR' })).toEqual([
      { path: 'type', message: "unknown scheduler type 'CosineAnealingLR' (did you mean 'CosineAnnealingLR'?)" },
    ])
    expect(issues({ type: 'StepLR', step_size: 2, gama: 0.5 })).toEqual([
      { path: 'gama', message: "unknown key (did you mean 'gamma'?)" },
    ])
    expect(issues({ type: 'LinearLR', start_factor: 0.5, by_epochs: false })).toEqual([
      { path: 'by_epochs', message: "unknown key (did you mean 'by_epoch'?)" },
    ])
  })

  it('a wrong value reads `path: expected …, got …`; a missing required argument is named', () => {
    expect(issues({ type: 'StepLR', step_size: '3' })).toEqual([
      { path: 'step_size', message: 'expected a positive integer, got "3"' },
    ])
    expect(issues({ type: 'StepLR' })).toEqual([
      { path: 'step_size', message: 'required key missing (a positive integer)' },
    ])
    expect(issues({ type: 'ExponentialLR', gamma: 0.9, end: 0 })).toEqual([
      { path: 'end', message: 'expected a positive integer, got 0' },
    ])
    expect(issues({ type: 'MultiStepLR', milestones: [1, -2] })).toEqual([
      { path: 'milestones[1]', message: 'expected an integer ≥ 0, got -2' },
    ])
    expect(issues({ type: 'ConstantLR', factor: 1.5 })).toEqual([
      { path: 'factor', message: 'expected a number from 0 to 1, got 1.5' },
    ])
    expect(issues({ type: 'LinearLR', start_factor: -0.1, end_factor: 2 }).map((i) => i.path)).toEqual([
      'start_factor',
      'end_factor',
    ])
  })

  it('param_name is required by the generic schedulers and unknown to the LR and momentum ones', () => {
    expect(issues({ type: 'StepParamScheduler', step_size: 1 })).toEqual([
      { path: 'param_name', message: 'required key missing (a non-empty string)' },
    ])
    expect(issues({ type: 'StepLR', step_size: 1, param_name: 'lr' })[0]!.path).toBe('param_name')
  })

  it('end must be larger than begin', () => {
    expect(issues({ type: 'LinearLR', begin: 5, end: 5 })).toEqual([
      { path: 'end', message: 'end should be larger than begin, but got begin=5, end=5' },
    ])
  })

  it('eta_min and eta_min_ratio are mutually exclusive (CosineAnnealing); CosineRestart needs exactly one', () => {
    expect(issues({ type: 'CosineAnnealingLR', eta_min: 0, eta_min_ratio: 0.1 })).toEqual([
      { path: 'eta_min_ratio', message: 'give either eta_min or eta_min_ratio, not both' },
    ])
    expect(
      right(S.build({ type: 'CosineAnnealingLR', eta_min: null, eta_min_ratio: 0.1 }, lr)).scheduler,
    ).toMatchObject({ eta_min: null, eta_min_ratio: 0.1 })
    expect(issues({ type: 'CosineRestartLR', periods: [2] })).toEqual([
      { path: 'eta_min', message: 'give exactly one of eta_min and eta_min_ratio' },
    ])
    expect(issues({ type: 'CosineRestartLR', periods: [2], eta_min: 0, restart_weights: [1, 1] })[0]!.path).toBe(
      'restart_weights',
    )
  })

  it('convert_to_iter_based needs by_epoch=True and an epoch length', () => {
    expect(
      issues({ type: 'StepLR', step_size: 1, by_epoch: false, convert_to_iter_based: true }, { epochLength: 4 }),
    ).toEqual([
      {
        path: 'convert_to_iter_based',
        message: 'only epoch-based schedulers (by_epoch=True) can be converted to iter-based',
      },
    ])
    expect(issues({ type: 'StepLR', step_size: 1, convert_to_iter_based: true })).toEqual([
      {
        path: 'convert_to_iter_based',
        message: 'needs the epoch length (len(train_dataloader)) as a positive integer, got nothing',
      },
    ])
  })

  it('last_step must be an int ≥ −1, and resuming needs the recorded initial value', () => {
    expect(issues({ type: 'StepLR', step_size: 1, last_step: 1.5 })).toEqual([
      { path: 'last_step', message: 'expected an integer ≥ -1, got 1.5' },
    ])
    expect(issues({ type: 'StepLR', step_size: 1, last_step: 3 })).toEqual([
      {
        path: 'last_step',
        message: "param 'initial_lr' is not specified in param_groups[0] when resuming an optimizer",
      },
    ])
  })

  it('buildAll prefixes paths with the list index and reports every scheduler', () => {
    expect(
      left(S.buildAll([{ type: 'StepLR', step_size: 1 }, { type: 'StepLR', step_size: 1, gama: 1 }, 3], lr)),
    ).toEqual([
      { path: '[1].gama', message: "unknown key (did you mean 'gamma'?)" },
      { path: '[2]', message: 'expected a scheduler dict with a `type`, got 3' },
    ])
  })

  it('never mutates the groups it is given', () => {
    const groups = Object.freeze([Object.freeze({ lr: 0.1, betas: Object.freeze([0.9, 0.99]) })])
    const built = right(
      S.buildAll(
        [
          { type: 'LinearLR', end: 3 },
          { type: 'StepMomentum', step_size: 1 },
        ],
        groups,
      ),
    )
    right(S.stepAll(built.schedulers, built.groups, { _tag: 'AfterTrainEpoch' }))
    expect(groups).toEqual([{ lr: 0.1, betas: [0.9, 0.99] }])
  })
})
