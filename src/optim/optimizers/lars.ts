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

export const lars = () =>
  perParameter<LarsSlots>((grad, param, slots, h) => {
    const lr = G.num(h, 'lr', NaN)
    const momentum = G.num(h, 'momentum', 0)
    const dampening = G.num(h, 'dampening', 0)
    const weightDecay = G.num(h, 'weight_decay', 0)
    const eta = G.num(h, 'eta', 0.001)
    const eps = G.num(h, 'eps', 1e-8)
    let localLr = 1
    if (!G.flag(h, 'lars_exclude', false)) {
      const wn = normOf(param)
      const gn = normOf(grad)
      if (wn !== 0 && gn !== 0) localLr = (eta * wn) / (gn + weightDecay * wn + eps)
    }
    const actualLr = localLr * lr
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
