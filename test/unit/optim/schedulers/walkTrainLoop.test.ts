import * as E from 'fp-ts/lib/Either.js'
import { describe, expect, it } from 'vitest'
import { walkTrainLoop } from '../../../../src/optim/schedulers/simulate.js'
import type { SchedulerTrigger } from '../../../../src/dsl/Services.js'
import type { TrainWalk } from '../../../../src/optim/schedulers/simulate.js'

// The state is the list of triggers seen so far: the walk's order is what is under test.
const record = (seen: ReadonlyArray<string>, t: SchedulerTrigger): E.Either<string, ReadonlyArray<string>> =>
  E.right([...seen, t._tag === 'AfterValEpoch' ? `val(${JSON.stringify(t.metrics)})` : t._tag])

type Step = (seen: ReadonlyArray<string>, t: SchedulerTrigger) => E.Either<string, ReadonlyArray<string>>
const walk = (step: Step, shape: TrainWalk) => walkTrainLoop<ReadonlyArray<string>, string>([], step, shape, () => {})

describe("walkTrainLoop: ParamSchedulerHook's stepping order", () => {
  it('epoch-based: every iteration, then each epoch end, then validation when there are metrics', () => {
    const visits: number[] = []
    const walked = walkTrainLoop<ReadonlyArray<string>, string>(
      [],
      record,
      {
        maxIters: 4,
        epochLength: 2,
        epochBased: true,
        metrics: (e) => (e === 2 ? { acc: 1 } : undefined),
      },
      (_, i) => visits.push(i),
    )
    expect(visits).toEqual([0, 1, 2, 3])
    expect(walked).toEqual(
      E.right([
        'AfterTrainIter',
        'AfterTrainIter',
        'AfterTrainEpoch',
        'AfterTrainIter',
        'AfterTrainIter',
        'AfterTrainEpoch',
        'val({"acc":1})',
      ]),
    )
  })
  it('iteration-based: the epoch schedulers step once, after the last iteration', () => {
    const walked = walk(record, { maxIters: 3, epochLength: 2, epochBased: false })
    expect(walked).toEqual(E.right(['AfterTrainIter', 'AfterTrainIter', 'AfterTrainIter', 'AfterTrainEpoch']))
  })
  it('says when a step failed', () => {
    const failAtEpoch = (seen: ReadonlyArray<string>, t: SchedulerTrigger) =>
      t._tag === 'AfterTrainEpoch' && seen.length > 3 ? E.left('boom') : record(seen, t)
    const walked = walk(failAtEpoch, { maxIters: 6, epochLength: 2, epochBased: true })
    expect(walked).toEqual(E.left({ error: 'boom', at: { _tag: 'epoch', epoch: 1 } }))
    const failAtIter = (seen: ReadonlyArray<string>, t: SchedulerTrigger) =>
      seen.length === 1 ? E.left(`no ${t._tag}`) : record(seen, t)
    expect(walk(failAtIter, { maxIters: 6, epochLength: 2, epochBased: true })).toEqual(
      E.left({ error: 'no AfterTrainIter', at: { _tag: 'iter', iter: 1 } }),
    )
  })
})
