/**
 * The fused softmax cross-entropy (`softmaxCrossEntropy.ts`) on WASM: one
 * pass in JS over tfjs's heap. A batch's logits are a few hundred to a few
 * thousand numbers, so a loop here costs microseconds, where the composed
 * ops cost a dispatch and a tape entry each.
 * @module
 */
import type * as tf from '@tensorflow/tfjs-core'
import type { BackendWasm } from '@tensorflow/tfjs-backend-wasm'
import { softmaxCrossEntropyValues } from './softmaxCrossEntropy.js'

/** The `LoopwrightSoftmaxCrossEntropy` kernel for the WASM backend: `[loss, gradient of the mean loss]`. */
export const wasmSoftmaxCrossEntropyKernel: tf.KernelFunc = ({ inputs, backend }) => {
  const wasm = backend as BackendWasm
  const { logits, labels } = inputs as { logits: tf.TensorInfo; labels: tf.TensorInfo }
  const [n, c] = logits.shape as [number, number]
  // Outputs first: allocating may grow the heap, which detaches views taken before.
  const loss = wasm.makeOutput([], 'float32')
  const gradient = wasm.makeOutput([n, c], 'float32')
  const g = wasm.typedArrayFromHeap(gradient) as Float32Array
  const value = softmaxCrossEntropyValues(wasm.typedArrayFromHeap(logits), wasm.typedArrayFromHeap(labels), n, c, g)
  ;(wasm.typedArrayFromHeap(loss) as Float32Array)[0] = value
  return [loss, gradient]
}
