/**
 * Corrections to tfjs's WASM backend (measured in the project's backend
 * research, checked by the backend conformance tests against the CPU backend):
 *
 * - `BatchMatMul` falls off XNNPACK's fast path for transposed or batched
 *   operands — exactly the backward pass — and runs ~20× slower. Operands are
 *   transposed explicitly first, and large batched products are split per batch.
 * - `Tanh` is a scalar loop 13× slower than the vectorised sigmoid it is rewritten with (`wasmTanh.ts`).
 * - `Sign` returns 0 for |x| < 1.19e-7; `ClipByValue` turns NaN into the bound.
 *   Both are replaced by exact element-wise kernels (`ClipByValue` compiled, `wasmClip.ts`).
 * - `Reverse` is ~10× slower than block copies in JS (`wasmReverse.ts`).
 * - `Conv2D` of a one-channel input runs at ~5 GFLOP/s in XNNPACK; compiled per filter shape instead
 *   (`wasmConvSingleChannel.ts`).
 * - `_FusedMatMul` (`tf.fused.matMul`) with a transposed operand is as slow as the stock `BatchMatMul` (~9 ms
 *   against 0.5 ms for x [64,784]·W[256,784]ᵀ) and refuses a bias of rank > 1; it is the corrected product, then
 *   `Add` and the activation's kernel (`wasmFusedMatMul.ts`).
 * - `Tile` copies one value at a time (~0.1 GB/s, slower than the CPU backend), and `tf.batchNorm`'s gradient tiles a
 *   per-channel vector to the input's shape: 234.5 ms for [256,32,32,16] against 0.29 ms as block copies in JS
 *   (`wasmTile.ts`; one measurement).
 * - `GatherV2` (`tf.gather`) copies one value at a time through generic strides (~0.2 GB/s, at most 2.4× the CPU
 *   backend): 4096 rows of a [10000,128] embedding took 14.4 ms against 0.33 ms as slice copies in JS
 *   (`wasmGather.ts`; one measurement).
 *
 * The fused Adam step (`fusedAdam.ts`) is registered here too, as compiled SIMD (`wasmAdam.ts`), and the fused
 * BatchNorm (`fusedBatchNorm.ts`, `wasmBatchNorm.ts`).
 *
 * Kernels missing or wrong on WASM (`Conv2DBackpropFilter`, `MaxPoolGrad`, …)
 * are registered from `wasmKernels.ts`.
 * @module
 */
import * as tf from '@tensorflow/tfjs-core'
import type { BackendWasm } from '@tensorflow/tfjs-backend-wasm'
import { FINITE_PROBE } from './finiteProbe.js'
import { FUSED_ADAM } from './fusedAdam.js'
import { BATCH_NORM_BACKWARD, BATCH_NORM_FORWARD } from './fusedBatchNorm.js'
import { batchNormBackward, batchNormForward } from './wasmBatchNorm.js'
import { wasmAdamKernel } from './wasmAdam.js'
import { wasmFiniteProbeKernel } from './wasmFiniteProbe.js'
import { wasmReluGradKernel } from './wasmReluGrad.js'
import { RELU_GRAD } from './reluGrad.js'
import { MEAN_GRAD } from './meanGrad.js'
import { wasmMeanGradKernel } from './wasmMeanGrad.js'
import { SOFTMAX_CROSS_ENTROPY } from './softmaxCrossEntropy.js'
import { wasmSoftmaxCrossEntropyKernel } from './wasmSoftmaxCrossEntropy.js'
import { CONTRASTIVE_CROSS_ENTROPY } from './contrastiveCrossEntropy.js'
import { wasmContrastiveCrossEntropyKernel } from './wasmContrastiveCrossEntropy.js'
import { guardWasmHeap } from './wasmHeapGuard.js'
import { wasmGemm } from './wasmGemm.js'
import { installWasmKernels, switchable } from './wasmKernels.js'
import { clipKernel } from './wasmClip.js'
import { reverseKernel } from './wasmReverse.js'
import { tanhKernel } from './wasmTanh.js'
import { conv2dKernel } from './wasmConvSingleChannel.js'
import { fusedMatMulKernel } from './wasmFusedMatMul.js'
import { tileKernel } from './wasmTile.js'
import { gatherKernel } from './wasmGather.js'

type KernelFunc = tf.KernelConfig['kernelFunc']
type Info = tf.TensorInfo

let installed = false

/** Split batched products into 2-D ones only when they are large enough to repay XNNPACK's per-call setup (~1.8 ms). */
const SPLIT_THRESHOLD = 2 ** 22

