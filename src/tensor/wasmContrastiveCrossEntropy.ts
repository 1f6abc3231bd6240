/**
 * The contrastive cross-entropy against a queue (`contrastiveCrossEntropy.ts`) on WASM, a block of rows at a
 * time in one scratch of {@link BLOCK_ROWS} × Q floats: the block's products with the queue (`productAt`, the
 * compiled SIMD products of `wasmGemm.ts`), its softmax and gradient in place (float64 per row, in JS), then the
 * gradient's product with the queue's transpose, read where the queue lies (no transposed copy).
 * @module
 */
import type * as tf from '@tensorflow/tfjs-core'
import type { BackendWasm } from '@tensorflow/tfjs-backend-wasm'
import { contrastiveRow } from './contrastiveCrossEntropy.js'
import { productAt } from './wasmGemm.js'

type Info = tf.TensorInfo

/** Rows per block: 64 × 4,096 floats is 1 MB, which stays in the second-level cache between the two products. */
export const BLOCK_ROWS = 64

/** The `LoopwrightContrastiveCrossEntropy` kernel for the WASM backend: `[loss, dPos, dQuery]` of the mean loss. */
export const wasmContrastiveCrossEntropyKernel: tf.KernelFunc = ({ inputs, backend, attrs }) => {
  const wasm = backend as BackendWasm
  const { pos, query, queue } = inputs as { pos: Info; query: Info; queue: Info }
  const { temperature } = attrs as unknown as { temperature: number }
  const [n, d] = query.shape as [number, number]
  const q = queue.shape[1]!
  // Allocate everything first: allocating may grow the heap, which detaches views taken before.
  const loss = wasm.makeOutput([], 'float32')
  const dPos = wasm.makeOutput([...pos.shape], 'float32')
  const dQuery = wasm.makeOutput([n, d], 'float32')
  const scratch = wasm.makeOutput([Math.min(BLOCK_ROWS, n), q], 'float32')
  const address = (t: Info) => wasm.dataIdMap.get(t.dataId)!.memoryOffset
  const [atQuery, atQueue, atDQuery, atScratch] = [query, queue, dQuery, scratch].map(address) as [
    number,
    number,
    number,
    number,
  ]
  const posValues = wasm.typedArrayFromHeap(pos) as Float32Array
  const posGradient = wasm.typedArrayFromHeap(dPos) as Float32Array
  const block = wasm.typedArrayFromHeap(scratch) as Float32Array
  let total = 0
  for (let i0 = 0; i0 < n; i0 += BLOCK_ROWS) {
    const rows = Math.min(BLOCK_ROWS, n - i0)
    productAt(wasm, atQuery + i0 * d * 4, atQueue, atScratch, rows, d, q, false, false)
    for (let r = 0; r < rows; r++) {
      const row = block.subarray(r * q, (r + 1) * q)
      const part = contrastiveRow(posValues[i0 + r]!, row, temperature, n, row)
      total += part.loss
      posGradient[i0 + r] = part.posGradient
    }
    productAt(wasm, atScratch, atQueue, atDQuery + i0 * d * 4, rows, q, d, false, true)
  }
  ;(wasm.typedArrayFromHeap(loss) as Float32Array)[0] = total / n
  wasm.disposeData(scratch.dataId)
  return [loss, dPos, dQuery]
}
