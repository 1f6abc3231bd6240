/**
 * `RuntimeInfoHook` (VERY_HIGH): keeps the message hub's runtime info in step
 * with the run — counters, loop stage, config, seed — and turns step outputs
 * and metrics into scalars (spec §3.1).
 * @module
 */
import * as Effect from 'effect/Effect'
import * as Hook from '../dsl/Hook.js'
import * as Hub from '../dsl/MessageHub.js'
import type { Json } from '../dsl/MessageHub.js'
import * as P from '../dsl/Priority.js'
import { ParamSchedulers, Run } from '../dsl/Services.js'
import * as S from '../dsl/State.js'
import type { State } from '../dsl/State.js'
import { struct } from '../schema/codec.js'
import { version } from '../version.js'
import type { HookType } from './HookType.js'

/** The hook's own state: the loop stage to restore after a validation inside training. */
interface Own {
  readonly lastLoopStage: Json | undefined
}

const hub = (state: State, f: (h: Hub.MessageHub) => Hub.MessageHub): State => S.modifyHub(state, f)

const isScalar = (value: Json): value is number | boolean => typeof value === 'number' || typeof value === 'boolean'

/** Metrics → `prefix/k` scalars when numeric, runtime info otherwise. */
const recordMetrics = (state: State, prefix: 'val' | 'test'): State =>
  hub(state, (h) =>
    Object.entries(state.metrics ?? {}).reduce(
      (acc, [k, v]) =>
        isScalar(v) ? Hub.updateScalar(acc, `${prefix}/${k}`, Number(v)) : Hub.updateInfo(acc, `${prefix}/${k}`, v),
      h,
    ),
  )

export const RuntimeInfoHook: HookType<Record<never, never>> = {
  name: 'RuntimeInfoHook',
  defaultPriority: P.VERY_HIGH,
  args: struct('RuntimeInfoHook arguments (it takes none)', {}),
  touches: {
    before_run: {
      reads: ['seed'],
      writes: [
        'messageHub.info.cfg',
        'messageHub.info.seed',
        'messageHub.info.experiment_name',
        'messageHub.info.loopwright_version',
        'own',
      ],
    },
    before_train: {
      reads: [],
      writes: [
        'messageHub.info.loop_stage',
        'messageHub.info.epoch',
        'messageHub.info.iter',
        'messageHub.info.max_epochs',
        'messageHub.info.max_iters',
        'messageHub.info.dataset_meta',
      ],
    },
    after_train: { reads: [], writes: ['messageHub.info.loop_stage'] },
    before_train_epoch: { reads: [], writes: ['messageHub.info.epoch'] },
    // The learning rates of the groups as the iteration starts.
    before_train_iter: { reads: ['optim.lr'], writes: ['messageHub.scalars.train/*', 'messageHub.info.iter'] },
    after_train_iter: { reads: ['outputs'], writes: ['messageHub.scalars.train/*'] },
    before_val: { reads: ['messageHub.info.loop_stage'], writes: ['messageHub.info.loop_stage', 'own'] },
    after_val_epoch: { reads: ['metrics'], writes: ['messageHub.scalars.val/*', 'messageHub.info.val/*'] },
    after_val: { reads: [], writes: ['messageHub.info.loop_stage'] },
    before_test: { reads: [], writes: ['messageHub.info.loop_stage'] },
    after_test_epoch: { reads: ['metrics'], writes: ['messageHub.scalars.test/*', 'messageHub.info.test/*'] },
    after_test: { reads: [], writes: ['messageHub.info.loop_stage'] },
  },
  build: (_args, site) => {
    const own = (state: State): Own => S.hookState<Own>(state, site.key, { lastLoopStage: undefined })
    return Hook.make<Run | ParamSchedulers>({
      name: 'RuntimeInfoHook',
      key: site.key,
      priority: site.priority,
      stages: {
        before_run: (state) =>
          Run.useSync((run) =>
            S.setHookState(
              hub(state, (h) =>
                [
                  ['cfg', run.configText],
                  ['seed', state.seed],
                  ['experiment_name', run.experimentName],
                  ['loopwright_version', version],
                ].reduce((acc, [k, v]) => Hub.updateInfo(acc, k as string, v as Json), h),
              ),
              site.key,
              { lastLoopStage: undefined },
            ),
          ),
        before_train: (state) =>
          Run.useSync((run) =>
            hub(state, (h) => {
              let next = Hub.updateInfo(h, 'loop_stage', 'train')
              next = Hub.updateInfo(next, 'epoch', state.counters.epoch)
              next = Hub.updateInfo(next, 'iter', state.counters.iter)
              next = Hub.updateInfo(next, 'max_epochs', state.counters.maxEpochs)
              next = Hub.updateInfo(next, 'max_iters', state.counters.maxIters)
              return run.datasetMeta === undefined ? next : Hub.updateInfo(next, 'dataset_meta', run.datasetMeta)
            }),
          ),
        after_train: (state) => Effect.succeed(hub(state, (h) => Hub.popInfo(h, 'loop_stage'))),
        before_train_epoch: (state) =>
          Effect.succeed(hub(state, (h) => Hub.updateInfo(h, 'epoch', state.counters.epoch))),
        // The lr in force during this iteration: schedulers step after it (spec §3.1).
        before_train_iter: (state) =>
          ParamSchedulers.useSync((schedulers) =>
            hub(state, (h) =>
              Object.entries(schedulers.learningRates(state)).reduce(
                (acc, [k, v]) => Hub.updateScalar(acc, `train/${k}`, v),
                Hub.updateInfo(h, 'iter', state.counters.iter),
              ),
            ),
          ),
        after_train_iter: (state) =>
          Effect.succeed(
            hub(state, (h) =>
              Object.entries(state.outputs).reduce((acc, [k, v]) => Hub.updateScalar(acc, `train/${k}`, v), h),
            ),
          ),
        before_val: (state) =>
          Effect.succeed(
            S.setHookState(
              hub(state, (h) => Hub.updateInfo(h, 'loop_stage', 'val')),
              site.key,
              { lastLoopStage: Hub.getInfo(state.messageHub, 'loop_stage') },
            ),
          ),
        after_val_epoch: (state) => Effect.succeed(recordMetrics(state, 'val')),
        after_val: (state) =>
          Effect.succeed(
            hub(state, (h) =>
              own(state).lastLoopStage === 'train'
                ? Hub.updateInfo(h, 'loop_stage', 'train')
                : Hub.popInfo(h, 'loop_stage'),
            ),
          ),
        before_test: (state) => Effect.succeed(hub(state, (h) => Hub.updateInfo(h, 'loop_stage', 'test'))),
        after_test_epoch: (state) => Effect.succeed(recordMetrics(state, 'test')),
        after_test: (state) => Effect.succeed(hub(state, (h) => Hub.popInfo(h, 'loop_stage'))),
      },
    })
  },
}
