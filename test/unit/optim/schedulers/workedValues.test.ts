/**
 * The worked values of spec §12.3 and the reference tests of §16.2 (lr 0.05;
 * the second group of MMEngine's fixture has lr 0.5 and 10× targets).
 * Exact expectations are transcribed as the same float operations and
 * compared with `toBe`; the spec's printed decimals are compared to 1e-12
 * relative (or to the precision they are printed with).
 */
import { describe, expect, it } from 'vitest'
import * as S from '../../../../src/optim/schedulers/index.js'
import { epochValues, expectClose, repeat, values } from './support.js'

const lr = [{ lr: 0.05 }]
const two = [{ lr: 0.05 }, { lr: 0.5 }]

describe('§12.3 worked values, one scheduler', () => {
  it('StepLR(step_size=3, gamma=0.1)', () => {
    const v = values({ type: 'StepLR', step_size: 3, gamma: 0.1 }, lr, 10)
    expect(v).toEqual([
      ...repeat(0.05, 3),
      ...repeat(0.05 * 0.1, 3),
      ...repeat(0.05 * 0.1 * 0.1, 3),
      0.05 * 0.1 * 0.1 * 0.1,
    ])
    expectClose(v, [...repeat(0.05, 3), ...repeat(0.005, 3), ...repeat(0.0005, 3), 5e-5])
  })

  it('MultiStepLR(milestones=[2,5,9]) with the default gamma 0.1, on two groups', () => {
    const expected = [...repeat(0.05, 2), ...repeat(0.005, 3), ...repeat(0.0005, 4), 5e-5]
    expectClose(values({ type: 'MultiStepLR', milestones: [2, 5, 9] }, two, 10), expected)
    expectClose(
      values({ type: 'MultiStepLR', milestones: [2, 5, 9] }, two, 10, {}, 1),
      expected.map((x) => x * 10),
    )
  })

  it('MultiStepLR counts a repeated milestone twice (Counter), and a milestone at 0 acts at once', () => {
    const v = values({ type: 'MultiStepLR', milestones: [0, 3, 3], gamma: 0.5 }, lr, 5)
    expect(v).toEqual([0.05 * 0.5, 0.05 * 0.5, 0.05 * 0.5, 0.05 * 0.5 * 0.5 ** 2, 0.05 * 0.5 * 0.5 ** 2])
  })

  it('ConstantLR(factor=0.5, end=5): the factor lasts end − begin − 1 = 4 steps', () => {
    expect(values({ type: 'ConstantLR', factor: 0.5, end: 5 }, lr, 10)).toEqual([
      ...repeat(0.025, 4),
      ...repeat(0.05, 6),
    ])
  })

  it(
    'ConstantLR restores x·(1.0/factor), as MMEngine multiplies by the reciprocal: ' +
      '0.05·0.9 comes back as 0.05000000000000001',
    () => {
      expect(values({ type: 'ConstantLR', factor: 0.9, end: 3 }, lr, 4)).toEqual([
        0.05 * 0.9,
        0.05 * 0.9,
        0.05000000000000001,
        0.05000000000000001,
      ])
    },
  )

  it('ConstantLR with the default factor 1/3', () => {
    const x = 0.05 * (1.0 / 3)
    expect(values({ type: 'ConstantLR', end: 3 }, lr, 4)).toEqual([x, x, x * (1.0 / (1.0 / 3)), x * (1.0 / (1.0 / 3))])
  })

  it('LinearLR(start_factor=0.5, end=5)', () => {
    const v = values({ type: 'LinearLR', start_factor: 0.5, end: 5 }, lr, 7)
    expectClose(v, [0.025, 0.03125, 0.0375, 0.04375, 0.05, 0.05, 0.05])
    // Transcribed: x·(1 + (end−start)/(T·start + (t−1)·(end−start))) with T = 4.
    let x = 0.05 * 0.5
    const exact = [x]
    for (let t = 1; t <= 4; t++) {
      x = x * (1 + 0.5 / (4 * 0.5 + (t - 1) * 0.5))
      exact.push(x)
    }
    expect(v).toEqual([...exact, x, x])
  })

  it('LinearLR(0.5, begin=1, end=6) leaves step 0 alone (test_effective_interval)', () => {
    expectClose(
      values({ type: 'LinearLR', start_factor: 0.5, begin: 1, end: 6 }, lr, 8),
      [0.05, 0.025, 0.03125, 0.0375, 0.04375, 0.05, 0.05, 0.05],
    )
  })

  it('ExponentialLR(gamma=0.9) is 0.05·0.9^t by repeated multiplication', () => {
    const v = values({ type: 'ExponentialLR', gamma: 0.9 }, lr, 10)
    let x = 0.05
    expect(v).toEqual(
      Array.from({ length: 10 }, (_, t) => {
        if (t > 0) x = x * 0.9
        return x
      }),
    )
    expectClose(
      v,
      Array.from({ length: 10 }, (_, t) => 0.05 * 0.9 ** t),
      1e-14,
    )
  })

  it('CosineRestartLR(periods=[4,5], restart_weights=[1,0.5], eta_min=0)', () => {
    const v = values({ type: 'CosineRestartLR', periods: [4, 5], restart_weights: [1, 0.5], eta_min: 0 }, lr, 10)
    const printed = [
      0.05, 0.0426776, 0.025, 0.00732233, 0.025, 0.022612712, 0.01636271, 0.0086372, 0.0023872, 0.0023872,
    ]
    v.forEach((a, i) => {
      expect(Math.abs(a - printed[i]!)).toBeLessThan(1e-7)
    })
    const closed = v.map((_, t) =>
      S.cosineRestartAt(0.05, 0.05, t, { periods: [4, 5], restart_weights: [1, 0.5], eta_min: 0 }),
    )
    expectClose(v, closed)
    expect(v[9]).toBe(v[8])
  })

  it('CosineAnnealingLR(T_max=10, eta_min=1e-10) over 12 steps, rising again past T', () => {
    const eta = 1e-10
    const v = values({ type: 'CosineAnnealingLR', T_max: 10, eta_min: eta }, two, 12)
    expectClose(
      v,
      Array.from({ length: 12 }, (_, t) => eta + ((0.05 - eta) * (1 + Math.cos((Math.PI * t) / 10))) / 2),
    )
    expectClose(
      v,
      Array.from({ length: 12 }, (_, t) => S.cosineAnnealingAt(0.05, t, { T_max: 10, eta_min: eta })),
    )
    expect(v[10]).toBe(eta)
  })

  it('CosineAnnealingLR(eta_min_ratio=1e-3) floors each group at its own base value × ratio', () => {
    const g0 = values({ type: 'CosineAnnealingLR', T_max: 10, eta_min_ratio: 1e-3 }, two, 11, {}, 0)
    const g1 = values({ type: 'CosineAnnealingLR', T_max: 10, eta_min_ratio: 1e-3 }, two, 11, {}, 1)
    expectClose([g0[10]!, g1[10]!], [0.05 * 1e-3, 0.5 * 1e-3])
  })

  it('CosineAnnealingLR(begin=5, end=100) defaults T_max to end − begin = 95', () => {
    const built = S.build({ type: 'CosineAnnealingLR', begin: 5, end: 100 }, lr)
    expect(built._tag === 'Right' && built.right.scheduler).toMatchObject({
      T_max: 95,
      eta_min: 0,
      eta_min_ratio: null,
    })
  })

  it('PolyLR(power=0.9, eta_min=0.001, end=5) reaches eta_min at t = 4', () => {
    const min = 0.001
    const v = values({ type: 'PolyLR', power: 0.9, eta_min: min, end: 5 }, lr, 7)
    expectClose(v, [0, 1, 2, 3].map((i) => min + (0.05 - min) * (1 - i / 4) ** 0.9).concat([min, min, min]), 1e-12)
  })
})

