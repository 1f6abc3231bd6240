/**
 * MMSelfSup's `DeepCluster(backbone, neck, head)`: a classifier trained on pseudo-labels. The backbone's map goes
 * through the neck (`AvgPool2dNeck`) and the head (`ClsHead` with `num_classes` = the number of clusters and
 * `CrossEntropyLoss`) against each sample's `clustering_label`, which `DeepClusterHook` assigns by k-means over the
 * whole training set. The labels are the model attribute `clustering_label` (one per sample, read at the batch's
 * dataset indices); the class weights are the attribute `loss_weight` (MMSelfSup's buffer: uniform `1/k` until the
 * hook reweights), handed to the loss as its `class_weight`.
 *
 * Features for clustering ({@link Algorithm.extract}) are the neck's output in eval mode, as MMSelfSup's `Extractor`
 * reads them.
 * @module
 */
import * as tf from '@tensorflow/tfjs-core'
import type * as t from 'io-ts'
import { CLUSTERING_LABEL } from '../../data/deepClusterSampler.js'
import type { ModelType } from '../../models/Model.js'
import { asModel, type Algorithm, type Attributes, type LossContext } from './Algorithm.js'
import { buildParts, encode, infoOf, initParts, type Parts } from './parts.js'
import { LOSS_WEIGHT } from '../attributes.js'
import { deepClusterArgs, DeepClusterDescription } from './algorithmDescriptions.js'

const args = deepClusterArgs

export { LOSS_WEIGHT }

/** The head's `num_classes` (ClsHead's default 1000). */
export const numClassesOf = (head: { readonly [key: string]: unknown }): number =>
  typeof head['num_classes'] === 'number' ? head['num_classes'] : 1000

/** The batch's labels from a per-sample attribute; an error says what is missing. */
export const labelsAt = (algorithm: string, attributes: Attributes | undefined, ctx: LossContext): tf.Tensor1D => {
  const all = attributes?.[CLUSTERING_LABEL]
  if (!Array.isArray(all))
    throw new Error(
      `${algorithm}: no pseudo-labels yet (model attribute ${CLUSTERING_LABEL}); ` +
        'DeepClusterHook assigns them (initial=True clusters before training)',
    )
  if (ctx.indices === undefined) throw new Error(`${algorithm}: the batch's dataset indices are unknown`)
  const labels = Int32Array.from(ctx.indices, (i) => {
    const label = all[i]
    if (typeof label !== 'number') throw new Error(`${algorithm}: sample ${i} has no pseudo-label`)
    return label
  })
  return tf.tensor1d(labels, 'int32')
}

/** `neck(backbone(x))` in eval mode: what clustering hooks read. */
export const extractWith =
  (parts: Parts) =>
  (
    params: Parameters<Parts['backbone']['apply']>[0],
    buffers: Parameters<Parts['backbone']['apply']>[1],
    x: tf.Tensor,
  ) =>
    tf.tidy(() => {
      const z = encode(parts, params, buffers, x, { training: false }).z
      return tf.reshape(z, [z.shape[0]!, -1])
    })

export const deepCluster = (a: t.TypeOf<typeof args>): Algorithm => {
  const parts = buildParts(a)
  const k = numClassesOf(a.head)
  const uniform = Array.from({ length: k }, () => 1 / k)
  return {
    type: 'DeepCluster',
    backbone: parts.backbone,
    views: 1,
    init: (rng) => initParts(parts, rng),
    info: infoOf(parts),
    extract: extractWith(parts),
    loss: (params, buffers, views, _targets, ctx) => {
      const labels = labelsAt('DeepCluster', ctx.attributes, ctx)
      const { z, buffers: changed } = encode(parts, params, buffers, views[0]!, ctx)
      const weight = ctx.attributes?.[LOSS_WEIGHT] ?? uniform
      const attributes = { ...ctx.attributes, 'head.loss.class_weight': weight }
      const l = parts.head.forward(
        params,
        { ...buffers, ...changed },
        'head',
        { x: z, label: labels },
        {
          ...ctx,
          attributes,
        },
      )
      // The neck's output is what CollapseDetectionHook watches (feat_std), as for the other algorithms.
      return { losses: { loss: l.value }, buffers: { ...changed, ...l.buffers }, features: z }
    },
  }
}

export const DeepClusterModel: ModelType<t.TypeOf<typeof args>> = {
  ...DeepClusterDescription,
  build: (a) => asModel(deepCluster(a)),
}
