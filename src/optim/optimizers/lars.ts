/**
 * LARS as MMSelfSup/MMPretrain implement it (spec §6.3): a layer-wise trust
 * ratio `η·‖p‖ / (‖g‖ + wd·‖p‖ + eps)` computed in float64 from the two norms,
 * weight decay in both the ratio and the update, a momentum buffer of
 * lr-scaled updates, and `lars_exclude` groups that are plain momentum SGD.
 * @module
 */
import * as tf from '@tensorflow/tfjs-core'
import * as G from '../ParamGroups.js'
import { perParameter } from '../perParameter.js'
import { momentumStep } from './moments.js'

interface LarsSlots {
  readonly [key: string]: tf.Tensor | undefined
  readonly momentum_buffer: tf.Tensor | undefined
}

/** The L2 norm of a tensor, read back as PyTorch's `.item()` does (a float32 value as a float64 number). */
const normOf = (t: tf.Tensor): number => tf.tidy(() => tf.norm(t).dataSync()[0]!)

/**
 * The layer-wise lr of one parameter: `η·‖p‖ / (‖g‖ + wd·‖p‖ + eps)`, or 1 when its group has `lars_exclude` or a
 * norm is 0 (the norms are not computed for an excluded group, as in MMSelfSup).
 */
export const localLr = (grad: tf.Tensor, param: tf.Tensor, h: G.Hyper): number => {
  if (G.flag(h, 'lars_exclude', false)) return 1
  const wn = normOf(param)
  const gn = normOf(grad)
  const weightDecay = G.num(h, 'weight_decay', 0)
  return wn !== 0 && gn !== 0 ? (G.num(h, 'eta', 0.001) * wn) / (gn + weightDecay * wn + G.num(h, 'eps', 1e-8)) : 1
}

export const lars = () =>
  perParameter<LarsSlots>((grad, param, slots, h) => {
    const lr = G.num(h, 'lr', NaN)
    const momentum = G.num(h, 'momentum', 0)
    const dampening = G.num(h, 'dampening', 0)
    const weightDecay = G.num(h, 'weight_decay', 0)
    const actualLr = localLr(grad, param, h) * lr
    // LARS always adds the decay term (even when 0), then scales by the layer-wise lr.
    const d = tf.mul(tf.add(grad, tf.mul(param, weightDecay)), actualLr)
    const { direction, buffer } = momentumStep(
      slots?.momentum_buffer,
      d,
      momentum,
      dampening,
      G.flag(h, 'nesterov', false),
    )
    return { update: tf.neg(direction), slots: { momentum_buffer: buffer } }
  })
