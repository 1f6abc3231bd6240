/**
 * `Sum` over leading axes on the WebGPU backend in one program. tfjs's
 * reduces only innermost axes, so it transposes first: two programs for every
 * bias gradient (a sum over the batch). Here thread j adds column j down the
 * rows, in order, as the CPU backend does. One thread per column walks every
 * row, which suits a batch (the rows) of features (the columns), not a
 * convolution's N·H·W rows: above {@link MAX_ROWS} rows, and for any other
 * axes or dtype, tfjs's kernel runs.
 * @module
 */
import * as tf from '@tensorflow/tfjs-core'
import { flatDispatch, type WebgpuBackend, type WebgpuProgram } from './webgpuProgram.js'

const WORKGROUP = 64
/** Rows one thread adds; longer columns go to tfjs's parallel reduction. */
export const MAX_ROWS = 1024

const columnSumProgram = (columns: number): WebgpuProgram => ({
  outputShape: [columns],
  shaderKey: 'loopwrightColumnSum',
  variableNames: ['x'],
  uniforms: 'rows : i32, columns : i32, ',
  ...flatDispatch(columns, WORKGROUP),
  getUserCode: () => `
    fn main(index : i32) {
      if (index >= uniforms.columns) { return; }
      var total = 0.0;
      for (var r = 0; r < uniforms.rows; r = r + 1) { total = total + x[r * uniforms.columns + index]; }
      result[index] = total;
    }
  `,
})

/** A `Sum` kernel: leading-axis float32 sums of at most {@link MAX_ROWS} rows in one program, else `original`. */
export const columnSumKernel =
  (original: tf.KernelFunc): tf.KernelFunc =>
  (args) => {
    const { x } = args.inputs as { x: tf.TensorInfo }
    const { axis, keepDims } = args.attrs as unknown as { axis: number | number[]; keepDims: boolean }
    const axes = tf.util.parseAxisParam(axis, x.shape).sort((a, b) => a - b)
    const leading = axes.length > 0 && axes.length < x.shape.length && axes.every((a, i) => a === i)
    const rows = x.shape.slice(0, axes.length).reduce((a, b) => a * b, 1)
    if (!leading || x.dtype !== 'float32' || rows > MAX_ROWS || rows === 0) return original(args)
    const gpu = args.backend as unknown as WebgpuBackend
    const kept = x.shape.slice(axes.length)
    const columns = kept.reduce((a, b) => a * b, 1)
    const flat = gpu.runWebGPUProgram(columnSumProgram(columns), [x], 'float32', [
      { type: 'int32', data: [rows] },
      { type: 'int32', data: [columns] },
    ])
    const shape = keepDims ? [...axes.map(() => 1), ...kept] : kept
    return { dataId: flat.dataId, shape, dtype: 'float32' }
  }
