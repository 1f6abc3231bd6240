/**
 * Small tensor functions MMSelfSup's code calls through `torch.nn.functional`.
 * @module
 */
import * as tf from '@tensorflow/tfjs-core'

/**
 * `F.normalize(x, dim=axis, eps=1e-12)`: `x / max(‖x‖₂, eps)` along `axis`,
 * computed as `x / √max(Σx², eps²)` (the same value) so that a zero vector
 * has a finite gradient, as in PyTorch (tfjs's `norm` gives 0/0 there).
 */
export const normalize = (x: tf.Tensor, axis = -1, eps = 1e-12): tf.Tensor =>
  tf.tidy(() => tf.div(x, tf.sqrt(tf.maximum(tf.sum(tf.square(x), axis, true), eps * eps))))

/**
 * Global average pooling of an NHWC map to `[n, C]` (`AdaptiveAvgPool2d((1, 1))` then `view(n, -1)`); `[n, C]` passes
 * through.
 */
export const globalAvgPool = (x: tf.Tensor): tf.Tensor => (x.rank === 4 ? tf.mean(x, [1, 2]) : x)

const detachOp = tf.customGrad(((x: tf.Tensor) => ({
  value: tf.clone(x),
  gradFunc: (dy: tf.Tensor) => tf.zerosLike(dy),
})) as unknown as Parameters<typeof tf.customGrad>[0])

/** `x.detach()`: the same values, no gradient flowing back (tfjs-core has no `stopGradient`). */
export const detach = (x: tf.Tensor): tf.Tensor => detachOp(x)
