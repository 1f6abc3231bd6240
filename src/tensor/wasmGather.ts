/**
 * `GatherV2` (`tf.gather`: embedding lookups, a minibatch drawn from a dataset tensor by indices) on WASM as slice
 * copies in JS. Stock WASM's kernel computes every output value's source through generic strides, one value at a
 * time, at ~0.2 GB/s. Measured once on this shared 2-core machine (3 December, medians of 20 calls; stock against
 * this kernel, switched in the same process): 4096 rows of a [10000,128] table 14.4 / 0.33 ms (the CPU backend took
 * 53.7 ms in the survey), 256 rows of a [60000,784] dataset 6.13 / 0.048 ms, 64 images of [10000,28,28,1]
 * 1.48 / 0.013 ms, 256 columns of [256,512] (axis 1) 1.99 / 0.32 ms; the embedding's gradient (which runs its forward
 * `GatherV2` too) 26.5 / 5.4 ms.
 *
 * The indices are checked first, with the stock kernel's message (the CPU backend's too). The input is read as
 * `[batch, outer, dim, slice]` and the output as `[batch, outer, indices per batch, slice]`
 * (`collectGatherOpShapeInfo`, as both backends do); each output slice is one copy from the indexed input slice.
 * A copy, so bit-identical whatever the dtype (strings run the stock kernel).
 * @module
 */
import * as tf from '@tensorflow/tfjs-core'
import type { BackendWasm } from '@tensorflow/tfjs-backend-wasm'

type Info = tf.TensorInfo
type Values = Float32Array | Int32Array | Uint8Array

/** Below this many values a slice is copied value by value (cheaper than a `subarray` and a `set`). */
const SHORT = 16

export const gatherKernel =
  (stock: tf.KernelConfig): tf.KernelFunc =>
  (args) => {
    const wasm = args.backend as BackendWasm
    const { x, indices } = args.inputs as { x: Info; indices: Info }
    const { axis, batchDims = 0 } = args.attrs as { axis: number; batchDims?: number }
    if (x.dtype === 'string') return stock.kernelFunc(args)
    const parsedAxis = tf.util.parseAxisParam(axis, x.shape)[0]!
    const ids = wasm.typedArrayFromHeap(indices)
    const axisDim = x.shape[parsedAxis]!
    // A plain check, not `tf.util.assert`, so that no message closure is made per index.
    for (let i = 0; i < ids.length; i++) {
      const index = ids[i]!
      if (index < 0 || index > axisDim - 1)
        throw new Error(`GatherV2: the index value ${index} is not in [0, ${axisDim - 1}]`)
    }
    const info = tf.backend_util.segment_util.collectGatherOpShapeInfo(
      x as tf.Tensor,
      indices as tf.Tensor,
      parsedAxis,
      batchDims,
    )
    const out = wasm.makeOutput(info.outputShape, x.dtype)
    const target = wasm.typedArrayFromHeap(out) as Values
    if (target.length === 0) return out
    // Views taken before `makeOutput` are detached when its allocation grew the heap: take every view again.
    const source = wasm.typedArrayFromHeap(x) as Values
    const at = wasm.typedArrayFromHeap(indices)
    const { batchSize, outerSize, dimSize, sliceSize } = info
    const perBatch = at.length / batchSize
    let to = 0
    for (let b = 0; b < batchSize; b++)
      for (let o = 0; o < outerSize; o++) {
        const base = (b * outerSize + o) * dimSize
        for (let i = 0; i < perBatch; i++) {
          const from = (base + at[b * perBatch + i]!) * sliceSize
          if (sliceSize < SHORT) for (let k = 0; k < sliceSize; k++) target[to++] = source[from + k]!
          else {
            target.set(source.subarray(from, from + sliceSize), to)
            to += sliceSize
          }
        }
      }
    return out
  }
