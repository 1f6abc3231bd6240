/**
 * MMSelfSup's `BYOL(backbone, neck, head, base_momentum=0.996)`: the online
 * projections of both views; then, without gradient, the target network
 * (`target_net`, a `CosineEMA` of `backbone + neck` with end momentum 1)
 * takes its update from the online weights and projects both views;
 * `loss = 2·(head(p1, t2) + head(p2, t1))`.
 * @module
 */
import type * as tf from '@tensorflow/tfjs-core'
import type * as t from 'io-ts'
import type { ModelType } from '../../models/Model.js'
import type { Tree } from '../../tensor/tree.js'
import { detach } from '../functional.js'
import { asModel, type Algorithm } from './Algorithm.js'
import { buildParts, encode, encodeTwoViews, infoOf, initParts, scaledSum, type Parts } from './parts.js'
import * as Target from './targetNet.js'
import type { ComponentContext } from '../Component.js'
import { byolArgs, BYOLDescription } from './algorithmDescriptions.js'

const args = byolArgs

/**
 * Update the momentum encoder `prefix` from the online weights and buffers,
 * then project every view with it (train mode, no gradient). Returns the
 * projections and every target buffer after the passes.
 */
export const momentumProjections = (
  parts: Parts,
  prefix: string,
  averaging: Target.Averaging,
  params: Tree,
  onlineBuffers: Tree,
  buffers: Tree,
  views: ReadonlyArray<tf.Tensor>,
  ctx: ComponentContext & { readonly iter: number; readonly maxIters: number },
): { readonly z: ReadonlyArray<tf.Tensor>; readonly buffers: Tree } => {
  let target = Target.update(prefix, averaging, params, onlineBuffers, buffers, ctx.iter, ctx.maxIters)
  const z: tf.Tensor[] = []
  for (const v of views) {
    const weights = Target.asOnline(prefix, { ...buffers, ...target })
    const e = encode(parts, weights, weights, v, ctx)
    z.push(detach(e.z))
    target = { ...target, ...Target.asTarget(prefix, e.buffers) }
  }
  return { z, buffers: target }
}

export const byol = (a: t.TypeOf<typeof args>): Algorithm => {
  const parts = buildParts(a)
  const averaging: Target.Averaging = { _tag: 'CosineEMA', momentum: a.base_momentum ?? 0.996, endMomentum: 1 }
  return {
    type: 'BYOL',
    backbone: parts.backbone,
    views: 2,
    init: (rng) => {
      const online = initParts(parts, rng)
      return { ...online, buffers: { ...online.buffers, ...Target.init('target_net', online.params, online.buffers) } }
    },
    info: infoOf(parts),
    loss: (params, buffers, views, _targets, ctx) => {
      const { e1, e2, online } = encodeTwoViews(parts, params, buffers, views, ctx)
      const target = momentumProjections(parts, 'target_net', averaging, params, online, buffers, views, ctx)
      const l1 = parts.head.forward(params, online, 'head', { input: e1.z, target: target.z[1]! }, ctx)
      const l2 = parts.head.forward(
        params,
        { ...online, ...l1.buffers },
        'head',
        { input: e2.z, target: target.z[0]! },
        ctx,
      )
      return {
        losses: { loss: scaledSum(2, l1.value, l2.value) },
        features: e1.z,
        buffers: { ...e1.buffers, ...e2.buffers, ...target.buffers, ...l1.buffers, ...l2.buffers },
      }
    },
  }
}

export const BYOLModel: ModelType<t.TypeOf<typeof args>> = {
  ...BYOLDescription,
  build: (a) => asModel(byol(a)),
}
