/**
 * The parameters of a head made of a `predictor` neck and a `loss` (LatentPredictHead, MoCoV3Head): the predictor's
 * under `<prefix>.predictor`, initialised first, then the loss's under `<prefix>.loss`, as MMSelfSup registers them.
 * @module
 */
import { join, type LossComponent, type Neck } from '../Component.js'

/** `init` and `info` of a head whose parts are `predictor` and `loss`. */
export const predictorParts = (predictor: Neck, loss: LossComponent): Pick<LossComponent, 'init' | 'info'> => ({
  init: (prefix, rng) => {
    const p = predictor.init(join(prefix, 'predictor'), rng)
    const l = loss.init(join(prefix, 'loss'), p.rng)
    return { params: { ...p.params, ...l.params }, buffers: { ...p.buffers, ...l.buffers }, rng: l.rng }
  },
  info: (prefix) => [...predictor.info(join(prefix, 'predictor')), ...loss.info(join(prefix, 'loss'))],
})