describe('§12.3 worked values, several schedulers in one list (stepped in list order each epoch)', () => {
  it('LinearLR(0.5, 0..5) then MultiStepLR([3,6], begin=5, end=12): milestones are relative to begin', () => {
    const v = epochValues(
      [
        { type: 'LinearLR', start_factor: 0.5, begin: 0, end: 5 },
        { type: 'MultiStepLR', milestones: [3, 6], begin: 5, end: 12 },
      ],
      lr,
      12,
    )
    expectClose(v, [0.025, 0.03125, 0.0375, 0.04375, ...repeat(0.05, 4), ...repeat(0.005, 3), 0.0005])
  })

  it('overlap: LinearLR(0.5, 0..5) and MultiStepLR([3,6,9]) multiply', () => {
    const v = epochValues(
      [
        { type: 'LinearLR', start_factor: 0.5, begin: 0, end: 5 },
        { type: 'MultiStepLR', milestones: [3, 6, 9] },
      ],
      lr,
      10,
    )
    expectClose(v, [0.025, 0.03125, 0.0375, 0.004375, 0.005, 0.005, 0.0005, 0.0005, 0.0005, 5e-5])
  })

  it('with a gap: ExponentialLR for 0..4, flat for 5..9, then a cosine from the value left there', () => {
    const v = epochValues(
      [
        { type: 'ExponentialLR', gamma: 0.9, begin: 0, end: 5 },
        { type: 'CosineAnnealingLR', T_max: 5, begin: 10, end: 15 },
      ],
      lr,
      15,
    )
    const x4 = 0.05 * 0.9 ** 4
    const expected = [
      ...[0, 1, 2, 3, 4].map((t) => 0.05 * 0.9 ** t),
      ...repeat(x4, 5),
      ...[0, 1, 2, 3, 4].map((t) => S.cosineAnnealingAt(x4, t, { T_max: 5, eta_min: 0 })),
    ]
    expectClose(v, expected, 1e-13)
  })
})

