/**
 * `x.detach()` as PyTorch means it: a tensor with x's values that the gradient tape does not connect to x. tfjs
 * has no such op; a custom gradient that returns zeros (`selfsup/functional.ts`'s `detach`) gives the same
 * gradient, but the tape still reaches everything computed from the result, and the backward pass runs through all
 * of it with zeros: a momentum encoder's whole backward, every MoCo and DenseCL step. The tensor made here shares
 * x's data (a counted reference, as tfjs's own reshape does) and no kernel records it, so nothing computed from it
 * is differentiated.
 *
 * Differentiating with respect to x a value that reaches x only through this tensor is an error in tfjs
 * ("Cannot compute gradient of y=f(x) with respect to x"): use it where x is never differentiated that way
 * (the parameters a momentum encoder averages), and `detach` where a gradient of zero must be returned.
 * @module
 */
import * as tf from '@tensorflow/tfjs-core'

/** x's values as a new tensor off the gradient tape; dispose it as any tensor (the data lives while either does). */
export const stopGradient = <T extends tf.Tensor>(x: T): T => {
  const engine = tf.engine()
  // The reference is counted where the data lies (a tensor may live on another backend than the current one).
  const backend = engine.state.tensorInfo.get(x.dataId)?.backend ?? engine.backend
  const out = engine.makeTensorFromDataId(x.dataId, x.shape, x.dtype, backend)
  backend.incRef(x.dataId)
  return out as T
}
