/**
 * MMSelfSup's `MoCoV3(backbone, neck, head, base_momentum=0.99)`: online
 * projections `q1, q2`; the momentum encoder (`momentum_encoder`, a
 * `CosineEMA` to momentum 1) updates and projects `k1, k2`;
 * `loss = head(q1, k2) + head(q2, k1)` with a `MoCoV3Head`.
 * @module
 */
import type * as t from 'io-ts'
import type { ModelType } from '../../models/Model.js'
import { asModel, type Algorithm } from './Algorithm.js'
import { momentumProjections } from './BYOL.js'
import { buildParts, encodeTwoViews, infoOf, initParts, scaledSum } from './parts.js'
import * as Target from './targetNet.js'
import { mocoV3Args, MoCoV3Description } from './algorithmDescriptions.js'

const args = mocoV3Args

export const mocoV3 = (a: t.TypeOf<typeof args>): Algorithm => {
  const parts = buildParts(a)
  const averaging: Target.Averaging = { _tag: 'CosineEMA', momentum: a.base_momentum ?? 0.99, endMomentum: 1 }
  return {
    type: 'MoCoV3',
    backbone: parts.backbone,
    views: 2,
    init: (rng) => {
      const online = initParts(parts, rng)
      return {
        ...online,
        buffers: { ...online.buffers, ...Target.init('momentum_encoder', online.params, online.buffers) },
      }
    },
    info: infoOf(parts),
    loss: (params, buffers, views, _targets, ctx) => {
      const { e1: q1, e2: q2, online } = encodeTwoViews(parts, params, buffers, views, ctx)
      const k = momentumProjections(parts, 'momentum_encoder', averaging, params, online, buffers, views, ctx)
      const l1 = parts.head.forward(params, online, 'head', { base_out: q1.z, momentum_out: k.z[1]! }, ctx)
      const l2 = parts.head.forward(
        params,
        { ...online, ...l1.buffers },
        'head',
        { base_out: q2.z, momentum_out: k.z[0]! },
        ctx,
      )
      return {
        losses: { loss: scaledSum(1, l1.value, l2.value) },
        features: q1.z,
        buffers: { ...q1.buffers, ...q2.buffers, ...k.buffers, ...l1.buffers, ...l2.buffers },
      }
    },
  }
}

export const MoCoV3Model: ModelType<t.TypeOf<typeof args>> = {
  ...MoCoV3Description,
  build: (a) => asModel(mocoV3(a)),
}
