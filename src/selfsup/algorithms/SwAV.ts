/**
 * MMSelfSup's `SwAV(backbone, neck, head)`: the crops, grouped by size in the
 * order given (two large, then the small ones), go through the backbone one
 * group at a time; the neck (`SwAVNeck`) pools and projects them, stacked crop
 * by crop; the head (`SwAVHead` with `SwAVLoss`) swaps Sinkhorn codes between
 * crops. The prototypes are normalised in place before every step
 * ({@link Algorithm.prepare}); the queue is a buffer of the loss, created when
 * `SwAVHook` sets `head.loss.queue_length`. Data parallel, each replica keeps its own queue
 * (the attribute `rank_local_buffers` keeps `SyncBuffersHook` off it).
 *
 * Crops of different sizes need the views as a list; a batch tensor
 * `[n, V, h, w, c]` carries crops of one size.
 * @module
 */
import * as tf from '@tensorflow/tfjs-core'
import type * as t from 'io-ts'
import type { ModelType } from '../../models/Model.js'
import type { Tree } from '../../tensor/tree.js'
import { globalAvgPool } from '../functional.js'
import { RANK_LOCAL_BUFFERS } from '../attributes.js'
import { queueName } from '../losses/SwAVLoss.js'
import { asModel, type Algorithm } from './Algorithm.js'
import { buildParts, infoOf, initParts } from './parts.js'
import { swavArgs, SwAVDescription } from './algorithmDescriptions.js'

const args = swavArgs

/** Consecutive views of equal size, as MMSelfSup groups them (`unique_consecutive` over the widths). */
export const groupsBySize = (views: ReadonlyArray<tf.Tensor>): ReadonlyArray<ReadonlyArray<tf.Tensor>> => {
  const groups: tf.Tensor[][] = []
  for (const v of views) {
    const last = groups.at(-1)
    if (last !== undefined && last[0]!.shape.slice(1).join() === v.shape.slice(1).join()) last.push(v)
    else groups.push([v])
  }
  return groups
}

export const swav = (a: t.TypeOf<typeof args>): Algorithm => {
  const parts = buildParts(a)
  return {
    type: 'SwAV',
    backbone: parts.backbone,
    views: 2,
    init: (rng) => initParts(parts, rng),
    info: infoOf(parts),
    // Each replica's queue holds its own embeddings (MMSelfSup's queue{rank}.pth): not averaged by SyncBuffersHook.
    attributes: { [RANK_LOCAL_BUFFERS]: [queueName('head.loss')] },
    ...(parts.head.prepare === undefined ? {} : { prepare: (params: Tree) => parts.head.prepare!(params, 'head') }),
    loss: (params, buffers, views, _targets, ctx) => {
      let state = buffers
      let changed: Tree = {}
      const pooled: tf.Tensor[] = []
      for (const group of groupsBySize(views)) {
        const map = parts.backbone.apply(params, state, tf.concat(group as tf.Tensor[]), ctx.training, ctx.replicas)
        changed = { ...changed, ...map.buffers }
        state = { ...state, ...map.buffers }
        pooled.push(globalAvgPool(map.value))
      }
      const z = parts.neck.apply(params, state, 'neck', tf.concat(pooled), ctx)
      state = { ...state, ...z.buffers }
      const l = parts.head.forward(params, state, 'head', { pred: z.value }, ctx)
      return { losses: { loss: l.value }, buffers: { ...changed, ...z.buffers, ...l.buffers }, features: z.value }
    },
  }
}

export const SwAVModel: ModelType<t.TypeOf<typeof args>> = {
  ...SwAVDescription,
  build: (a) => asModel(swav(a)),
}
