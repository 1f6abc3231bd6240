/**
 * ReLU's gradient as one kernel, `dy · step(x)` (step: 1 above zero, 0 at or
 * below it, NaN for NaN), where tfjs composes it from `Step`, `Cast` and
 * `Multiply`: two kernels and two tensors fewer per ReLU. The gradient
 * registered for `Relu` (`gradients.ts`) runs the kernel where the backend has it (WASM:
 * compiled SIMD, `wasmReluGrad.ts`) and tfjs's composition elsewhere; both
 * give the same bits (`test/unit/tensor/reluGrad.test.ts`).
 * @module
 */
import * as tf from '@tensorflow/tfjs-core'

/** The kernel's name in tfjs's registry (inputs `dy` and `x`, float32, of one shape). */
export const RELU_GRAD = 'LoopwrightReluGrad'

/** `dy · step(x)`: the gradient of `relu(x)` under the upstream gradient `dy`. */
export const reluGrad = (dy: tf.Tensor, x: tf.Tensor): tf.Tensor =>
  tf.getKernel(RELU_GRAD, tf.getBackend()) !== undefined && dy.dtype === 'float32' && x.dtype === 'float32'
    ? (tf.engine().runKernel(RELU_GRAD, { dy, x }) as tf.Tensor)
    : tf.mul(dy, tf.cast(tf.step(x), 'float32'))

/** Register {@link reluGrad} as `Relu`'s gradient, replacing tfjs's (call after tfjs's gradients are registered). */
export const registerReluGradient = (): void => {
  tf.registerGradient({
    kernelName: 'Relu',
    inputsToSave: ['x'],
    gradFunc: (dy, saved) => {
      const [x] = saved as tf.Tensor[]
      return { x: () => reluGrad(dy as tf.Tensor, x!) }
    },
  })
}
