/**
 * `tanh`'s gradient as one kernel, `dy · (1 − y²)` from the output y, where tfjs composes it from `Square`, `Sub`
 * and `Multiply`: two kernels and two tensors fewer per `tanh`. The gradient registered for `Tanh`
 * (`gradients.ts`) runs the kernel where the backend has it (WebGPU: `webgpuTanhGrad.ts`) and tfjs's own
 * composition, in tfjs's order, elsewhere: WASM and CPU compute what they computed before.
 * @module
 */
import * as tf from '@tensorflow/tfjs-core'

/** The kernel's name in tfjs's registry (inputs `dy` and `y`, float32, of one shape). */
export const TANH_GRAD = 'LoopwrightTanhGrad'

/** `dy · (1 − y²)`: the gradient of `tanh` at the input whose output is `y`, under the upstream gradient `dy`. */
export const tanhGrad = (dy: tf.Tensor, y: tf.Tensor): tf.Tensor =>
  tf.getKernel(TANH_GRAD, tf.getBackend()) !== undefined && dy.dtype === 'float32' && y.dtype === 'float32'
    ? (tf.engine().runKernel(TANH_GRAD, { dy, y }) as tf.Tensor)
    : tf.mul(tf.sub(tf.scalar(1), tf.square(y)), dy)

/** Register {@link tanhGrad} as `Tanh`'s gradient, replacing tfjs's (call after tfjs's gradients are registered). */
export const registerTanhGradient = (): void => {
  tf.registerGradient({
    kernelName: 'Tanh',
    outputsToSave: [true],
    gradFunc: (dy, saved) => {
      const [y] = saved as tf.Tensor[]
      return { x: () => tanhGrad(dy as tf.Tensor, y!) }
    },
  })
}
