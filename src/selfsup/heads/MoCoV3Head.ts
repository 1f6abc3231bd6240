/**
 * MMSelfSup's `MoCoV3Head(predictor, loss, temperature=1)`: the predictor maps
 * `base_out`; prediction and `momentum_out` are L2-normalised; logits
 * `pred · targetᵀ / τ` against labels `0 … n−1`. Data parallel, as MMSelfSup: the targets of every replica are
 * gathered (`concat_all_gather`), so the logits are `n × N·n` and the labels `rank·n … rank·n + n − 1`.
 * `momentum_out` comes from the momentum encoder and carries no gradient there.
 * @module
 */
import * as tf from '@tensorflow/tfjs-core'
import type * as t from 'io-ts'
import { input, join, type LossComponent } from '../Component.js'
import { normalize } from '../functional.js'
import { concatAllGather, rankOf } from '../gather.js'
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
      // Every replica's targets are the negatives (`concat_all_gather`); this replica's are at rank · n.
      const target = concatAllGather(ctx, normalize(input('MoCoV3Head', inputs, 'momentum_out'), 1))
      const logits = tf.div(tf.matMul(normalize(pred.value, 1), target, false, true), temperature)
      ctx.capture?.('logits', logits)
      const n = logits.shape[0]!
      const labels = tf.range(n * rankOf(ctx), n * (rankOf(ctx) + 1), 1, 'int32')
      const l = loss.forward(params, buffers, join(prefix, 'loss'), { cls_score: logits, label: labels }, ctx)
      return { value: l.value, buffers: { ...pred.buffers, ...l.buffers } }
    },
  }
}
