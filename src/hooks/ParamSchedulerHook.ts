/**
 * `ParamSchedulerHook` (LOW): steps the iteration-based schedulers after every
 * train iteration, the epoch-based ones after every train epoch, and the
 * plateau schedulers with the validation metrics (spec §3.5).
 *
 * Running at LOW (70) — after `LoggerHook` (60), before `CheckpointHook` (90) —
 * is what makes a log line show the lr used *during* the iteration and a
 * checkpoint hold the already-stepped scheduler state.
 * @module
 */
import * as Effect from 'effect/Effect'
import * as Hook from '../dsl/Hook.js'
import * as P from '../dsl/Priority.js'
import { ParamSchedulers } from '../dsl/Services.js'
import type { HookServices } from '../dsl/Services.js'
import { struct } from '../schema/codec.js'
import type { HookType } from './HookType.js'

/** The fields a scheduler step reads and writes: the scheduled hyper-parameters and the schedulers' own state. */
const scheduled = ['optim.lr', 'optim.momentum', 'optim.betas', 'optim.weight_decay', 'optim.schedulers']

export const ParamSchedulerHook: HookType<Record<never, never>> = {
  name: 'ParamSchedulerHook',
  defaultPriority: P.LOW,
  // Steps every scheduler: the hyper-parameters they schedule move from their current values. (A generic
  // `ParamScheduler(param_name=X)` also writes `optim.X`, which this list does not name.)
  touches: {
    after_train_iter: { reads: scheduled, writes: scheduled },
    after_train_epoch: { reads: scheduled, writes: scheduled },
    // Plateau schedulers decide on the validation metrics.
    after_val_epoch: { reads: ['metrics', ...scheduled], writes: scheduled },
  },
  args: struct('ParamSchedulerHook arguments (it takes none)', {}),
  build: (_args, site) =>
    Hook.make<HookServices>({
      name: 'ParamSchedulerHook',
      key: site.key,
      priority: site.priority,
      stages: {
        after_train_iter: (state) => ParamSchedulers.use((s) => s.step(state, { _tag: 'AfterTrainIter' })),
        after_train_epoch: (state) => ParamSchedulers.use((s) => s.step(state, { _tag: 'AfterTrainEpoch' })),
        after_val_epoch: (state) =>
          state.metrics === undefined
            ? Effect.succeed(state)
            : ParamSchedulers.use((s) => s.step(state, { _tag: 'AfterValEpoch', metrics: state.metrics! })),
      },
    }),
}
