import { describe, expect, it } from 'vitest'
import fc from 'fast-check'
import type { Event } from '../../../src/dsl/Event.js'
import * as Ev from '../../../src/dsl/Event.js'
import * as Loop from '../../../src/dsl/Loop.js'
import { timeline } from '../../../src/dsl/timeline.js'
import type { Control, Loops, Sizes } from '../../../src/dsl/timeline.js'

/** Unfold, answering `skipTo` at the events `reply` picks. */
const unfold = (loops: Loops, sizes: Sizes, reply: (e: Event) => Control | undefined): string[] => {
  const events = timeline(loops, sizes)
  const out: string[] = []
  let next = events.next()
  while (next.done !== true) {
    out.push(Ev.show(next.value))
    next = events.next(reply(next.value))
  }
  return out
}

const iters = (shown: string[]) => shown.filter((s) => s.startsWith('train_step')).map((s) => s.split(' ')[2])

describe('timeline: skipTo', () => {
  it('leaves out the iterations before the target within the epoch, and no more', () => {
    const loops = { trainLoop: Loop.EpochBasedTrainLoop({ max_epochs: 2 }) }
    const shown = unfold(loops, { train: 5 }, (e) =>
      e._tag === 'StageEvent' && e.stage === 'before_train_epoch' ? { skipTo: e.iter + 3 } : undefined,
    )
    expect(iters(shown)).toEqual(['i3', 'i4', 'i8', 'i9'])
    // Every epoch still opens and closes, with the counters a walk has there.
    expect(shown.filter((s) => s.startsWith('after_train_epoch'))).toEqual([
      'after_train_epoch e0 i5',
      'after_train_epoch e1 i10',
    ])
  })

  it('is clamped to the epoch end, and to max_iters in an iteration-based loop', () => {
    const epochs = unfold({ trainLoop: Loop.EpochBasedTrainLoop({ max_epochs: 2 }) }, { train: 4 }, (e) =>
      e._tag === 'StageEvent' && e.stage === 'after_train_iter' && e.iter === 0 ? { skipTo: 100 } : undefined,
    )
    expect(iters(epochs)).toEqual(['i0', 'i4', 'i5', 'i6', 'i7'])
    const its = unfold({ trainLoop: Loop.IterBasedTrainLoop({ max_iters: 6 }) }, { train: 4 }, (e) =>
      e._tag === 'StageEvent' && e.stage === 'after_train_iter' && e.iter === 1 ? { skipTo: 100 } : undefined,
    )
    expect(iters(its)).toEqual(['i0', 'i1'])
    expect(its.at(-3)).toBe('after_train_epoch e0 i6')
  })

  it('keeps the batch cursor of an iteration-based loop in step with the iteration', () => {
    const shown = unfold({ trainLoop: Loop.IterBasedTrainLoop({ max_iters: 8 }) }, { train: 3 }, (e) =>
      e._tag === 'StageEvent' && e.stage === 'before_train_epoch' ? { skipTo: 5 } : undefined,
    )
    expect(shown.filter((s) => s.startsWith('train_step'))).toEqual([
      'train_step e0 i5 b5 (pass 1, batch 2)',
      'train_step e0 i6 b6 (pass 2, batch 0)',
      'train_step e0 i7 b7 (pass 2, batch 1)',
    ])
  })
})

