/**
 * The `LoopwrightNormalize` kernel (`normalize.ts`) on the WebGPU backend: `(x − mean) / std` in one program where
 * tfjs runs `Sub` and `RealDiv` (two programs, the first writing a tensor read once), and uploads the means and
 * deviations with every batch. Here they are float32 constants in the shader: a configuration compiles its
 * program once. The arithmetic is tfjs's: a float32 subtraction, then WGSL's division.
 * @module
 */
import type * as tf from '@tensorflow/tfjs-core'
import { flatDispatch, type WebgpuBackend, type WebgpuProgram } from './webgpuProgram.js'

const WORKGROUP = 64

/** `v` rounded to float32, as WGSL: its bits reinterpreted (exact, where a decimal literal may be rounded). */
const f32 = (v: number): string => {
  const bits = new Uint32Array(Float32Array.of(v).buffer)[0]!
  return `bitcast<f32>(0x${bits.toString(16)}u)`
}

/** `values[index % values.length]` as WGSL: the value itself when there is one. */
const lookup = (name: string, values: ReadonlyArray<number>): string =>
  values.length === 1
    ? `let ${name} = ${f32(values[0]!)};`
    : `let ${name}s = array<f32, ${values.length}>(${values.map(f32).join(', ')});
      let ${name} = ${name}s[index % ${values.length}];`

const normalizeProgram = (size: number, mean: ReadonlyArray<number>, std: ReadonlyArray<number>): WebgpuProgram => ({
  outputShape: [size],
  // The constants are part of the code, so of the key that caches its pipeline.
  shaderKey: `loopwrightNormalize_${JSON.stringify([mean.map(Math.fround), std.map(Math.fround)])}`,
  variableNames: ['x'],
  uniforms: 'count : i32, ',
  ...flatDispatch(size, WORKGROUP),
  getUserCode: () => `
    fn main(index : i32) {
      if (index >= uniforms.count) { return; }
      ${lookup('mu', mean)}
      ${lookup('sigma', std)}
      result[index] = (x[index] - mu) / sigma;
    }
  `,
})

/** The `LoopwrightNormalize` kernel for WebGPU: `(x − mean) / std` in one program, no upload. */
export const webgpuNormalizeKernel: tf.KernelFunc = ({ inputs, attrs, backend }) => {
  const gpu = backend as unknown as WebgpuBackend
  const { x } = inputs as { x: tf.TensorInfo }
  const { mean, std } = attrs as unknown as { mean: number[]; std: number[] }
  const size = x.shape.reduce((a, b) => a * b, 1)
  const flat = gpu.runWebGPUProgram(normalizeProgram(size, mean, std), [x], 'float32', [
    { type: 'int32', data: [size] },
  ])
  return { dataId: flat.dataId, shape: [...x.shape], dtype: 'float32' }
}
