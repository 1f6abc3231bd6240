/**
 * `nn.Conv2d` as a function over named parameters. The weight keeps
 * PyTorch's layout `[out, in, kh, kw]` (so checkpoints and `custom_keys` carry
 * over); activations are NHWC, TF.js's layout, and the weight is transposed to
 * `[kh, kw, in, out]` inside the step.
 *
 * @example
 * ```ts
 * const [params] = Conv2d.init('conv1', { in_channels: 1, out_channels: 16, kernel_size: 3 }, Rng.make(0))
 * const y = Conv2d.apply(params, 'conv1', { stride: 1, padding: 1 }, x) // x: [n, h, w, 1]
 * ```
 * @module
 */
import * as tf from '@tensorflow/tfjs-core'
import type * as Rng from '../dsl/Rng.js'
import { conv2dBias } from '../tensor/conv2dBias.js'
import type { Tree } from '../tensor/tree.js'
import { defaultBound, uniformTensor } from './init.js'

export interface Conv2dConfig {
  readonly in_channels: number
  readonly out_channels: number
  readonly kernel_size: number
  readonly bias?: boolean
}

/** `${prefix}.weight` `[out, in, k, k]` and `${prefix}.bias` `[out]`, initialised as PyTorch does (fan_in = in·k·k). */
export const init = (prefix: string, cfg: Conv2dConfig, rng: Rng.Rng): readonly [Tree, Rng.Rng] => {
  const k = cfg.kernel_size
  const bound = defaultBound(cfg.in_channels * k * k)
  const [weight, r1] = uniformTensor(rng, [cfg.out_channels, cfg.in_channels, k, k], bound)
  if (cfg.bias === false) return [{ [`${prefix}.weight`]: weight }, r1]
  const [bias, r2] = uniformTensor(r1, [cfg.out_channels], bound)
  return [{ [`${prefix}.weight`]: weight, [`${prefix}.bias`]: bias }, r2]
}

/** Convolve NHWC `x` with PyTorch's `stride` and symmetric zero `padding`. */
export const apply = (
  params: Tree,
  prefix: string,
  options: { readonly stride?: number; readonly padding?: number },
  x: tf.Tensor4D,
): tf.Tensor4D => {
  const weight = params[`${prefix}.weight`]
  if (weight === undefined) throw new Error(`Conv2d '${prefix}': parameter ${prefix}.weight is missing`)
  const p = options.padding ?? 0
  const filter = tf.transpose(weight, [2, 3, 1, 0]) as tf.Tensor4D
  const pad =
    p === 0
      ? 'valid'
      : ([
          [0, 0],
          [p, p],
          [p, p],
          [0, 0],
        ] as tf.backend_util.ExplicitPadding)
  // One kernel on WebGPU (`tensor/conv2dBias.ts`); tfjs's Conv2D and Add elsewhere.
  return conv2dBias(x, filter, options.stride ?? 1, pad, params[`${prefix}.bias`])
}
