/**
 * One Adam/AdamW parameter step as a single kernel: one pass over the
 * parameter, its gradient and both moments instead of thirteen element-wise
 * kernels, each with its own output and scalar uploads. This file holds the
 * CPU backend's (measured 7× faster there on a 784×256 parameter, CPU time);
 * the WASM backend's is compiled SIMD (`wasmAdam.ts`: the same loop in JS was
 * 3× slower than WASM's thirteen XNNPACK kernels). A GPU backend would
 * register its own kernel under the same name.
 *
 * Every intermediate is rounded to float32 in the order the unfused tensor
 * ops compute it (constants rounded as tfjs rounds scalars), so the result is
 * bit-identical to them: float64 has enough precision that rounding its
 * `+ − × ÷ √` to float32 is exactly the float32 operation.
 * @module
 */
import * as tf from '@tensorflow/tfjs-core'

/** The kernel's name in tfjs's registry. */
export const FUSED_ADAM = 'LoopwrightFusedAdam'

/** Scalars of one step, as float64 JS numbers (PyTorch computes them in Python floats). */
export interface AdamScalars {
  readonly beta1: number
  readonly beta2: number
  readonly eps: number
  /** `lr / (1 − β1^t)`. */
  readonly stepSize: number
  /** `√(1 − β2^t)`. */
  readonly bias2Sqrt: number
  readonly weightDecay: number
  /** AdamW: `p ← p·(1 − lr·wd)` first; Adam: `g ← g + wd·p`. */
  readonly decoupled: boolean
  readonly lr: number
  readonly maximize: boolean
}

/** Which compiled step a kernel runs: the branches of the formula, fixed per parameter group. */
export interface AdamVariant {
  readonly maximize: boolean
  /** Adam's `g + wd·p` (weight decay not decoupled, and not 0). */
  readonly l2: boolean
  readonly decoupled: boolean
}

export const adamVariant = (s: AdamScalars): AdamVariant => ({
  maximize: s.maximize,
  l2: !s.decoupled && s.weightDecay !== 0,
  decoupled: s.decoupled,
})

/** The float32 constants a compiled step reads, in this order (WASM arguments, WebGPU uniforms). */
export const ADAM_CONSTANTS = ['b1', 'w1', 'b2', 'w2', 'wd', 'shrink', 'bias2', 'eps', 'scale'] as const
export type AdamConstant = (typeof ADAM_CONSTANTS)[number]

/** The constants' values, computed in float64 as PyTorch's Python floats are; the kernels round them to float32. */
export const adamConstants = (s: AdamScalars): Record<AdamConstant, number> => ({
  b1: s.beta1,
  w1: 1 - s.beta1,
  b2: s.beta2,
  w2: 1 - s.beta2,
  wd: s.weightDecay,
  shrink: 1 - s.lr * s.weightDecay,
  bias2: s.bias2Sqrt,
  eps: s.eps,
  scale: -s.stepSize,
})

type Arrays = { readonly p: Float32Array; readonly g: Float32Array; readonly m: Float32Array; readonly v: Float32Array }
type Outputs = { readonly next: Float32Array; readonly m: Float32Array; readonly v: Float32Array }

/**
 * The step over flat arrays. `next` receives the new parameter: `p + delta` (Adam), `p·(1 − lr·wd) + delta`
 * (AdamW), the single float32 additions the unfused step and `applyUpdates` make.
 */
const step = (s: AdamScalars, a: Arrays, o: Outputs): void => {
  const f = Math.fround
  const b1 = f(s.beta1)
  const w1 = f(1 - s.beta1)
  const b2 = f(s.beta2)
  const w2 = f(1 - s.beta2)
  const wd = f(s.weightDecay)
  const shrink = f(1 - s.lr * s.weightDecay)
  const bias2 = f(s.bias2Sqrt)
  const eps = f(s.eps)
  const scale = f(-s.stepSize)
  const l2 = !s.decoupled && s.weightDecay !== 0
  const { p, g, m, v } = a
  for (let i = 0; i < p.length; i++) {
    let grad = s.maximize ? -g[i]! : g[i]!
    if (l2) grad = f(grad + f(p[i]! * wd))
    const mi = f(f(m[i]! * b1) + f(grad * w1))
    const vi = f(f(v[i]! * b2) + f(f(grad * w2) * grad))
    const denom = f(f(f(Math.sqrt(vi)) / bias2) + eps)
    const delta = f(f(mi * scale) / denom)
    o.m[i] = mi
    o.v[i] = vi
    o.next[i] = f((s.decoupled ? f(p[i]! * shrink) : p[i]!) + delta)
  }
}

const scalarsOf = (attrs: tf.NamedAttrMap | undefined): AdamScalars => attrs as unknown as AdamScalars

interface CpuBackend {
  readonly data: { get(dataId: object): { values: Float32Array } }
  makeTensorInfo(shape: number[], dtype: tf.DataType, values: Float32Array): tf.TensorInfo
}

const cpuKernel: tf.KernelFunc = ({ inputs, backend, attrs }) => {
  const cpu = backend as unknown as CpuBackend
  const { p, g, m, v } = inputs as { p: tf.TensorInfo; g: tf.TensorInfo; m: tf.TensorInfo; v: tf.TensorInfo }
  const read = (t: tf.TensorInfo) => cpu.data.get(t.dataId).values
  const size = read(p).length
  const out = { next: new Float32Array(size), m: new Float32Array(size), v: new Float32Array(size) }
  step(scalarsOf(attrs), { p: read(p), g: read(g), m: read(m), v: read(v) }, out)
  return [out.next, out.m, out.v].map((values) => cpu.makeTensorInfo([...p.shape], 'float32', values))
}

if (tf.getKernel(FUSED_ADAM, 'cpu') === undefined)
  tf.registerKernel({ kernelName: FUSED_ADAM, backendName: 'cpu', kernelFunc: cpuKernel })

type Step3 = [tf.Tensor, tf.Tensor, tf.Tensor]

/** Whether the current backend has the fused step (CPU and WASM). */
export const hasFusedAdam = (): boolean => tf.getKernel(FUSED_ADAM, tf.getBackend()) !== undefined

/**
 * One fused step: `[next, m, v]`, the new parameter and moments (the update is
 * applied in the kernel, saving one pass and one kernel per parameter). Inputs
 * are float32; the moments start as zeros.
 */
export const fusedAdamStep = (p: tf.Tensor, g: tf.Tensor, m: tf.Tensor, v: tf.Tensor, scalars: AdamScalars): Step3 =>
  tf.engine().runKernel(FUSED_ADAM, { p, g, m, v }, scalars as unknown as tf.NamedAttrMap) as unknown as Step3
