/**
 * ReduceOnPlateau (spec §12.2, §16.2 test_reduce_on_plateau_scheduler).
 * As in MMEngine's test, each epoch reads the value, then calls step(metrics).
 */
import { describe, expect, it } from 'vitest'
import * as S from '../../../../src/optim/schedulers/index.js'
import { left, repeat, right } from './support.js'

/** Values of every group before each `step(metrics)` call. */
const run = (
  config: unknown,
  groups: S.Groups,
  metrics: ReadonlyArray<S.Metrics>,
  context: S.BuildContext = {},
): number[][] => {
  let { scheduler, groups: current } = right(S.build(config, groups, context))
  const out: number[][] = []
  for (const m of metrics) {
    out.push(current.map((g) => g['lr'] as number))
    ;({ scheduler, groups: current } = right(S.step(scheduler, current, m)))
  }
  return out
}

const loss = (xs: ReadonlyArray<number>): S.Metrics[] => xs.map((x) => ({ loss: x }))
const two = [{ lr: 0.05 }, { lr: 0.5 }]
const plateau = [10, 9, 8, 7, 6, 6, 6, 6, 6, 6]

describe('ReduceOnPlateauLR', () => {
  it('patience 2, cooldown 1, factor 0.1, rel threshold 0.01: [0.05]*8 + [0.005]*2', () => {
    const v = run(
      { type: 'ReduceOnPlateauLR', patience: 2, cooldown: 1, factor: 0.1, threshold: 0.01 },
      two,
      loss(plateau),
    )
    expect(v.map((g) => g[0])).toEqual([...repeat(0.05, 8), ...repeat(0.05 * 0.1, 2)])
    expect(v.map((g) => g[1])).toEqual([...repeat(0.5, 8), ...repeat(0.5 * 0.1, 2)])
  })

  it('the same with the absolute threshold 0.9', () => {
    const v = run(
      { type: 'ReduceOnPlateauLR', patience: 2, cooldown: 1, threshold: 0.9, threshold_rule: 'abs' },
      two,
      loss(plateau),
    )
    expect(v.map((g) => g[0])).toEqual([...repeat(0.05, 8), ...repeat(0.005000000000000001, 2)])
  })

  it('an absolute threshold larger than the improvements reduces early', () => {
    const v = run(
      { type: 'ReduceOnPlateauLR', patience: 2, threshold: 2.5, threshold_rule: 'abs' },
      [{ lr: 0.05 }],
      loss(plateau),
    )
    // Only 10 and 7 count as better (by more than 2.5); the third bad epoch after 7 is the 7th call.
    expect(v.map((g) => g[0])).toEqual([...repeat(0.05, 7), ...repeat(0.05 * 0.1, 3)])
  })

  it("the greater rule mirrors the less rule (metrics 1, 2, 3, 4, 5, 5, …, monitor 'acc')", () => {
    const metrics = [1, 2, 3, 4, 5, 5, 5, 5, 5, 5].map((x) => ({ acc: x }))
    const v = run(
      { type: 'ReduceOnPlateauLR', monitor: 'acc', rule: 'greater', patience: 2, cooldown: 1, threshold: 0.01 },
      two,
      metrics,
    )
    expect(v.map((g) => g[0])).toEqual([...repeat(0.05, 8), ...repeat(0.005000000000000001, 2)])
  })

  it('bad epochs during a cooldown do not count (patience 1, cooldown 2, a flat metric)', () => {
    const v = run({ type: 'ReduceOnPlateauLR', patience: 1, cooldown: 2 }, [{ lr: 1 }], loss(repeat(3, 8)))
    expect(v.map((g) => g[0])).toEqual([1, 1, 1, 0.1, 0.1, 0.1, 0.1, 0.1 * 0.1])
  })

  it('min_value bounds each group (0.05 → 0.01, 0.5 → 0.05)', () => {
    const v = run({ type: 'ReduceOnPlateauLR', patience: 2, cooldown: 1, min_value: 0.01 }, two, loss(plateau))
    expect(v[9]).toEqual([0.01, 0.05])
  })

  it('a min_value list has one entry per real group and is extended for the base group', () => {
    const groups = [{ lr: 1 }, { lr: 1 }, { lr: 1 }]
    const built = right(S.build({ type: 'ReduceOnPlateauLR', min_value: [0.5, 0.7] }, groups, { realGroups: 2 }))
    expect(built.scheduler).toMatchObject({ min_values: [0.5, 0.7, 0.7] })
    expect(left(S.build({ type: 'ReduceOnPlateauLR', min_value: [0.5, 0.7, 0.9] }, groups, { realGroups: 2 }))).toEqual(
      [{ path: 'min_value', message: 'expected 2 min_lrs, got 3' }],
    )
  })

  it('ignores a reduction smaller than eps', () => {
    const v = run({ type: 'ReduceOnPlateauLR', patience: 0 }, [{ lr: 1e-8 }, { lr: 1 }], loss([1, 1, 1]))
    expect(v[2]).toEqual([1e-8, 0.1])
  })

  it('does not step at construction; calls without metrics only count toward begin', () => {
    let { scheduler, groups } = right(S.build({ type: 'ReduceOnPlateauLR', patience: 0, begin: 2 }, [{ lr: 1 }]))
    expect(scheduler).toMatchObject({
      _global_step: 0,
      last_step: -1,
      best: S.INF,
      rule_worse: S.INF,
      _last_value: [1],
    })
    expect('base_values' in scheduler).toBe(false)
    ;({ scheduler, groups } = right(S.step(scheduler, groups, { loss: 1 })))
    expect(scheduler.last_step).toBe(-1) // _global_step 0 < begin 2: not judged
    ;({ scheduler, groups } = right(S.step(scheduler, groups)))
    ;({ scheduler, groups } = right(S.step(scheduler, groups)))
    ;({ scheduler, groups } = right(S.step(scheduler, groups, { loss: 1 })))
    ;({ scheduler, groups } = right(S.step(scheduler, groups, { loss: 1 })))
    expect(scheduler).toMatchObject({ _global_step: 2, last_step: 1, best: 1 })
    expect(groups[0]!['lr']).toBe(0.1)
  })

  it('a missing monitor key is a KeyError value; a non-number metric a TypeError', () => {
    const { scheduler, groups } = right(S.build({ type: 'ReduceOnPlateauLR' }, [{ lr: 1 }]))
    expect(left(S.step(scheduler, groups, { acc: 1 }))).toMatchObject({ error: 'KeyError' })
    expect(left(S.step(scheduler, groups, { loss: 'x' }))).toMatchObject({ error: 'TypeError' })
  })

  it(
    'rejects by_epoch=False, convert_to_iter_based, factor ≥ 1, a negative ' + 'threshold, unknown rules, end ≤ begin',
    () => {
      const lr = [{ lr: 1 }]
      expect(left(S.build({ type: 'ReduceOnPlateauLR', by_epoch: false }, lr))).toEqual([
        { path: 'by_epoch', message: 'ReduceOnPlateauLR only supports by_epoch=True' },
      ])
      expect(
        left(S.build({ type: 'ReduceOnPlateauLR', convert_to_iter_based: true }, lr, { epochLength: 3 }))[0]!.path,
      ).toBe('convert_to_iter_based')
      expect(
        left(
          S.build({ type: 'ReduceOnPlateauLR', factor: 2.0, threshold: -1, rule: 'more', threshold_rule: 'ratio' }, lr),
        ).map((i) => i.path),
      ).toEqual(['factor', 'threshold', 'rule', 'threshold_rule'])
      expect(left(S.build({ type: 'ReduceOnPlateauLR', begin: 3, end: 2 }, lr))[0]!.path).toBe('end')
      expect(left(S.build({ type: 'ReduceOnPlateauLR', last_step: -2 }, lr))[0]!.path).toBe('last_step')
    },
  )

  it('ReduceOnPlateauMomentum keeps Adam betas in sync', () => {
    let { scheduler, groups } = right(
      S.build({ type: 'ReduceOnPlateauMomentum', patience: 0, factor: 0.5 }, [{ lr: 1, betas: [0.9, 0.99] }]),
    )
    ;({ scheduler, groups } = right(S.step(scheduler, groups, { loss: 1 })))
    ;({ scheduler, groups } = right(S.step(scheduler, groups, { loss: 1 })))
    expect(groups[0]).toMatchObject({ momentum: 0.45, betas: [0.45, 0.99] })
  })
})