describe('timeline: skipEpochsTo', () => {
  const at = (e: Event, stage: string, epoch?: number) =>
    e._tag === 'StageEvent' && e.stage === stage && (epoch === undefined || e.epoch === epoch)

  it('plans the walk without the whole epochs it leaves out (and their validations), counters included', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 8 }),
        fc.integer({ min: 0, max: 4 }),
        fc.integer({ min: 1, max: 3 }),
        fc.integer({ min: 0, max: 9 }),
        fc.integer({ min: 0, max: 11 }),
        (maxEpochs, train, valInterval, from, to) => {
          const loops = {
            trainLoop: Loop.EpochBasedTrainLoop({ max_epochs: maxEpochs, val_interval: valInterval }),
            valLoop: Loop.ValLoop(),
          }
          const sizes = { train, val: 1 }
          const walked = unfold(loops, sizes, () => undefined)
          const skipped = unfold(loops, sizes, (e) =>
            at(e, 'after_train_epoch', from) ? { skipEpochsTo: to } : undefined,
          )
          // From the epoch after `from` (and after its validation) up to the start of epoch `to`, or to the end.
          const target = Math.min(Math.max(to, from + 1), maxEpochs)
          const start = (epoch: number) =>
            walked.findIndex((s) => s.startsWith(epoch < maxEpochs ? `before_train_epoch e${epoch} ` : 'after_train '))
          const expected =
            from >= maxEpochs ? walked : [...walked.slice(0, start(from + 1)), ...walked.slice(start(target))]
          expect(skipped).toEqual(expected)
        },
      ),
    )
  })

  it('is clamped to max_epochs, with the counters of a walk to the end', () => {
    const loops = { trainLoop: Loop.EpochBasedTrainLoop({ max_epochs: 5 }) }
    const out = unfold(loops, { train: 3 }, (e) => (at(e, 'after_train_epoch', 0) ? { skipEpochsTo: 1e12 } : undefined))
    expect(iters(out)).toEqual(['i0', 'i1', 'i2'])
    expect(out.slice(-2)).toEqual(['after_train e5 i15', 'after_run e5 i15'])
  })

  it('is not honoured inside an epoch, nor by an iteration-based loop', () => {
    const epochs = { trainLoop: Loop.EpochBasedTrainLoop({ max_epochs: 3 }) }
    const walked = unfold(epochs, { train: 2 }, () => undefined)
    expect(unfold(epochs, { train: 2 }, (e) => (at(e, 'after_train_iter') ? { skipEpochsTo: 3 } : undefined))).toEqual(
      walked,
    )
    const its = { trainLoop: Loop.IterBasedTrainLoop({ max_iters: 5 }) }
    expect(unfold(its, { train: 2 }, (e) => (at(e, 'after_train_epoch') ? { skipEpochsTo: 9 } : undefined))).toEqual(
      unfold(its, { train: 2 }, () => undefined),
    )
  })
})

describe('timeline: skipItersTo', () => {
  const at = (e: Event, stage: string, iter?: number) =>
    e._tag === 'StageEvent' && e.stage === stage && (iter === undefined || e.iter === iter)

  it('plans the walk without the iterations it leaves out (and their validations), counters included', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 20 }),
        fc.integer({ min: 1, max: 4 }),
        fc.integer({ min: 0, max: 19 }),
        fc.integer({ min: 0, max: 25 }),
        fc.boolean(),
        (maxIters, valInterval, from, to, afterVal) => {
          const loops = {
            trainLoop: Loop.IterBasedTrainLoop({ max_iters: maxIters, val_interval: valInterval }),
            valLoop: Loop.ValLoop(),
          }
          const sizes = { train: 3, val: 1 }
          const walked = unfold(loops, sizes, () => undefined)
          // Sent after iteration `from`, or from the validation after it when there is one.
          const validates = Loop.validatesAfter(loops.trainLoop, from + 1)
          const sender = (e: Event) =>
            afterVal && validates ? at(e, 'after_val', from + 1) : at(e, 'after_train_iter', from)
          const skipped = unfold(loops, sizes, (e) => (sender(e) ? { skipItersTo: to } : undefined))
          const target = Math.min(Math.max(to, from + 1), maxIters)
          const start = (iter: number) =>
            walked.findIndex((s) =>
              s.startsWith(iter < maxIters ? `before_train_iter e0 i${iter} ` : 'after_train_epoch'),
            )
          const expected =
            from >= maxIters ? walked : [...walked.slice(0, start(from + 1)), ...walked.slice(start(target))]
          expect(skipped).toEqual(expected)
        },
      ),
    )
  })

  it('is not honoured by an epoch-based loop', () => {
    const epochs = { trainLoop: Loop.EpochBasedTrainLoop({ max_epochs: 3 }) }
    const walked = unfold(epochs, { train: 2 }, () => undefined)
    expect(unfold(epochs, { train: 2 }, (e) => (at(e, 'after_train_iter') ? { skipItersTo: 5 } : undefined))).toEqual(
      walked,
    )
  })
})
