/**
 * LAMB as MMPretrain's `Lamb` (timm/NVIDIA "NvLamb") computes it (spec §6.4):
 * gradients divided by the global norm beyond `max_grad_norm`, a group-level
 * step counter, Adam moments, decoupled decay added to the update, and a
 * trust ratio ‖p‖/‖u‖.
 * @module
 */
import * as tf from '@tensorflow/tfjs-core'
import type { GradientTransformation } from '../GradientTransformation.js'
import * as G from '../ParamGroups.js'
import type { Tree } from '../../tensor/tree.js'
import { ema, emaOfSquares } from './moments.js'

export interface LambState {
  /** Step count of each group, by group index. */
  readonly groupSteps: ReadonlyArray<number>
  readonly slots: {
    readonly [name: string]: { readonly exp_avg: tf.Tensor; readonly exp_avg_sq: tf.Tensor } | undefined
  }
}

export const lamb = (): GradientTransformation<LambState> => ({
  init: () => ({ groupSteps: [], slots: {} }),
  update: (grads, state, params, groups) => {
    const updates: { [name: string]: tf.Tensor } = {}
    const slots = { ...state.slots }
    const groupSteps = [...state.groupSteps]
    const maxGradNorm = G.num(groups[0]?.hyper ?? {}, 'max_grad_norm', 1.0)
    const clip = tf.tidy(() => {
      const squares = Object.values(grads).map((g) => tf.sum(tf.square(g)))
      const total = squares.length === 0 ? tf.scalar(0) : tf.sqrt(tf.addN(squares))
      return tf.where(tf.greater(total, maxGradNorm), tf.div(total, maxGradNorm), tf.scalar(1))
    })
    groups.forEach((group, index) => {
      const h = group.hyper
      // timm/MMPretrain count the step of every group, whether or not its parameters have gradients.
      const step = (groupSteps[index] ?? 0) + 1
      groupSteps[index] = step
      const withGrads = group.names.filter((n) => grads[n] !== undefined && params[n] !== undefined)
      if (withGrads.length === 0) return
      const lr = G.num(h, 'lr', 1e-3)
      const [beta1, beta2] = G.pair(h, 'betas', [0.9, 0.999])
      const eps = G.num(h, 'eps', 1e-6)
      const weightDecay = G.num(h, 'weight_decay', 0.01)
      const biasCorrection = G.flag(h, 'bias_correction', true)
      const beta3 = G.flag(h, 'grad_averaging', true) ? 1 - beta1 : 1
      const bc1 = biasCorrection ? 1 - beta1 ** step : 1
      const bc2 = biasCorrection ? 1 - beta2 ** step : 1
      for (const name of withGrads) {
        const result = tf.tidy(() => {
          const p = params[name]!
          const g = tf.div(grads[name]!, clip)
          const m = ema(state.slots[name]?.exp_avg, g, beta1, beta3)
          const v = emaOfSquares(state.slots[name]?.exp_avg_sq, g, beta2, 1 - beta2)
          let u = tf.div(tf.div(m, bc1), tf.add(tf.div(tf.sqrt(v), Math.sqrt(bc2)), eps))
          if (weightDecay !== 0) u = tf.add(u, tf.mul(p, weightDecay))
          if (weightDecay !== 0 || G.flag(h, 'always_adapt', false)) {
            const wn = tf.norm(p)
            const un = tf.norm(u)
            let ratio = tf.where(tf.logicalAnd(tf.greater(wn, 0), tf.greater(un, 0)), tf.div(wn, un), tf.scalar(1))
            if (G.flag(h, 'trust_clip', false)) ratio = tf.minimum(ratio, 1)
            u = tf.mul(u, ratio)
          }
          return { update: tf.mul(u, -lr), exp_avg: m, exp_avg_sq: v }
        })
        updates[name] = result.update
        slots[name] = { exp_avg: result.exp_avg, exp_avg_sq: result.exp_avg_sq }
      }
    })
    clip.dispose()
    return [updates as Tree, { groupSteps, slots }]
  },
})
