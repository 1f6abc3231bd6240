/**
 * `EmptyCacheHook` (NORMAL): asks the tensor backend to give back memory it
 * keeps in reserve — `torch.cuda.empty_cache()`'s counterpart, through
 * `TensorOps.releaseMemory` — before and/or after every epoch and after every
 * iteration, in the train, val and test loops alike (spec §4.2). It changes
 * no number of the run.
 *
 * Each release is logged (DEBUG) with the bytes the backend held before and
 * after. A backend that keeps nothing in reserve (TF.js's CPU and WASM
 * backends free tensors at once) answers "nothing to release"; the hook says
 * so once, at INFO, and remembers that in its own state.
 *
 * Like MMEngine's, the hook overrides `_before_epoch`, `_after_epoch` and
 * `_after_iter`, so the hook table lists it under all nine of those stages
 * whatever its flags; a stage whose flag is off does nothing.
 *
 * @example
 * ```json
 * { "custom_hooks": [{ "type": "EmptyCacheHook", "after_iter": true }] }
 * ```
 * @module
 */
import * as Effect from 'effect/Effect'
import * as Hook from '../dsl/Hook.js'
import type { Middleware } from '../dsl/Hook.js'
import * as P from '../dsl/Priority.js'
import { Logger, TensorOps } from '../dsl/Services.js'
import type { HookServices } from '../dsl/Services.js'
import type { Stage } from '../dsl/Stage.js'
import * as S from '../dsl/State.js'
import { boolean, struct } from '../schema/codec.js'
import type { HookType } from './HookType.js'

/** `EmptyCacheHook`'s constructor arguments: where to release memory. */
export interface EmptyCacheHookArgs {
  readonly before_epoch?: boolean
  readonly after_epoch?: boolean
  readonly after_iter?: boolean
}

/** The hook's own state: whether it has already said that the backend has nothing to release. */
export interface EmptyCacheHookState {
  readonly _tag: 'EmptyCacheHookState'
  readonly saidNothingToRelease: boolean
  /** Releases made so far. */
  readonly releases: number
}

const args = struct(
  'EmptyCacheHook arguments',
  {},
  { before_epoch: boolean, after_epoch: boolean, after_iter: boolean },
)

/**
 * A byte count for the log.
 *
 * @example
 * ```ts
 * showBytes(512)        // '512 B'
 * showBytes(3 * 2 ** 20) // '3.0 MiB'
 * ```
 */
export const showBytes = (bytes: number): string => {
  const units = ['B', 'KiB', 'MiB', 'GiB', 'TiB']
  let value = bytes
  let unit = 0
  while (Math.abs(value) >= 1024 && unit < units.length - 1) {
    value /= 1024
    unit += 1
  }
  return unit === 0 ? `${value} B` : `${value.toFixed(1)} ${units[unit]}`
}

const epochStages = (when: 'before' | 'after'): ReadonlyArray<Stage> =>
  [`${when}_train_epoch`, `${when}_val_epoch`, `${when}_test_epoch`] as const
const iterStages: ReadonlyArray<Stage> = ['after_train_iter', 'after_val_iter', 'after_test_iter']

/**
 * The `EmptyCacheHook` hook type (NORMAL), registered in `defaultHookTypes`.
 *
 * @example
 * ```ts
 * EmptyCacheHook.args.decode({ before_epoch: true, after_iter: true }) // Right
 * ```
 */
export const EmptyCacheHook: HookType<EmptyCacheHookArgs> = {
  name: 'EmptyCacheHook',
  defaultPriority: P.NORMAL,
  args,
  touches: (a) => {
    const releasing = { reads: [], writes: ['backend.cache', 'log', 'own'] }
    return Object.fromEntries(
      [
        ...((a.before_epoch ?? false) ? epochStages('before') : []),
        ...((a.after_epoch ?? true) ? epochStages('after') : []),
        ...((a.after_iter ?? false) ? iterStages : []),
      ].map((stage) => [stage, releasing]),
    )
  },
  build: (a, site) => {
    const initial: EmptyCacheHookState = { _tag: 'EmptyCacheHookState', saidNothingToRelease: false, releases: 0 }
    const release =
      (enabled: boolean, stage: Stage): Middleware<HookServices> =>
      (state) =>
        !enabled
          ? Effect.succeed(state)
          : Effect.gen(function* () {
              const own = S.hookState<EmptyCacheHookState>(state, site.key, initial)
              const freed = yield* TensorOps.use((ops) => ops.releaseMemory)
              const logger = yield* Logger
              if (freed === undefined) {
                if (own.saidNothingToRelease) return state
                yield* logger.log(
                  'INFO',
                  `EmptyCacheHook: the tensor backend keeps no memory in reserve, so there is ` +
                    `nothing to release (first noticed at ${stage}); the hook does nothing on this ` +
                    `backend.`,
                )
                return S.setHookState(state, site.key, { ...own, saidNothingToRelease: true })
              }
              yield* logger.log(
                'DEBUG',
                `EmptyCacheHook (${stage}): the backend held ${showBytes(freed.before)} before ` +
                  `the release and ${showBytes(freed.after)} after it ` +
                  `(${showBytes(freed.before - freed.after)} released).`,
              )
              return S.setHookState(state, site.key, { ...own, releases: own.releases + 1 })
            })
    const stages: { [K in Stage]?: Middleware<HookServices> } = {}
    for (const stage of epochStages('before')) stages[stage] = release(a.before_epoch ?? false, stage)
    for (const stage of epochStages('after')) stages[stage] = release(a.after_epoch ?? true, stage)
    for (const stage of iterStages) stages[stage] = release(a.after_iter ?? false, stage)
    return Hook.make<HookServices>({ name: 'EmptyCacheHook', key: site.key, priority: site.priority, stages })
  },
}
