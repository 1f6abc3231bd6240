/**
 * MMSelfSup's `ContrastiveHead(loss, temperature=0.1)` (MoCo, SimCLR,
 * DenseCL): logits `[pos, neg] / τ` with the positive in column 0, so the
 * loss (cross-entropy) is taken against label 0 for every row.
 * @module
 */
import * as tf from '@tensorflow/tfjs-core'
import type * as t from 'io-ts'
import { input, join, type LossComponent } from '../Component.js'
import { buildLoss, type Registry } from '../registry.js'
import { args, info } from './ContrastiveHeadDescription.js'

export { args, info }

export const build = (a: t.TypeOf<typeof args>, registry: Registry): LossComponent => {
  const loss = buildLoss(registry, a.loss, 'loss')
  const temperature = a.temperature ?? 0.1
  return {
    kind: 'loss',
    type: 'ContrastiveHead',
    inputs: ['pos', 'neg'],
    init: (prefix, rng) => loss.init(join(prefix, 'loss'), rng),
    info: (prefix) => info(a, prefix, registry),
    forward: (params, buffers, prefix, inputs, ctx) => {
      const pos = input('ContrastiveHead', inputs, 'pos')
      const logits = tf.div(tf.concat([pos, input('ContrastiveHead', inputs, 'neg')], 1), temperature)
      const labels = tf.zeros([pos.shape[0]!], 'int32')
      return loss.forward(params, buffers, join(prefix, 'loss'), { cls_score: logits, label: labels }, ctx)
    },
  }
}
