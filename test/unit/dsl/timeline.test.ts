import { describe, expect, it } from 'vitest'
import * as Ev from '../../../src/dsl/Event.js'
import type { Event } from '../../../src/dsl/Event.js'
import * as Loop from '../../../src/dsl/Loop.js'
import { timeline } from '../../../src/dsl/timeline.js'

const show = (events: Iterable<Event>): string[] => [...events].map(Ev.show)

describe('timeline: EpochBasedTrainLoop', () => {
  it('matches spec §1.9: 2 epochs × 2 iterations, validation every epoch (1 val batch)', () => {
    const events = timeline(
      { trainLoop: Loop.EpochBasedTrainLoop({ max_epochs: 2 }), valLoop: Loop.ValLoop() },
      { train: 2, val: 1 },
    )
    expect(show(events)).toEqual([
      'before_run e0 i0',
      'before_train e0 i0',
      'before_train_epoch e0 i0',
      'before_train_iter e0 i0 b0',
      'train_step e0 i0 b0 (pass 0, batch 0)',
      'after_train_iter e0 i0 b0',
      'before_train_iter e0 i1 b1',
      'train_step e0 i1 b1 (pass 0, batch 1)',
      'after_train_iter e0 i1 b1',
      'after_train_epoch e0 i2',
      'before_val e1 i2',
      'before_val_epoch e1 i2',
      'before_val_iter e1 i2 b0',
      'val_step e1 i2 b0 (pass 0, batch 0)',
      'after_val_iter e1 i2 b0',
      'after_val_epoch e1 i2',
      'after_val e1 i2',
      'before_train_epoch e1 i2',
      'before_train_iter e1 i2 b0',
      'train_step e1 i2 b0 (pass 1, batch 0)',
      'after_train_iter e1 i2 b0',
      'before_train_iter e1 i3 b1',
      'train_step e1 i3 b1 (pass 1, batch 1)',
      'after_train_iter e1 i3 b1',
      'after_train_epoch e1 i4',
      'before_val e2 i4',
      'before_val_epoch e2 i4',
      'before_val_iter e2 i4 b0',
      'val_step e2 i4 b0 (pass 0, batch 0)',
      'after_val_iter e2 i4 b0',
      'after_val_epoch e2 i4',
      'after_val e2 i4',
      'after_train e2 i4',
      'after_run e2 i4',
    ])
  })

  it(
    'validates after epochs 5, 10 and 12 with val_interval=5 and ' +
      'dynamic_intervals=[(11, 2)] (MMEngine runner test)',
    () => {
      const loop = Loop.EpochBasedTrainLoop({ max_epochs: 12, val_interval: 5, dynamic_intervals: [[11, 2]] })
      const events = [...timeline({ trainLoop: loop, valLoop: Loop.ValLoop() }, { train: 1, val: 1 })]
      const validatedAt = events.filter((e) => e._tag === 'StageEvent' && e.stage === 'before_val').map((e) => e.epoch)
      expect(validatedAt).toEqual([5, 10, 12])
      // The interval in force at each before_train_epoch: [5]*10 + [2]*2.
      const intervals = events
        .filter((e) => e._tag === 'StageEvent' && e.stage === 'before_train_epoch')
        .map((e) => Loop.valIntervalAfter(loop, e.epoch))
      expect(intervals).toEqual([5, 5, 5, 5, 5, 5, 5, 5, 5, 5, 2, 2])
    },
  )

  it('always validates after the last epoch once val_begin is reached, never before val_begin', () => {
    const loop = Loop.EpochBasedTrainLoop({ max_epochs: 7, val_begin: 3, val_interval: 4 })
    const epochs = [...timeline({ trainLoop: loop, valLoop: Loop.ValLoop() }, { train: 1, val: 0 })]
      .filter((e) => e._tag === 'StageEvent' && e.stage === 'before_val')
      .map((e) => e.epoch)
    expect(epochs).toEqual([4, 7])
  })

  it('resumes at the start of epoch meta.epoch with iter = meta.iter', () => {
    const events = [
      ...timeline(
        { trainLoop: Loop.EpochBasedTrainLoop({ max_epochs: 3 }) },
        { train: 2 },
        { start: { epoch: 2, iter: 4 }, loadsCheckpoint: true },
      ),
    ]
    expect(show(events)).toEqual([
      'before_run e2 i4',
      'after_load_checkpoint e2 i4',
      'before_train e2 i4',
      'before_train_epoch e2 i4',
      'before_train_iter e2 i4 b0',
      'train_step e2 i4 b0 (pass 2, batch 0)',
      'after_train_iter e2 i4 b0',
      'before_train_iter e2 i5 b1',
      'train_step e2 i5 b1 (pass 2, batch 1)',
      'after_train_iter e2 i5 b1',
      'after_train_epoch e2 i6',
      'after_train e3 i6',
      'after_run e3 i6',
    ])
  })

  it('stops before the next epoch when stopTraining is sent back', () => {
    const gen = timeline(
      { trainLoop: Loop.EpochBasedTrainLoop({ max_epochs: 5 }), valLoop: Loop.ValLoop() },
      { train: 2, val: 1 },
    )
    const seen: Event[] = []
    let next = gen.next()
    while (next.done !== true) {
      seen.push(next.value)
      const stop = next.value._tag === 'StageEvent' && next.value.stage === 'after_val_epoch' && next.value.epoch === 2
      next = gen.next(stop ? { stopTraining: true } : undefined)
    }
    const stages = seen.filter(Ev.isStageEvent).map((e) => `${e.stage} e${e.epoch}`)
    expect(stages.filter((s) => s.startsWith('before_train_epoch'))).toEqual([
      'before_train_epoch e0',
      'before_train_epoch e1',
    ])
    expect(stages.slice(-4)).toEqual(['after_val_epoch e2', 'after_val e2', 'after_train e2', 'after_run e2'])
  })
})

