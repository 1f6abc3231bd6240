/**
 * A head made of a `predictor` neck and a `loss` (LatentPredictHead, MoCoV3Head): how the prediction is made, and
 * the parameters, the predictor's under `<prefix>.predictor` (initialised first), then the loss's under
 * `<prefix>.loss`, as MMSelfSup registers them.
 * @module
 */
import type * as tf from '@tensorflow/tfjs-core'
import type { Tree } from '../../tensor/tree.js'
import { type Applied, type ComponentContext, join, type LossComponent, type Neck } from '../Component.js'

/** `init` and `info` of a head whose parts are `predictor` and `loss`. */
export const predictorParts = (predictor: Neck, loss: LossComponent): Pick<LossComponent, 'init' | 'info'> => ({
  init: (prefix, rng) => {
    const p = predictor.init(join(prefix, 'predictor'), rng)
    const l = loss.init(join(prefix, 'loss'), p.rng)
    return { params: { ...p.params, ...l.params }, buffers: { ...p.buffers, ...l.buffers }, rng: l.rng }
  },
  info: (prefix) => [...predictor.info(join(prefix, 'predictor')), ...loss.info(join(prefix, 'loss'))],
})

/** The predictor applied to `x` under `<prefix>.predictor`, its output captured as `predictor_output`. */
export const predict = (
  predictor: Neck,
  params: Tree,
  buffers: Tree,
  prefix: string,
  x: tf.Tensor,
  ctx: ComponentContext,
): Applied<tf.Tensor> => {
  const pred = predictor.apply(params, buffers, join(prefix, 'predictor'), x, ctx)
  ctx.capture?.('predictor_output', pred.value)
  return pred
}
