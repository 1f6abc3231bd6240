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

// grad(dy, x, out, bytes); locals: offset, vector end, x for each lane type.
const DY = 0
const X = 1
const OUT = 2
const BYTES = 3
const OFFSET = 4
const VECTOR_END = 5
const XS = { v128: 6, f32: 7 }

const at = (base: number): ReadonlyArray<number> => [...op.get(base), ...op.get(OFFSET), ...op.i32Add]

/**
 * Pushes `dy · step(x)` (`dy` and `x` push one value of each, `xLocal` a local of the lanes' type): `x` where `x` is
 * NaN, else `dy · (0 < x ? 1 : 0)`. Shared with the BatchNorm passes that fuse a ReLU (`wasmBatchNorm.ts`).
 */
export const reluGradOf = (l: Lanes, dy: Code, x: Code, xLocal: number): Code => [
  ...dy,
  ...[...x, ...op.set(xLocal)],
  ...[...op.get(xLocal), ...l.constant(1), ...l.constant(0), ...l.constant(0), ...op.get(xLocal), ...l.lt, ...l.select],
  ...[...op.get(xLocal), ...op.get(xLocal), ...(l.type === V128 ? op.f32x4Ne : op.f32Ne), ...l.select],
  ...l.mul,
]

const element = (l: Lanes): ReadonlyArray<number> => [
  ...at(OUT),
  ...reluGradOf(l, [...at(DY), ...l.load], [...at(X), ...l.load], l.type === V128 ? XS.v128 : XS.f32),
  ...l.store,
]

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
