/**
 * `SyncBuffersHook` (NORMAL): in data-parallel training, makes every worker's
 * model buffers (BatchNorm running statistics and the like) the mean over all
 * workers, so that validation and checkpoints see the same model everywhere
 * (spec §4.3).
 *
 * - `after_train_epoch`: `state.model.buffers ← Collective.allReduceMean(buffers)`, except the buffers the model
 *   attribute `rank_local_buffers` names (SwAV's per-replica queue, which MMSelfSup keeps outside the module);
 * - `before_val_epoch`: the same, unless the train epoch just did it — which
 *   covers `IterBasedTrainLoop`, whose validations fall inside its one epoch.
 *
 * With one worker (`Collective.worldSize == 1`, MMEngine's "not distributed")
 * the hook does nothing. It takes no arguments; its one flag
 * (`called_in_train`) lives in its own state.
 *
 * @example
 * ```json
 * { "custom_hooks": [{ "type": "SyncBuffersHook" }] }
 * ```
 * @module
 */
import * as Effect from 'effect/Effect'
import * as Hook from '../dsl/Hook.js'
import * as P from '../dsl/Priority.js'
import { Collective } from '../dsl/Services.js'
import type { HookServices } from '../dsl/Services.js'
import * as S from '../dsl/State.js'
import type { State } from '../dsl/State.js'
import { struct } from '../schema/codec.js'
import { RANK_LOCAL_BUFFERS } from '../selfsup/attributes.js'
import type { HookType } from './HookType.js'

/** The hook's own state: MMEngine's `called_in_train`. */
export interface SyncBuffersHookState {
  readonly _tag: 'SyncBuffersHookState'
  readonly calledInTrain: boolean
}

/**
 * The `SyncBuffersHook` hook type (NORMAL), registered in `defaultHookTypes`.
 *
 * @example
 * ```ts
 * SyncBuffersHook.args.decode({}) // Right: it takes no arguments
 * ```
 */
export const SyncBuffersHook: HookType<Record<never, never>> = {
  name: 'SyncBuffersHook',
  defaultPriority: P.NORMAL,
  args: struct('SyncBuffersHook arguments (it takes none)', {}),
  touches: {
    after_train_epoch: { reads: ['model.buffers'], writes: ['model.buffers', 'own'] },
    before_val_epoch: { reads: ['model.buffers'], writes: ['model.buffers', 'own'] },
  },
  build: (_args, site) => {
    const flag = (state: State, calledInTrain: boolean): State =>
      S.setHookState(state, site.key, { _tag: 'SyncBuffersHookState', calledInTrain } satisfies SyncBuffersHookState)
    const synced = (state: State): Effect.Effect<State, never, Collective> =>
      Effect.gen(function* () {
        const collective = yield* Collective
        if (collective.worldSize <= 1) return state
        // Buffers a replica keeps for itself (SwAV's queue) are not the model's shared state: left as they are.
        const own = state.model.attributes[RANK_LOCAL_BUFFERS]
        const local = new Set(Array.isArray(own) ? own.filter((n): n is string => typeof n === 'string') : [])
        const shared = Object.fromEntries(Object.entries(state.model.buffers).filter(([n]) => !local.has(n)))
        const averaged = yield* collective.allReduceMean(shared)
        return { ...state, model: { ...state.model, buffers: { ...state.model.buffers, ...averaged } } }
      })
    return Hook.make<HookServices>({
      name: 'SyncBuffersHook',
      key: site.key,
      priority: site.priority,
      stages: {
        after_train_epoch: (state) => Effect.map(synced(state), (s) => flag(s, true)),
        before_val_epoch: (state) =>
          Effect.gen(function* () {
            const own = S.hookState<SyncBuffersHookState>(state, site.key, {
              _tag: 'SyncBuffersHookState',
              calledInTrain: false,
            })
            const next = own.calledInTrain ? state : yield* synced(state)
            return flag(next, false)
          }),
      },
    })
  },
}
