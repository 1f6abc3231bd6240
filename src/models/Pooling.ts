/**
 * `nn.MaxPool2d`, `nn.AvgPool2d` and `nn.AdaptiveAvgPool2d(1)` on NHWC
 * activations, with PyTorch's `kernel_size`, `stride` (default: the kernel
 * size) and symmetric `padding`, `ceil_mode=False`.
 *
 * - Max pooling treats the padding as −∞ (padded positions never win).
 * - Average pooling counts the zero padding in the divisor
 *   (`count_include_pad=True`, PyTorch's default): the input is zero-padded
 *   explicitly and then pooled without padding.
 *
 * @example
 * ```ts
 * const y = Pooling.maxPool2d(x, { kernel_size: 3, stride: 2, padding: 1 }) // ResNet's stem pooling
 * const g = Pooling.adaptiveAvgPool2d(y) // [n, 1, 1, C]
 * ```
 * @module
 */
import * as tf from '@tensorflow/tfjs-core'

export interface Pool2dOptions {
  readonly kernel_size: number
  /** Default: `kernel_size`, as PyTorch. */
  readonly stride?: number
  /** Default 0; at most half the kernel size, as PyTorch requires. */
  readonly padding?: number
}

const resolve = (
  name: string,
  options: Pool2dOptions,
  x: tf.Tensor,
): { readonly k: number; readonly s: number; readonly p: number } => {
  const k = options.kernel_size
  const s = options.stride ?? k
  const p = options.padding ?? 0
  if (x.rank !== 4) throw new Error(`${name}: expected NHWC [n, h, w, C], got shape [${x.shape.join(', ')}]`)
  if (!(Number.isInteger(k) && k > 0 && Number.isInteger(s) && s > 0 && Number.isInteger(p) && p >= 0))
    throw new Error(`${name}: kernel_size and stride must be positive integers and padding an integer ≥ 0`)
  if (p > k / 2) throw new Error(`${name}: padding ${p} should be at most half of kernel_size ${k} (PyTorch's rule)`)
  if (x.shape[1]! + 2 * p < k || x.shape[2]! + 2 * p < k)
    throw new Error(
      `${name}: the padded input [${x.shape[1]! + 2 * p}, ${x.shape[2]! + 2 * p}] is smaller than the kernel ${k}`,
    )
  return { k, s, p }
}

/**
 * `nn.MaxPool2d(kernel_size, stride, padding)`.
 *
 * @example
 * ```ts
 * Pooling.maxPool2d(tf.ones([1, 4, 4, 2]), { kernel_size: 2 }).shape // [1, 2, 2, 2]
 * ```
 */
export const maxPool2d = (x: tf.Tensor4D, options: Pool2dOptions): tf.Tensor4D => {
  const { k, s, p } = resolve('MaxPool2d', options, x)
  return tf.maxPool(x, k, s, p === 0 ? 'valid' : p)
}

/**
 * `nn.AvgPool2d(kernel_size, stride, padding)` with `count_include_pad=True`.
 *
 * @example
 * ```ts
 * Pooling.avgPool2d(tf.ones([1, 2, 2, 1]), { kernel_size: 2, stride: 1, padding: 1 }) // corners 0.25, edges 0.5,
 * centre 1
 * ```
 */
export const avgPool2d = (x: tf.Tensor4D, options: Pool2dOptions): tf.Tensor4D => {
  const { k, s, p } = resolve('AvgPool2d', options, x)
  if (p === 0) return tf.avgPool(x, k, s, 'valid')
  return tf.tidy(() =>
    tf.avgPool(
      tf.pad(x, [
        [0, 0],
        [p, p],
        [p, p],
        [0, 0],
      ]),
      k,
      s,
      'valid',
    ),
  )
}

/**
 * `nn.AdaptiveAvgPool2d(1)` (global average pooling): `[n, h, w, C]` → `[n, 1, 1, C]`.
 *
 * @example
 * ```ts
 * Pooling.adaptiveAvgPool2d(tf.ones([2, 7, 7, 16])).shape // [2, 1, 1, 16]
 * ```
 */
export const adaptiveAvgPool2d = (x: tf.Tensor4D): tf.Tensor4D => {
  if (x.rank !== 4) throw new Error(`AdaptiveAvgPool2d: expected NHWC [n, h, w, C], got shape [${x.shape.join(', ')}]`)
  return tf.mean(x, [1, 2], true) as tf.Tensor4D
}
