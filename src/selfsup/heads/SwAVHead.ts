/**
 * MMSelfSup's `SwAVHead(loss)`: the loss (`SwAVLoss`) of the embeddings `pred`.
 * @module
 */
import type * as t from 'io-ts'
import { struct } from '../../schema/codec.js'
import { input, join, type LossComponent } from '../Component.js'
import { buildLoss, componentDict, type Registry } from '../registry.js'

export const args = struct('SwAVHead arguments', { loss: componentDict })

export const build = (a: t.TypeOf<typeof args>, registry: Registry): LossComponent => {
  const loss = buildLoss(registry, a.loss, 'loss')
  return {
    kind: 'loss',
    type: 'SwAVHead',
    inputs: ['pred'],
    init: (prefix, rng) => loss.init(join(prefix, 'loss'), rng),
    info: (prefix) => loss.info(join(prefix, 'loss')),
    ...(loss.prepare === undefined ? {} : { prepare: (params, prefix) => loss.prepare!(params, join(prefix, 'loss')) }),
    forward: (params, buffers, prefix, inputs, ctx) =>
      loss.forward(params, buffers, join(prefix, 'loss'), { x: input('SwAVHead', inputs, 'pred') }, ctx),
  }
}
