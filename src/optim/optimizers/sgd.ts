/**
 * SGD as PyTorch computes it (torch 1.13 `_single_tensor_sgd`, spec §6.2):
 * L2 weight decay into the gradient, momentum buffer initialised with the
 * first gradient (no dampening on that step), optional Nesterov, `maximize`.
 * @module
 */
import * as tf from '@tensorflow/tfjs-core'
import * as G from '../ParamGroups.js'
import { perParameter } from '../perParameter.js'
import { momentumStep, withL2 } from './moments.js'

export interface SgdSlots {
  readonly [key: string]: tf.Tensor | undefined
  readonly momentum_buffer: tf.Tensor | undefined
}

/**
 * `torch.optim.SGD`; hyper-parameters come from each group (`lr`, `momentum`, `dampening`, `weight_decay`, `nesterov`,
 * `maximize`).
 */
export const sgd = () =>
  perParameter<SgdSlots>((grad, param, slots, h) => {
    const lr = G.num(h, 'lr', NaN)
    const momentum = G.num(h, 'momentum', 0)
    const dampening = G.num(h, 'dampening', 0)
    const weightDecay = G.num(h, 'weight_decay', 0)
    const d = withL2(G.flag(h, 'maximize', false) ? tf.neg(grad) : grad, param, weightDecay)
    const { direction, buffer } = momentumStep(
      slots?.momentum_buffer,
      d,
      momentum,
      dampening,
      G.flag(h, 'nesterov', false),
    )
    return { update: tf.mul(direction, -lr), slots: { momentum_buffer: buffer } }
  })