describe('convert_to_iter_based (spec §12.1, §12.4)', () => {
  it(
    'LinearLR(start_factor=1e-4, begin=0, end=10, by_epoch) becomes a per-iteration ' +
      'warmup reaching factor 1 at iteration 10L − 1',
    () => {
      const L = 7
      const cfg = {
        type: 'LinearLR',
        start_factor: 1e-4,
        by_epoch: true,
        begin: 0,
        end: 10,
        convert_to_iter_based: true,
      }
      const built = S.build(cfg, [{ lr: 0.1 }], { epochLength: L })
      expect(built._tag === 'Right' && built.right.scheduler).toMatchObject({
        by_epoch: false,
        begin: 0,
        end: 70,
        total_iters: 69,
      })
      const v = values(cfg, [{ lr: 0.1 }], 72, { epochLength: L })
      expectClose(
        v.slice(0, 70),
        v.slice(0, 70).map((_, t) => S.linearAt(0.1, t, { start_factor: 1e-4, end_factor: 1, total_iters: 69 })),
        1e-12,
      )
      expect(v[68]).toBeLessThan(0.1 * (1 - 1e-3))
      expectClose([v[69]!, v[70]!, v[71]!], [0.1, 0.1, 0.1])
    },
  )

  it('StepLR(2) with epoch length 7 decays every 14 iterations', () => {
    expect(values({ type: 'StepLR', step_size: 2, convert_to_iter_based: true }, lr, 28, { epochLength: 7 })).toEqual([
      ...repeat(0.05, 14),
      ...repeat(0.05 * 0.1, 14),
    ])
  })

  it('ConstantLR(0.5, end=5) with epoch length 7 lasts 34 iterations', () => {
    expect(
      values({ type: 'ConstantLR', factor: 0.5, end: 5, convert_to_iter_based: true }, lr, 70, { epochLength: 7 }),
    ).toEqual([...repeat(0.025, 34), ...repeat(0.05, 36)])
  })

  it('scales milestones, T_max, periods and total_steps', () => {
    const ctx = { epochLength: 11 }
    const ms = S.build({ type: 'MultiStepLR', milestones: [2, 5, 9], convert_to_iter_based: true }, lr, ctx)
    expect(ms._tag === 'Right' && ms.right.scheduler).toMatchObject({
      milestones: { '22': 1, '55': 1, '99': 1 },
      end: S.INF,
    })
    const cos = S.build(
      { type: 'CosineAnnealingLR', T_max: 10, begin: 1, end: 11, convert_to_iter_based: true },
      lr,
      ctx,
    )
    expect(cos._tag === 'Right' && cos.right.scheduler).toMatchObject({ T_max: 110, begin: 11, end: 121 })
    const restart = S.build(
      { type: 'CosineRestartLR', periods: [2, 3], restart_weights: [1, 1], eta_min: 0, convert_to_iter_based: true },
      lr,
      ctx,
    )
    expect(restart._tag === 'Right' && restart.right.scheduler).toMatchObject({
      periods: [22, 33],
      cumulative_periods: [22, 55],
    })
    const one = S.build(
      { type: 'OneCycleLR', eta_max: 1, total_steps: 3, end: 3, convert_to_iter_based: true },
      lr,
      ctx,
    )
    expect(one._tag === 'Right' && one.right.scheduler).toMatchObject({ total_steps: 33, end: 33 })
  })

  it('a by_epoch default end of max_epochs is converted with it', () => {
    const built = S.build({ type: 'PolyLR', convert_to_iter_based: true }, lr, {
      epochLength: 8,
      maxEpochs: 3,
      maxIters: 24,
    })
    expect(built._tag === 'Right' && built.right.scheduler).toMatchObject({ end: 24, total_iters: 23, by_epoch: false })
  })
})

