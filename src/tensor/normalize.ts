/**
 * A batch's normalisation, `(x − mean) / std` along the last axis, as one op. Where the backend registers the
 * {@link NORMALIZE} kernel (WebGPU: `webgpuNormalize.ts`) it is one program with the means and deviations compiled
 * in (no upload per batch); elsewhere it is tfjs's `Sub` and `RealDiv` of before, with the same bits.
 * @module
 */
import * as tf from '@tensorflow/tfjs-core'

/** The kernel's name (input `x`, float32; attrs `mean` and `std`: one value, or one per entry of the last axis). */
export const NORMALIZE = 'LoopwrightNormalize'

/** Whether `values` broadcast along the last axis of `shape`: one value, or one per entry. */
const broadcasts = (values: ReadonlyArray<number>, shape: ReadonlyArray<number>): boolean =>
  values.length === 1 || values.length === shape.at(-1)

/**
 * `(x − mean) / std`, `mean` and `std` broadcast along the last axis, in float32: a new tensor (`x` is kept).
 *
 * @example
 * ```ts
 * normalize(tf.tensor2d([[0, 255]]), [127.5], [127.5]) // [[-1, 1]]
 * ```
 */
export const normalize = (x: tf.Tensor, mean: ReadonlyArray<number>, std: ReadonlyArray<number>): tf.Tensor =>
  tf.getKernel(NORMALIZE, tf.getBackend()) !== undefined &&
  x.dtype === 'float32' &&
  x.size > 0 &&
  broadcasts(mean, x.shape) &&
  broadcasts(std, x.shape)
    ? (tf.engine().runKernel(NORMALIZE, { x }, { mean: [...mean], std: [...std] }) as tf.Tensor)
    : tf.tidy(() =>
        tf.div(tf.sub(x, tf.tensor1d(mean as number[], 'float32')), tf.tensor1d(std as number[], 'float32')),
      )
