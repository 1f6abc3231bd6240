import { describe, expect, it } from 'vitest'
import { buildAll, kindsOf, shared, stepAll } from '../../../../src/optim/schedulers/index.js'
import type { Groups, ParamScheduler } from '../../../../src/optim/schedulers/index.js'
import { left, right } from './support.js'

const warmupCosine = [
  { type: 'LinearLR', start_factor: 1e-4, by_epoch: false, begin: 0, end: 40 },
  { type: 'CosineAnnealingLR', T_max: 160, by_epoch: false, begin: 40, end: 200 },
]

/** MAE's param-wise groups: one per parameter, norms and biases without weight decay. */
const maeLike = (n: number): Groups =>
  Array.from({ length: n }, (_, i) => ({ lr: 0.0024, weight_decay: i % 3 === 0 ? 0 : 0.05, betas: [0.9, 0.95] }))

const built = (groups: Groups) => right(buildAll(warmupCosine, groups, { maxIters: 200 }))

const afterIter = (s: ReadonlyArray<ParamScheduler>, g: Groups) => stepAll(s, g, { _tag: 'AfterTrainIter' })

describe('kindsOf', () => {
  it('finds two kinds among 300 MAE-like groups', () => {
    const { schedulers, groups } = built(maeLike(300))
    const kinds = kindsOf(schedulers, groups)!
    expect(kinds.representatives).toEqual([0, 1])
    expect(kinds.kindOf.slice(0, 6)).toEqual([0, 1, 1, 0, 1, 1])
  })

  it('keeps groups apart whose schedulers started them from different values', () => {
    const { schedulers, groups } = built([{ lr: 0.1 }, { lr: 0.1 }, { lr: 0.1 }])
    // The same values now, but the second scheduler's base value for group 1 differs: its curve will.
    const cosine = schedulers[1]! as ParamScheduler & { base_values: ReadonlyArray<number> }
    const moved = [schedulers[0]!, { ...cosine, base_values: [0.1, 0.2, 0.1] }]
    expect(kindsOf(moved, groups)!.kindOf).toEqual([0, 1, 0])
  })

  it('keeps -0 apart from 0 and one key order apart from another', () => {
    const groups: Groups = [
      { lr: 0, wd: 1 },
      { lr: -0, wd: 1 },
      { wd: 1, lr: 0 },
      { lr: 0, wd: 1 },
    ]
    expect(kindsOf([], groups)!.kindOf).toEqual([0, 1, 2, 0])
  })
})

describe('shared', () => {
  it('steps each kind once and gives every group of a kind the same values', () => {
    const start = built(maeLike(300))
    const seen: number[] = []
    const counted = (s: ReadonlyArray<ParamScheduler>, g: Groups) => {
      seen.push(g.length)
      return afterIter(s, g)
    }
    let state = start
    let plain = start
    for (let k = 0; k < 50; k++) {
      state = right(shared(counted)(state.schedulers, state.groups))
      plain = right(afterIter(plain.schedulers, plain.groups))
    }
    expect(seen).toEqual(Array.from({ length: 50 }, () => 2))
    expect(state.groups).toEqual(plain.groups)
    expect(state.schedulers).toEqual(plain.schedulers)
    expect(state.groups[4]).toBe(state.groups[1])
    expect(state.groups[299]).not.toBe(state.groups[0])
  })

  it('names the failing group by its index among all the groups', () => {
    const start = built(maeLike(8))
    const broken = start.groups.map((g, i) => (i === 5 ? { ...g, lr: 'high' } : g))
    const failure = left(shared(afterIter)(start.schedulers, broken))
    expect(failure).toEqual(left(afterIter(start.schedulers, broken)))
    expect(failure.message).toContain('param_groups[5]')
  })

  it('moves groups that are all different as the move does', () => {
    const start = built([{ lr: 0.1 }, { lr: 0.2 }])
    const moved = right(shared(afterIter)(start.schedulers, start.groups))
    expect(moved).toEqual(right(afterIter(start.schedulers, start.groups)))
  })
})
