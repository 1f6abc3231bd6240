/**
 * MMSelfSup's `DenseCL(backbone, neck, head, queue_len=65536, feat_dim=128,
 * momentum=0.999, loss_lambda=0.5)`: MoCo v2's global contrast plus a dense
 * one. The neck (`DenseCLNeck`) gives a global vector, a grid of vectors and
 * the grid's mean, for queries (online) and keys (`encoder_k`, an EMA with
 * momentum `1 − momentum`, no gradient). Each query grid cell is matched to
 * the key grid cell whose *backbone* feature is most similar (argmax of
 * normalised backbone features); `ContrastiveHead` scores the global pair
 * against `queue` and the matched cells against `queue2`.
 * `loss_single = (1 − λ)·head(global)`, `loss_dense = λ·head(dense)`, with
 * `λ` the model attribute `loss_lambda` (which `DenseCLHook` sets to 0 for
 * the first `start_iters` iterations). Both queues are FIFO buffers.
 * @module
 */
import * as tf from '@tensorflow/tfjs-core'
import type * as t from 'io-ts'
import type { ModelType } from '../../models/Model.js'
import type { Tree } from '../../tensor/tree.js'
import { detach, normalize } from '../functional.js'
import type { applyDense, args as neckArgs } from '../necks/DenseCLNeck.js'
import { asModel, type Algorithm } from './Algorithm.js'
import { buildParts, infoOf, initParts } from './parts.js'
import { enqueue, randomQueue } from './queue.js'
import { concatAllGather } from '../gather.js'
import * as Target from './targetNet.js'
import { denseCLArgs, DenseCLDescription } from './algorithmDescriptions.js'

const args = denseCLArgs

type DenseNeck = { readonly dense: typeof applyDense; readonly args: t.TypeOf<typeof neckArgs> }

/** `[n, h, w, C]` → `[n, h·w, C]`, normalised over C. */
const cells = (map: tf.Tensor4D): tf.Tensor3D =>
  normalize(tf.reshape(map, [map.shape[0], map.shape[1] * map.shape[2], map.shape[3]]), 2) as tf.Tensor3D

export const denseCL = (a: t.TypeOf<typeof args>): Algorithm => {
  const parts = buildParts(a)
  if (parts.neck.type !== 'DenseCLNeck')
    throw new Error(`model.neck: DenseCL needs a DenseCLNeck, got ${parts.neck.type}`)
  const neck = parts.neck as unknown as DenseNeck
  const queueLen = a.queue_len ?? 65536
  const featDim = a.feat_dim ?? 128
  const lossLambda = a.loss_lambda ?? 0.5
  const averaging: Target.Averaging = { _tag: 'ExponentialMovingAverage', momentum: 1 - (a.momentum ?? 0.999) }
  return {
    type: 'DenseCL',
    backbone: parts.backbone,
    views: 2,
    attributes: { loss_lambda: lossLambda },
    init: (rng) => {
      const online = initParts(parts, rng)
      const [queue, r1] = randomQueue(online.rng, featDim, queueLen)
      const [queue2, r2] = randomQueue(r1, featDim, queueLen)
      return {
        params: online.params,
        buffers: {
          ...online.buffers,
          ...Target.init('encoder_k', online.params, online.buffers),
          queue,
          queue_ptr: tf.zeros([1], 'int32'),
          queue2,
          queue2_ptr: tf.zeros([1], 'int32'),
        },
        rng: r2,
      }
    },
    info: infoOf(parts),
    loss: (params, buffers, views, _targets, ctx) => {
      const lambda =
        typeof ctx.attributes?.['loss_lambda'] === 'number' ? (ctx.attributes['loss_lambda'] as number) : lossLambda
      const qMap = parts.backbone.apply(params, buffers, views[0]!, ctx.training)
      const q = neck.dense(neck.args, params, 'neck', qMap.value)
      const qb = cells(qMap.value)
      const qGlobal = normalize(q.global, 1)
      const qGrid = normalize(q.grid, 2) as tf.Tensor3D
      const online = { ...buffers, ...qMap.buffers }
      // The key encoder: updated from the online weights, then run without gradient.
      let target: Tree = Target.update('encoder_k', averaging, params, online, buffers, ctx.iter, ctx.maxIters)
      const weights = Target.asOnline('encoder_k', { ...buffers, ...target })
      const kMap = parts.backbone.apply(weights, weights, views[1]!, ctx.training)
      target = { ...target, ...Target.asTarget('encoder_k', kMap.buffers) }
      const k = neck.dense(neck.args, weights, 'neck', kMap.value)
      const kb = detach(cells(kMap.value))
      const kGlobal = detach(normalize(k.global, 1))
      const k2 = detach(normalize(k.gridMean, 1))
      const kGrid = detach(normalize(k.grid, 2)) as tf.Tensor3D
      const lPos = tf.sum(tf.mul(qGlobal, kGlobal), 1, true)
      const lNeg = tf.matMul(qGlobal, buffers['queue']!)
      // Each query cell's partner: the key cell with the most similar backbone feature.
      // (A one-hot product rather than a gather: tfjs differentiates a gather's integer indices and fails.)
      const match = tf.argMax(tf.matMul(detach(qb), kb, false, true), 2)
      const matched = tf.matMul(tf.oneHot(match as tf.Tensor2D, kGrid.shape[1]), kGrid)
      const lPosDense = tf.reshape(tf.sum(tf.mul(qGrid, matched), 2), [-1, 1])
      const lNegDense = tf.matMul(tf.reshape(qGrid, [-1, qGrid.shape[2]]), buffers['queue2']!)
      const single = parts.head.forward(params, online, 'head', { pos: lPos, neg: lNeg }, ctx)
      const dense = parts.head.forward(params, online, 'head', { pos: lPosDense, neg: lNegDense }, ctx)
      // Every replica's keys enter both queues (MMSelfSup's concat_all_gather); the identity in one process.
      const all = (keys: tf.Tensor) => concatAllGather(ctx, keys) as tf.Tensor2D
      const q1 = enqueue(buffers['queue'] as tf.Tensor2D, buffers['queue_ptr']!, all(kGlobal))
      const q2 = enqueue(buffers['queue2'] as tf.Tensor2D, buffers['queue2_ptr']!, all(k2))
      return {
        losses: {
          loss_single: tf.mul(single.value, 1 - lambda) as tf.Scalar,
          loss_dense: tf.mul(dense.value, lambda) as tf.Scalar,
        },
        features: q.global,
        buffers: {
          ...qMap.buffers,
          ...target,
          queue: q1.queue,
          queue_ptr: q1.ptr,
          queue2: q2.queue,
          queue2_ptr: q2.ptr,
        },
      }
    },
  }
}

export const DenseCLModel: ModelType<t.TypeOf<typeof args>> = {
  ...DenseCLDescription,
  build: (a) => asModel(denseCL(a)),
}
