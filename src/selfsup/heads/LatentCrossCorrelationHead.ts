/**
 * MMSelfSup's `LatentCrossCorrelationHead(in_channels, loss)` (Barlow
 * Twins): `C = bn(input)ᵀ · bn(target) / n` with a BatchNorm1d without affine
 * parameters (`bn`, batch statistics and running statistics as in train
 * mode), then the loss of `C`. Data parallel, as MMSelfSup: each replica divides by `n · N` and the matrices are
 * summed over the replicas (`all_reduce`), so `C` is the global batch's mean (of per-replica normalised features);
 * the gradient flows through the replica's own share only. In one process the all-reduce is the identity.
 * @module
 */
import * as tf from '@tensorflow/tfjs-core'
import type * as t from 'io-ts'
import * as BatchNorm from '../../models/BatchNorm.js'
import { input, join, type LossComponent } from '../Component.js'
import { allReduceSum, worldSizeOf } from '../gather.js'
import { buildLoss, type Registry } from '../registry.js'
import { args, info } from './LatentCrossCorrelationHeadDescription.js'

export { args, info }

export const build = (a: t.TypeOf<typeof args>, registry: Registry): LossComponent => {
  const loss = buildLoss(registry, a.loss, 'loss')
  return {
    kind: 'loss',
    type: 'LatentCrossCorrelationHead',
    inputs: ['input', 'target'],
    init: (prefix, rng) => {
      const bn = BatchNorm.init(join(prefix, 'bn'), a.in_channels, false)
      const l = loss.init(join(prefix, 'loss'), rng)
      return { params: l.params, buffers: { ...bn.buffers, ...l.buffers }, rng: l.rng }
    },
    info: (prefix) => info(a, prefix, registry),
    forward: (params, buffers, prefix, inputs, ctx) => {
      const x = input('LatentCrossCorrelationHead', inputs, 'input')
      // The same BatchNorm normalises both inputs; its running statistics are updated twice, input first.
      const [bx, first] = BatchNorm.apply1d(params, buffers, join(prefix, 'bn'), x, { training: ctx.training })
      const [by, second] = BatchNorm.apply1d(
        params,
        { ...buffers, ...first },
        join(prefix, 'bn'),
        input('LatentCrossCorrelationHead', inputs, 'target'),
        { training: ctx.training },
      )
      for (const v of Object.values(first)) v.dispose()
      // Data parallel: each replica's share of the global mean, summed over the replicas (MMSelfSup's all_reduce;
      // the gradient is the local share's).
      const share = tf.div(tf.matMul(bx, by, true, false), x.shape[0]! * worldSizeOf(ctx))
      const c = allReduceSum(ctx, share) as tf.Tensor2D
      ctx.capture?.('cross_correlation_matrix', c)
      const l = loss.forward(params, buffers, join(prefix, 'loss'), { cross_correlation_matrix: c }, ctx)
      return { value: l.value, buffers: { ...second, ...l.buffers } }
    },
  }
}
