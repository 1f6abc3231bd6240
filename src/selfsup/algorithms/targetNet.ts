/**
 * Momentum encoders (BYOL's `target_net`, MoCo's `encoder_k`, MoCo v3's
 * `momentum_encoder`): MMEngine's averaged model around
 * `nn.Sequential(backbone, neck)`, kept in the buffers under
 * `<prefix>.module.0.*` (backbone) and `<prefix>.module.1.*` (neck), with its
 * update counter `<prefix>.steps`.
 *
 * `update_parameters` as MMEngine's `BaseAveragedModel` does it: the first
 * update copies the online parameters; later ones average them
 * (`ExponentialMovingAverage`: `avg.lerp_(src, m)`; MMSelfSup's `CosineEMA`:
 * `avg·μ + src·(1 − μ)` with `μ = end − (end − base)·(cos(π·steps/max_iters) + 1)/2`);
 * buffers (BatchNorm statistics) are copied from the online model each time
 * (`update_buffers=False`). No gradient reaches the online parameters.
 * @module
 */
import * as tf from '@tensorflow/tfjs-core'
import type { Tree } from '../../tensor/tree.js'
import { stopGradient } from '../../tensor/stopGradient.js'

/**
 * How the average moves: MMEngine's EMA (weight of the new value) or MMSelfSup's cosine-scheduled EMA (weight of the
 * old).
 */
export type Averaging =
  | { readonly _tag: 'ExponentialMovingAverage'; readonly momentum: number }
  | { readonly _tag: 'CosineEMA'; readonly momentum: number; readonly endMomentum: number }

/** The target name of an online `backbone.*` / `neck.*` name. */
export const targetName = (prefix: string, online: string): string =>
  online.startsWith('backbone.')
    ? `${prefix}.module.0.${online.slice('backbone.'.length)}`
    : `${prefix}.module.1.${online.slice('neck.'.length)}`

/** The online name of a target name (inverse of {@link targetName}). */
export const onlineName = (prefix: string, target: string): string =>
  target.startsWith(`${prefix}.module.0.`)
    ? `backbone.${target.slice(`${prefix}.module.0.`.length)}`
    : `neck.${target.slice(`${prefix}.module.1.`.length)}`

const isOnline = (name: string): boolean => name.startsWith('backbone.') || name.startsWith('neck.')

/**
 * The target's buffers at construction: a deep copy of the online backbone and neck (`deepcopy(model)`), `steps = 0`.
 */
export const init = (prefix: string, params: Tree, buffers: Tree): Tree => {
  const out: { [name: string]: tf.Tensor } = {}
  for (const [n, t] of [...Object.entries(params), ...Object.entries(buffers)])
    if (isOnline(n)) out[targetName(prefix, n)] = tf.clone(t)
  out[`${prefix}.steps`] = tf.scalar(0, 'int32')
  return out
}

/** The momentum of a `CosineEMA` at `steps` of `maxIters`. */
export const cosineMomentum = (base: number, end: number, steps: number, maxIters: number): number =>
  end - ((end - base) * (Math.cos((Math.PI * steps) / maxIters) + 1)) / 2

/**
 * The target after `update_parameters(online)` at update number `steps`
 * (the runner's iteration: one update per training forward).
 */
export const update = (
  prefix: string,
  averaging: Averaging,
  params: Tree,
  buffers: Tree,
  target: Tree,
  steps: number,
  maxIters: number,
): Tree =>
  tf.tidy(() => {
    const out: { [name: string]: tf.Tensor } = {}
    for (const [n, p] of Object.entries(params)) {
      if (!isOnline(n)) continue
      const name = targetName(prefix, n)
      const avg = target[name]
      if (avg === undefined) throw new Error(`momentum encoder ${prefix}: ${name} is missing from the buffers`)
      // Off the tape, so that the backward pass never enters the target network (MMEngine averages under no_grad).
      const src = stopGradient(p)
      if (steps === 0) out[name] = tf.clone(src)
      else if (averaging._tag === 'ExponentialMovingAverage')
        out[name] = tf.add(avg, tf.mul(tf.sub(src, avg), averaging.momentum))
      else {
        const mu = cosineMomentum(averaging.momentum, averaging.endMomentum, steps, maxIters)
        out[name] = tf.add(tf.mul(avg, mu), tf.mul(src, 1 - mu))
      }
    }
    for (const [n, b] of Object.entries(buffers)) if (isOnline(n)) out[targetName(prefix, n)] = tf.clone(b)
    const counter = target[`${prefix}.steps`]
    out[`${prefix}.steps`] =
      counter === undefined ? tf.scalar(steps + 1, 'int32') : tf.add(counter, tf.scalar(1, 'int32'))
    return out
  })

/** The target's weights under their online names, to run the online functions on them. */
export const asOnline = (prefix: string, target: Tree): Tree => {
  const out: { [name: string]: tf.Tensor } = {}
  for (const [n, t] of Object.entries(target)) if (n.startsWith(`${prefix}.module.`)) out[onlineName(prefix, n)] = t
  return out
}

/** Online-named buffer changes as target-named ones. */
export const asTarget = (prefix: string, online: Tree): Tree =>
  Object.fromEntries(Object.entries(online).map(([n, t]) => [targetName(prefix, n), t]))
