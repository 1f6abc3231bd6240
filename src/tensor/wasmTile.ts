/**
 * `Tile` on WASM as block copies in JS. Stock WASM's kernel finds every output element's source by index arithmetic,
 * one value at a time (~0.1 GB/s, slower than the CPU backend). tfjs-core's `FusedBatchNorm` gradient tiles the
 * per-channel variance to the input's shape for every rank-1 mean, so `tf.batchNorm`'s gradient was mostly this call.
 * Measured once on this shared 2-core machine (3 December, medians of 20 calls, 5 for the stock gradient; stock
 * against this kernel, switched in the same process): tiling [1,1,1,16] to [256,32,32,16] 234.5 / 0.29 ms,
 * [1,512] to [256,512] 6.32 / 0.02 ms, [64,28,28,1] to [64,28,28,16] 44.1 / 1.41 ms; `tf.batchNorm`'s gradients
 * (x, offset, scale) at [256,32,32,16] 375.7 / 161.9 ms, at [256,512] 19.1 / 2.56 ms.
 *
 * Axes that are not repeated and follow one another are merged first (`[256,32,32,1]` × `[1,1,1,16]` is `[262144,1]`
 * × `[1,16]`). Then, from the first axis inwards, each input slice is written once where its first copy goes, and the
 * copies along an axis are `copyWithin` of that finished block. A single repeated value is a `fill`.
 * A copy, so bit-identical whatever the dtype (strings run the stock kernel).
 * @module
 */
import type * as tf from '@tensorflow/tfjs-core'
import type { BackendWasm } from '@tensorflow/tfjs-backend-wasm'

type Info = tf.TensorInfo
type Values = Float32Array | Int32Array | Uint8Array

/** The shape and repetitions with size-1, unrepeated axes dropped and runs of unrepeated axes merged. */
const simplify = (shape: ReadonlyArray<number>, reps: ReadonlyArray<number>): { shape: number[]; reps: number[] } => {
  const s: number[] = []
  const r: number[] = []
  shape.forEach((size, i) => {
    const rep = reps[i]!
    if (size === 1 && rep === 1) return
    if (rep === 1 && r.length > 0 && r.at(-1) === 1) s[s.length - 1]! *= size
    else {
      s.push(size)
      r.push(rep)
    }
  })
  return s.length === 0 ? { shape: [1], reps: [1] } : { shape: s, reps: r }
}

export const tileKernel =
  (stock: tf.KernelConfig): tf.KernelFunc =>
  (args) => {
    const wasm = args.backend as BackendWasm
    const x = (args.inputs as { x: Info }).x
    const reps = (args.attrs as { reps: number[] }).reps
    if (x.dtype === 'string') return stock.kernelFunc(args)
    const out = wasm.makeOutput(
      x.shape.map((d, i) => d * reps[i]!),
      x.dtype,
    )
    const target = wasm.typedArrayFromHeap(out) as Values
    if (target.length === 0) return out
    const source = wasm.typedArrayFromHeap(x) as Values
    const { shape, reps: r } = simplify(x.shape, reps)
    const rank = shape.length
    // Input and output strides, in values.
    const inStride = shape.map((_, i) => shape.slice(i + 1).reduce((a, b) => a * b, 1))
    const outStride = shape.map((_, i) => shape.slice(i + 1).reduce((a, b, j) => a * b * r[i + 1 + j]!, 1))
    const fill = (axis: number, from: number, to: number): void => {
      const size = shape[axis]!
      const rep = r[axis]!
      if (axis === rank - 1) {
        if (size === 1) target.fill(source[from]!, to, to + rep)
        else {
          const row = source.subarray(from, from + size)
          for (let t = 0; t < rep; t++) target.set(row, to + t * size)
        }
        return
      }
      for (let i = 0; i < size; i++) fill(axis + 1, from + i * inStride[axis]!, to + i * outStride[axis]!)
      const block = size * outStride[axis]!
      for (let t = 1; t < rep; t++) target.copyWithin(to + t * block, to, to + block)
    }
    fill(0, 0, 0)
    return out
  }
