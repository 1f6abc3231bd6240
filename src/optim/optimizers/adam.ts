/**
 * The Adam family as PyTorch 1.13 computes it (single-tensor paths, spec
 * §6.2): Adam and AdamW (with amsgrad), Adamax, NAdam and RAdam. The step
 * count and every scalar factor are float64 JS numbers, as in PyTorch.
 * @module
 */
import * as tf from '@tensorflow/tfjs-core'
import { fusedAdamStep, hasFusedAdam } from '../../tensor/fusedAdam.js'
import * as G from '../ParamGroups.js'
import { perParameter } from '../perParameter.js'
import { cdiv, ema, emaOfSquares, withL2 } from './moments.js'

interface AdamSlots {
  readonly [key: string]: tf.Tensor | number | undefined
  readonly step: number
  readonly exp_avg: tf.Tensor
  readonly exp_avg_sq: tf.Tensor
  readonly max_exp_avg_sq: tf.Tensor | undefined
}

const adamLike = (decoupled: boolean) =>
  perParameter<AdamSlots>((grad0, param, slots, h) => {
    const lr = G.num(h, 'lr', 1e-3)
    const [beta1, beta2] = G.pair(h, 'betas', [0.9, 0.999])
    const eps = G.num(h, 'eps', 1e-8)
    const weightDecay = G.num(h, 'weight_decay', decoupled ? 1e-2 : 0)
    const amsgrad = G.flag(h, 'amsgrad', false)
    const maximize = G.flag(h, 'maximize', false)
    const step = (slots?.step ?? 0) + 1
    if (!amsgrad && grad0.dtype === 'float32' && hasFusedAdam()) {
      // The same arithmetic in one kernel, bit for bit (src/tensor/fusedAdam.ts).
      const stepSize = lr / (1 - beta1 ** step)
      const bias2Sqrt = Math.sqrt(1 - beta2 ** step)
      const scalars = { beta1, beta2, eps, stepSize, bias2Sqrt, weightDecay, decoupled, lr, maximize }
      const m0 = slots?.exp_avg ?? tf.zerosLike(param)
      // The kernel also applies the step: the new parameter, bit-identical to `param + update`.
      const [next, m, v] = fusedAdamStep(param, grad0, m0, slots?.exp_avg_sq ?? tf.zerosLike(param), scalars)
      return { next, slots: { step, exp_avg: m, exp_avg_sq: v, max_exp_avg_sq: undefined } }
    }
    let grad = maximize ? tf.neg(grad0) : grad0
    let p = param
    if (decoupled) p = tf.mul(param, 1 - lr * weightDecay)
    else grad = withL2(grad, param, weightDecay)
    const m = ema(slots?.exp_avg, grad, beta1, 1 - beta1)
    const v = emaOfSquares(slots?.exp_avg_sq, grad, beta2, 1 - beta2)
    const bias1 = 1 - beta1 ** step
    const bias2Sqrt = Math.sqrt(1 - beta2 ** step)
    const stepSize = lr / bias1
    let maxV = slots?.max_exp_avg_sq
    let denomBase = v
    if (amsgrad) {
      maxV = tf.maximum(maxV ?? tf.zerosLike(param), v)
      denomBase = maxV
    }
    const denom = tf.add(tf.div(tf.sqrt(denomBase), bias2Sqrt), eps)
    const delta = cdiv(m, denom, -stepSize)
    const slotsNext = { step, exp_avg: m, exp_avg_sq: v, max_exp_avg_sq: maxV }
    // With decoupled decay the parameter is first scaled, so the step is not additive: give the new value.
    return decoupled ? { next: tf.add(p, delta), slots: slotsNext } : { update: delta, slots: slotsNext }
  })

/** `torch.optim.Adam` (L2 weight decay in the gradient). */
export const adam = () => adamLike(false)

/** `torch.optim.AdamW` (decoupled decay `p *= 1 − lr·wd` first; default `weight_decay` 0.01). */
export const adamw = () => adamLike(true)

interface AdamaxSlots {
  readonly [key: string]: tf.Tensor | number
  readonly step: number
  readonly exp_avg: tf.Tensor
  readonly exp_inf: tf.Tensor
}

