/**
 * `TensorOps` over the run's tensor store: the arithmetic hooks ask for,
 * computed on the tensors behind their refs. Results are new tensors owned
 * by the store; the inputs are left alone (the next collection frees them
 * if the state dropped them).
 * @module
 */
import * as tf from '@tensorflow/tfjs-core'
import * as Effect from 'effect/Effect'
import { TensorOps } from '../../dsl/Services.js'
import type { TensorValues } from '../../dsl/Services.js'
import type { TensorTree } from '../../dsl/State.js'
import type { TensorStore } from './TensorStore.js'

const mapTree = (tree: TensorTree, f: (name: string) => tf.Tensor, store: TensorStore): TensorTree =>
  Object.fromEntries(Object.keys(tree).map((name) => [name, store.ref(f(name))]))

/** Bytes the backend reports holding (`tf.memory().numBytes`). */
const heldBytes = (): number => tf.memory().numBytes

export const tensorOps = (store: TensorStore): TensorOps['Service'] =>
  TensorOps.of({
    lerp: (avg, value, weight) =>
      Effect.sync(() =>
        mapTree(
          avg,
          (name) => {
            const a = store.get(avg[name]!)
            const v = value[name]
            if (v === undefined) return tf.clone(a)
            const x = store.get(v)
            // Integer buffers (num_batches_tracked) are copied, not averaged, as torch's lerp_ only applies to floats.
            if (a.dtype !== 'float32') return tf.clone(x)
            // torch.lerp's two forms (it switches at weight 0.5 for accuracy), so that averages match PyTorch bit for
            // bit.
            return tf.tidy(() =>
              weight < 0.5
                ? tf.add(a, tf.mul(tf.sub(x, a), tf.scalar(weight)))
                : tf.sub(x, tf.mul(tf.sub(x, a), tf.scalar(1 - weight))),
            )
          },
          store,
        ),
      ),
    copy: (tree) => Effect.sync(() => mapTree(tree, (name) => tf.clone(store.get(tree[name]!)), store)),
    // Asynchronous: WebGPU in Node has no synchronous reads.
    read: (ref) => Effect.promise(() => store.get(ref).data() as Promise<TensorValues>),
    // TF.js frees tensors as soon as they are disposed; only a backend with a pool (WebGPU, WebGL) keeps memory back.
    releaseMemory: Effect.sync(() => {
      const backend = tf.backend() as unknown as {
        readonly releaseMemory?: () => void
        readonly bufferManager?: { readonly dispose?: () => void }
      }
      const release = backend.releaseMemory ?? backend.bufferManager?.dispose
      if (release === undefined) return undefined
      const before = heldBytes()
      release.call(backend.releaseMemory === undefined ? backend.bufferManager : backend)
      return { before, after: heldBytes() }
    }),
  })
