/**
 * Schedulers as the runner builds them and `ParamSchedulerHook` steps them
 * (spec §1.3 step 5, §3.5), against the runner example of §12.3 and the
 * recorded MMEngine scenario s05 (LinearLR per iteration + a converted
 * CosineAnnealingLR).
 */
import { readFileSync } from 'node:fs'
import { describe, expect, it } from 'vitest'
import * as S from '../../../../src/optim/schedulers/index.js'
import { expectClose, repeat, right, runEpochs } from './support.js'

interface Scenario {
  readonly config: {
    readonly param_scheduler: unknown
    readonly optim_wrapper: { readonly optimizer: { readonly lr: number } }
    readonly train_cfg: { readonly max_epochs: number }
  }
  readonly per_iter: ReadonlyArray<{ readonly iter: number; readonly lr: ReadonlyArray<number> }>
  readonly final_lr: ReadonlyArray<number>
}

const scenario = (name: string): Scenario =>
  JSON.parse(
    readFileSync(new URL(`../../../fixtures/conformance/mmengine/${name}`, import.meta.url), 'utf8'),
  ) as Scenario

describe('the runner example (3 epochs × 4 iters, lr 0.1)', () => {
  it(
    'ConstantLR(0.5, begin=0) + ConstantLR(0.5, begin=1), both end=3 by default, log ' +
      '[0.05]*4 + [0.025]*4 + [0.1]*4',
    () => {
      const run = runEpochs(
        [
          { type: 'ConstantLR', factor: 0.5, begin: 0 },
          { type: 'ConstantLR', factor: 0.5, begin: 1 },
        ],
        [{ lr: 0.1 }],
        { epochs: 3, epochLength: 4 },
      )
      expect(run.during).toEqual([...repeat(0.05, 4), ...repeat(0.025, 4), ...repeat(0.1, 4)])
      expect(run.schedulers.map((s) => s.end)).toEqual([3, 3])
    },
  )
})

describe('reference scenario s05_linear_cosine', () => {
  const s05 = scenario('s05_linear_cosine.json')
  const epochLength = 8 // 64 samples, batch 8
  const epochs = s05.config.train_cfg.max_epochs
  const groups = [{ lr: s05.config.optim_wrapper.optimizer.lr }]
  const context = { epochLength, maxEpochs: epochs, maxIters: epochs * epochLength }

  it('builds LinearLR per iteration and the cosine converted to 24 iterations', () => {
    const built = right(S.buildAll(s05.config.param_scheduler, groups, context))
    expect(built.schedulers.map((s) => [s.type, s.by_epoch, s.begin, s.end])).toEqual([
      ['LinearLR', false, 0, 5],
      ['CosineAnnealingLR', false, 0, 24],
    ])
    expect(built.schedulers[1]).toMatchObject({ T_max: 24, eta_min: 0.0001 })
  })

  it('reproduces every recorded per-iteration lr and the final lr', () => {
    const run = runEpochs(s05.config.param_scheduler, groups, { epochs, epochLength }, context)
    expect(run.during).toHaveLength(s05.per_iter.length)
    expectClose(
      run.during,
      s05.per_iter.map((p) => p.lr[0]!),
    )
    expectClose([run.groups[0]!['lr'] as number], [s05.final_lr[0]!])
  })
})

describe('ParamSchedulerHook selection (stepAll)', () => {
  const configs = [
    { type: 'ExponentialLR', gamma: 0.5, by_epoch: false },
    { type: 'ExponentialMomentum', gamma: 0.5 },
    { type: 'ReduceOnPlateauParamScheduler', param_name: 'weight_decay', patience: 0 },
  ]
  const groups = [{ lr: 1, momentum: 1, weight_decay: 1 }]

  it('after a train iteration steps only the by_epoch=False schedulers', () => {
    const built = right(S.buildAll(configs, groups))
    const r = right(S.stepAll(built.schedulers, built.groups, { _tag: 'AfterTrainIter' }))
    expect(r.groups[0]).toMatchObject({ lr: 0.5, momentum: 1, weight_decay: 1 })
    expect(r.schedulers.map((s) => s._global_step)).toEqual([1, 0, 0])
  })

  it('after a train epoch steps the by_epoch ones; ReduceOnPlateau only counts', () => {
    const built = right(S.buildAll(configs, groups))
    const r = right(S.stepAll(built.schedulers, built.groups, { _tag: 'AfterTrainEpoch' }))
    expect(r.groups[0]).toMatchObject({ lr: 1, momentum: 0.5, weight_decay: 1 })
    expect(r.schedulers.map((s) => [s._global_step, s.last_step])).toEqual([
      [0, 0],
      [1, 1],
      [1, -1],
    ])
  })

  it('after a validation with metrics steps only the plateau schedulers, with the metrics', () => {
    const built = right(S.buildAll(configs, groups))
    let state = right(S.stepAll(built.schedulers, built.groups, { _tag: 'AfterValEpoch', metrics: { loss: 1 } }))
    state = right(S.stepAll(state.schedulers, state.groups, { _tag: 'AfterValEpoch', metrics: { loss: 1 } }))
    expect(state.groups[0]).toMatchObject({ lr: 1, momentum: 1, weight_decay: 0.1 })
    expect(state.schedulers.map((s) => s._global_step)).toEqual([0, 0, 0])
  })

  it('reports which scheduler failed', () => {
    const built = right(S.buildAll(configs, groups))
    expect(
      S.stepAll(built.schedulers, built.groups, { _tag: 'AfterValEpoch', metrics: { accuracy: 1 } }),
    ).toMatchObject({
      _tag: 'Left',
      left: { index: 2, error: 'KeyError' },
    })
  })
})

describe('the default end (spec §1.3 step 5)', () => {
  it('is max_epochs by epoch, max_iters by iteration, and INF outside a runner', () => {
    const context = { maxEpochs: 3, maxIters: 12, epochLength: 4 }
    const ends = (cfgs: ReadonlyArray<unknown>, ctx: S.BuildContext) =>
      right(S.buildAll(cfgs, [{ lr: 1 }], ctx)).schedulers.map((s) => s.end)
    expect(
      ends([{ type: 'PolyLR' }, { type: 'PolyLR', by_epoch: false }, { type: 'PolyLR', end: 2 }], context),
    ).toEqual([3, 12, 2])
    expect(ends([{ type: 'PolyLR' }], {})).toEqual([S.INF])
  })

  it('a begin past the default end is an error that names the default', () => {
    expect(S.build({ type: 'LinearLR', begin: 5 }, [{ lr: 1 }], { maxEpochs: 3 })).toEqual({
      _tag: 'Left',
      left: [
        { path: 'end', message: 'end should be larger than begin, but got begin=5 and the default end max_epochs=3' },
      ],
    })
  })
})

describe('simulateEpochs with validation metrics', () => {
  it('feeds ReduceOnPlateauLR after each epoch, after the epoch-based step', () => {
    const losses = [5, 4, 4, 4, 4]
    const run = runEpochs([{ type: 'ReduceOnPlateauLR', patience: 1 }], [{ lr: 1 }], {
      epochs: 5,
      epochLength: 2,
      metrics: (e) => ({ loss: losses[e - 1]! }),
    })
    // Epoch 4's validation is the second without improvement (> patience 1): epoch 5 trains at 0.1.
    expect(run.during).toEqual([1, 1, 1, 1, 1, 1, 1, 1, 0.1, 0.1])
  })
})
