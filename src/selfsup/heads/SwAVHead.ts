/**
 * MMSelfSup's `SwAVHead(loss)`: the loss (`SwAVLoss`) of the embeddings `pred`.
 * @module
 */
import type * as t from 'io-ts'
import { input, join, type LossComponent } from '../Component.js'
import { buildLoss, type Registry } from '../registry.js'
import { args, info } from './SwAVHeadDescription.js'

export { args, info }

export const build = (a: t.TypeOf<typeof args>, registry: Registry): LossComponent => {
  const loss = buildLoss(registry, a.loss, 'loss')
  return {
    kind: 'loss',
    type: 'SwAVHead',
    inputs: ['pred'],
    init: (prefix, rng) => loss.init(join(prefix, 'loss'), rng),
    info: (prefix) => info(a, prefix, registry),
    ...(loss.prepare === undefined ? {} : { prepare: (params, prefix) => loss.prepare!(params, join(prefix, 'loss')) }),
    forward: (params, buffers, prefix, inputs, ctx) =>
      loss.forward(params, buffers, join(prefix, 'loss'), { x: input('SwAVHead', inputs, 'pred') }, ctx),
  }
}
