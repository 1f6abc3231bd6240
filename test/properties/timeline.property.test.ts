import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import type { Event, StageEvent } from '../../src/dsl/Event.js'
import * as Loop from '../../src/dsl/Loop.js'
import * as Stage from '../../src/dsl/Stage.js'
import { timeline } from '../../src/dsl/timeline.js'
import { loopsCase } from './arbitraries.js'
import type { LoopsCase } from './arbitraries.js'

const unfold = (c: LoopsCase): Event[] => [
  ...timeline({ trainLoop: c.trainLoop, valLoop: c.valLoop, testLoop: c.testLoop }, c.sizes, {
    testAfterTrain: c.testAfterTrain,
    loadsCheckpoint: c.loadsCheckpoint,
  }),
]

const stageEvents = (events: Event[]): StageEvent[] => events.filter((e): e is StageEvent => e._tag === 'StageEvent')

/** Reference: the validation points of an MMEngine train loop, recomputed with Python's bisect and modulo. */
const referenceValidations = (loop: Loop.TrainLoop): number[] => {
  const total = loop.type === 'EpochBasedTrainLoop' ? loop.max_epochs : loop.max_iters
  const milestones = [0, ...loop.dynamic_intervals.map(([m]) => m)]
  const intervals = [loop.val_interval, ...loop.dynamic_intervals.map(([, i]) => i)]
  const bisectRight = (xs: number[], x: number) => xs.filter((m) => m <= x).length
  const points: number[] = []
  for (let done = 1; done <= total; done++) {
    const interval = intervals[bisectRight(milestones, done + 1) - 1]!
    if (done >= loop.val_begin && (done % interval === 0 || done === total)) points.push(done)
  }
  return points
}

describe('timeline laws', () => {
  it('every before_X has its after_X, and brackets nest properly', () => {
    fc.assert(
      fc.property(loopsCase, (c) => {
        const stack: Stage.Stage[] = []
        const closers = new Map(Stage.brackets.map(([open, close]) => [close, open]))
        for (const e of stageEvents(unfold(c))) {
          if (Stage.closing(e.stage) !== undefined) stack.push(e.stage)
          else if (closers.has(e.stage)) expect(stack.pop()).toBe(closers.get(e.stage))
        }
        expect(stack).toEqual([])
      }),
    )
  })

  it('each step sits between its before_*_iter and after_*_iter with the same counters', () => {
    fc.assert(
      fc.property(loopsCase, (c) => {
        const events = unfold(c)
        events.forEach((e, i) => {
          if (e._tag !== 'StepEvent') return
          const before = events[i - 1] as StageEvent
          const after = events[i + 1] as StageEvent
          expect(before.stage).toBe(`before_${e.mode}_iter`)
          expect(after.stage).toBe(`after_${e.mode}_iter`)
          expect([before.iter, before.batchIdx, after.iter, after.batchIdx]).toEqual([
            e.iter,
            e.batchIdx,
            e.iter,
            e.batchIdx,
          ])
        })
      }),
    )
  })

  it('counts of iterations, epochs, validations and tests follow from train_cfg and the data sizes', () => {
    fc.assert(
      fc.property(loopsCase, (c) => {
        const events = unfold(c)
        const stages = stageEvents(events)
        const count = (stage: Stage.Stage) => stages.filter((e) => e.stage === stage).length
        const steps = (mode: Stage.Mode) => events.filter((e) => e._tag === 'StepEvent' && e.mode === mode).length
        const L = c.sizes.train ?? 0
        const loop = c.trainLoop
        const validations = c.valLoop === undefined ? 0 : referenceValidations(loop).length
        const tests = c.testLoop !== undefined && c.testAfterTrain ? 1 : 0
        expect(steps('train')).toBe(Loop.maxIters(loop, L))
        expect(count('before_train_epoch')).toBe(loop.type === 'EpochBasedTrainLoop' ? loop.max_epochs : 1)
        expect(count('after_train_epoch')).toBe(count('before_train_epoch'))
        expect(count('before_val')).toBe(validations)
        expect(steps('val')).toBe(validations * (c.sizes.val ?? 0))
        expect(count('before_test')).toBe(tests)
        expect(steps('test')).toBe(tests * (c.sizes.test ?? 0))
        expect(count('before_run')).toBe(1)
        expect(count('after_load_checkpoint')).toBe(c.loadsCheckpoint ? 1 : 0)
      }),
    )
  })

  it('validation happens exactly at the reference points, with the counters MMEngine shows', () => {
    fc.assert(
      fc.property(
        loopsCase.filter((c) => c.valLoop !== undefined),
        (c) => {
          const at = stageEvents(unfold(c))
            .filter((e) => e.stage === 'before_val')
            .map((e) => (c.trainLoop.type === 'EpochBasedTrainLoop' ? e.epoch : e.iter))
          expect(at).toEqual(referenceValidations(c.trainLoop))
        },
      ),
    )
  })

  it('counters never decrease, and iter advances by one per train step', () => {
    fc.assert(
      fc.property(loopsCase, (c) => {
        let previous = { epoch: 0, iter: 0 }
        let trainSteps = 0
        for (const e of unfold(c)) {
          expect(e.epoch >= previous.epoch && e.iter >= previous.iter).toBe(true)
          if (e._tag === 'StepEvent' && e.mode === 'train') expect(e.iter).toBe(trainSteps++)
          previous = e
        }
      }),
    )
  })

  it('resuming from the counters of any epoch boundary yields the tail of the uninterrupted timeline', () => {
    fc.assert(
      fc.property(loopsCase, fc.nat(), (c, pick) => {
        const full = unfold({ ...c, loadsCheckpoint: false })
        const boundaries = full.filter(
          (e): e is StageEvent => e._tag === 'StageEvent' && e.stage === 'before_train_epoch',
        )
        if (c.trainLoop.type !== 'EpochBasedTrainLoop' || boundaries.length === 0) return
        const start = boundaries[pick % boundaries.length]!
        const resumed = [
          ...timeline({ trainLoop: c.trainLoop, valLoop: c.valLoop, testLoop: c.testLoop }, c.sizes, {
            testAfterTrain: c.testAfterTrain,
            start,
          }),
        ]
        const tail = full.slice(full.indexOf(start))
        // The resumed run re-emits before_run and before_train first, then continues exactly like the original.
        expect(resumed.slice(2)).toEqual(tail)
      }),
    )
  })

  it('resuming from the counters of any iteration boundary continues with the next batch, in both loop kinds', () => {
    fc.assert(
      fc.property(loopsCase, fc.nat(), (c, pick) => {
        const full = unfold({ ...c, loadsCheckpoint: false })
        const iterStarts = full.filter(
          (e): e is StageEvent => e._tag === 'StageEvent' && e.stage === 'before_train_iter',
        )
        if (iterStarts.length === 0) return
        const at = iterStarts[pick % iterStarts.length]!
        const resumed = [
          ...timeline({ trainLoop: c.trainLoop, valLoop: c.valLoop, testLoop: c.testLoop }, c.sizes, {
            testAfterTrain: c.testAfterTrain,
            start: { epoch: at.epoch, iter: at.iter },
          }),
        ]
        // before_run, before_train and the interrupted epoch's before_train_epoch come again, then the very same
        // iterations.
        expect(resumed.slice(3)).toEqual(full.slice(full.indexOf(at)))
        expect(resumed[2]).toMatchObject({ stage: 'before_train_epoch', epoch: at.epoch, iter: at.iter })
      }),
    )
  })
})
