/**
 * Rprop and ASGD as PyTorch 1.13 computes them (spec §6.2).
 * @module
 */
import * as tf from '@tensorflow/tfjs-core'
import * as G from '../ParamGroups.js'
import { perParameter } from '../perParameter.js'
import { withL2 } from './moments.js'

interface RpropSlots {
  readonly [key: string]: tf.Tensor | number
  readonly step: number
  readonly prev: tf.Tensor
  readonly step_size: tf.Tensor
}

/** `torch.optim.Rprop` (`etas` (0.5, 1.2), `step_sizes` (1e-6, 50)). */
export const rprop = () =>
  perParameter<RpropSlots>((grad0, param, slots, h) => {
    const [etaMinus, etaPlus] = G.pair(h, 'etas', [0.5, 1.2])
    const [stepMin, stepMax] = G.pair(h, 'step_sizes', [1e-6, 50])
    const grad = G.flag(h, 'maximize', false) ? tf.neg(grad0) : grad0
    const prev = slots?.prev ?? tf.zerosLike(param)
    const stepSize0 = slots?.step_size ?? tf.fill(param.shape, G.num(h, 'lr', 1e-2))
    const sign = tf.sign(tf.mul(grad, prev))
    const factor = tf.where(
      tf.greater(sign, 0),
      tf.fill(param.shape, etaPlus),
      tf.where(tf.less(sign, 0), tf.fill(param.shape, etaMinus), tf.onesLike(param)),
    )
    const stepSize = tf.clipByValue(tf.mul(stepSize0, factor), stepMin, stepMax)
    // After a sign change the gradient is treated as 0: no step, and it becomes the new `prev`.
    const kept = tf.where(tf.less(sign, 0), tf.zerosLike(grad), grad)
    return {
      update: tf.neg(tf.mul(tf.sign(kept), stepSize)),
      slots: { step: (slots?.step ?? 0) + 1, prev: kept, step_size: stepSize },
    }
  })

interface AsgdSlots {
  readonly [key: string]: tf.Tensor | number
  readonly step: number
  readonly eta: number
  readonly mu: number
  readonly ax: tf.Tensor
}

/** `torch.optim.ASGD` (`lambd` 1e-4, `alpha` 0.75, `t0` 1e6); `eta` and `mu` are float32 values as in PyTorch. */
export const asgd = () =>
  perParameter<AsgdSlots>((grad0, param, slots, h) => {
    const lr = G.num(h, 'lr', 1e-2)
    const lambd = G.num(h, 'lambd', 1e-4)
    const alpha = G.num(h, 'alpha', 0.75)
    const t0 = G.num(h, 't0', 1e6)
    const weightDecay = G.num(h, 'weight_decay', 0)
    let grad = G.flag(h, 'maximize', false) ? tf.neg(grad0) : grad0
    const step = (slots?.step ?? 0) + 1
    const eta = slots?.eta ?? Math.fround(lr)
    const mu = slots?.mu ?? 1
    grad = withL2(grad, param, weightDecay)
    const decayed = tf.mul(param, 1 - lambd * eta)
    const next = tf.add(decayed, tf.mul(grad, -eta))
    const ax0 = slots?.ax ?? tf.zerosLike(param)
    const ax = mu !== 1 ? tf.add(ax0, tf.mul(tf.sub(next, ax0), mu)) : tf.clone(next)
    return {
      next,
      slots: {
        step,
        eta: Math.fround(lr / (1 + lambd * lr * step) ** alpha),
        mu: Math.fround(1 / Math.max(1, step - t0)),
        ax,
      },
    }
  })
