/**
 * `tanh` then a k×k average pooling of stride k (`tanhAvgPool.ts`) on the WebGPU backend: one program forward where
 * tfjs runs `Tanh` and `AvgPool`, one backward where it runs `AvgPoolGrad` and `tanh`'s gradient. The arithmetic is
 * tfjs-backend-webgpu's: its `tanh` formula, the window summed row by row and divided by its size; the gradient
 * `(1 − y²) · dy·(1/k²)` with y recomputed from x by the same formula (no saved output).
 * @module
 */
import type * as tf from '@tensorflow/tfjs-core'
import { flatDispatch, type WebgpuBackend, type WebgpuProgram } from './webgpuProgram.js'

const WORKGROUP = 64

// tfjs-backend-webgpu's tanh (its unary `TANH`), so the forward and the gradient agree with its `Tanh`.
const TANH = `
    fn tanhOf(a : f32) -> f32 {
      let e2x = exp(-2.0 * abs(a));
      return sign(a) * (1.0 - e2x) / (1.0 + e2x);
    }
`

const UNIFORMS = 'count : i32, height : i32, width : i32, channels : i32, outHeight : i32, outWidth : i32, k : i32, '

const forwardProgram = (size: number): WebgpuProgram => ({
  outputShape: [size],
  shaderKey: 'loopwrightTanhAvgPool',
  variableNames: ['x'],
  uniforms: UNIFORMS,
  ...flatDispatch(size, WORKGROUP),
  getUserCode: () => `
    ${TANH}
    fn main(index : i32) {
      if (index >= uniforms.count) { return; }
      let c = index % uniforms.channels;
      let ow = (index / uniforms.channels) % uniforms.outWidth;
      let oh = (index / (uniforms.channels * uniforms.outWidth)) % uniforms.outHeight;
      let n = index / (uniforms.channels * uniforms.outWidth * uniforms.outHeight);
      var total = 0.0;
      for (var i = 0; i < uniforms.k; i = i + 1) {
        for (var j = 0; j < uniforms.k; j = j + 1) {
          let h = oh * uniforms.k + i;
          let w = ow * uniforms.k + j;
          total = total + tanhOf(x[((n * uniforms.height + h) * uniforms.width + w) * uniforms.channels + c]);
        }
      }
      result[index] = total / f32(uniforms.k * uniforms.k);
    }
  `,
})

const backwardProgram = (size: number): WebgpuProgram => ({
  outputShape: [size],
  shaderKey: 'loopwrightTanhAvgPoolGrad',
  variableNames: ['dy', 'x'],
  uniforms: UNIFORMS,
  ...flatDispatch(size, WORKGROUP),
  getUserCode: () => `
    ${TANH}
    fn main(index : i32) {
      if (index >= uniforms.count) { return; }
      let c = index % uniforms.channels;
      let w = (index / uniforms.channels) % uniforms.width;
      let h = (index / (uniforms.channels * uniforms.width)) % uniforms.height;
      let n = index / (uniforms.channels * uniforms.width * uniforms.height);
      let oh = h / uniforms.k;
      let ow = w / uniforms.k;
      // Rows and columns past the last whole window are in no window.
      if (oh >= uniforms.outHeight || ow >= uniforms.outWidth) { result[index] = 0.0; return; }
      let g = dy[((n * uniforms.outHeight + oh) * uniforms.outWidth + ow) * uniforms.channels + c]
        * (1.0 / f32(uniforms.k * uniforms.k));
      let y = tanhOf(x[index]);
      result[index] = (1.0 - y * y) * g;
    }
  `,
})

const dims = (x: tf.TensorInfo, k: number) => {
  const [n, height, width, channels] = x.shape as [number, number, number, number]
  const [outHeight, outWidth] = [Math.floor(height / k), Math.floor(width / k)]
  return { n, height, width, channels, outHeight, outWidth }
}

const uniforms = (count: number, d: ReturnType<typeof dims>, k: number) =>
  [count, d.height, d.width, d.channels, d.outHeight, d.outWidth, k].map((v) => ({
    type: 'int32' as const,
    data: [v],
  }))

/** The `LoopwrightTanhAvgPool` kernel for WebGPU. */
export const webgpuTanhAvgPoolKernel: tf.KernelFunc = ({ inputs, attrs, backend }) => {
  const gpu = backend as unknown as WebgpuBackend
  const { x } = inputs as { x: tf.TensorInfo }
  const { k } = attrs as unknown as { k: number }
  const d = dims(x, k)
  const size = d.n * d.outHeight * d.outWidth * d.channels
  const flat = gpu.runWebGPUProgram(forwardProgram(size), [x], 'float32', uniforms(size, d, k))
  return { dataId: flat.dataId, shape: [d.n, d.outHeight, d.outWidth, d.channels], dtype: 'float32' }
}

/** The `LoopwrightTanhAvgPoolGrad` kernel for WebGPU. */
export const webgpuTanhAvgPoolGradKernel: tf.KernelFunc = ({ inputs, attrs, backend }) => {
  const gpu = backend as unknown as WebgpuBackend
  const { dy, x } = inputs as { dy: tf.TensorInfo; x: tf.TensorInfo }
  const { k } = attrs as unknown as { k: number }
  const d = dims(x, k)
  const size = x.shape.reduce((a, b) => a * b, 1)
  const flat = gpu.runWebGPUProgram(backwardProgram(size), [dy, x], 'float32', uniforms(size, d, k))
  return { dataId: flat.dataId, shape: [...x.shape], dtype: 'float32' }
}
