/**
 * `nn.Linear` as a function over named parameters: `weight` is `[out, in]`
 * (PyTorch's layout) and `y = x·Wᵀ + b`.
 *
 * @example
 * ```ts
 * const [params, rng] = Linear.init('fc1', 784, 256, Rng.make(0))  // { 'fc1.weight': [256, 784], 'fc1.bias': [256] }
 * const y = Linear.apply(params, 'fc1', x)
 * ```
 * @module
 */
import * as tf from '@tensorflow/tfjs-core'
import type * as Rng from '../dsl/Rng.js'
import { type LinearActivation, linear } from '../tensor/linear.js'
import type { Tree } from '../tensor/tree.js'
import { defaultBound, uniformTensor } from './init.js'

/**
 * Parameters `${prefix}.weight` `[out, in]` and (unless `bias` is false) `${prefix}.bias` `[out]`, initialised as
 * PyTorch does.
 */
export const init = (
  prefix: string,
  inFeatures: number,
  outFeatures: number,
  rng: Rng.Rng,
  bias = true,
): readonly [Tree, Rng.Rng] => {
  const bound = defaultBound(inFeatures)
  const [weight, r1] = uniformTensor(rng, [outFeatures, inFeatures], bound)
  if (!bias) return [{ [`${prefix}.weight`]: weight }, r1]
  const [b, r2] = uniformTensor(r1, [outFeatures], bound)
  return [{ [`${prefix}.weight`]: weight, [`${prefix}.bias`]: b }, r2]
}

/**
 * `x·Wᵀ + b` over the last dimension of `x`, then `nn.ReLU` if `activation` is `'relu'` (one kernel on WebGPU:
 * `tensor/linear.ts`).
 */
export const apply = (params: Tree, prefix: string, x: tf.Tensor, activation?: LinearActivation): tf.Tensor => {
  const weight = params[`${prefix}.weight`]
  if (weight === undefined) throw new Error(`Linear '${prefix}': parameter ${prefix}.weight is missing`)
  const flat = x.rank === 2 ? x : tf.reshape(x, [-1, x.shape.at(-1)!])
  const y = linear(flat, weight, params[`${prefix}.bias`], activation)
  return x.rank === 2 ? y : tf.reshape(y, [...x.shape.slice(0, -1), weight.shape[0]!])
}
