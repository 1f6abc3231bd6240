/**
 * SwAVHook's own quantities: its queue length (rounded at `before_run`) and
 * the queue. In MMSelfSup the hook creates a zero queue
 * `[len(crops_for_assign), queue_length / world_size, feat_dim]` at
 * `before_train_epoch` and hands it to the loss; in loopwright the hook sets
 * the model attribute `head.loss.queue_length`, on which the loss creates
 * that same zero queue at its next forward. A hook driven without forwards
 * therefore has the queue as the hook asked for it: zeros, or none.
 * `use_queue` is derived (the queue exists and its last row is non-zero),
 * which is MMSelfSup's flag as its next forward sets it.
 */
import * as S from '../../../src/dsl/State.js'
import { QUEUE_LENGTH_ATTRIBUTE } from '../../../src/hooks/SwAVHook.js'
import type { SwAVHookState } from '../../../src/hooks/SwAVHook.js'
import { queueName } from '../../../src/selfsup/losses/SwAVLoss.js'
import { observed, unobservable } from '../sequential.js'
import type { Observation } from '../sequential.js'
import type { HookContext, HookView } from './hooks.js'

/** The queue's shape, undefined while there is none; a string when loopwright's queue cannot be read here. */
const queueShape = (c: HookContext): ReadonlyArray<number> | undefined | string => {
  if (c.state.model.buffers[queueName('head.loss')] !== undefined)
    return 'the queue holds values from forwards, which a hook replay does not run'
  const length = c.state.model.attributes[QUEUE_LENGTH_ATTRIBUTE]
  if (typeof length !== 'number') return undefined
  const crops = Array.isArray(c.args['crops_for_assign']) ? c.args['crops_for_assign'].length : 2
  const featDim = typeof c.args['feat_dim'] === 'number' ? c.args['feat_dim'] : 128
  return [crops, length, featDim]
}

export const swavHookView: HookView = {
  hook: 'SwAVHook',
  observe: (quantity, _expected, c): Observation | undefined => {
    switch (quantity) {
      case 'queue_length': {
        const own = S.hookState<SwAVHookState | undefined>(c.state, c.key, undefined)
        const configured = typeof c.args['queue_length'] === 'number' ? c.args['queue_length'] : 0
        return observed(own === undefined ? configured : own.queueLength)
      }
      case 'queue':
      case 'queue_shape':
      case 'queue_is_none':
      case 'use_queue': {
        const shape = queueShape(c)
        if (typeof shape === 'string') return unobservable(shape)
        if (quantity === 'queue_is_none') return observed(shape === undefined)
        if (quantity === 'queue_shape') return observed(shape === undefined ? null : [...shape])
        // A queue the hook asked for is all zeros until a forward fills it, so its last row is zero.
        if (quantity === 'use_queue') return observed(false)
        if (shape === undefined) return observed(null)
        const size = shape.reduce((a, b) => a * b, 1)
        return observed({ shape: [...shape], dtype: 'float32', values: new Array<number>(size).fill(0) })
      }
      default:
        return undefined
    }
  },
}
