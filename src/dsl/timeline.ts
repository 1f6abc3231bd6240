/**
 * `timeline`: the exact, lazy event sequence MMEngine's runner produces for a
 * program, unfolded from the loop descriptions and the data sizes alone.
 *
 * The generator holds only counters (O(1) memory), so a schedule of millions
 * of iterations unfolds without ever being materialised. It is a coroutine:
 * the value passed to `next()` may request `stopTraining`, which the train
 * loops test exactly where MMEngine tests `train_loop.stop_training` (before
 * each epoch, or before each iteration).
 *
 * @example
 * ```ts
 * import { Loop, timeline, Event } from 'loopwright'
 * const events = timeline(
 *   { trainLoop: Loop.EpochBasedTrainLoop({ max_epochs: 2 }), valLoop: Loop.ValLoop() },
 *   { train: 2, val: 1 },
 * )
 * for (const e of events) console.log(Event.show(e))
 * // before_run e0 i0, before_train e0 i0, before_train_epoch e0 i0, before_train_iter e0 i0 b0, train_step …
 * ```
 * @module
 */
import * as Ev from './Event.js'
import type { Event } from './Event.js'
import * as Loop from './Loop.js'
import type { Mode } from './Stage.js'

/** The loops a timeline is unfolded from (a `Program` has these fields). */
export interface Loops {
  readonly trainLoop?: Loop.TrainLoop | undefined
  readonly valLoop?: Loop.ValLoop | undefined
  readonly testLoop?: Loop.TestLoop | undefined
}

/** Batches per epoch of each data loader. A loop whose size is absent sees an empty loader. */
export interface Sizes {
  readonly train?: number
  readonly val?: number
  readonly test?: number
}

/** What the timeline runs: `runner.train()`, `runner.val()` or `runner.test()`. */
export type Entry = 'train' | 'val' | 'test'

/** Where a resumed run starts: the counters restored from a checkpoint's `meta`. */
export interface Start {
  readonly epoch: number
  readonly iter: number
}

export interface TimelineOptions {
  /** Which runner method to unfold. Default `'train'`. */
  readonly entry?: Entry
  /** Emit `after_load_checkpoint` after `before_run` (a `load_from` or a resume). Default false. */
  readonly loadsCheckpoint?: boolean
  /** Counters to resume from. Default `{ epoch: 0, iter: 0 }`. */
  readonly start?: Start
  /**
   * After training, run the test loop inside the same run (before `after_run`).
   * loopwright's `train` command does this when a test loop is configured;
   * MMEngine users call `runner.test()` separately. Default false.
   */
  readonly testAfterTrain?: boolean
}

/** Sent back into the generator through `next(control)`. */
export interface Control {
  /** MMEngine's `train_loop.stop_training = True`. */
  readonly stopTraining?: boolean
  /**
   * Continue the train loop at this global iteration, leaving out the events of the iterations before it. Honoured
   * at an iteration boundary (sent in reply to `before_train_epoch` or `after_train_iter`), clamped to the end of
   * the epoch (epoch-based) or of training (iteration-based). The sender accounts for what those iterations do;
   * the dry run uses it to fast-forward iterations that differ only in their counters. It must not leave out an
   * iteration after which validation runs (iteration-based loops).
   */
  readonly skipTo?: number
  /**
   * Continue an epoch-based train loop at the start of this epoch, leaving out the events of the whole epochs
   * before it (their iterations and their validations); the iteration counter moves on by their batches. Honoured
   * when sent in reply to `after_train_epoch` or to an event of the validation that follows it; clamped to
   * `max_epochs`; ignored by iteration-based loops. The sender accounts for what those epochs do (the building block
   * of the dry run's whole-epoch fast-forward, docs/dry-run.md).
   */
  readonly skipEpochsTo?: number
  /**
   * Continue an iteration-based train loop at this iteration, leaving out the events of the iterations before it
   * and of the validations after them. Honoured when sent in reply to `after_train_iter` or to an event of the
   * validation that follows it; clamped to `max_iters`; ignored by epoch-based loops. The sender accounts for what
   * those iterations do (the dry run's blocks of iterations, docs/dry-run.md).
   */
  readonly skipItersTo?: number
}

/** A lazy event sequence that accepts {@link Control} through `next()`. */
export type Timeline = Generator<Event, void, Control | undefined>

/**
 * Unfold the event sequence of `entry` for these loops and data sizes.
 * Total: any sizes (including 0) give a finite sequence.
 */