/**
 * Whether a 2-D product `C = op(A)·op(B)` moves less memory as `(Bᵀ·Aᵀ)ᵀ`.
 * XNNPACK packs its second operand on every call (parameters are new tensors
 * every step), and transposes cost a pass each. Direct: transpose what is
 * flagged, pack B (K·N). Swapped: transpose what is *not* flagged, pack Aᵀ
 * (M·K), transpose C (M·N). The forward `x·Wᵀ` of a layer with more weights
 * than activations (small batches) is the case that gains: 64×784 · (256×784)ᵀ
 * went from 4.0 to 2.3 ms CPU time, bit-identical (the same dot products).
 */
const swappedProduct = (a: Info, b: Info, transposeA: boolean, transposeB: boolean): true | undefined => {
  if (a.shape.slice(0, -2).some((d) => d !== 1) || b.shape.slice(0, -2).some((d) => d !== 1)) return undefined
  const [m, k] = (transposeA ? a.shape.slice(-2).reverse() : a.shape.slice(-2)) as [number, number]
  const n = transposeB ? b.shape.at(-2)! : b.shape.at(-1)!
  const direct = (transposeA ? m * k : 0) + (transposeB ? k * n : 0) + k * n
  const swapped = (transposeB ? 0 : k * n) + (transposeA ? 0 : m * k) + m * k + m * n
  return swapped < direct ? true : undefined
}

const replace = (kernelName: string, kernelFunc: KernelFunc): void => {
  const original = tf.getKernel(kernelName, 'wasm')
  tf.unregisterKernel(kernelName, 'wasm')
  tf.registerKernel({
    kernelName,
    backendName: 'wasm',
    kernelFunc: switchable(kernelName, kernelFunc, original),
    ...(original?.setupFunc === undefined ? {} : { setupFunc: original.setupFunc }),
    ...(original?.disposeFunc === undefined ? {} : { disposeFunc: original.disposeFunc }),
  })
}

/** An element-wise kernel computed in JS on the WASM heap. */
const elementwise =
  (f: (x: number, attrs: tf.NamedAttrMap) => number): KernelFunc =>
  ({ inputs, backend, attrs }) => {
    const wasm = backend as BackendWasm
    const x = (inputs as { x: Info }).x
    const out = wasm.makeOutput([...x.shape], x.dtype)
    const source = wasm.typedArrayFromHeap(x)
    const target = wasm.typedArrayFromHeap(out)
    for (let i = 0; i < source.length; i++) target[i] = f(source[i]!, attrs ?? {})
    return out
  }