describe('momentum schedulers', () => {
  it('schedule `momentum` of SGD groups with the same targets as lr', () => {
    const groups = [
      { lr: 0.1, momentum: 0.05 },
      { lr: 0.1, momentum: 0.5 },
    ]
    const v = values({ type: 'StepMomentum', step_size: 3 }, groups, 7, {}, 1)
    expect(v).toEqual([...repeat(0.5, 3), ...repeat(0.5 * 0.1, 3), 0.5 * 0.1 * 0.1])
    const built = S.build({ type: 'StepMomentum', step_size: 3 }, groups)
    expect(built._tag === 'Right' && built.right.groups[0]).toEqual({ lr: 0.1, momentum: 0.05, initial_momentum: 0.05 })
  })

  it('mirror Adam betas[0] into `momentum` and write betas = (momentum, betas[1]) after every step', () => {
    const groups = [{ lr: 1e-3, betas: [0.9, 0.999] }]
    let { scheduler, groups: g } = (
      S.build({ type: 'LinearMomentum', start_factor: 0.5, end: 3 }, groups) as { right: S.Stepped<S.ParamScheduler> }
    ).right
    expect(scheduler.use_betas).toBe(true)
    expect(g[0]).toEqual({ lr: 1e-3, betas: [0.9 * 0.5, 0.999], momentum: 0.9 * 0.5, initial_momentum: 0.9 })
    for (let k = 0; k < 3; k++) {
      const r = S.step(scheduler, g)
      if (r._tag === 'Left') throw new Error(r.left.message)
      ;({ scheduler, groups: g } = r.right)
      expect((g[0]!['betas'] as number[])[0]).toBe(g[0]!['momentum'])
      expect((g[0]!['betas'] as number[])[1]).toBe(0.999)
    }
    expectClose([g[0]!['momentum'] as number], [0.9])
  })

  it('keep betas in sync when two momentum schedulers act on Adam groups', () => {
    const built = S.buildAll(
      [
        { type: 'ExponentialMomentum', gamma: 0.9 },
        { type: 'StepMomentum', step_size: 1, gamma: 0.5 },
      ],
      [{ betas: [0.8, 0.99], lr: 1 }],
    )
    if (built._tag === 'Left') throw new Error('build')
    expect(built.right.schedulers.map((s) => s.use_betas)).toEqual([true, true])
    const stepped = S.stepAll(built.right.schedulers, built.right.groups, { _tag: 'AfterTrainEpoch' })
    if (stepped._tag === 'Left') throw new Error('step')
    const g = stepped.right.groups[0]!
    expect(g['momentum']).toBe(0.8 * 0.9 * 0.5)
    expect(g['betas']).toEqual([0.8 * 0.9 * 0.5, 0.99])
  })

  it('follow optimizer defaults when given, as MMEngine does', () => {
    const built = S.build({ type: 'ConstantMomentum' }, [{ lr: 1, momentum: 0.3, betas: [0.9, 0.9] }], {
      defaults: { lr: 1, momentum: 0 },
    })
    expect(built._tag === 'Right' && built.right.scheduler.use_betas).toBe(false)
  })

  it('refuse an optimizer without momentum or betas', () => {
    expect(S.build({ type: 'CosineAnnealingMomentum', T_max: 3 }, [{ lr: 0.1, alpha: 0.99 }])).toEqual({
      _tag: 'Left',
      left: [{ path: '', message: 'optimizer must support momentum when using momentum scheduler' }],
    })
  })
})

