/**
 * OneCycleLR (spec §12.2, §12.3, §16.2 test_onecycle_lr).
 */
import { describe, expect, it } from 'vitest'
import * as S from '../../../../src/optim/schedulers/index.js'
import { expectClose, left, right, values } from './support.js'

const lr = [{ lr: 0.05 }]

describe('OneCycleLR', () => {
  it('two phases, linear: 1, 13, 25, 21.5, …, 0.5', () => {
    expect(
      values(
        { type: 'OneCycleLR', eta_max: 25, final_div_factor: 2, total_steps: 10, anneal_strategy: 'linear' },
        lr,
        10,
      ),
    ).toEqual([1, 13, 25, 21.5, 18, 14.5, 11, 7.5, 4, 0.5])
  })

  it('three phases, linear: 1, 9, 17, 25, 17, 9, 1, 0.75, 0.5, 0.25', () => {
    const cfg = {
      type: 'OneCycleLR',
      eta_max: 25,
      final_div_factor: 4,
      total_steps: 10,
      pct_start: 0.4,
      anneal_strategy: 'linear',
      three_phase: true,
    }
    expect(values(cfg, lr, 10)).toEqual([1, 9, 17, 25, 17, 9, 1, 0.75, 0.5, 0.25])
  })

  it('two phases, cosine: [1, 13, 25, cos(25 → 0.5, k/7) for k = 1..6, 0.5]', () => {
    const v = values({ type: 'OneCycleLR', eta_max: 25, final_div_factor: 2, total_steps: 10 }, lr, 10)
    const cos = (start: number, end: number, pct: number) => end + ((start - end) / 2) * (Math.cos(Math.PI * pct) + 1)
    expectClose(v, [1, 13, 25, ...[1, 2, 3, 4, 5, 6].map((k) => cos(25, 0.5, k / 7)), 0.5])
    expect(v.slice(0, 3)).toEqual([1, 13, 25])
  })

  it('overwrites initial_lr and writes max_lr and min_lr on every group; a list gives one eta_max per group', () => {
    const built = right(
      S.build({ type: 'OneCycleLR', eta_max: [25, 50], total_steps: 10, final_div_factor: 2 }, [
        { lr: 0.1, initial_lr: 7 },
        { lr: 0.2 },
      ]),
    )
    expect(built.groups).toEqual([
      { lr: 1, initial_lr: 1, max_lr: 25, min_lr: 0.5 },
      { lr: 2, initial_lr: 2, max_lr: 50, min_lr: 1 },
    ])
    expect(built.scheduler).toMatchObject({ base_values: [1, 2], total_steps: 10, anneal_strategy: 'cos' })
  })

  it('total_steps defaults to end − begin', () => {
    expect(right(S.build({ type: 'OneCycleLR', eta_max: 1, begin: 2, end: 12 }, lr)).scheduler).toMatchObject({
      total_steps: 10,
    })
  })

  it('stepping beyond total_steps is a ValueError value, not an exception', () => {
    let { scheduler, groups } = right(S.build({ type: 'OneCycleLR', eta_max: 1, total_steps: 4, end: 100 }, lr))
    for (let k = 1; k <= 4; k++) ({ scheduler, groups } = right(S.step(scheduler, groups)))
    expect(scheduler.last_step).toBe(4)
    expect(left(S.step(scheduler, groups))).toEqual({
      _tag: 'SchedulerError',
      error: 'ValueError',
      message: 'Tried to step 6 times. The specified number of total steps is 4',
    })
  })

  it('a first phase of length 0 divides by zero at construction, as in MMEngine', () => {
    expect(left(S.build({ type: 'OneCycleLR', eta_max: 1, total_steps: 10, pct_start: 0.1 }, lr))).toEqual([
      { path: '', message: 'ZeroDivisionError: float division by zero' },
    ])
  })

  it('rejects a wrong eta_max list, a non-lr param_name and bad arguments', () => {
    expect(left(S.build({ type: 'OneCycleLR', eta_max: [1, 2, 3], total_steps: 10 }, [{ lr: 1 }, { lr: 1 }]))).toEqual([
      { path: 'eta_max', message: 'expected 2 values for max_lr (one per param group), got 3' },
    ])
    expect(
      left(
        S.build({ type: 'OneCycleParamScheduler', param_name: 'momentum', total_steps: 10 }, [
          { lr: 1, momentum: 0.9 },
        ]),
      )[0]!.path,
    ).toBe('param_name')
    expect(
      left(S.build({ type: 'OneCycleLR', total_steps: 0, pct_start: 1.5, anneal_strategy: 'cosine' }, lr)).map(
        (i) => i.path,
      ),
    ).toEqual(['total_steps', 'pct_start', 'anneal_strategy'])
    expect(S.lookup('OneCycleMomentum')).toBeUndefined()
  })
})
