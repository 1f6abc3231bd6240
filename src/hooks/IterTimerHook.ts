/**
 * `IterTimerHook` (NORMAL): measures `data_time` and `time` of every
 * iteration in all three loops and estimates the time left (`eta`), spec §3.2.
 *
 * Time is read from the `Clock` service, so the dry run (whose clock is a
 * counter) and tests get deterministic values.
 * @module
 */
import * as Effect from 'effect/Effect'
import * as Hook from '../dsl/Hook.js'
import type { Middleware } from '../dsl/Hook.js'
import * as Hub from '../dsl/MessageHub.js'
import * as P from '../dsl/Priority.js'
import { Clock, Run } from '../dsl/Services.js'
import type { HookServices } from '../dsl/Services.js'
import type { Mode } from '../dsl/Stage.js'
import * as S from '../dsl/State.js'
import type { State } from '../dsl/State.js'
import { struct } from '../schema/codec.js'
import type { HookType } from './HookType.js'

interface Own {
  /** Clock reading at the end of the previous iteration (or the start of the epoch). */
  readonly t: number
  readonly timeSecTot: number
  readonly timeSecTestVal: number
  readonly startIter: number
}

const initial: Own = { t: 0, timeSecTot: 0, timeSecTestVal: 0, startIter: 0 }

export const IterTimerHook: HookType<Record<never, never>> = {
  name: 'IterTimerHook',
  defaultPriority: P.NORMAL,
  args: struct('IterTimerHook arguments (it takes none)', {}),
  // Times come from the Clock service; the hook's own state keeps the last reading.
  touches: Object.fromEntries(
    (['train', 'val', 'test'] as const).flatMap((mode) => [
      [`before_${mode}_epoch`, { reads: [], writes: ['own'] }],
      [`before_${mode}_iter`, { reads: [], writes: [`messageHub.scalars.${mode}/data_time`] }],
      [`after_${mode}_iter`, { reads: [], writes: [`messageHub.scalars.${mode}/time`, 'messageHub.info.eta', 'own'] }],
      [`after_${mode}_epoch`, { reads: [], writes: ['own'] }],
      ...(mode === 'train' ? [['before_train', { reads: [], writes: ['own'] }]] : []),
    ]),
  ),
  build: (_args, site) => {
    const own = (state: State): Own => S.hookState(state, site.key, initial)
    const put = (state: State, next: Partial<Own>): State => S.setHookState(state, site.key, { ...own(state), ...next })

    const beforeEpoch: Middleware<HookServices> = (state) =>
      Clock.use((clock) => Effect.map(clock.now, (t) => put(state, { t })))

    const beforeIter =
      (mode: Mode): Middleware<HookServices> =>
      (state) =>
        Clock.use((clock) =>
          Effect.map(clock.now, (now) =>
            S.modifyHub(state, (h) => Hub.updateScalar(h, `${mode}/data_time`, now - own(state).t)),
          ),
        )

    const afterIter =
      (mode: Mode): Middleware<HookServices> =>
      (state, event) =>
        Effect.gen(function* () {
          const clock = yield* Clock
          const run = yield* Run
          const elapsed = (yield* clock.now) - own(state).t
          const t = yield* clock.now
          let hub = Hub.updateScalar(state.messageHub, `${mode}/time`, elapsed)
          const mine = own(state)
          if (mode === 'train') {
            const timeSecTot = mine.timeSecTot + elapsed
            const average = timeSecTot / (state.counters.iter - mine.startIter + 1)
            hub = Hub.updateInfo(hub, 'eta', average * Math.max(0, state.counters.maxIters - state.counters.iter - 1))
            return put({ ...state, messageHub: hub }, { t, timeSecTot })
          }
          const batchIdx = event.batchIdx ?? 0
          const timeSecTestVal = mine.timeSecTestVal + elapsed
          const batches = (mode === 'val' ? run.sizes.val : run.sizes.test) ?? 0
          hub = Hub.updateInfo(hub, 'eta', (timeSecTestVal / (batchIdx + 1)) * Math.max(0, batches - batchIdx - 1))
          return put({ ...state, messageHub: hub }, { t, timeSecTestVal })
        })

    const afterEpoch: Middleware<HookServices> = (state) => Effect.succeed(put(state, { timeSecTestVal: 0 }))

    return Hook.make<HookServices>({
      name: 'IterTimerHook',
      key: site.key,
      priority: site.priority,
      stages: {
        // MMEngine keeps these in the hook object, so a resumed process starts its averages afresh.
        before_train: (state) => Effect.succeed(put(state, { startIter: state.counters.iter, timeSecTot: 0 })),
        before_train_epoch: beforeEpoch,
        before_val_epoch: beforeEpoch,
        before_test_epoch: beforeEpoch,
        before_train_iter: beforeIter('train'),
        before_val_iter: beforeIter('val'),
        before_test_iter: beforeIter('test'),
        after_train_iter: afterIter('train'),
        after_val_iter: afterIter('val'),
        after_test_iter: afterIter('test'),
        after_train_epoch: afterEpoch,
        after_val_epoch: afterEpoch,
        after_test_epoch: afterEpoch,
      },
    })
  },
}
