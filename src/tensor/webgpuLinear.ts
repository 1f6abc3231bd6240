/**
 * The `LoopwrightLinear` kernel (`linear.ts`) on the WebGPU backend: `x·Wᵀ + b` and the ReLU in the one program
 * of tfjs-backend-webgpu's own `_FusedMatMul` (its matrix-product programs take a bias and an activation), where
 * the stock route runs `BatchMatMul`, `Add` and `Relu`: three programs.
 * @module
 */
import type * as tf from '@tensorflow/tfjs-core'

/** The `LoopwrightLinear` kernel for WebGPU, given the backend's `_FusedMatMul` kernel. */
export const webgpuLinearKernel =
  (fusedMatMul: tf.KernelFunc): tf.KernelFunc =>
  ({ inputs, attrs, backend }) => {
    const { x, weight, bias } = inputs as { x: tf.TensorInfo; weight: tf.TensorInfo; bias?: tf.TensorInfo }
    const { relu } = attrs as unknown as { relu: boolean }
    return fusedMatMul({
      inputs: bias === undefined ? { a: x, b: weight } : { a: x, b: weight, bias },
      attrs: { transposeA: false, transposeB: true, activation: relu ? 'relu' : 'linear', leakyreluAlpha: 0 },
      backend,
    })
  }
