/**
 * MMSelfSup's `ContrastiveHead(loss, temperature=0.1)` (MoCo, SimCLR,
 * DenseCL): logits `[pos, neg] / τ` with the positive in column 0, so the
 * loss (cross-entropy) is taken against label 0 for every row.
 *
 * Against a queue, `neg` may be given as `query` `[n, d]` and `queue` `[d, Q]`
 * (`neg = query·queue`, the queue detached, as MMSelfSup's `einsum` with
 * `queue.clone().detach()`): with the plain cross-entropy (no class weights)
 * the loss is then taken without ever forming the n × (Q + 1) logits
 * (`contrastiveCrossEntropy`), which DenseCL's dense part needs at batch 256
 * (12,544 × 4,097); with any other loss, `neg` is formed and scored as usual.
 * @module
 */
import * as tf from '@tensorflow/tfjs-core'
import type * as t from 'io-ts'
import { contrastiveCrossEntropy } from '../../tensor/contrastiveCrossEntropy.js'
import { type ComponentContext, input, join, type LossComponent } from '../Component.js'
import { buildLoss, type Registry } from '../registry.js'
import { args, info } from './ContrastiveHeadDescription.js'

export { args, info }

/** The weight of the loss when it is the plain mean cross-entropy the fused route computes, else undefined. */
const plainCrossEntropyWeight = (
  loss: LossComponent,
  dict: { readonly [key: string]: unknown },
  prefix: string,
  ctx: ComponentContext,
): number | undefined => {
  if (loss.type !== 'CrossEntropyLoss' || dict['class_weight'] !== undefined) return undefined
  if (ctx.attributes?.[join(join(prefix, 'loss'), 'class_weight')] !== undefined) return undefined
  const weight = dict['loss_weight']
  return typeof weight === 'number' ? weight : 1
}

export const build = (a: t.TypeOf<typeof args>, registry: Registry): LossComponent => {
  const loss = buildLoss(registry, a.loss, 'loss')
  const temperature = a.temperature ?? 0.1
  /** The loss's inputs: `[pos, neg] / τ` against label 0. */
  const scored = (pos: tf.Tensor, neg: tf.Tensor) => ({
    cls_score: tf.div(tf.concat([pos, neg], 1), temperature),
    label: tf.zeros([pos.shape[0]!], 'int32'),
  })
  return {
    kind: 'loss',
    type: 'ContrastiveHead',
    inputs: ['pos', 'neg'],
    init: (prefix, rng) => loss.init(join(prefix, 'loss'), rng),
    info: (prefix) => info(a, prefix, registry),
    forward: (params, buffers, prefix, inputs, ctx) => {
      const pos = input('ContrastiveHead', inputs, 'pos')
      if (inputs['neg'] !== undefined)
        return loss.forward(params, buffers, join(prefix, 'loss'), scored(pos, inputs['neg']), ctx)
      const query = input('ContrastiveHead', inputs, 'query')
      const queue = input('ContrastiveHead', inputs, 'queue')
      const weight = plainCrossEntropyWeight(loss, a.loss, prefix, ctx)
      if (weight === undefined)
        return loss.forward(params, buffers, join(prefix, 'loss'), scored(pos, tf.matMul(query, queue)), ctx)
      const value = contrastiveCrossEntropy(pos, query, queue, temperature)
      return { value: weight === 1 ? value : (tf.mul(value, weight) as tf.Scalar), buffers: {} }
    },
  }
}
