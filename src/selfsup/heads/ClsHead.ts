/**
 * MMSelfSup's `ClsHead(loss, with_avg_pool=False, in_channels=2048,
 * num_classes=1000)` (DeepCluster, ODC): `fc_cls` (weight N(0, 0.01²), bias 0)
 * on the (pooled, flattened) features, then the loss against `label`.
 * @module
 */
import * as tf from '@tensorflow/tfjs-core'
import type * as t from 'io-ts'
import type * as Rng from '../../dsl/Rng.js'
import { normalTensor } from '../../models/init.js'
import * as Linear from '../../models/Linear.js'
import type { Tree } from '../../tensor/tree.js'
import { input, join, type LossComponent } from '../Component.js'
import { globalAvgPool } from '../functional.js'
import { buildLoss, type Registry } from '../registry.js'
import { args, info, refuse } from './ClsHeadDescription.js'

export { args, info }

/** `fc_cls` as `ClsHead.init_cfg` initialises it: weight N(0, 0.01²), bias 0. */
export const initClassifier = (
  prefix: string,
  inChannels: number,
  numClasses: number,
  rng: Rng.Rng,
): readonly [Tree, Rng.Rng] => {
  const [weight, next] = normalTensor(rng, [numClasses, inChannels], 0.01)
  return [{ [join(prefix, 'fc_cls.weight')]: weight, [join(prefix, 'fc_cls.bias')]: tf.zeros([numClasses]) }, next]
}

export const build = (a: t.TypeOf<typeof args>, registry: Registry): LossComponent => {
  const loss = buildLoss(registry, a.loss, 'loss')
  const inChannels = a.in_channels ?? 2048
  const numClasses = a.num_classes ?? 1000
  refuse(a)
  return {
    kind: 'loss',
    type: 'ClsHead',
    inputs: ['x', 'label'],
    detached: ['label'],
    init: (prefix, rng) => {
      const [params, next] = initClassifier(prefix, inChannels, numClasses, rng)
      const l = loss.init(join(prefix, 'loss'), next)
      return { params: { ...params, ...l.params }, buffers: l.buffers, rng: l.rng }
    },
    info: (prefix) => info(a, prefix, registry),
    forward: (params, buffers, prefix, inputs, ctx) => {
      let x = input('ClsHead', inputs, 'x')
      if (a.with_avg_pool === true) x = globalAvgPool(x)
      const scores = Linear.apply(params, join(prefix, 'fc_cls'), tf.reshape(x, [x.shape[0]!, -1]))
      ctx.capture?.('cls_score', scores)
      return loss.forward(
        params,
        buffers,
        join(prefix, 'loss'),
        { cls_score: scores, label: input('ClsHead', inputs, 'label') },
        ctx,
      )
    },
  }
}
