/**
 * MMSelfSup's `ODC(backbone, neck, head, memory_bank)`: online deep clustering. The backbone's map goes through the
 * neck (`ODCNeck`) and the head (`ClsHead` + `CrossEntropyLoss`) against each sample's label in the memory's label
 * bank; then the batch's features (detached) update the memory ({@link updateSamplesTensor}) and the fraction of
 * changed labels is logged as `change_ratio` (not part of the loss). Data parallel, as MMSelfSup's
 * `update_samples_memory`: the indices and features of every replica are gathered first, so every replica makes the
 * same update (`change_ratio` is the global batch's) and the memories stay identical.
 *
 * The memory (`ODCMemory`) is three model buffers: `memory_bank.feature_bank` (`length × feat_dim`),
 * `memory_bank.label_bank` (int32) and `memory_bank.centroids` (`num_classes × feat_dim`), so it is saved in every
 * checkpoint and resumes exactly (MMSelfSup keeps only the centroids in its `state_dict`).
 * `DeepClusterHook(init_memory=True)` fills it; `ODCHook` updates the centroids, fixes small clusters and sets
 * `head.loss.class_weight`.
 * @module
 */
import * as tf from '@tensorflow/tfjs-core'
import type * as t from 'io-ts'
import type { ModelType } from '../../models/Model.js'
import type { Tree } from '../../tensor/tree.js'
import { detach } from '../functional.js'
import { type AcrossReplicas, concatAllGather } from '../gather.js'
import { updateSamplesTensor } from '../memories/updateSamplesTensor.js'
import { asModel, type Algorithm } from './Algorithm.js'
import { extractWith } from './DeepCluster.js'
import { buildParts, encode, infoOf, initParts } from './parts.js'
import { MEMORY, MEMORY_SETTINGS } from '../attributes.js'
import { odcArgs, ODCDescription } from './algorithmDescriptions.js'

const args = odcArgs

export { MEMORY, MEMORY_SETTINGS }

/** The batch's dataset indices of every replica, in rank order (the batch's own in one process). */
const gatheredIndices = (ctx: AcrossReplicas, indices: Int32Array): Int32Array => {
  if (ctx.replicas === undefined) return indices
  const all = ctx.replicas.allGather(tf.tensor1d(indices, 'int32'))
  const values = all.dataSync() as Int32Array
  all.dispose()
  return values
}

export const odc = (a: t.TypeOf<typeof args>): Algorithm => {
  const parts = buildParts(a)
  const memory = a.memory_bank
  return {
    type: 'ODC',
    backbone: parts.backbone,
    views: 1,
    init: (rng) => {
      const p = initParts(parts, rng)
      const banks: Tree = {
        [MEMORY.featureBank]: tf.zeros([memory.length, memory.feat_dim]),
        [MEMORY.labelBank]: tf.zeros([memory.length], 'int32'),
        [MEMORY.centroids]: tf.zeros([memory.num_classes, memory.feat_dim]),
      }
      return { ...p, buffers: { ...p.buffers, ...banks } }
    },
    info: infoOf(parts),
    extract: extractWith(parts),
    // ODCHook reads the settings (min_cluster for small clusters) from here, as MMSelfSup's hook reads the module.
    attributes: {
      [MEMORY_SETTINGS]: {
        length: memory.length,
        feat_dim: memory.feat_dim,
        momentum: memory.momentum,
        num_classes: memory.num_classes,
        min_cluster: memory.min_cluster,
      },
    },
    loss: (params, buffers, views, _targets, ctx) => {
      if (ctx.indices === undefined) throw new Error("ODC: the batch's dataset indices are unknown")
      const featureBank = buffers[MEMORY.featureBank] as tf.Tensor2D
      const labelBank = buffers[MEMORY.labelBank] as tf.Tensor1D
      const centroids = buffers[MEMORY.centroids] as tf.Tensor2D
      if (featureBank.shape[0] !== undefined && ctx.indices.some((i) => i >= featureBank.shape[0]))
        throw new Error(
          `ODC: memory_bank.length is ${featureBank.shape[0]}, smaller than the dataset ` +
            `(sample ${Math.max(...ctx.indices)} was drawn)`,
        )
      const { z, buffers: changed } = encode(parts, params, buffers, views[0]!, ctx)
      const labels = tf.gather(labelBank, tf.tensor1d(ctx.indices, 'int32')) as tf.Tensor1D
      const l = parts.head.forward(params, { ...buffers, ...changed }, 'head', { x: z, label: labels }, ctx)
      // Every replica's rows update the memory (MMSelfSup's ODCMemory._gather), so it stays the same everywhere.
      const update = updateSamplesTensor(
        { featureBank, labelBank, centroids },
        gatheredIndices(ctx, ctx.indices),
        concatAllGather(ctx, detach(z)) as tf.Tensor2D,
        memory.momentum,
      )
      return {
        losses: { loss: l.value, change_ratio: update.changeRatio },
        features: z,
        buffers: {
          ...changed,
          ...l.buffers,
          [MEMORY.featureBank]: update.featureBank,
          [MEMORY.labelBank]: update.labelBank,
        },
      }
    },
  }
}

export const ODCModel: ModelType<t.TypeOf<typeof args>> = {
  ...ODCDescription,
  build: (a) => asModel(odc(a)),
}
