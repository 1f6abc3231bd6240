/**
 * Which of several tensors hold a NaN or an infinity, in one read-back: entry
 * i of the result is `Σ (x − x)` over tensor i, which is 0 when every element
 * is finite and NaN otherwise (x − x is NaN exactly for NaN and ±∞). Unlike a
 * plain sum, it cannot overflow to ±∞ on large finite values.
 *
 * The train step probes every gradient with it when no loss scaler does. On
 * WASM it is one compiled SIMD pass per tensor (`wasmFiniteProbe.ts`), on the
 * CPU backend one JS pass; other backends compute it from tensor ops (a
 * subtraction and a sum per tensor).
 * @module
 */
import * as tf from '@tensorflow/tfjs-core'

/** The kernel's name in tfjs's registry (inputs: the tensors, as an array; output: one float32 per tensor). */
export const FINITE_PROBE = 'LoopwrightFiniteProbe'

interface CpuBackend {
  readonly data: { get(dataId: object): { values: ArrayLike<number> } }
  makeTensorInfo(shape: number[], dtype: tf.DataType, values: Float32Array): tf.TensorInfo
}

/** The CPU backend's kernel: one JS pass per tensor (x − x is NaN exactly where x is not finite). */
const cpuKernel: tf.KernelFunc = ({ inputs, backend }) => {
  const cpu = backend as unknown as CpuBackend
  const tensors = Object.values(inputs) as tf.TensorInfo[]
  const out = Float32Array.from(tensors, (t) => {
    const values = cpu.data.get(t.dataId).values
    let sum = 0
    for (let i = 0; i < values.length; i++) sum += values[i]! - values[i]!
    return sum
  })
  return cpu.makeTensorInfo([tensors.length], 'float32', out)
}

if (tf.getKernel(FINITE_PROBE, 'cpu') === undefined)
  tf.registerKernel({ kernelName: FINITE_PROBE, backendName: 'cpu', kernelFunc: cpuKernel })

/**
 * One float32 per tensor: 0 where all its elements are finite, NaN where one is not. Tensors of no elements give 0.
 * @example
 * nonFiniteProbe([tf.tensor1d([1, 2]), tf.tensor1d([1, Infinity])]) // [0, NaN]
 */
export const nonFiniteProbe = (tensors: ReadonlyArray<tf.Tensor>): tf.Tensor1D => {
  if (tensors.length === 0) return tf.tensor1d([])
  if (tf.getKernel(FINITE_PROBE, tf.getBackend()) !== undefined)
    return tf.engine().runKernel(FINITE_PROBE, tensors as unknown as tf.NamedTensorMap, {}) as tf.Tensor1D
  return tf.tidy(() => tf.stack(tensors.map((t) => tf.sum(tf.sub(t, t)))) as tf.Tensor1D)
}
