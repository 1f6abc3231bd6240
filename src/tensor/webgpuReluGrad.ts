/**
 * ReLU's gradient (`reluGrad.ts`) on the WebGPU backend: one program,
 * `dy · s` with `s = 1` above zero, 0 at or below it and NaN where x is NaN,
 * the one float32 multiply of tfjs's `Step`, `Cast` and `Multiply` (three
 * programs, two of them writing a tensor only to be read once).
 * @module
 */
import type * as tf from '@tensorflow/tfjs-core'
import { flatDispatch, type WebgpuBackend, type WebgpuProgram } from './webgpuProgram.js'

const WORKGROUP = 64

const reluGradProgram = (size: number): WebgpuProgram => ({
  outputShape: [size],
  shaderKey: 'loopwrightReluGrad',
  variableNames: ['dy', 'x'],
  uniforms: 'count : i32, ',
  ...flatDispatch(size, WORKGROUP),
  getUserCode: () => `
    fn main(index : i32) {
      if (index >= uniforms.count) { return; }
      let xi = x[index];
      // tfjs's isnan tests the bits: WGSL lets a compiler assume x is never NaN.
      let s = select(select(0.0, 1.0, xi > 0.0), uniforms.NAN, isnan(xi));
      result[index] = dy[index] * s;
    }
  `,
})

/** The `LoopwrightReluGrad` kernel for WebGPU: `dy · step(x)` in one program. */
export const webgpuReluGradKernel: tf.KernelFunc = ({ inputs, backend }) => {
  const gpu = backend as unknown as WebgpuBackend
  const { dy, x } = inputs as { dy: tf.TensorInfo; x: tf.TensorInfo }
  const size = x.shape.reduce((a, b) => a * b, 1)
  const flat = gpu.runWebGPUProgram(reluGradProgram(size), [dy, x], 'float32', [{ type: 'int32', data: [size] }])
  return { dataId: flat.dataId, shape: [...x.shape], dtype: 'float32' }
}
