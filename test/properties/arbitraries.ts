/**
 * fast-check arbitraries for loopwright's pure values: loops, sizes, hooks, configs.
 */
import fc from 'fast-check'
import { Effect } from 'effect'
import * as Hook from '../../src/dsl/Hook.js'
import * as Loop from '../../src/dsl/Loop.js'
import * as P from '../../src/dsl/Priority.js'
import type { Sizes } from '../../src/dsl/timeline.js'

/** A priority written as a name (any letter case) or an integer 0..100. */
export const priorityInput: fc.Arbitrary<string | number> = fc.oneof(
  fc.constantFrom(...Object.keys(P.levels)).chain((name) => fc.constantFrom(name, name.toLowerCase())),
  fc.integer({ min: 0, max: 100 }),
)

/** Dynamic intervals with strictly increasing milestones. */
const dynamicIntervals = (max: number): fc.Arbitrary<ReadonlyArray<readonly [number, number]>> =>
  fc
    .uniqueArray(fc.integer({ min: 1, max: Math.max(1, max + 2) }), { maxLength: 3 })
    .chain((milestones) =>
      fc.tuple(
        ...[...milestones].sort((a, b) => a - b).map((m) => fc.tuple(fc.constant(m), fc.integer({ min: 1, max: 5 }))),
      ),
    )

export const epochLoop: fc.Arbitrary<Loop.EpochBasedTrainLoop> = fc.integer({ min: 1, max: 8 }).chain((max_epochs) =>
  fc
    .record({
      max_epochs: fc.constant(max_epochs),
      val_begin: fc.integer({ min: 0, max: max_epochs + 1 }),
      val_interval: fc.integer({ min: 1, max: 4 }),
      dynamic_intervals: dynamicIntervals(max_epochs),
    })
    .map((o) => Loop.EpochBasedTrainLoop(o)),
)

export const iterLoop: fc.Arbitrary<Loop.IterBasedTrainLoop> = fc.integer({ min: 1, max: 40 }).chain((max_iters) =>
  fc
    .record({
      max_iters: fc.constant(max_iters),
      val_begin: fc.integer({ min: 0, max: max_iters + 1 }),
      val_interval: fc.integer({ min: 1, max: 12 }),
      dynamic_intervals: dynamicIntervals(max_iters),
    })
    .map((o) => Loop.IterBasedTrainLoop(o)),
)

export const trainLoop: fc.Arbitrary<Loop.TrainLoop> = fc.oneof(epochLoop, iterLoop)

export const sizes: fc.Arbitrary<Sizes> = fc.record({
  train: fc.integer({ min: 0, max: 6 }),
  val: fc.integer({ min: 0, max: 3 }),
  test: fc.integer({ min: 0, max: 3 }),
})

export interface LoopsCase {
  readonly trainLoop: Loop.TrainLoop
  readonly valLoop: Loop.ValLoop | undefined
  readonly testLoop: Loop.TestLoop | undefined
  readonly sizes: Sizes
  readonly testAfterTrain: boolean
  readonly loadsCheckpoint: boolean
}

export const loopsCase: fc.Arbitrary<LoopsCase> = fc.record({
  trainLoop,
  valLoop: fc.option(fc.constant(Loop.ValLoop()), { nil: undefined }),
  testLoop: fc.option(fc.constant(Loop.TestLoop()), { nil: undefined }),
  sizes,
  testAfterTrain: fc.boolean(),
  loadsCheckpoint: fc.boolean(),
})

/** A hook that acts at every stage and does nothing (like the conformance `Rec*` hooks). */
export const inertHook = (name: string, priority: P.Priority): Hook.Hook =>
  Hook.make({
    name,
    key: name,
    priority,
    stages: { before_run: (s) => Effect.succeed(s), after_train_iter: (s) => Effect.succeed(s) },
  })
