/**
 * `tanh` then a k×k average pooling of stride k (no padding), NHWC, as one op: LeNet-5's `Tanh` → `AvgPool2d`.
 * Where the backend registers {@link TANH_AVG_POOL} (WebGPU: `webgpuTanhAvgPool.ts`) it is one program forward and
 * one backward ({@link TANH_AVG_POOL_GRAD}, which recomputes `tanh` from the saved input instead of keeping its
 * output); everywhere else it is tfjs's `Tanh` and `AvgPool`, the kernels and bits of before.
 * @module
 */
import * as tf from '@tensorflow/tfjs-core'

/** The forward kernel's name: input `x` `[n, h, w, c]` float32, attr `k`; output `[n, ⌊h/k⌋, ⌊w/k⌋, c]`. */
export const TANH_AVG_POOL = 'LoopwrightTanhAvgPool'

/** The backward kernel's name: inputs `dy` (the output's shape) and `x`, attr `k`; output `x`'s shape. */
export const TANH_AVG_POOL_GRAD = 'LoopwrightTanhAvgPoolGrad'

/** `avgPool(tanh(x), k, stride k, 'valid')`: one kernel where the backend has {@link TANH_AVG_POOL}. */
export const tanhAvgPool = (x: tf.Tensor4D, k: number): tf.Tensor4D =>
  tf.getKernel(TANH_AVG_POOL, tf.getBackend()) !== undefined &&
  tf.getKernel(TANH_AVG_POOL_GRAD, tf.getBackend()) !== undefined &&
  x.dtype === 'float32'
    ? (tf.engine().runKernel(TANH_AVG_POOL, { x }, { k }) as tf.Tensor4D)
    : tf.tidy(() => tf.avgPool(tf.tanh(x), k, k, 'valid'))

/** Register {@link TANH_AVG_POOL}'s gradient: the backend's {@link TANH_AVG_POOL_GRAD}, registered beside it. */
export const registerTanhAvgPoolGradient = (): void => {
  if (tf.getGradient(TANH_AVG_POOL) !== undefined) return
  tf.registerGradient({
    kernelName: TANH_AVG_POOL,
    inputsToSave: ['x'],
    gradFunc: (dy, saved, attrs) => {
      const [x] = saved as tf.Tensor[]
      return { x: () => tf.engine().runKernel(TANH_AVG_POOL_GRAD, { dy: dy as tf.Tensor, x: x! }, attrs) as tf.Tensor }
    },
  })
}
