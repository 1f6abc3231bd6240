/**
 * Events: one occurrence of a stage, or one step, with the counters MMEngine's
 * runner shows at that moment.
 *
 * `epoch` and `iter` are `runner.epoch` and `runner.iter` as a hook sees them
 * (spec §1.4–1.6): inside `*_train_iter` hooks `iter` is the 0-based index of
 * the current iteration; inside `after_train_epoch` it is the number of
 * iterations finished; after an epoch ends, `epoch` counts finished epochs.
 * @module
 */
import type { Mode, Stage } from './Stage.js'

/** A hook call site: `stage` fires with these counters. `batchIdx` is present for `*_iter` stages only. */
export interface StageEvent {
  readonly _tag: 'StageEvent'
  readonly stage: Stage
  readonly epoch: number
  readonly iter: number
  readonly batchIdx?: number
}

/**
 * Which batch a step consumes: `pass` is the sampler epoch (how many times
 * the data loader has been started over), `index` the batch within that pass.
 */
export interface BatchRef {
  readonly pass: number
  readonly index: number
}

/** The work between `before_*_iter` and `after_*_iter`: a train, val or test step on one batch. */
export interface StepEvent {
  readonly _tag: 'StepEvent'
  readonly mode: Mode
  readonly epoch: number
  readonly iter: number
  readonly batchIdx: number
  readonly batch: BatchRef
}

/** Anything a timeline yields. */
export type Event = StageEvent | StepEvent

/** Build a stage event. */
export const stage = (stage: Stage, epoch: number, iter: number, batchIdx?: number): StageEvent =>
  batchIdx === undefined
    ? { _tag: 'StageEvent', stage, epoch, iter }
    : { _tag: 'StageEvent', stage, epoch, iter, batchIdx }

/** Build a step event. */
export const step = (mode: Mode, epoch: number, iter: number, batchIdx: number, batch: BatchRef): StepEvent => ({
  _tag: 'StepEvent',
  mode,
  epoch,
  iter,
  batchIdx,
  batch,
})

/** Is this event a hook call site? */
export const isStageEvent = (event: Event): event is StageEvent => event._tag === 'StageEvent'

/** A short human-readable rendering, e.g. `after_train_iter e0 i3 b1` or `train_step e0 i3 b1 (pass 0, batch 1)`. */
export const show = (event: Event): string => {
  if (event._tag === 'StepEvent') {
    return (
      `${event.mode}_step e${event.epoch} i${event.iter} b${event.batchIdx} (pass ` +
      `${event.batch.pass}, batch ${event.batch.index})`
    )
  }
  const batch = event.batchIdx === undefined ? '' : ` b${event.batchIdx}`
  return `${event.stage} e${event.epoch} i${event.iter}${batch}`
}
