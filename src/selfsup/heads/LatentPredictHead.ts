/**
 * MMSelfSup's `LatentPredictHead(loss, predictor)` (SimSiam, BYOL): the
 * predictor (any neck) maps `input`; the loss compares the prediction with
 * `target`, which is detached (no gradient reaches it).
 * @module
 */
import type * as t from 'io-ts'
import type { Tree } from '../../tensor/tree.js'
import { input, join, type LossComponent } from '../Component.js'
import { detach } from '../functional.js'
import { type Registry, buildLoss, buildNeck } from '../registry.js'
import { predict, predictorParts } from './predictorParts.js'
import { args, info } from './LatentPredictHeadDescription.js'

export { args, info }

export const build = (a: t.TypeOf<typeof args>, registry: Registry): LossComponent => {
  const predictor = buildNeck(registry, a.predictor, 'predictor')
  const loss = buildLoss(registry, a.loss, 'loss')
  return {
    kind: 'loss',
    type: 'LatentPredictHead',
    inputs: ['input', 'target'],
    detached: ['target'],
    ...predictorParts(predictor, loss),
    info: (prefix) => info(a, prefix, registry),
    forward: (params, buffers, prefix, inputs, ctx) => {
      const pred = predict(predictor, params, buffers, prefix, input('LatentPredictHead', inputs, 'input'), ctx)
      const target = detach(input('LatentPredictHead', inputs, 'target'))
      const l = loss.forward(params, buffers, join(prefix, 'loss'), { pred: pred.value, target }, ctx)
      const updates: Tree = { ...pred.buffers, ...l.buffers }
      return { value: l.value, buffers: updates }
    },
  }
}