/** `torch.optim.Adamax` (default lr 2e-3). */
export const adamax = () =>
  perParameter<AdamaxSlots>((grad0, param, slots, h) => {
    const lr = G.num(h, 'lr', 2e-3)
    const [beta1, beta2] = G.pair(h, 'betas', [0.9, 0.999])
    const eps = G.num(h, 'eps', 1e-8)
    const weightDecay = G.num(h, 'weight_decay', 0)
    let grad = G.flag(h, 'maximize', false) ? tf.neg(grad0) : grad0
    const step = (slots?.step ?? 0) + 1
    grad = withL2(grad, param, weightDecay)
    const m = ema(slots?.exp_avg, grad, beta1, 1 - beta1)
    const u = tf.maximum(tf.mul(slots?.exp_inf ?? tf.zerosLike(param), beta2), tf.add(tf.abs(grad), eps))
    const clr = lr / (1 - beta1 ** step)
    return { update: cdiv(m, u, -clr), slots: { step, exp_avg: m, exp_inf: u } }
  })

/**
 * What NAdam and RAdam share: their hyper-parameters, the step count, the gradient with L2
 * decay, and the two Adam moments.
 */
const l2Moments = (
  grad0: tf.Tensor,
  param: tf.Tensor,
  slots: { readonly step: number; readonly exp_avg: tf.Tensor; readonly exp_avg_sq: tf.Tensor } | undefined,
  h: G.Hyper,
  defaultLr: number,
) => {
  const [beta1, beta2] = G.pair(h, 'betas', [0.9, 0.999])
  const grad = withL2(grad0, param, G.num(h, 'weight_decay', 0))
  return {
    lr: G.num(h, 'lr', defaultLr),
    beta1,
    beta2,
    eps: G.num(h, 'eps', 1e-8),
    step: (slots?.step ?? 0) + 1,
    grad,
    m: ema(slots?.exp_avg, grad, beta1, 1 - beta1),
    v: emaOfSquares(slots?.exp_avg_sq, grad, beta2, 1 - beta2),
  }
}

interface NadamSlots {
  readonly [key: string]: tf.Tensor | number
  readonly step: number
  readonly mu_product: number
  readonly exp_avg: tf.Tensor
  readonly exp_avg_sq: tf.Tensor
}

/** `torch.optim.NAdam` (default lr 2e-3, `momentum_decay` 4e-3); `mu_product` is a float32 value as in PyTorch. */
export const nadam = () =>
  perParameter<NadamSlots>((grad0, param, slots, h) => {
    const { lr, beta1, beta2, eps, step, grad, m, v } = l2Moments(grad0, param, slots, h, 2e-3)
    const momentumDecay = G.num(h, 'momentum_decay', 4e-3)
    const bias2 = 1 - beta2 ** step
    const mu = beta1 * (1 - 0.5 * 0.96 ** (step * momentumDecay))
    const muNext = beta1 * (1 - 0.5 * 0.96 ** ((step + 1) * momentumDecay))
    // PyTorch keeps mu_product in a float32 tensor (`mu_product *= mu` rounds mu first). Torch 1.13
    // then multiplies mu in once more for the next product; 2.0 dropped that factor (pytorch#92699).
    const muProduct = Math.fround((slots?.mu_product ?? 1) * Math.fround(mu))
    const muProductNext = muProduct * mu * muNext
    const denom = tf.add(tf.sqrt(tf.div(v, bias2)), eps)
    const p1 = tf.add(param, cdiv(grad, denom, (-lr * (1 - mu)) / (1 - muProduct)))
    const p2 = tf.add(p1, cdiv(m, denom, (-lr * muNext) / (1 - muProductNext)))
    return { next: p2, slots: { step, mu_product: muProduct, exp_avg: m, exp_avg_sq: v } }
  })

interface RadamSlots {
  readonly [key: string]: tf.Tensor | number
  readonly step: number
  readonly exp_avg: tf.Tensor
  readonly exp_avg_sq: tf.Tensor
}

/** `torch.optim.RAdam` (rectified Adam; plain momentum step while ρ_t ≤ 5). */
export const radam = () =>
  perParameter<RadamSlots>((grad0, param, slots, h) => {
    const { lr, beta1, beta2, eps, step, m, v } = l2Moments(grad0, param, slots, h, 1e-3)
    const bias1 = 1 - beta1 ** step
    const bias2 = 1 - beta2 ** step
    const corrected = tf.div(m, bias1)
    const rhoInf = 2 / (1 - beta2) - 1
    const rhoT = rhoInf - (2 * step * beta2 ** step) / bias2
    let delta: tf.Tensor
    if (rhoT > 5) {
      const rect = Math.sqrt(((rhoT - 4) * (rhoT - 2) * rhoInf) / ((rhoInf - 4) * (rhoInf - 2) * rhoT))
      const adaptive = tf.div(Math.sqrt(bias2), tf.add(tf.sqrt(v), eps))
      delta = tf.mul(tf.mul(tf.mul(corrected, lr), adaptive), rect)
    } else {
      delta = tf.mul(corrected, lr)
    }
    return { update: tf.neg(delta), slots: { step, exp_avg: m, exp_avg_sq: v } }
  })
