/**
 * Adagrad, Adadelta and RMSprop as PyTorch 1.13 computes them (spec §6.2).
 * @module
 */
import * as tf from '@tensorflow/tfjs-core'
import * as G from '../ParamGroups.js'
import { perParameter } from '../perParameter.js'
import { cdiv, ema, emaOfSquares, withL2 } from './moments.js'

interface AdagradSlots {
  readonly [key: string]: tf.Tensor | number
  readonly step: number
  readonly sum: tf.Tensor
}

/** `torch.optim.Adagrad` (`lr_decay`, `initial_accumulator_value`, default eps 1e-10). */
export const adagrad = () =>
  perParameter<AdagradSlots>((grad0, param, slots, h) => {
    const lr = G.num(h, 'lr', 1e-2)
    const lrDecay = G.num(h, 'lr_decay', 0)
    const eps = G.num(h, 'eps', 1e-10)
    const weightDecay = G.num(h, 'weight_decay', 0)
    let grad = G.flag(h, 'maximize', false) ? tf.neg(grad0) : grad0
    const step = (slots?.step ?? 0) + 1
    grad = withL2(grad, param, weightDecay)
    const clr = lr / (1 + (step - 1) * lrDecay)
    const sum = tf.add(slots?.sum ?? tf.fill(param.shape, G.num(h, 'initial_accumulator_value', 0)), tf.mul(grad, grad))
    const std = tf.add(tf.sqrt(sum), eps)
    return { update: cdiv(grad, std, -clr), slots: { step, sum } }
  })

interface AdadeltaSlots {
  readonly [key: string]: tf.Tensor
  readonly square_avg: tf.Tensor
  readonly acc_delta: tf.Tensor
}

/** `torch.optim.Adadelta` (default lr 1.0, rho 0.9, eps 1e-6). */
export const adadelta = () =>
  perParameter<AdadeltaSlots>((grad0, param, slots, h) => {
    const lr = G.num(h, 'lr', 1.0)
    const rho = G.num(h, 'rho', 0.9)
    const eps = G.num(h, 'eps', 1e-6)
    const weightDecay = G.num(h, 'weight_decay', 0)
    let grad = G.flag(h, 'maximize', false) ? tf.neg(grad0) : grad0
    grad = withL2(grad, param, weightDecay)
    const squareAvg = emaOfSquares(slots?.square_avg, grad, rho, 1 - rho)
    const std = tf.sqrt(tf.add(squareAvg, eps))
    const accDelta0 = slots?.acc_delta ?? tf.zerosLike(param)
    const delta = tf.mul(tf.div(tf.sqrt(tf.add(accDelta0, eps)), std), grad)
    const accDelta = emaOfSquares(accDelta0, delta, rho, 1 - rho)
    return { update: tf.mul(delta, -lr), slots: { square_avg: squareAvg, acc_delta: accDelta } }
  })

interface RmspropSlots {
  readonly [key: string]: tf.Tensor | undefined
  readonly square_avg: tf.Tensor
  readonly grad_avg: tf.Tensor | undefined
  readonly momentum_buffer: tf.Tensor | undefined
}

/** `torch.optim.RMSprop` (`alpha` 0.99, eps 1e-8, `centered`, `momentum`). */
export const rmsprop = () =>
  perParameter<RmspropSlots>((grad0, param, slots, h) => {
    const lr = G.num(h, 'lr', 1e-2)
    const alpha = G.num(h, 'alpha', 0.99)
    const eps = G.num(h, 'eps', 1e-8)
    const weightDecay = G.num(h, 'weight_decay', 0)
    const momentum = G.num(h, 'momentum', 0)
    let grad = G.flag(h, 'maximize', false) ? tf.neg(grad0) : grad0
    grad = withL2(grad, param, weightDecay)
    const squareAvg = emaOfSquares(slots?.square_avg, grad, alpha, 1 - alpha)
    let gradAvg = slots?.grad_avg
    let avg: tf.Tensor
    if (G.flag(h, 'centered', false)) {
      gradAvg = ema(gradAvg, grad, alpha, 1 - alpha)
      avg = tf.sqrt(tf.sub(squareAvg, tf.mul(gradAvg, gradAvg)))
    } else avg = tf.sqrt(squareAvg)
    avg = tf.add(avg, eps)
    let buffer = slots?.momentum_buffer
    let update: tf.Tensor
    if (momentum > 0) {
      buffer = tf.add(tf.mul(buffer ?? tf.zerosLike(param), momentum), tf.div(grad, avg))
      update = tf.mul(buffer, -lr)
    } else update = cdiv(grad, avg, -lr)
    return { update, slots: { square_avg: squareAvg, grad_avg: gradAvg, momentum_buffer: buffer } }
  })
