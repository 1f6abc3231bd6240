/**
 * BatchNorm with batch statistics (training mode) as two kernels, forward and backward, where a backend has them
 * (WASM: compiled passes, `wasmBatchNorm.ts`). Composed from tfjs ops the same layer is ~20 kernels forward and
 * back; {@link hasFusedBatchNorm} says whether the current backend has the fused kernels, and callers fall back to
 * the composed ops (the reference the fused ones are tested against) elsewhere. A backend that registers them
 * honours the forward's `relu` attribute (a ReLU on the output) and the backward's optional `y` input (that output:
 * mask `dy` by `y > 0` first, as ReLU's gradient).
 * @module
 */
import * as tf from '@tensorflow/tfjs-core'

export const BATCH_NORM_FORWARD = 'LoopwrightBatchNormForward'
export const BATCH_NORM_BACKWARD = 'LoopwrightBatchNormBackward'

/** Whether the current backend has the fused BatchNorm kernels. */
export const hasFusedBatchNorm = (): boolean => tf.getKernel(BATCH_NORM_FORWARD, tf.getBackend()) !== undefined

/**
 * `(x − mean)/√(var + ε)·weight + bias` over every axis but the last, with the batch's mean and biased variance,
 * differentiable in `x`, `weight` and `bias`; with `relu`, the ReLU of that in the same kernels (the same bits as
 * `tf.relu` after the layer, forward and backward: one pass over the activations fewer each way). Also returns the
 * statistics (not differentiated: running statistics are buffers). Only where {@link hasFusedBatchNorm}.
 */
export const fusedBatchNorm = (
  x: tf.Tensor,
  weight: tf.Tensor | undefined,
  bias: tf.Tensor | undefined,
  eps: number,
  relu = false,
): { readonly y: tf.Tensor; readonly mean: tf.Tensor; readonly variance: tf.Tensor } => {
  const affine = { ...(weight === undefined ? {} : { weight }), ...(bias === undefined ? {} : { bias }) }
  // The statistics come out of the kernel that normalises; the gradient below is the whole layer's.
  let stats: [tf.Tensor, tf.Tensor] | undefined
  const inputs = [x, ...(weight === undefined ? [] : [weight]), ...(bias === undefined ? [] : [bias])]
  const layer = tf.customGrad((...args: Array<tf.Tensor | tf.GradSaveFunc>) => {
    const save = args.at(-1) as tf.GradSaveFunc
    const [y, mean, variance] = tf.engine().runKernel(BATCH_NORM_FORWARD, { x, ...affine }, {
      eps,
      relu,
    } as unknown as tf.NamedAttrMap) as tf.Tensor[]
    // Kept past customGrad's tidy for the caller (running statistics), and saved for the gradient (with a ReLU,
    // its output too: where it is 0 the gradient is).
    stats = [tf.keep(mean!), tf.keep(variance!)]
    save([x, mean!, variance!, ...(relu ? [y!] : []), ...(weight === undefined ? [] : [weight])])
    return {
      value: y!,
      gradFunc: (dy: tf.Tensor, saved: tf.Tensor[]) => {
        const [sx, sMean, sVariance] = saved
        const sY = relu ? saved[3] : undefined
        const sWeight = saved[relu ? 4 : 3]
        const [dx, dWeight, dBias] = tf.engine().runKernel(
          BATCH_NORM_BACKWARD,
          {
            dy,
            x: sx!,
            mean: sMean!,
            variance: sVariance!,
            ...(sWeight === undefined ? {} : { weight: sWeight }),
            ...(sY === undefined ? {} : { y: sY }),
          },
          { eps } as unknown as tf.NamedAttrMap,
        ) as tf.Tensor[]
        const grads = [dx!, ...(weight === undefined ? [] : [dWeight!]), ...(bias === undefined ? [] : [dBias!])]
        for (const unused of [dWeight!, dBias!]) if (!grads.includes(unused)) unused.dispose()
        return grads
      },
    }
  })
  const y = layer(...inputs)
  // Owned by the caller's scope like any op's output (clones share the buffer).
  const [mean, variance] = stats!.map((t) => {
    const owned = tf.clone(t)
    t.dispose()
    return owned
  }) as [tf.Tensor, tf.Tensor]
  return { y, mean, variance }
}
