/**
 * The finite probe (`finiteProbe.ts`) on WASM: one compiled SIMD pass per
 * tensor over tfjs's heap, `Σ (x − x)` four lanes at a time, summed across the
 * lanes into the output. It replaces a sum kernel per gradient, a stack and
 * their dispatches (~0.8 ms CPU of an MLP step through `train()`).
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

// probe(x, bytes, out): parameters, then the byte offset, the end of the vector part, the two accumulators.
const X = 0
const BYTES = 1
const OUT = 2
const OFFSET = 3
const VECTOR_END = 4
const ACC = { v128: 5, f32: 6 }

const accumulate = (l: Lanes): ReadonlyArray<number> => {
  const acc = l.type === V128 ? ACC.v128 : ACC.f32
  const x = [...op.get(X), ...op.get(OFFSET), ...op.i32Add, ...l.load]
  return [...op.get(acc), ...x, ...x, ...l.sub, ...l.add, ...op.set(acc)]
}

const lane = (i: number) => [...op.get(ACC.v128), ...op.f32x4ExtractLane(i)]

const probe: FunctionDef = {
  name: 'probe',
  params: [I32, I32, I32],
  locals: [I32, I32, V128, F32],
  body: [
    ...[...op.f32(0), ...op.f32x4Splat, ...op.set(ACC.v128), ...op.f32(0), ...op.set(ACC.f32)],
    ...elementwise(BYTES, OFFSET, VECTOR_END, accumulate),
    ...op.get(OUT),
    ...[...lane(0), ...lane(1), ...op.f32Add, ...lane(2), ...lane(3), ...op.f32Add, ...op.f32Add],
    ...[...op.get(ACC.f32), ...op.f32Add, ...op.f32Store],
  ],
}

const compiled = new WeakMap<object, Record<string, (...args: number[]) => void>>()

/** The `LoopwrightFiniteProbe` kernel for the WASM backend. */
export const wasmFiniteProbeKernel: tf.KernelFunc = ({ inputs, backend }) => {
  const wasm = backend as BackendWasm
  let fns = compiled.get(backend)
  if (fns === undefined) {
    fns = instantiate(backendMemory(backend), [probe])
    compiled.set(backend, fns)
  }
  const tensors = Object.values(inputs) as tf.TensorInfo[]
  const out = wasm.makeOutput([tensors.length], 'float32')
  const address = (t: tf.TensorInfo) => wasm.dataIdMap.get(t.dataId)!.memoryOffset
  const base = address(out)
  tensors.forEach((t, i) => {
    const bytes = t.shape.reduce((a, b) => a * b, 1) * 4
    fns['probe']!(address(t), bytes, base + 4 * i)
  })
  return out
}
