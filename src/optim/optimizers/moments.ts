/**
 * Pieces the PyTorch optimizers share, written once.
 * @module
 */
import * as tf from '@tensorflow/tfjs-core'

/** `buf = β·buf + w·x` (PyTorch's `buf.mul_(β).add_(x, alpha=w)`), starting from zeros. */
export const ema = (previous: tf.Tensor | undefined, x: tf.Tensor, beta: number, weight: number): tf.Tensor =>
  tf.add(tf.mul(previous ?? tf.zerosLike(x), beta), tf.mul(x, weight))

/** `buf = β·buf + (w·x)·x` (PyTorch's `addcmul_(x, x, value=w)`, in ATen's order), starting from zeros. */
export const emaOfSquares = (previous: tf.Tensor | undefined, x: tf.Tensor, beta: number, weight: number): tf.Tensor =>
  tf.add(tf.mul(previous ?? tf.zerosLike(x), beta), tf.mul(tf.mul(x, weight), x))

/** PyTorch's `addcdiv` term `(value·t1)/t2`, in ATen's order. */
export const cdiv = (t1: tf.Tensor, t2: tf.Tensor, value: number): tf.Tensor => tf.div(tf.mul(t1, value), t2)

/**
 * SGD-style momentum (torch SGD and LARS): the buffer starts as a copy of the
 * first update (no dampening on that step), then `buf = m·buf + (1 − dampening)·d`;
 * the result is `d + m·buf` with Nesterov, else `buf`.
 */
export const momentumStep = (
  buffer: tf.Tensor | undefined,
  d: tf.Tensor,
  momentum: number,
  dampening: number,
  nesterov: boolean,
): { readonly direction: tf.Tensor; readonly buffer: tf.Tensor | undefined } => {
  if (momentum === 0) return { direction: d, buffer }
  const next = buffer === undefined ? tf.clone(d) : tf.add(tf.mul(buffer, momentum), tf.mul(d, 1 - dampening))
  return { direction: nesterov ? tf.add(d, tf.mul(next, momentum)) : next, buffer: next }
}

/** `grad + wd·param` when `wd ≠ 0` (L2 weight decay folded into the gradient). */
export const withL2 = (grad: tf.Tensor, param: tf.Tensor, weightDecay: number): tf.Tensor =>
  weightDecay === 0 ? grad : tf.add(grad, tf.mul(param, weightDecay))