export function* timeline(loops: Loops, sizes: Sizes, options: TimelineOptions = {}): Timeline {
  const entry = options.entry ?? 'train'
  let epoch = options.start?.epoch ?? 0
  let iter = options.start?.iter ?? 0
  let stopTraining = false
  let skipTo: number | undefined
  let skipEpochsTo: number | undefined
  let skipItersTo: number | undefined

  // Every yield funnels through here so that a stop request (or a skip) is seen wherever it is sent.
  function* emit(event: Event): Generator<Event, void, Control | undefined> {
    const control = yield event
    if (control?.stopTraining === true) stopTraining = true
    if (control?.skipTo !== undefined) skipTo = control.skipTo
    if (control?.skipEpochsTo !== undefined) skipEpochsTo = control.skipEpochsTo
    if (control?.skipItersTo !== undefined) skipItersTo = control.skipItersTo
  }

  // A pending skip moves the counters forward to `skipTo`, at most to `end` (exclusive bound of this loop's iters).
  const skipped = (end: number): number => {
    const target = skipTo === undefined ? iter : Math.max(iter, Math.min(skipTo, end))
    skipTo = undefined
    const by = target - iter
    iter = target
    return by
  }

  function* evalLoop(mode: 'val' | 'test', batches: number): Generator<Event, void, Control | undefined> {
    yield* emit(Ev.stage(mode === 'val' ? 'before_val' : 'before_test', epoch, iter))
    yield* emit(Ev.stage(mode === 'val' ? 'before_val_epoch' : 'before_test_epoch', epoch, iter))
    for (let b = 0; b < batches; b++) {
      yield* emit(Ev.stage(mode === 'val' ? 'before_val_iter' : 'before_test_iter', epoch, iter, b))
      yield* emit(Ev.step(mode, epoch, iter, b, { pass: 0, index: b }))
      yield* emit(Ev.stage(mode === 'val' ? 'after_val_iter' : 'after_test_iter', epoch, iter, b))
    }
    yield* emit(Ev.stage(mode === 'val' ? 'after_val_epoch' : 'after_test_epoch', epoch, iter))
    yield* emit(Ev.stage(mode === 'val' ? 'after_val' : 'after_test', epoch, iter))
  }

  function* trainIter(batchIdx: number, batch: Ev.BatchRef): Generator<Event, void, Control | undefined> {
    yield* emit(Ev.stage('before_train_iter', epoch, iter, batchIdx))
    yield* emit(Ev.step('train' satisfies Mode, epoch, iter, batchIdx, batch))
    yield* emit(Ev.stage('after_train_iter', epoch, iter, batchIdx))
    iter += 1
  }

  const trainLoop = loops.trainLoop
  // runner.val()/test() before any training see counters of 0 (no train loop is built).
  if (entry !== 'train' || trainLoop === undefined) {
    epoch = 0
    iter = 0
  }

  yield* emit(Ev.stage('before_run', epoch, iter))
  if (options.loadsCheckpoint === true) yield* emit(Ev.stage('after_load_checkpoint', epoch, iter))

  if (entry === 'train' && trainLoop !== undefined) {
    const trainSize = sizes.train ?? 0
    const validate = loops.valLoop !== undefined
    yield* emit(Ev.stage('before_train', epoch, iter))
    if (trainLoop.type === 'EpochBasedTrainLoop') {
      // A checkpoint taken inside an epoch (a by-iteration CheckpointHook, or an interrupt) resumes at its
      // next batch: loopwright continues the epoch where MMEngine would repeat it (spec §3.6.5).
      let firstBatch = Math.max(0, Math.min(trainSize, iter - epoch * trainSize))
      while (epoch < trainLoop.max_epochs && !stopTraining) {
        yield* emit(Ev.stage('before_train_epoch', epoch, iter))
        for (let b = firstBatch; b < trainSize; b++) {
          b += skipped(iter - b + trainSize)
          if (b < trainSize) yield* trainIter(b, { pass: epoch, index: b })
        }
        firstBatch = 0
        // Only a request sent from here to the next epoch's start is honoured.
        skipEpochsTo = undefined
        yield* emit(Ev.stage('after_train_epoch', epoch, iter))
        epoch += 1
        if (validate && Loop.validatesAfter(trainLoop, epoch)) yield* evalLoop('val', sizes.val ?? 0)
        if (skipEpochsTo !== undefined) {
          const target = Math.max(epoch, Math.min(skipEpochsTo, trainLoop.max_epochs))
          iter += (target - epoch) * trainSize
          epoch = target
          skipEpochsTo = undefined
        }
      }
    } else {
      yield* emit(Ev.stage('before_train_epoch', epoch, iter))
      while (iter < trainLoop.max_iters && !stopTraining) {
        if (skipped(trainLoop.max_iters) > 0 && iter >= trainLoop.max_iters) break
        // The infinite loader restarts after each pass; a resume continues at the same cursor.
        const batch =
          trainSize > 0 ? { pass: Math.floor(iter / trainSize), index: iter % trainSize } : { pass: 0, index: 0 }
        // Only a request sent from this iteration or the validation after it is honoured.
        skipItersTo = undefined
        yield* trainIter(iter, batch)
        if (validate && Loop.validatesAfter(trainLoop, iter)) yield* evalLoop('val', sizes.val ?? 0)
        if (skipItersTo !== undefined) {
          iter = Math.max(iter, Math.min(skipItersTo, trainLoop.max_iters))
          skipItersTo = undefined
        }
      }
      yield* emit(Ev.stage('after_train_epoch', epoch, iter))
    }
    yield* emit(Ev.stage('after_train', epoch, iter))
    if (options.testAfterTrain === true && loops.testLoop !== undefined) yield* evalLoop('test', sizes.test ?? 0)
  } else if (entry === 'val' && loops.valLoop !== undefined) {
    yield* evalLoop('val', sizes.val ?? 0)
  } else if (entry === 'test' && loops.testLoop !== undefined) {
    yield* evalLoop('test', sizes.test ?? 0)
  }

  yield* emit(Ev.stage('after_run', epoch, iter))
}
