/**
 * The fused Adam/AdamW step (`fusedAdam.ts`) on the WebGPU backend: one
 * compute program per parameter where tfjs dispatches about thirteen
 * element-wise ones, each with its own output buffer, uniforms and bind group.
 *
 * tfjs-backend-webgpu's programs have one output binding, so the program
 * writes `[next | m | v]` into one buffer three parameters long, and three
 * buffer-to-buffer copies (commands in the same encoder, not dispatches) split
 * it into the three result tensors.
 *
 * The arithmetic is the unfused ops' order, in f32, on scalars rounded to
 * float32 as tfjs rounds them. WGSL does not promise correctly rounded `÷` and
 * `√` (2.5 ULP), nor forbid contracting `a·b + c` into a fused multiply-add, so
 * the result is equal to the CPU kernel's within a few ULP, not bit for bit.
 * @module
 */
import type * as tf from '@tensorflow/tfjs-core'
import { ADAM_CONSTANTS, type AdamScalars, type AdamVariant, adamConstants, adamVariant } from './fusedAdam.js'
import { type WebgpuBackend, type WebgpuProgram, flatDispatch, splitInto } from './webgpuProgram.js'

const WORKGROUP = 64

const adamProgram = (size: number, v: AdamVariant): WebgpuProgram => ({
  // One thread per element of the parameter; the output holds the three results back to back.
  outputShape: [3 * size],
  shaderKey: `loopwrightAdam${+v.maximize}${+v.l2}${+v.decoupled}`,
  variableNames: ['param', 'grad', 'moment1', 'moment2'],
  uniforms: `count : i32, ${ADAM_CONSTANTS.map((s) => `${s} : f32, `).join('')}`,
  ...flatDispatch(size, WORKGROUP),
  getUserCode: () => `
    fn main(index : i32) {
      if (index >= uniforms.count) { return; }
      let n = uniforms.count;
      var g = ${v.maximize ? '-grad[index]' : 'grad[index]'};
      ${v.l2 ? 'g = g + param[index] * uniforms.wd;' : ''}
      let m = moment1[index] * uniforms.b1 + g * uniforms.w1;
      let vv = moment2[index] * uniforms.b2 + (g * uniforms.w2) * g;
      let delta = (m * uniforms.scale) / (sqrt(vv) / uniforms.bias2 + uniforms.eps);
      let p = ${v.decoupled ? 'param[index] * uniforms.shrink' : 'param[index]'};
      result[index] = p + delta;
      result[index + n] = m;
      result[index + 2 * n] = vv;
    }
  `,
})

/** The `LoopwrightFusedAdam` kernel for the WebGPU backend: `[next, m, v]` as new tensors, one program. */
export const webgpuAdamKernel: tf.KernelFunc = ({ inputs, backend, attrs }) => {
  const gpu = backend as unknown as WebgpuBackend
  const s = attrs as unknown as AdamScalars
  const { p, g, m, v } = inputs as { p: tf.TensorInfo; g: tf.TensorInfo; m: tf.TensorInfo; v: tf.TensorInfo }
  const size = p.shape.reduce((a, b) => a * b, 1)
  // No program for no elements (tfjs binds no empty buffers).
  if (size === 0) return [0, 1, 2].map(() => gpu.makeTensorInfo([...p.shape], 'float32', new Float32Array(0)))
  const variant = adamVariant(s)
  const scalars = adamConstants(s)
  const packed = gpu.runWebGPUProgram(adamProgram(size, variant), [p, g, m, v], 'float32', [
    { type: 'int32', data: [size] },
    // Written into a Float32Array: rounded to float32 as tfjs rounds a scalar.
    ...ADAM_CONSTANTS.map((k) => ({ type: 'float32' as const, data: [scalars[k]] })),
  ])
  return splitInto(gpu, packed, [p.shape, p.shape, p.shape])
}
