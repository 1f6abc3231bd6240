/**
 * DenseCLHook's own quantity: the `loss_lambda` it remembered at
 * `before_train` (MMSelfSup's `hook.loss_lambda`), kept in the hook's state.
 */
import * as S from '../../../src/dsl/State.js'
import type { DenseCLHookState } from '../../../src/hooks/DenseCLHook.js'
import { observed, unobservable } from '../sequential.js'
import type { HookView } from './hooks.js'

export const denseclHookView: HookView = {
  hook: 'DenseCLHook',
  observe: (quantity, _expected, c) => {
    if (quantity !== 'remembered_loss_lambda') return undefined
    const own = S.hookState<DenseCLHookState | undefined>(c.state, c.key, undefined)
    return own === undefined ? unobservable('DenseCLHook has not run before_train yet') : observed(own.lossLambda)
  },
}