describe('timeline: IterBasedTrainLoop', () => {
  it('calls before/after_train_epoch once, passes the global iteration as batch_idx, restarts the loader', () => {
    const events = timeline(
      { trainLoop: Loop.IterBasedTrainLoop({ max_iters: 5, val_interval: 2 }), valLoop: Loop.ValLoop() },
      { train: 2, val: 1 },
    )
    expect(show(events)).toEqual([
      'before_run e0 i0',
      'before_train e0 i0',
      'before_train_epoch e0 i0',
      'before_train_iter e0 i0 b0',
      'train_step e0 i0 b0 (pass 0, batch 0)',
      'after_train_iter e0 i0 b0',
      'before_train_iter e0 i1 b1',
      'train_step e0 i1 b1 (pass 0, batch 1)',
      'after_train_iter e0 i1 b1',
      'before_val e0 i2',
      'before_val_epoch e0 i2',
      'before_val_iter e0 i2 b0',
      'val_step e0 i2 b0 (pass 0, batch 0)',
      'after_val_iter e0 i2 b0',
      'after_val_epoch e0 i2',
      'after_val e0 i2',
      'before_train_iter e0 i2 b2',
      'train_step e0 i2 b2 (pass 1, batch 0)',
      'after_train_iter e0 i2 b2',
      'before_train_iter e0 i3 b3',
      'train_step e0 i3 b3 (pass 1, batch 1)',
      'after_train_iter e0 i3 b3',
      'before_val e0 i4',
      'before_val_epoch e0 i4',
      'before_val_iter e0 i4 b0',
      'val_step e0 i4 b0 (pass 0, batch 0)',
      'after_val_iter e0 i4 b0',
      'after_val_epoch e0 i4',
      'after_val e0 i4',
      'before_train_iter e0 i4 b4',
      'train_step e0 i4 b4 (pass 2, batch 0)',
      'after_train_iter e0 i4 b4',
      'before_val e0 i5',
      'before_val_epoch e0 i5',
      'before_val_iter e0 i5 b0',
      'val_step e0 i5 b0 (pass 0, batch 0)',
      'after_val_iter e0 i5 b0',
      'after_val_epoch e0 i5',
      'after_val e0 i5',
      'after_train_epoch e0 i5',
      'after_train e0 i5',
      'after_run e0 i5',
    ])
  })

  it('a resume continues from the data cursor without replaying batches', () => {
    const steps = [
      ...timeline(
        { trainLoop: Loop.IterBasedTrainLoop({ max_iters: 8 }) },
        { train: 3 },
        { start: { epoch: 0, iter: 5 } },
      ),
    ].filter((e) => e._tag === 'StepEvent')
    expect(steps.map((e) => [e.iter, e.batch.pass, e.batch.index])).toEqual([
      [5, 1, 2],
      [6, 2, 0],
      [7, 2, 1],
    ])
  })

  it('unfolds 1.5 million iterations lazily, without building an array', () => {
    const before = process.memoryUsage().heapUsed
    let steps = 0
    let last: Event | undefined
    for (const event of timeline({ trainLoop: Loop.IterBasedTrainLoop({ max_iters: 1_500_000 }) }, { train: 5005 })) {
      if (event._tag === 'StepEvent') steps++
      last = event
    }
    const grown = process.memoryUsage().heapUsed - before
    expect(steps).toBe(1_500_000)
    expect(last && Ev.show(last)).toBe('after_run e0 i1500000')
    // 4.5 million events kept in an array would need hundreds of MB; a lazy unfold needs none.
    expect(grown).toBeLessThan(64 * 1024 * 1024)
  })
})

describe('timeline: val, test and run entries', () => {
  it('runner.test() without training sees zero counters', () => {
    expect(
      show(
        timeline(
          { trainLoop: Loop.EpochBasedTrainLoop({ max_epochs: 2 }), testLoop: Loop.TestLoop() },
          { train: 4, test: 1 },
          { entry: 'test' },
        ),
      ),
    ).toEqual([
      'before_run e0 i0',
      'before_test e0 i0',
      'before_test_epoch e0 i0',
      'before_test_iter e0 i0 b0',
      'test_step e0 i0 b0 (pass 0, batch 0)',
      'after_test_iter e0 i0 b0',
      'after_test_epoch e0 i0',
      'after_test e0 i0',
      'after_run e0 i0',
    ])
  })

  it('testAfterTrain runs the test loop before after_run with the final counters', () => {
    const stages = [
      ...timeline(
        { trainLoop: Loop.EpochBasedTrainLoop({ max_epochs: 1 }), testLoop: Loop.TestLoop() },
        { train: 1, test: 0 },
        { testAfterTrain: true },
      ),
    ]
      .filter(Ev.isStageEvent)
      .map((e) => `${e.stage} e${e.epoch} i${e.iter}`)
    expect(stages.slice(-6)).toEqual([
      'after_train e1 i1',
      'before_test e1 i1',
      'before_test_epoch e1 i1',
      'after_test_epoch e1 i1',
      'after_test e1 i1',
      'after_run e1 i1',
    ])
  })
})
