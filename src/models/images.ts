/**
 * Input batches as NHWC images: the data pipeline delivers `[n, h, w, c]`,
 * or flattened samples that are reshaped here to the model's `inputShape`.
 * @module
 */
import * as tf from '@tensorflow/tfjs-core'

/**
 * `x` as `[n, h, w, c]`: returned as is when it already has that shape,
 * reshaped when it holds `h·w·c` values per sample (`[n, 784]`, `[n, 28, 28]`), an error otherwise.
 *
 * @example
 * ```ts
 * asImages(tf.zeros([2, 784]), [28, 28, 1]).shape // [2, 28, 28, 1]
 * ```
 */
export const asImages = (x: tf.Tensor, shape: readonly [number, number, number], model: string): tf.Tensor4D => {
  const [h, w, c] = shape
  if (x.rank === 4 && x.shape[1] === h && x.shape[2] === w && x.shape[3] === c) return x as tf.Tensor4D
  if (x.rank >= 2 && x.size / x.shape[0]! === h * w * c) return tf.reshape(x, [x.shape[0]!, h, w, c])
  throw new Error(`${model}: expected inputs of shape [n, ${h}, ${w}, ${c}], got [${x.shape.join(', ')}]`)
}
