/**
 * `Sum` over leading axes on the WebGPU backend in one program. tfjs's
 * reduces only innermost axes, so it transposes first: two programs for every
 * bias gradient (a sum over the batch). Up to {@link MAX_ROWS} rows, thread j
 * adds column j down the rows, in order, as the CPU backend does: a batch (the
 * rows) of features (the columns). Longer columns of few features (a
 * convolution's bias gradient: N·H·W rows, up to {@link MAX_LONG_COLUMNS}
 * channels) take a workgroup per column: each thread adds every
 * {@link LONG_WORKGROUP}th row, then the workgroup adds the partial sums
 * pairwise. For any other axes or dtype, tfjs's kernel runs.
 * @module
 */
import * as tf from '@tensorflow/tfjs-core'
import { flatDispatch, type WebgpuBackend, type WebgpuProgram } from './webgpuProgram.js'

const WORKGROUP = 64
/** Rows one thread adds; longer columns take a workgroup each. */
export const MAX_ROWS = 1024
/** Columns a workgroup each is given for; wider sums of long columns go to tfjs's transpose and reduction. */
export const MAX_LONG_COLUMNS = 256
/** Threads adding one long column. */
export const LONG_WORKGROUP = 256

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

// Workgroup c adds column c: thread t adds rows t, t + W, …, then a pairwise reduction over the W partial sums.
// No early return: every thread of the workgroup must reach the barriers.
const longColumnSumProgram = (columns: number): WebgpuProgram => ({
  outputShape: [columns],
  shaderKey: 'loopwrightLongColumnSum',
  variableNames: ['x'],
  uniforms: 'rows : i32, columns : i32, ',
  ...flatDispatch(columns * LONG_WORKGROUP, LONG_WORKGROUP),
  getUserCode: () => `
    var<workgroup> partial : array<f32, ${LONG_WORKGROUP}>;
    fn main(index : i32) {
      let column = index / ${LONG_WORKGROUP};
      let thread = i32(localId.x);
      var total = 0.0;
      if (column < uniforms.columns) {
        for (var r = thread; r < uniforms.rows; r = r + ${LONG_WORKGROUP}) {
          total = total + x[r * uniforms.columns + column];
        }
      }
      partial[thread] = total;
      workgroupBarrier();
      for (var half = ${LONG_WORKGROUP / 2}; half > 0; half = half / 2) {
        if (thread < half) { partial[thread] = partial[thread] + partial[thread + half]; }
        workgroupBarrier();
      }
      if (thread == 0 && column < uniforms.columns) { result[column] = partial[0]; }
    }
  `,
})

/**
 * A `Sum` kernel: leading-axis float32 sums in one program (of at most {@link MAX_ROWS} rows, or of at most
 * {@link MAX_LONG_COLUMNS} longer columns), else `original`.
 */
export const columnSumKernel =
  (original: tf.KernelFunc): tf.KernelFunc =>
  (args) => {
    const { x } = args.inputs as { x: tf.TensorInfo }
    const { axis, keepDims } = args.attrs as unknown as { axis: number | number[]; keepDims: boolean }
    const axes = tf.util.parseAxisParam(axis, x.shape).sort((a, b) => a - b)
    const leading = axes.length > 0 && axes.length < x.shape.length && axes.every((a, i) => a === i)
    const rows = x.shape.slice(0, axes.length).reduce((a, b) => a * b, 1)
    const kept = x.shape.slice(axes.length)
    const columns = kept.reduce((a, b) => a * b, 1)
    const long = rows > MAX_ROWS
    if (!leading || x.dtype !== 'float32' || rows === 0 || (long && columns > MAX_LONG_COLUMNS)) return original(args)
    const gpu = args.backend as unknown as WebgpuBackend
    const program = long ? longColumnSumProgram(columns) : columnSumProgram(columns)
    const flat = gpu.runWebGPUProgram(program, [x], 'float32', [
      { type: 'int32', data: [rows] },
      { type: 'int32', data: [columns] },
    ])
    const shape = keepDims ? [...axes.map(() => 1), ...kept] : kept
    return { dataId: flat.dataId, shape, dtype: 'float32' }
  }
