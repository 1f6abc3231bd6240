/**
 * The `LoopwrightReluBiasGrad` kernel (`linear.ts`) on the WebGPU backend: the gradient through a linear layer's
 * ReLU, `dz = dy · step(y)`, and its bias's gradient, `db = Σ_rows dz`, in one program where tfjs's route takes
 * two (the ReLU gradient, then a sum over the rows). Thread j walks column j down the rows, in order, as
 * `webgpuColumnSum.ts` does: the step's bits are `webgpuReluGrad.ts`'s, the sum is float32 in row order.
 * @module
 */
import type * as tf from '@tensorflow/tfjs-core'
import { flatDispatch, splitInto, type WebgpuBackend, type WebgpuProgram } from './webgpuProgram.js'

const WORKGROUP = 64

// One output buffer `[dz | db]` (tfjs's programs have one output), split by buffer copies.
const reluBiasGradProgram = (rows: number, columns: number): WebgpuProgram => ({
  outputShape: [rows * columns + columns],
  shaderKey: 'loopwrightReluBiasGrad',
  variableNames: ['dy', 'y'],
  uniforms: 'rows : i32, columns : i32, ',
  ...flatDispatch(columns, WORKGROUP),
  getUserCode: () => `
    fn main(index : i32) {
      if (index >= uniforms.columns) { return; }
      var total = 0.0;
      for (var r = 0; r < uniforms.rows; r = r + 1) {
        let at = r * uniforms.columns + index;
        let yi = y[at];
        // tfjs's isnan tests the bits: WGSL lets a compiler assume y is never NaN.
        let s = select(select(0.0, 1.0, yi > 0.0), uniforms.NAN, isnan(yi));
        let dz = dy[at] * s;
        result[at] = dz;
        total = total + dz;
      }
      result[uniforms.rows * uniforms.columns + index] = total;
    }
  `,
})

/** The `LoopwrightReluBiasGrad` kernel for WebGPU: `[dy · step(y), Σ_rows dy · step(y)]` in one program. */
export const webgpuReluBiasGradKernel: tf.KernelFunc = ({ inputs, backend }) => {
  const gpu = backend as unknown as WebgpuBackend
  const { dy, y } = inputs as { dy: tf.TensorInfo; y: tf.TensorInfo }
  const [rows, columns] = y.shape as [number, number]
  const packed = gpu.runWebGPUProgram(reluBiasGradProgram(rows, columns), [dy, y], 'float32', [
    { type: 'int32', data: [rows] },
    { type: 'int32', data: [columns] },
  ])
  return splitInto(gpu, packed, [[rows, columns], [columns]])
}
