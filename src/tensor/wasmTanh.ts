/**
 * `Tanh` on WASM through the vectorised sigmoid: `tanh(x) = 2·σ(2x) − 1`.
 * WASM's own `Tanh` is a scalar loop, 13× slower than its XNNPACK sigmoid
 * (6.8 against 0.5 ms on 300k values); LeNet-5 spends ~10 ms a step in it.
 *
 * Near zero the identity cancels (σ(2x) ≈ ½), so below |x| = 1/16 the odd
 * series `x − x³/3 + 2x⁵/15` is used (relative error < 4e-9 there, before
 * float32 rounding); above it, the sigmoid route is within 1.8e-6 relative
 * (1.6e-7 absolute) of the exact value (checked against float64 in
 * `test/unit/tensor/wasmTanh.test.ts`); stock WASM is within 1.2e-7 relative.
 *
 * The doubling and the final blend are compiled SIMD over the heap
 * (`wasmModule.ts`), in float32, so the kernel is three passes: 2x, XNNPACK's
 * sigmoid, the blend. Measured: 9.3 -> 4.0 ms CPU on 301k values with the
 * blend in JS, and less again with it compiled (docs/performance.md).
 * @module
 */
import type * as tf from '@tensorflow/tfjs-core'
import type { BackendWasm } from '@tensorflow/tfjs-backend-wasm'
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
} from './wasmModule.js'

type Info = tf.TensorInfo

const SERIES_BELOW = 1 / 16

/** The byte address `base + offset`, both locals. */
const at = (base: number, offset: number): Code => [...op.get(base), ...op.get(offset), ...op.i32Add]

// double(x, out, bytes); locals: offset, vector end.
const DOUBLE = { x: 0, out: 1, bytes: 2, offset: 3, vectorEnd: 4 }

/** `out = 2x`. */
const double = (l: Lanes): Code => {
  const { x, out, offset } = DOUBLE
  return [...at(out, offset), ...at(x, offset), ...l.load, ...l.constant(2), ...l.mul, ...l.store]
}

// blend(x, s, out, bytes); locals: offset, vector end, then x and x² for each lane type.
const BLEND = { x: 0, s: 1, out: 2, bytes: 3, offset: 4, vectorEnd: 5, v128: 6, f32: 8 }

/** `out = |x| < 1/16 ? x·(1 − x²·(1/3 − x²·2/15)) : 2s − 1`, where s = σ(2x). */
const blend = (l: Lanes): Code => {
  const { offset } = BLEND
  const x = l.type === V128 ? BLEND.v128 : BLEND.f32
  const x2 = x + 1
  return [
    ...at(BLEND.out, offset),
    ...[...at(BLEND.x, offset), ...l.load, ...op.set(x), ...op.get(x), ...op.get(x), ...l.mul, ...op.set(x2)],
    // the series
    ...[...op.get(x), ...l.constant(1), ...op.get(x2), ...l.constant(1 / 3), ...op.get(x2), ...l.constant(2 / 15)],
    ...[...l.mul, ...l.sub, ...l.mul, ...l.sub, ...l.mul],
    // the sigmoid route
    ...[...at(BLEND.s, offset), ...l.load, ...l.constant(2), ...l.mul, ...l.constant(1), ...l.sub],
    ...[...op.get(x), ...l.abs, ...l.constant(SERIES_BELOW), ...l.lt, ...l.select],
    ...l.store,
  ]
}

const functions: ReadonlyArray<FunctionDef> = [
  {
    name: 'double',
    params: [I32, I32, I32],
    locals: [I32, I32],
    body: elementwise(DOUBLE.bytes, DOUBLE.offset, DOUBLE.vectorEnd, double),
  },
  {
    name: 'blend',
    params: [I32, I32, I32, I32],
    locals: [I32, I32, V128, V128, F32, F32],
    body: elementwise(BLEND.bytes, BLEND.offset, BLEND.vectorEnd, blend),
  },
]

const compiled = new WeakMap<object, Record<string, (...args: number[]) => void>>()

/** The kernel, given WASM's `Sigmoid`. */
export const tanhKernel =
  (sigmoid: tf.KernelConfig): tf.KernelFunc =>
  (args) => {
    const { inputs, backend } = args
    const wasm = backend as BackendWasm
    let fns = compiled.get(backend)
    if (fns === undefined) {
      fns = instantiate(backendMemory(backend), functions)
      compiled.set(backend, fns)
    }
    const address = (t: Info) => wasm.dataIdMap.get(t.dataId)!.memoryOffset
    const x = (inputs as { x: Info }).x
    const bytes = x.shape.reduce((a, b) => a * b, 1) * 4
    const doubled = wasm.makeOutput([...x.shape], 'float32')
    fns['double']!(address(x), address(doubled), bytes)
    const s = sigmoid.kernelFunc({ inputs: { x: doubled }, backend, attrs: {} }) as Info
    const out = wasm.makeOutput([...x.shape], 'float32')
    fns['blend']!(address(x), address(s), address(out), bytes)
    for (const t of [doubled, s]) wasm.disposeData(t.dataId)
    return out
  }
