/**
 * Copy a float32 tensor's values into an array the caller owns, once. On the
 * WASM backend the values are read where they lie on its heap; `dataSync`
 * would first copy them into a new array (and leave it to the collector).
 * The data-parallel gradient average copies every gradient of every step.
 * @module
 */
import * as tf from '@tensorflow/tfjs-core'

interface HeapBackend {
  readonly dataIdMap: { has(dataId: object): boolean }
  typedArrayFromHeap(info: tf.TensorInfo): Float32Array
}

const heapOf = (t: tf.Tensor): HeapBackend | undefined => {
  const backend = tf.backend() as unknown as Partial<HeapBackend>
  return backend.typedArrayFromHeap !== undefined && backend.dataIdMap?.has(t.dataId) === true
    ? (backend as HeapBackend)
    : undefined
}

/** `target[offset …] = t`'s values (float32 tensors). */
export const copyValuesInto = (t: tf.Tensor, target: Float32Array, offset: number): void => {
  const heap = heapOf(t)
  target.set(heap === undefined ? (t.dataSync() as Float32Array) : heap.typedArrayFromHeap(t), offset)
}

/**
 * A float32 tensor of `values`' current contents. The WASM backend copies them onto its heap at once; other
 * backends may keep the array itself until first use, so they get a copy: `values` may be a buffer reused later.
 */
export const tensorOfValues = (values: Float32Array, shape: ReadonlyArray<number>): tf.Tensor => {
  const copiedByBackend = (tf.backend() as unknown as Partial<HeapBackend>).typedArrayFromHeap !== undefined
  return tf.tensor(copiedByBackend ? values : values.slice(), shape as number[], 'float32')
}
