/**
 * The activations the models use, as PyTorch defines them: `nn.ReLU`,
 * `nn.GELU` (the exact erf form, PyTorch's default `approximate='none'`),
 * `nn.SiLU` and `nn.Tanh`. Each returns a new tensor and keeps its input.
 *
 * @example
 * ```ts
 * Activation.gelu(tf.tensor1d([0, 1])) // [0, 0.8413447]
 * ```
 * @module
 */
import * as tf from '@tensorflow/tfjs-core'

/**
 * `nn.ReLU`: max(x, 0).
 *
 * @example
 * ```ts
 * Activation.relu(tf.tensor1d([-1, 2])) // [0, 2]
 * ```
 */
export const relu = (x: tf.Tensor): tf.Tensor => tf.relu(x)

/**
 * `nn.GELU()`: x · Φ(x) = x/2 · (1 + erf(x/√2)).
 *
 * @example
 * ```ts
 * Activation.gelu(tf.tensor1d([-1])) // [-0.1586553]
 * ```
 */
export const gelu = (x: tf.Tensor): tf.Tensor =>
  tf.tidy(() => tf.mul(tf.mul(x, 0.5), tf.add(tf.erf(tf.mul(x, Math.SQRT1_2)), 1)))

/**
 * `nn.SiLU` (swish): x · sigmoid(x).
 *
 * @example
 * ```ts
 * Activation.silu(tf.tensor1d([0])) // [0]
 * ```
 */
export const silu = (x: tf.Tensor): tf.Tensor => tf.tidy(() => tf.mul(x, tf.sigmoid(x)))

/**
 * `nn.Tanh`.
 *
 * @example
 * ```ts
 * Activation.tanh(tf.tensor1d([0])) // [0]
 * ```
 */
export const tanh = (x: tf.Tensor): tf.Tensor => tf.tanh(x)

/**
 * The activations by their PyTorch class name, for configs (`act_cfg=dict(type='GELU')`).
 *
 * @example
 * ```ts
 * Activation.byName['GELU']!(x)
 * ```
 */
export const byName: { readonly [name: string]: (x: tf.Tensor) => tf.Tensor } = {
  ReLU: relu,
  GELU: gelu,
  SiLU: silu,
  Tanh: tanh,
}
