/**
 * Building optimizers from a per-parameter step, as PyTorch's single-tensor
 * implementations are written: for every parameter that has a gradient, read
 * its group's hyper-parameters and its slots, compute the update.
 * @module
 */
import * as tf from '@tensorflow/tfjs-core'
import type { GradientTransformation } from './GradientTransformation.js'
import * as Groups from './ParamGroups.js'
import type { Hyper } from './ParamGroups.js'
import { markAbsolute } from '../tensor/tree.js'

/** One parameter's optimizer slots: tensors and numbers (e.g. Adam's `exp_avg`, `exp_avg_sq`, `step`). */
export type Slots = { readonly [key: string]: tf.Tensor | number | boolean | undefined }

/**
 * Per-parameter state: slots by parameter name. A parameter without slots has not been stepped yet (PyTorch's lazy
 * state).
 */
export type PerParameterState<S extends Slots> = { readonly [name: string]: S | undefined }

/**
 * The step of one parameter: its gradient, value, slots (undefined before the first step) and group hyper-parameters.
 */
export type ParamStep<S extends Slots> = (
  grad: tf.Tensor,
  param: tf.Tensor,
  slots: S | undefined,
  hyper: Hyper,
) => ({ readonly update: tf.Tensor } | { readonly next: tf.Tensor }) & { readonly slots: S }

/**
 * An optimizer from a per-parameter step. Parameters without a gradient, or in
 * no group, are skipped entirely (no update, slots untouched), as in PyTorch.
 */
export const perParameter = <S extends Slots>(step: ParamStep<S>): GradientTransformation<PerParameterState<S>> => ({
  init: () => ({}),
  update: (grads, state, params, groups) => {
    const groupOf = Groups.indexOf(groups)
    const updates: { [name: string]: tf.Tensor } = {}
    const absolute: string[] = []
    const next: { [name: string]: S | undefined } = { ...state }
    for (const [name, grad] of Object.entries(grads)) {
      const index = groupOf.get(name)
      const param = params[name]
      if (index === undefined || param === undefined) continue
      const hyper = groups[index]!.hyper
      const result = tf.tidy(() => {
        const r = step(grad, param, state[name], hyper)
        return 'next' in r
          ? { value: r.next, absolute: true, slots: r.slots as unknown as tf.TensorContainer }
          : { value: r.update, absolute: false, slots: r.slots as unknown as tf.TensorContainer }
      })
      updates[name] = result.value
      if (result.absolute) absolute.push(name)
      next[name] = result.slots as unknown as S
    }
    return [absolute.length > 0 ? markAbsolute(updates, absolute) : updates, next]
  },
})