describe('generic *ParamScheduler', () => {
  it('schedules any hyper-parameter, e.g. weight_decay, and leaves lr alone', () => {
    const groups = [{ lr: 0.1, weight_decay: 0.05 }]
    const cfg = { type: 'CosineAnnealingParamScheduler', param_name: 'weight_decay', T_max: 10, eta_min: 0.005 }
    const v = values(cfg, groups, 11)
    expectClose(
      v,
      v.map((_, t) => S.cosineAnnealingAt(0.05, t, { T_max: 10, eta_min: 0.005 })),
    )
    const built = S.build(cfg, groups)
    expect(built._tag === 'Right' && built.right.groups[0]).toEqual({
      lr: 0.1,
      weight_decay: 0.05,
      initial_weight_decay: 0.05,
    })
  })

  it('reports a param_name the groups lack (MMEngine KeyError)', () => {
    const r = S.build({ type: 'StepParamScheduler', param_name: 'weight_decay', step_size: 2 }, [{ lr: 0.1 }])
    expect(r._tag === 'Left' && r.left[0]!.message).toMatch(/param_groups\[0\] has no 'weight_decay'/)
  })

  it('shares the initial value recorded by the first scheduler (setdefault)', () => {
    const built = S.buildAll(
      [
        { type: 'ExponentialLR', gamma: 0.5 },
        { type: 'CosineAnnealingLR', T_max: 4, begin: 1 },
      ],
      [{ lr: 0.2 }],
    )
    if (built._tag === 'Left') throw new Error('build')
    expect(built.right.schedulers.map((s) => ('base_values' in s ? s.base_values : []))).toEqual([[0.2], [0.2]])
  })

  it('resumes without a state dict from last_step and the recorded initial value (test_resume)', () => {
    // Four ExponentialLR(0.9) steps from 0.05, then a new scheduler with last_step=3 continues the power series.
    const x3 = 0.05 * 0.9 * 0.9 * 0.9
    const resumed = S.curve({ type: 'ExponentialLR', gamma: 0.9, last_step: 3 }, [{ lr: x3, initial_lr: 0.05 }], {}, 3)
    expect(resumed._tag === 'Right' && resumed.right.map((v) => v[0])).toEqual([
      x3 * 0.9,
      x3 * 0.9 * 0.9,
      x3 * 0.9 * 0.9 * 0.9,
    ])
  })
})
