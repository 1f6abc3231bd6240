/**
 * Who disposes what. Transformations never dispose their inputs; they dispose
 * the intermediate tensors they made and passed on, once nothing they return
 * (updates, state) still holds them. The caller owns the returned updates and
 * the state.
 * @module
 */
import type * as tf from '@tensorflow/tfjs-core'
import { tensorsIn } from './serialize.js'

/** Dispose every tensor of `intermediate` that is not held by `keep` (nor by `inputs`, which belong to the caller). */
export const releaseIntermediate = (intermediate: unknown, keep: ReadonlyArray<unknown>, inputs: unknown): void => {
  const held = new Set<tf.Tensor>([...tensorsIn(keep), ...tensorsIn(inputs)])
  for (const t of tensorsIn(intermediate)) if (!held.has(t) && !t.isDisposed) t.dispose()
}
