/**
 * MMSelfSup's `DenseCLHook(start_iters=1000)` (priority NORMAL): at
 * `before_train` it remembers the model's `loss_lambda` (the model attribute,
 * DenseCL's default 0.5); at every `before_train_iter` it sets
 * `loss_lambda = remembered` from iteration `start_iters` on and 0 before, so
 * the first `start_iters` iterations train the global loss alone. The value
 * lives in `State.model.attributes`, which the model's loss reads.
 * @module
 */
import * as Effect from 'effect/Effect'
import * as Hook from '../dsl/Hook.js'
import * as P from '../dsl/Priority.js'
import type { HookServices } from '../dsl/Services.js'
import * as S from '../dsl/State.js'
import { nonNegativeInt, struct } from '../schema/codec.js'
import type { HookType } from './HookType.js'

export interface DenseCLHookArgs {
  readonly start_iters?: number
}

/** The hook's own state: the remembered `loss_lambda`. */
export interface DenseCLHookState {
  readonly _tag: 'DenseCLHookState'
  readonly lossLambda: number
}

/** DenseCL's `loss_lambda` default. */
export const DEFAULT_LOSS_LAMBDA = 0.5

const args = struct('DenseCLHook arguments (start_iters)', {}, { start_iters: nonNegativeInt })

export const DenseCLHook: HookType<DenseCLHookArgs> = {
  name: 'DenseCLHook',
  defaultPriority: P.NORMAL,
  args,
  touches: {
    before_train: { reads: ['model.loss_lambda'], writes: ['own'] },
    before_train_iter: { reads: [], writes: ['model.loss_lambda'] },
  },
  build: (a, site) => {
    const startIters = a.start_iters ?? 1000
    return Hook.make<HookServices>({
      name: 'DenseCLHook',
      key: site.key,
      priority: site.priority,
      stages: {
        before_train: (state) => {
          // After a resume the remembered value comes back with the hook's state (the attribute may hold 0 by then).
          if (site.key in state.hooks) return Effect.succeed(state)
          const current = state.model.attributes['loss_lambda']
          const remembered: DenseCLHookState = {
            _tag: 'DenseCLHookState',
            lossLambda: typeof current === 'number' ? current : DEFAULT_LOSS_LAMBDA,
          }
          return Effect.succeed(S.setHookState(state, site.key, remembered))
        },
        before_train_iter: (state) => {
          const remembered = S.hookState<DenseCLHookState>(state, site.key, {
            _tag: 'DenseCLHookState',
            lossLambda: DEFAULT_LOSS_LAMBDA,
          }).lossLambda
          const value = state.counters.iter >= startIters ? remembered : 0
          return Effect.succeed(
            state.model.attributes['loss_lambda'] === value
              ? state
              : { ...state, model: { ...state.model, attributes: { ...state.model.attributes, loss_lambda: value } } },
          )
        },
      },
    })
  },
}
