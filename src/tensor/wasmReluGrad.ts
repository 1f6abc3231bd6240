/**
 * ReLU's gradient (`reluGrad.ts`) on WASM: one compiled SIMD pass over tfjs's
 * heap, `dy · s` with `s = x > 0 ? 1 : 0`, or x itself (a NaN) where x is NaN,
 * the one float32 multiply tfjs's `Step`, `Cast` and `Multiply` make.
 * @module
 */
import type * as tf from '@tensorflow/tfjs-core'
import type { BackendWasm } from '@tensorflow/tfjs-backend-wasm'
import {
  backendMemory,
  elementwise,
  F32,
  type FunctionDef,
  I32,
  instantiate,
  type Lanes,
  op,
  V128,
} from './wasmModule.js'

// grad(dy, x, out, bytes); locals: offset, vector end, x for each lane type.
const DY = 0
const X = 1
const OUT = 2
const BYTES = 3
const OFFSET = 4
const VECTOR_END = 5
const XS = { v128: 6, f32: 7 }

const at = (base: number): ReadonlyArray<number> => [...op.get(base), ...op.get(OFFSET), ...op.i32Add]

const element = (l: Lanes): ReadonlyArray<number> => {
  const x = l.type === V128 ? XS.v128 : XS.f32
  const ne = l.type === V128 ? op.f32x4Ne : op.f32Ne
  return [
    ...at(OUT),
    ...[...at(DY), ...l.load],
    ...[...at(X), ...l.load, ...op.set(x)],
    // x where x is NaN, else (0 < x ? 1 : 0)
    ...[...op.get(x), ...l.constant(1), ...l.constant(0), ...l.constant(0), ...op.get(x), ...l.lt, ...l.select],
    ...[...op.get(x), ...op.get(x), ...ne, ...l.select],
    ...l.mul,
    ...l.store,
  ]
}

const grad: FunctionDef = {
  name: 'grad',
  params: [I32, I32, I32, I32],
  locals: [I32, I32, V128, F32],
  body: elementwise(BYTES, OFFSET, VECTOR_END, element),
}

const compiled = new WeakMap<object, Record<string, (...args: number[]) => void>>()

/** The `LoopwrightReluGrad` kernel for the WASM backend. */
export const wasmReluGradKernel: tf.KernelFunc = ({ inputs, backend }) => {
  const wasm = backend as BackendWasm
  let fns = compiled.get(backend)
  if (fns === undefined) {
    fns = instantiate(backendMemory(backend), [grad])
    compiled.set(backend, fns)
  }
  const { dy, x } = inputs as { dy: tf.TensorInfo; x: tf.TensorInfo }
  const out = wasm.makeOutput([...x.shape], 'float32')
  const address = (t: tf.TensorInfo) => wasm.dataIdMap.get(t.dataId)!.memoryOffset
  fns['grad']!(address(dy), address(x), address(out), x.shape.reduce((a, b) => a * b, 1) * 4)
  return out
}
