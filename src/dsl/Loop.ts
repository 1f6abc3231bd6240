/**
 * Loop descriptions: MMEngine's `EpochBasedTrainLoop`, `IterBasedTrainLoop`,
 * `ValLoop` and `TestLoop` as plain values with their defaults filled in.
 *
 * @example
 * ```ts
 * import { Loop } from 'loopwright'
 * const loop = Loop.EpochBasedTrainLoop({ max_epochs: 12, val_interval: 5, dynamic_intervals: [[11, 2]] })
 * Loop.valIntervalAfter(loop, 10) // 2: the interval in force once 10 epochs are done
 * ```
 * @module
 */

/** A `(milestone, interval)` pair: from `milestone` finished units on, validate every `interval`. */
export type DynamicInterval = readonly [milestone: number, interval: number]

/** Train for `max_epochs` passes over the data (spec §1.5). */
export interface EpochBasedTrainLoop {
  readonly type: 'EpochBasedTrainLoop'
  readonly max_epochs: number
  readonly val_begin: number
  readonly val_interval: number
  readonly dynamic_intervals: ReadonlyArray<DynamicInterval>
}

/** Train for `max_iters` iterations over an endlessly restarted data loader (spec §1.6). */
export interface IterBasedTrainLoop {
  readonly type: 'IterBasedTrainLoop'
  readonly max_iters: number
  readonly val_begin: number
  readonly val_interval: number
  readonly dynamic_intervals: ReadonlyArray<DynamicInterval>
}

/** Either train loop. */
export type TrainLoop = EpochBasedTrainLoop | IterBasedTrainLoop

/** One pass over the validation data (spec §1.7). */
export interface ValLoop {
  readonly type: 'ValLoop'
  readonly fp16: boolean
}

/** One pass over the test data (spec §1.7). */
export interface TestLoop {
  readonly type: 'TestLoop'
  readonly fp16: boolean
}

interface LoopOptions {
  readonly val_begin?: number
  readonly val_interval?: number
  readonly dynamic_intervals?: ReadonlyArray<DynamicInterval>
}

/** An epoch-based loop; `val_begin` and `val_interval` default to 1 as in MMEngine. */
export const EpochBasedTrainLoop = (options: { readonly max_epochs: number } & LoopOptions): EpochBasedTrainLoop => ({
  type: 'EpochBasedTrainLoop',
  max_epochs: options.max_epochs,
  val_begin: options.val_begin ?? 1,
  val_interval: options.val_interval ?? 1,
  dynamic_intervals: options.dynamic_intervals ?? [],
})

/** An iteration-based loop; `val_interval` defaults to 1000 as in MMEngine. */
export const IterBasedTrainLoop = (options: { readonly max_iters: number } & LoopOptions): IterBasedTrainLoop => ({
  type: 'IterBasedTrainLoop',
  max_iters: options.max_iters,
  val_begin: options.val_begin ?? 1,
  val_interval: options.val_interval ?? 1000,
  dynamic_intervals: options.dynamic_intervals ?? [],
})

/** A validation loop. */
export const ValLoop = (options: { readonly fp16?: boolean } = {}): ValLoop => ({
  type: 'ValLoop',
  fp16: options.fp16 ?? false,
})

/** A test loop. */
export const TestLoop = (options: { readonly fp16?: boolean } = {}): TestLoop => ({
  type: 'TestLoop',
  fp16: options.fp16 ?? false,
})

/** Total iterations of a train loop given the batches per epoch. */
export const maxIters = (loop: TrainLoop, batchesPerEpoch: number): number =>
  loop.type === 'EpochBasedTrainLoop' ? loop.max_epochs * batchesPerEpoch : loop.max_iters

/** `max_epochs` as MMEngine reports it (1 for iteration-based loops). */
export const maxEpochs = (loop: TrainLoop): number => (loop.type === 'EpochBasedTrainLoop' ? loop.max_epochs : 1)

/**
 * The validation interval in force after `finished` epochs (or iterations),
 * MMEngine's `calc_dynamic_intervals` + `bisect_right(milestones, finished + 1) - 1`.
 */
export const valIntervalAfter = (loop: TrainLoop, finished: number): number => {
  let interval = loop.val_interval
  // Milestones are sorted ascending in practice; bisect_right picks the last milestone ≤ finished + 1.
  for (const [milestone, next] of loop.dynamic_intervals) {
    if (milestone <= finished + 1) interval = next
    else break
  }
  return interval
}

/** Python's `a % n` (the result has the sign of `n`). */
export const pyMod = (a: number, n: number): number => ((a % n) + n) % n

/** Does validation run once `finished` epochs (or iterations) are done? (spec §1.5, §1.6) */
export const validatesAfter = (loop: TrainLoop, finished: number): boolean => {
  const total = loop.type === 'EpochBasedTrainLoop' ? loop.max_epochs : loop.max_iters
  return finished >= loop.val_begin && (pyMod(finished, valIntervalAfter(loop, finished)) === 0 || finished === total)
}

/**
 * Number of batches a data loader yields per epoch: `ceil(n / batch)` or,
 * with `drop_last`, `floor(n / batch)` (one process, `round_up` irrelevant).
 */
export const batchesPerEpoch = (datasetSize: number, batchSize: number, dropLast: boolean): number =>
  dropLast ? Math.floor(datasetSize / batchSize) : Math.ceil(datasetSize / batchSize)