/** Install the corrections once, after the WASM backend is registered. */
export const installWasmFixes = (): void => {
  if (installed) return
  installed = true
  const matmul = tf.getKernel('BatchMatMul', 'wasm')!
  const transpose = tf.getKernel('Transpose', 'wasm')!
  const slice = tf.getKernel('Slice', 'wasm')!
  const reshape = tf.getKernel('Reshape', 'wasm')!
  const concat = tf.getKernel('Concat', 'wasm')!
  const call = (k: tf.KernelConfig, inputs: tf.NamedTensorInfoMap, backend: object, attrs: tf.NamedAttrMap) =>
    k.kernelFunc({ inputs, backend, attrs }) as Info

  replace('BatchMatMul', ({ inputs, backend, attrs }) => {
    const wasm = backend as BackendWasm
    const { transposeA, transposeB } = attrs as { transposeA: boolean; transposeB: boolean }
    let { a, b } = inputs as { a: Info; b: Info }
    // Small 2-D products: compiled tiles over the operands as they lie, no packing, no transposes (`wasmGemm.ts`).
    const tiled = wasmGemm(wasm, a, b, transposeA, transposeB)
    if (tiled !== undefined) return tiled
    const temporary: Info[] = []
    const swapLast = (x: Info): Info => {
      const rank = x.shape.length
      const perm = [...Array(rank).keys()]
      ;[perm[rank - 2], perm[rank - 1]] = [perm[rank - 1]!, perm[rank - 2]!]
      const y = call(transpose, { x }, backend, { perm })
      temporary.push(y)
      return y
    }
    const plain = { ...attrs, transposeA: false, transposeB: false }
    const swapped = swappedProduct(a, b, transposeA, transposeB)
    if (swapped !== undefined) {
      // C = (Bᵀ·Aᵀ)ᵀ: operands stored transposed are used as they lie; see `swappedProduct`.
      const bT = transposeB ? b : swapLast(b)
      const aT = transposeA ? a : swapLast(a)
      const product = call(matmul, { a: bT, b: aT }, backend, plain)
      temporary.push(product)
      const out = swapLast(product)
      temporary.pop()
      for (const t of temporary) wasm.disposeData(t.dataId)
      return out
    }
    if (transposeA) a = swapLast(a)
    if (transposeB) b = swapLast(b)
    const batch = a.shape.slice(0, -2).reduce((p, d) => p * d, 1)
    const [m, k] = a.shape.slice(-2) as [number, number]
    const n = b.shape.at(-1)!
    const bBatch = b.shape.slice(0, -2).reduce((p, d) => p * d, 1)
    let out: Info
    if (batch > 1 && bBatch === batch && m * k * n >= SPLIT_THRESHOLD) {
      const a3 = call(reshape, { x: a }, backend, { shape: [batch, m, k] })
      const b3 = call(reshape, { x: b }, backend, { shape: [batch, k, n] })
      temporary.push(a3, b3)
      const parts: Info[] = []
      for (let i = 0; i < batch; i++) {
        const ai = call(slice, { x: a3 }, backend, { begin: [i, 0, 0], size: [1, m, k] })
        const bi = call(slice, { x: b3 }, backend, { begin: [i, 0, 0], size: [1, k, n] })
        parts.push(call(matmul, { a: ai, b: bi }, backend, plain))
        temporary.push(ai, bi)
      }
      // Concat takes its inputs as an array, unlike the other kernels.
      const joined = call(concat, parts as unknown as tf.NamedTensorInfoMap, backend, { axis: 0 })
      temporary.push(...parts, joined)
      out = call(reshape, { x: joined }, backend, { shape: [...a.shape.slice(0, -2), m, n] })
    } else {
      out = call(matmul, { a, b }, backend, plain)
    }
    // Reshape shares data and counts a reference, so every temporary is released once,
    // including the one whose data the output shares.
    for (const t of temporary) wasm.disposeData(t.dataId)
    return out
  })

  // tfjs keeps a clone of every tensor a kernel saves for its gradient, and WASM's `Identity` copies the buffer:
  // every recorded step copied its weights and activations once more (31 copies per MLP step). Tensors are
  // immutable and no kernel writes into its inputs, so a clone shares the buffer, as on the CPU backend.
  const identity = tf.getKernel('Identity', 'wasm')!
  replace('Identity', (args) => {
    const x = (args.inputs as { x: Info }).x
    if (x.dtype === 'string') return identity.kernelFunc(args)
    ;(args.backend as BackendWasm).incRef(x.dataId)
    return { dataId: x.dataId, shape: [...x.shape], dtype: x.dtype }
  })

  // After the `BatchMatMul` replacement: `getKernel` now returns the corrected (switchable) product.
  replace(
    '_FusedMatMul',
    fusedMatMulKernel({
      stock: tf.getKernel('_FusedMatMul', 'wasm')!,
      batchMatMul: tf.getKernel('BatchMatMul', 'wasm')!,
      get: (kernelName) => tf.getKernel(kernelName, 'wasm')!,
    }),
  )
  replace('Tanh', tanhKernel(tf.getKernel('Sigmoid', 'wasm')!))
  replace('Conv2D', conv2dKernel(tf.getKernel('Conv2D', 'wasm')!))

  replace(
    'Sign',
    elementwise((x) => (x > 0 ? 1 : x < 0 ? -1 : x === 0 ? 0 : NaN)),
  )
  replace(
    'ClipByValue',
    clipKernel(
      elementwise((x, attrs) => {
        const { clipValueMin, clipValueMax } = attrs as { clipValueMin: number; clipValueMax: number }
        return Number.isNaN(x) ? NaN : Math.min(Math.max(x, clipValueMin), clipValueMax)
      }),
    ),
  )
  replace('Reverse', reverseKernel)
  replace('Tile', tileKernel(tf.getKernel('Tile', 'wasm')!))
  replace('GatherV2', gatherKernel(tf.getKernel('GatherV2', 'wasm')!))
  installWasmKernels()
  // Not a correction of a stock kernel, so not switched off with them: the optimizer's own fused step.
  tf.registerKernel({ kernelName: FUSED_ADAM, backendName: 'wasm', kernelFunc: wasmAdamKernel })
  tf.registerKernel({ kernelName: BATCH_NORM_FORWARD, backendName: 'wasm', kernelFunc: batchNormForward })
  tf.registerKernel({ kernelName: BATCH_NORM_BACKWARD, backendName: 'wasm', kernelFunc: batchNormBackward })
  tf.registerKernel({ kernelName: FINITE_PROBE, backendName: 'wasm', kernelFunc: wasmFiniteProbeKernel })
  tf.registerKernel({ kernelName: RELU_GRAD, backendName: 'wasm', kernelFunc: wasmReluGradKernel })
  tf.registerKernel({ kernelName: MEAN_GRAD, backendName: 'wasm', kernelFunc: wasmMeanGradKernel })
  tf.registerKernel({
    kernelName: SOFTMAX_CROSS_ENTROPY,
    backendName: 'wasm',
    kernelFunc: wasmSoftmaxCrossEntropyKernel,
  })
  tf.registerKernel({
    kernelName: CONTRASTIVE_CROSS_ENTROPY,
    backendName: 'wasm',
    kernelFunc: wasmContrastiveCrossEntropyKernel,
  })
  guardWasmHeap(tf.findBackend('wasm') as BackendWasm)
}
