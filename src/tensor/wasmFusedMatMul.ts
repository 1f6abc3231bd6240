/**
 * `_FusedMatMul` (`tf.fused.matMul`, tfjs-layers' `dense`) on WASM as the corrected product, then the bias and the
 * activation with the backend's own kernels, as the CPU backend composes it.
 *
 * The stock kernel is one XNNPACK call with the bias and activation fused, but it packs a transposed B by a slow path:
 * measured once on this machine for x [64,784], W [256,784] (PyTorch's [out, in] layout), b [256], relu:
 * `tf.fused.matMul({ a: x, b: W, transposeB: true, bias: b, activation: 'relu' })` took about 9 ms stock (8.3 ms
 * without bias and activation), against 0.5 ms for the corrected `tf.matMul(x, W, false, true)`. It also
 * accepts only a rank-1 bias, where tfjs-core allows any bias that broadcasts to the output (the CPU backend adds it).
 *
 * The plain product `A·B`, the one case on XNNPACK's fast path, was measured too, so as to keep the stock kernel
 * there if it were faster: it is not. One run (medians of 25 calls; this shared 2-core machine was under load, so
 * slower than above), x [64,784], W [256,784] or Wt [784,256], b [256], stock against composed:
 * `x·Wᵀ` + bias + relu 19.6 / 1.03 ms, `x·Wᵀ` alone 19.7 / 1.33 ms, `x·Wt` + bias + relu 1.15 / 0.94 ms,
 * `x·Wt` alone 1.10 / 0.98 ms. So every float32 product is composed.
 *
 * Semantics are tfjs-core's `applyActivation` (the CPU backend's `fused_utils`): `linear` is the sum itself, `relu`,
 * `relu6`, `elu`, `sigmoid` their kernels, `leakyrelu` with `leakyreluAlpha`, `prelu` with `preluActivationWeights`.
 * WASM's `Prelu` reads its weights as channels repeated over the output (`x.size / alpha.size` rows), so weights
 * that broadcast otherwise (e.g. [M, 1]) are tiled to the output's shape first. Every intermediate is freed.
 * The gradient is tfjs-core's (`fused/mat_mul.ts`) and runs on whatever kernels it calls.
 * @module
 */
import type * as tf from '@tensorflow/tfjs-core'
import type { BackendWasm } from '@tensorflow/tfjs-backend-wasm'

type Info = tf.TensorInfo
type KernelFunc = tf.KernelConfig['kernelFunc']

/** The WASM kernels the composed product runs, looked up after the corrections are registered. */
export interface FusedMatMulKernels {
  /** The stock `_FusedMatMul`, for the non-float32 operands it refuses with its own message. */
  readonly stock: tf.KernelConfig
  /** The corrected `BatchMatMul` (`wasmFixes.ts`). */
  readonly batchMatMul: tf.KernelConfig
  readonly get: (kernelName: string) => tf.KernelConfig
}

interface FusedAttrs {
  readonly transposeA: boolean
  readonly transposeB: boolean
  readonly activation?: string
  readonly leakyreluAlpha?: number
}

/** The WASM kernel each fused activation runs (`linear` runs none). */
const ACTIVATIONS: Readonly<Record<string, string>> = {
  relu: 'Relu',
  relu6: 'Relu6',
  elu: 'Elu',
  sigmoid: 'Sigmoid',
  leakyrelu: 'LeakyRelu',
  prelu: 'Prelu',
}

/**
 * Whether WASM's `Prelu` (weights as `alpha.size` channels, repeated) computes the broadcast tfjs means: the
 * weights' shape, without leading ones, must be the output's trailing dimensions.
 */
const channelsBroadcast = (alpha: ReadonlyArray<number>, out: ReadonlyArray<number>): boolean => {
  const first = alpha.findIndex((d) => d !== 1)
  if (first < 0) return true
  const tail = alpha.slice(first)
  return tail.length <= out.length && tail.every((d, i) => d === out[out.length - tail.length + i])
}

export const fusedMatMulKernel =
  (kernels: FusedMatMulKernels): KernelFunc =>
  (args) => {
    const wasm = args.backend as BackendWasm
    const { a, b, bias, preluActivationWeights } = args.inputs as {
      a: Info
      b: Info
      bias?: Info
      preluActivationWeights?: Info
    }
    const { transposeA, transposeB, activation = 'linear', leakyreluAlpha } = args.attrs as unknown as FusedAttrs
    // The composed kernel is used for every float32 product, the plain `A·B` included: its one fused XNNPACK call
    // is not faster than the compiled tiles plus two passes (see the module's comment).
    if (a.dtype !== 'float32' || b.dtype !== 'float32') return kernels.stock.kernelFunc(args)
    if (activation !== 'linear' && ACTIVATIONS[activation] === undefined)
      throw new Error(`_FusedMatMul: unknown fused activation ${activation}`)
    const call = (k: tf.KernelConfig, inputs: tf.NamedTensorInfoMap, attrs: tf.NamedAttrMap = {}) =>
      k.kernelFunc({ inputs, backend: wasm, attrs }) as Info
    const temporary: Info[] = []
    let current = call(kernels.batchMatMul, { a, b }, { transposeA, transposeB })
    if (bias !== undefined && bias !== null) {
      temporary.push(current)
      current = call(kernels.get('Add'), { a: current, b: bias })
    }
    if (activation !== 'linear') {
      const kernel = kernels.get(ACTIVATIONS[activation]!)
      temporary.push(current)
      if (activation === 'prelu') {
        if (preluActivationWeights === undefined || preluActivationWeights === null)
          throw new Error('_FusedMatMul: prelu needs preluActivationWeights')
        let alpha = preluActivationWeights
        if (!channelsBroadcast(alpha.shape, current.shape)) {
          // Tile the weights to the output's shape, so that they are one channel per element.
          const rank = current.shape.length
          const tail = alpha.shape.slice(alpha.shape.findIndex((d) => d !== 1))
          const padded = [...Array(Math.max(0, rank - tail.length)).fill(1), ...tail] as number[]
          const shaped = call(kernels.get('Reshape'), { x: alpha }, { shape: padded })
          alpha = call(kernels.get('Tile'), { x: shaped }, { reps: current.shape.map((d, i) => d / padded[i]!) })
          temporary.push(shaped, alpha)
        }
        current = call(kernel, { x: current, alpha })
      } else if (activation === 'leakyrelu') current = call(kernel, { x: current }, { alpha: leakyreluAlpha ?? 0 })
      else current = call(kernel, { x: current })
    }
    for (const t of temporary) wasm.disposeData(t.dataId)
    return current
  }
