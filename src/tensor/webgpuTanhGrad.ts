/**
 * `tanh`'s gradient (`tanhGrad.ts`) on the WebGPU backend: `dy · (1 − y²)` in one program, the arithmetic of
 * tfjs's `Square`, `Sub` and `Multiply` (three programs, two of them writing a tensor only to be read once).
 * @module
 */
import type * as tf from '@tensorflow/tfjs-core'
import { flatDispatch, type WebgpuBackend, type WebgpuProgram } from './webgpuProgram.js'

const WORKGROUP = 64

const tanhGradProgram = (size: number): WebgpuProgram => ({
  outputShape: [size],
  shaderKey: 'loopwrightTanhGrad',
  variableNames: ['dy', 'y'],
  uniforms: 'count : i32, ',
  ...flatDispatch(size, WORKGROUP),
  getUserCode: () => `
    fn main(index : i32) {
      if (index >= uniforms.count) { return; }
      let yi = y[index];
      result[index] = (1.0 - yi * yi) * dy[index];
    }
  `,
})

/** The `LoopwrightTanhGrad` kernel for WebGPU: `dy · (1 − y²)` in one program. */
export const webgpuTanhGradKernel: tf.KernelFunc = ({ inputs, backend }) => {
  const gpu = backend as unknown as WebgpuBackend
  const { dy, y } = inputs as { dy: tf.TensorInfo; y: tf.TensorInfo }
  const size = y.shape.reduce((a, b) => a * b, 1)
  const flat = gpu.runWebGPUProgram(tanhGradProgram(size), [dy, y], 'float32', [{ type: 'int32', data: [size] }])
  return { dataId: flat.dataId, shape: [...y.shape], dtype: 'float32' }
}
