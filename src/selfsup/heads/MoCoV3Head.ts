/**
 * MMSelfSup's `MoCoV3Head(predictor, loss, temperature=1)`: the predictor maps
 * `base_out`; prediction and `momentum_out` are L2-normalised; logits
 * `pred · targetᵀ / τ` against labels `0 … n−1` (one process: rank 0).
 * `momentum_out` comes from the momentum encoder and carries no gradient there.
 * @module
 */
import * as tf from '@tensorflow/tfjs-core'
import type * as t from 'io-ts'
import { input, join, type LossComponent } from '../Component.js'
import { normalize } from '../functional.js'
import { buildLoss, buildNeck, type Registry } from '../registry.js'
import { predict, predictorParts } from './predictorParts.js'
import { args, info } from './MoCoV3HeadDescription.js'

export { args, info }

export const build = (a: t.TypeOf<typeof args>, registry: Registry): LossComponent => {
  const predictor = buildNeck(registry, a.predictor, 'predictor')
  const loss = buildLoss(registry, a.loss, 'loss')
  const temperature = a.temperature ?? 1
  return {
    kind: 'loss',
    type: 'MoCoV3Head',
    inputs: ['base_out', 'momentum_out'],
    ...predictorParts(predictor, loss),
    info: (prefix) => info(a, prefix, registry),
    forward: (params, buffers, prefix, inputs, ctx) => {
      const pred = predict(predictor, params, buffers, prefix, input('MoCoV3Head', inputs, 'base_out'), ctx)
      const target = normalize(input('MoCoV3Head', inputs, 'momentum_out'), 1)
      const logits = tf.div(tf.matMul(normalize(pred.value, 1), target, false, true), temperature)
      ctx.capture?.('logits', logits)
      const labels = tf.range(0, logits.shape[0]!, 1, 'int32')
      const l = loss.forward(params, buffers, join(prefix, 'loss'), { cls_score: logits, label: labels }, ctx)
      return { value: l.value, buffers: { ...pred.buffers, ...l.buffers } }
    },
  }
}
