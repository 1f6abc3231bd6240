/**
 * `ClipByValue` on WASM as one compiled pass, `min(max(x, low), high)` in
 * `f32x4`: WebAssembly's min and max return NaN for a NaN operand and order
 * −0 below +0, as JS's `Math.min`/`Math.max` do, so the result is the one the
 * JS correction it replaces computed (stock WASM turns NaN into a bound), bit
 * for bit, ~4× faster (3.9 ms CPU on 200k values in JS; the view pipeline
 * clips every resized crop).
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

// clip(x, out, bytes, low, high); locals: offset, vector end, then low and high splatted.
const CLIP = { x: 0, out: 1, bytes: 2, low: 3, high: 4, offset: 5, vectorEnd: 6, lowV: 7, highV: 8 }

const clip = (l: Lanes): Code => {
  const [min, max] = l.type === V128 ? [op.f32x4Min, op.f32x4Max] : [op.f32Min, op.f32Max]
  const [low, high] = l.type === V128 ? [CLIP.lowV, CLIP.highV] : [CLIP.low, CLIP.high]
  return [
    ...[...op.get(CLIP.out), ...op.get(CLIP.offset), ...op.i32Add],
    ...[...op.get(CLIP.x), ...op.get(CLIP.offset), ...op.i32Add, ...l.load],
    ...[...op.get(low), ...max, ...op.get(high), ...min, ...l.store],
  ]
}

const functions: ReadonlyArray<FunctionDef> = [
  {
    name: 'clip',
    params: [I32, I32, I32, F32, F32],
    locals: [I32, I32, V128, V128],
    body: [
      ...[...op.get(CLIP.low), ...op.f32x4Splat, ...op.set(CLIP.lowV)],
      ...[...op.get(CLIP.high), ...op.f32x4Splat, ...op.set(CLIP.highV)],
      ...elementwise(CLIP.bytes, CLIP.offset, CLIP.vectorEnd, clip),
    ],
  },
]

const compiled = new WeakMap<object, Record<string, (...args: number[]) => void>>()

/** The kernel; float32 only (other dtypes go to `fallback`). */
export const clipKernel =
  (fallback: tf.KernelFunc): tf.KernelFunc =>
  (args) => {
    const wasm = args.backend as BackendWasm
    const x = (args.inputs as { x: Info }).x
    if (x.dtype !== 'float32') return fallback(args)
    let fns = compiled.get(wasm)
    if (fns === undefined) {
      fns = instantiate(backendMemory(wasm), functions)
      compiled.set(wasm, fns)
    }
    const { clipValueMin, clipValueMax } = args.attrs as { clipValueMin: number; clipValueMax: number }
    const out = wasm.makeOutput([...x.shape], 'float32')
    const address = (t: Info) => wasm.dataIdMap.get(t.dataId)!.memoryOffset
    const bytes = x.shape.reduce((a, b) => a * b, 1) * 4
    fns['clip']!(address(x), address(out), bytes, clipValueMin, clipValueMax)
    return out
  }
