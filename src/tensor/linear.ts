/**
 * A linear layer's arithmetic, `x·Wᵀ + b` and optionally the ReLU after it, as one op. Where the backend registers
 * the {@link LINEAR} kernel (WebGPU: `webgpuLinear.ts`), the forward is one program and the gradient folds the ReLU
 * mask and the bias gradient into one ({@link RELU_BIAS_GRAD}); everywhere else it is tfjs's `MatMul`, `Add` and
 * `Relu`, the kernels and bits of before (on WASM, tfjs's fused matrix product was measured slower:
 * docs/performance.md "What did not work").
 * @module
 */
import * as tf from '@tensorflow/tfjs-core'
import { reluGrad } from './reluGrad.js'

/**
 * The fused kernel's name: inputs `x` `[n, in]`, `weight` `[out, in]`, optional `bias` `[out]`; attrs `relu` and
 * `bias` (whether there is one).
 */
export const LINEAR = 'LoopwrightLinear'

/**
 * The kernel for `dz = dy · step(y)` and `db = Σ_rows dz` in one go (inputs `dy`, `y` of one shape `[rows, columns]`,
 * `rows` at most {@link RELU_BIAS_GRAD_MAX_ROWS}); it returns `[dz, db]`.
 */
export const RELU_BIAS_GRAD = 'LoopwrightReluBiasGrad'

/** Rows the {@link RELU_BIAS_GRAD} kernel takes; above, the ReLU gradient and the bias sum run apart. */
export const RELU_BIAS_GRAD_MAX_ROWS = 1024

/** The activation a linear layer may end with. */
export type LinearActivation = 'relu' | undefined

const fused = (x: tf.Tensor, weight: tf.Tensor, bias: tf.Tensor | undefined): boolean =>
  tf.getKernel(LINEAR, tf.getBackend()) !== undefined &&
  x.rank === 2 &&
  weight.rank === 2 &&
  [x, weight, bias].every((t) => t === undefined || t.dtype === 'float32')

/**
 * `x·Wᵀ + b` for `x` `[n, in]` and `weight` `[out, in]` (PyTorch's layout), then ReLU if `activation` is `'relu'`.
 * One kernel where the backend has {@link LINEAR}; tfjs's `MatMul`, `Add` and `Relu` otherwise.
 */
export const linear = (
  x: tf.Tensor,
  weight: tf.Tensor,
  bias: tf.Tensor | undefined,
  activation: LinearActivation,
): tf.Tensor => {
  if (fused(x, weight, bias)) {
    const inputs = bias === undefined ? { x, weight } : { x, weight, bias }
    const attrs = { relu: activation === 'relu', bias: bias !== undefined }
    return tf.engine().runKernel(LINEAR, inputs, attrs as unknown as tf.NamedAttrMap) as tf.Tensor
  }
  // A scope of its own, so that the intermediates are freed also when the caller has none.
  return tf.tidy(() => {
    let y = tf.matMul(x, weight, false, true)
    if (bias !== undefined) y = tf.add(y, bias)
    return activation === 'relu' ? tf.relu(y) : y
  })
}

/**
 * `[dy · step(y), Σ_rows dy · step(y)]`, the gradient through the ReLU and the bias's gradient, from one kernel; past
 * its rows, or without it, the ReLU's gradient alone (the bias's is summed when asked for).
 */
const reluAndBiasGradients = (dy: tf.Tensor, y: tf.Tensor): readonly [tf.Tensor, tf.Tensor | undefined] => {
  if (tf.getKernel(RELU_BIAS_GRAD, tf.getBackend()) !== undefined && dy.shape[0]! <= RELU_BIAS_GRAD_MAX_ROWS) {
    const [dz, db] = tf.engine().runKernel(RELU_BIAS_GRAD, { dy, y }) as tf.Tensor[]
    return [dz!, db!]
  }
  return [reluGrad(dy, y), undefined]
}

/**
 * Register {@link LINEAR}'s gradient. The ReLU's mask is read from the output (`y > 0` exactly where `x·Wᵀ + b > 0`,
 * and NaN stays NaN). Each input's gradient is computed only if asked for: a first layer's input gradient (the
 * data's) is never computed.
 */
export const registerLinearGradient = (): void => {
  if (tf.getGradient(LINEAR) !== undefined) return
  tf.registerGradient({
    kernelName: LINEAR,
    inputsToSave: ['x', 'weight'],
    outputsToSave: [true],
    gradFunc: (dy, saved, attrs) => {
      const [x, weight, y] = saved as [tf.Tensor, tf.Tensor, tf.Tensor]
      const upstream = dy as tf.Tensor
      const { relu, bias } = attrs as unknown as { relu: boolean; bias: boolean }
      // The ReLU's gradient is needed by all three; with a bias it comes with the bias's gradient in one kernel.
      const [dz, db] = !relu
        ? [upstream, undefined]
        : bias
          ? reluAndBiasGradients(upstream, y)
          : [reluGrad(upstream, y), undefined]
      return {
        x: () => tf.matMul(dz, weight),
        weight: () => tf.matMul(dz, x, true, false),
        bias: () => db ?? tf.sum(dz, 0),
      }
    },
  })
}
