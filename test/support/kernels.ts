/** What the tensor tests of ops that pick a kernel by backend check: the kernels an op ran, and exact bits. */
import * as tf from '@tensorflow/tfjs-core'
import { seededValues } from '../../src/tensor/opConformance.js'
import { backendMemory } from '../../src/tensor/wasmModule.js'

/** The kernels tfjs's engine runs while `f` runs. */
export const kernelsDuring = <A>(f: () => A): { result: A; kernels: string[] } => {
  const engine = tf.engine() as unknown as { runKernelFunc: (p: { kernelName?: string }) => unknown }
  const original = engine.runKernelFunc
  const kernels: string[] = []
  engine.runKernelFunc = function (p) {
    if (p.kernelName !== undefined) kernels.push(p.kernelName)
    return original.call(this, p)
  }
  try {
    return { result: f(), kernels }
  } finally {
    engine.runKernelFunc = original
  }
}

/** A float tensor's values as their float32 bit patterns (so that −0 and NaN payloads count). */
export const bits = (t: tf.Tensor): number[] => Array.from(new Uint32Array(Float32Array.from(t.dataSync()).buffer))

/** A tensor of `shape` filled with `seededValues(size, seed, scale)` (float32; int32 rounded, bool `> 0`). */
export const seededTensor = (
  shape: number[],
  seed: number,
  dtype: 'float32' | 'int32' | 'bool' = 'float32',
  scale?: number,
): tf.Tensor => {
  const values = seededValues(
    shape.reduce((a, b) => a * b, 1),
    seed,
    scale,
  )
  if (dtype === 'float32') return tf.tensor(values, shape)
  return tf.tensor(
    values.map((v) => (dtype === 'bool' ? Number(v > 0) : Math.round(v))),
    shape,
    dtype,
  )
}

/** The current WASM backend's heap size in bytes (tests of kernels whose output must grow it). */
export const wasmHeapBytes = (): number =>
  (backendMemory(tf.backend()) as unknown as { readonly buffer: ArrayBuffer }).buffer.byteLength

/** Rows of `rowFloats` float32 values that make an output larger than the whole WASM heap (its allocation grows it). */
export const rowsBeyondHeap = (rowFloats: number): number => Math.ceil(wasmHeapBytes() / (rowFloats * 4)) + 16
