/**
 * MMSelfSup's `BarlowTwins(backbone, neck, head)`: `loss = head(z1, z2)`
 * with a `LatentCrossCorrelationHead`.
 * @module
 */
import type * as t from 'io-ts'
import type { ModelType } from '../../models/Model.js'
import { asModel, type Algorithm } from './Algorithm.js'
import { buildParts, encodeTwoViews, infoOf, initParts } from './parts.js'
import { barlowTwinsArgs, BarlowTwinsDescription } from './algorithmDescriptions.js'

const args = barlowTwinsArgs

export const barlowTwins = (a: t.TypeOf<typeof args>): Algorithm => {
  const parts = buildParts(a)
  return {
    type: 'BarlowTwins',
    backbone: parts.backbone,
    views: 2,
    init: (rng) => initParts(parts, rng),
    info: infoOf(parts),
    loss: (params, buffers, views, _targets, ctx) => {
      const { e1, e2, online } = encodeTwoViews(parts, params, buffers, views, ctx)
      const l = parts.head.forward(params, online, 'head', { input: e1.z, target: e2.z }, ctx)
      return { losses: { loss: l.value }, buffers: { ...e1.buffers, ...e2.buffers, ...l.buffers }, features: e1.z }
    },
  }
}

export const BarlowTwinsModel: ModelType<t.TypeOf<typeof args>> = {
  ...BarlowTwinsDescription,
  build: (a) => asModel(barlowTwins(a)),
}
