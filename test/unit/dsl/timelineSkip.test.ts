import { describe, expect, it } from 'vitest'
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
