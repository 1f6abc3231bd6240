/**
 * MMSelfSup's `SimSiam(backbone, neck, head)`: `z_i = neck(backbone(v_i))`;
 * `loss = ½·(head(z1, z2) + head(z2, z1))`, the head a `LatentPredictHead`
 * whose target is detached. The predictor's fixed lr is `SimSiamHook`'s job.
 * @module
 */
import type * as t from 'io-ts'
import type { ModelType } from '../../models/Model.js'
import { asModel, type Algorithm } from './Algorithm.js'
import { buildParts, encodeTwoViews, infoOf, initParts, scaledSum } from './parts.js'
import { simSiamArgs, SimSiamDescription } from './algorithmDescriptions.js'

const args = simSiamArgs

export const simSiam = (a: t.TypeOf<typeof args>): Algorithm => {
  const parts = buildParts(a)
  return {
    type: 'SimSiam',
    backbone: parts.backbone,
    views: 2,
    init: (rng) => initParts(parts, rng),
    info: infoOf(parts),
    loss: (params, buffers, views, _targets, ctx) => {
      const { e1, e2, online } = encodeTwoViews(parts, params, buffers, views, ctx)
      let state = online
      const l1 = parts.head.forward(params, state, 'head', { input: e1.z, target: e2.z }, ctx)
      state = { ...state, ...l1.buffers }
      const l2 = parts.head.forward(params, state, 'head', { input: e2.z, target: e1.z }, ctx)
      return {
        losses: { loss: scaledSum(0.5, l1.value, l2.value) },
        features: e1.z,
        buffers: { ...e1.buffers, ...e2.buffers, ...l1.buffers, ...l2.buffers },
      }
    },
  }
}

export const SimSiamModel: ModelType<t.TypeOf<typeof args>> = {
  ...SimSiamDescription,
  build: (a) => asModel(simSiam(a)),
}
