/**
 * The fused Adam/AdamW step (`fusedAdam.ts`) on the WASM backend: one
 * compiled WebAssembly SIMD function over tfjs's heap per parameter, in place
 * of thirteen element-wise XNNPACK kernels with their outputs and scalar
 * uploads. The same loop in JS was 3× slower than those kernels; compiled to
 * `f32x4`, it reads the four inputs and writes the three outputs once.
 *
 * Every operation is a single IEEE float32 `+ − × ÷ √` in the unfused ops'
 * order, on scalars rounded to float32 as tfjs rounds them, so the result is
 * bit-identical to the unfused path (checked in `test/unit/tensor/fusedAdam.test.ts`).
 * Four floats per iteration; the last `n mod 4` go through the same formula in scalar `f32`.
 * @module
 */
import type * as tf from '@tensorflow/tfjs-core'
import type { BackendWasm } from '@tensorflow/tfjs-backend-wasm'
import {
  ADAM_CONSTANTS,
  type AdamConstant,
  type AdamScalars,
  type AdamVariant,
  adamConstants,
  adamVariant,
} from './fusedAdam.js'
import {
  backendMemory,
  type Code,
  elementwise,
  F32,
  type FunctionDef,
  I32,
  instantiate,
  type Lanes,
  op,
  V128,
  type ValType,
  vector,
} from './wasmModule.js'

/** Parameters of every variant: seven byte addresses, the byte length, then the float32 scalars. */
const ADDRESSES = ['p', 'g', 'm', 'v', 'next', 'mOut', 'vOut'] as const
type Address = (typeof ADDRESSES)[number]

const addressParam = (a: Address) => ADDRESSES.indexOf(a)
const BYTES = ADDRESSES.length
const scalarParam = (s: AdamConstant) => BYTES + 1 + ADAM_CONSTANTS.indexOf(s)
// Locals after the parameters: the byte offset, the end of the vector part, three temporaries per lane type.
const OFFSET = BYTES + 1 + ADAM_CONSTANTS.length
const VECTOR_END = OFFSET + 1
const TEMPS = { v128: VECTOR_END + 1, f32: VECTOR_END + 4 }
const SPLATS = VECTOR_END + 7

const variantName = (v: AdamVariant): string => `adam${+v.maximize}${+v.l2}${+v.decoupled}`

/** One element (or four), in the unfused ops' order (`adam.ts`, `moments.ts`). */
const element = (l: Lanes, v: AdamVariant): Code => {
  // The scalars: splatted once into v128 locals for the vector lanes, the f32 parameters for the others.
  const c = (s: AdamConstant) => op.get(l === vector ? SPLATS + ADAM_CONSTANTS.indexOf(s) : scalarParam(s))
  const temp = l === vector ? TEMPS.v128 : TEMPS.f32
  const at = (a: Address) => [...op.get(addressParam(a)), ...op.get(OFFSET), ...op.i32Add]
  const load = (a: Address) => [...at(a), ...l.load]
  const [grad, m, vv] = [temp, temp + 1, temp + 2]
  return [
    // grad = maximize ? −g : g; with L2 decay, grad + p·wd
    ...load('g'),
    ...(v.maximize ? l.neg : []),
    ...(v.l2 ? [...load('p'), ...c('wd'), ...l.mul, ...l.add] : []),
    ...op.set(grad),
    // m = m·β1 + grad·(1 − β1)
    ...at('mOut'),
    ...load('m'),
    ...c('b1'),
    ...l.mul,
    ...op.get(grad),
    ...c('w1'),
    ...l.mul,
    ...l.add,
    ...op.tee(m),
    ...l.store,
    // v = v·β2 + (grad·(1 − β2))·grad
    ...at('vOut'),
    ...load('v'),
    ...c('b2'),
    ...l.mul,
    ...op.get(grad),
    ...c('w2'),
    ...l.mul,
    ...op.get(grad),
    ...l.mul,
    ...l.add,
    ...op.tee(vv),
    ...l.store,
    // next = p + (m·(−lr/bias1)) / (√v / √bias2 + eps); AdamW scales p by (1 − lr·wd) first
    ...at('next'),
    ...op.get(m),
    ...c('scale'),
    ...l.mul,
    ...op.get(vv),
    ...l.sqrt,
    ...c('bias2'),
    ...l.div,
    ...c('eps'),
    ...l.add,
    ...l.div,
    ...[...load('p'), ...(v.decoupled ? [...c('shrink'), ...l.mul] : []), ...l.add],
    ...l.store,
  ]
}

const adamFunction = (v: AdamVariant): FunctionDef => ({
  name: variantName(v),
  params: [...ADDRESSES.map((): ValType => I32), I32, ...ADAM_CONSTANTS.map((): ValType => F32)],
  locals: [I32, I32, V128, V128, V128, F32, F32, F32, ...ADAM_CONSTANTS.map((): ValType => V128)],
  body: [
    ...ADAM_CONSTANTS.flatMap((s) => [
      ...op.get(scalarParam(s)),
      ...op.f32x4Splat,
      ...op.set(SPLATS + ADAM_CONSTANTS.indexOf(s)),
    ]),
    ...elementwise(BYTES, OFFSET, VECTOR_END, (lanes) => element(lanes, v)),
  ],
})

const variants: ReadonlyArray<AdamVariant> = [false, true].flatMap((maximize) =>
  [false, true].flatMap((l2) => [false, true].map((decoupled) => ({ maximize, l2, decoupled }))),
)

/** The compiled functions, one instance per backend (each worker thread has its own heap). */
const compiled = new WeakMap<object, Record<string, (...args: number[]) => void>>()

const functionsOf = (backend: object) => {
  let fns = compiled.get(backend)
  if (fns === undefined) {
    fns = instantiate(backendMemory(backend), variants.map(adamFunction))
    compiled.set(backend, fns)
  }
  return fns
}

/** The `LoopwrightFusedAdam` kernel for the WASM backend: `[next, m, v]` as new tensors. */
export const wasmAdamKernel: tf.KernelFunc = ({ inputs, backend, attrs }) => {
  const wasm = backend as BackendWasm
  const s = attrs as unknown as AdamScalars
  const { p, g, m, v } = inputs as { p: tf.TensorInfo; g: tf.TensorInfo; m: tf.TensorInfo; v: tf.TensorInfo }
  const outputs = [0, 1, 2].map(() => wasm.makeOutput([...p.shape], 'float32'))
  const address = (t: tf.TensorInfo) => wasm.dataIdMap.get(t.dataId)!.memoryOffset
  const size = p.shape.reduce((a, b) => a * b, 1)
  const variant = adamVariant(s)
  const scalars = adamConstants(s)
  functionsOf(backend)[variantName(variant)]!(
    ...[p, g, m, v, ...outputs].map(address),
    size * 4,
    // WebAssembly rounds an f32 argument to float32 as tfjs rounds a scalar.
    ...ADAM_CONSTANTS.map((k) => scalars[k]),
  )
  return outputs
}
