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
 * the first `start_iters` iterations; while it is 0 the dense loss, 0, is not computed). Both queues are FIFO
 * buffers. The negatives are scored as `query·queue` without forming the logits (`ContrastiveHead`), and the key
 * side is off the gradient tape (`Target.update`), as MMSelfSup runs it under `no_grad`.
 *
 * Data parallel, as MMSelfSup: the key images are shuffled across the replicas before the key encoder and every
 * key output (global, grid, grid mean, backbone cells) unshuffled after it (`batchShuffle.ts`), and every replica's
 * keys enter both queues.
 * @module
 */
import * as tf from '@tensorflow/tfjs-core'
import type * as t from 'io-ts'
import type { ModelType } from '../../models/Model.js'
import type { Tree } from '../../tensor/tree.js'
import * as Rng from '../../dsl/Rng.js'
import { stopGradient } from '../../tensor/stopGradient.js'
import { SHUFFLE_STREAM, shuffleAcrossReplicas } from '../batchShuffle.js'
import { normalize } from '../functional.js'
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
  /** The parameters only the dense loss reaches: the neck's grid projection (`neck.mlp2.*`). */
  const gridOnly = (params: Tree): tf.Tensor[] =>
    Object.entries(params)
      .filter(([name]) => name.startsWith('neck.mlp2.'))
      .map(([, w]) => w)
  /**
   * The dense head's loss: each query cell is paired with the key cell whose backbone feature is most similar
   * (`qb`, `kb`: normalised `[n, S², C]`, off the tape), the pair's product is the positive, and the negatives are
   * `query·queue2`, which the head scores without forming the logits (12,544 × 4,097 at batch 256).
   */
  const denseLoss = (
    params: Tree,
    buffers: Tree,
    qb: tf.Tensor3D,
    kb: tf.Tensor3D,
    qGrid: tf.Tensor3D,
    kGrid: tf.Tensor3D,
    ctx: Parameters<NonNullable<Algorithm['loss']>>[4],
  ): tf.Scalar => {
    // The partner's row in the flattened `[n·S², d]` key grid: image i's cells start at i·S².
    const [n, cellsPerMap, dim] = kGrid.shape
    const match = tf.argMax(tf.matMul(qb, kb, false, true), 2)
    const offsets = tf.mul(tf.range(0, n, 1, 'int32'), tf.scalar(cellsPerMap, 'int32'))
    const rows = tf.reshape(tf.add(match, tf.reshape(offsets, [n, 1])), [-1])
    const matched = tf.reshape(tf.gather(tf.reshape(kGrid, [n * cellsPerMap, dim]), rows), [n, cellsPerMap, dim])
    const pos = tf.reshape(tf.sum(tf.mul(qGrid, matched), 2), [-1, 1])
    const query = tf.reshape(qGrid, [-1, dim])
    return parts.head.forward(params, buffers, 'head', { pos, query, queue: buffers['queue2']! }, ctx).value
  }
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
      const qMap = parts.backbone.apply(params, buffers, views[0]!, ctx.training, ctx.replicas)
      const q = neck.dense(neck.args, params, 'neck', qMap.value)
      // The matching reads the backbone maps without gradient (MMSelfSup under no_grad): off the tape.
      const qb = cells(stopGradient(qMap.value))
      const qGlobal = normalize(q.global, 1)
      const qGrid = normalize(q.grid, 2) as tf.Tensor3D
      const online = { ...buffers, ...qMap.buffers }
      // The key encoder: updated from the online weights, then run without gradient.
      let target: Tree = Target.update('encoder_k', averaging, params, online, buffers, ctx.iter, ctx.maxIters)
      const weights = Target.asOnline('encoder_k', { ...buffers, ...target })
      // Shuffling BN, as MoCo: the key encoder sees a slice of the shuffled global batch (identity in one process).
      const shuffled = shuffleAcrossReplicas(ctx.replicas, views[1]!, Rng.split(ctx.rng, SHUFFLE_STREAM))
      const kMap = parts.backbone.apply(weights, weights, shuffled.x, ctx.training, ctx.replicas)
      target = { ...target, ...Target.asTarget('encoder_k', kMap.buffers) }
      const k = neck.dense(neck.args, weights, 'neck', kMap.value)
      // The key side reaches the parameters only through the average, which is off the tape (`Target.update`):
      // no gradient flows into any of it, and the backward pass never enters it.
      const kb = shuffled.unshuffle(cells(kMap.value)) as tf.Tensor3D
      const kGlobal = shuffled.unshuffle(normalize(k.global, 1))
      const k2 = shuffled.unshuffle(normalize(k.gridMean, 1))
      const kGrid = shuffled.unshuffle(normalize(k.grid, 2)) as tf.Tensor3D
      const lPos = tf.sum(tf.mul(qGlobal, kGlobal), 1, true)
      // The negatives as `query·queue`: the head scores them without forming the logits (`ContrastiveHead`).
      const single = parts.head.forward(
        params,
        online,
        'head',
        { pos: lPos, query: qGlobal, queue: buffers['queue']! },
        ctx,
      )
      // While `loss_lambda` is 0 (DenseCLHook's first `start_iters` iterations) the dense loss is 0 and so is its
      // gradient: it is not computed (at batch 256 it is most of the step). The grid projection, which only the
      // dense loss reaches, still gets its zero gradient (every parameter is differentiated).
      const dense =
        lambda === 0
          ? (tf.add(tf.mul(tf.addN(gridOnly(params).map((w) => tf.sum(w))), 0), 0) as tf.Scalar) // +0, not −0
          : denseLoss(params, online, qb, kb, qGrid, kGrid, ctx)
      // Every replica's keys enter both queues (MMSelfSup's concat_all_gather); the identity in one process.
      const all = (keys: tf.Tensor) => concatAllGather(ctx, keys) as tf.Tensor2D
      const q1 = enqueue(buffers['queue'] as tf.Tensor2D, buffers['queue_ptr']!, all(kGlobal))
      const q2 = enqueue(buffers['queue2'] as tf.Tensor2D, buffers['queue2_ptr']!, all(k2))
      return {
        losses: {
          loss_single: tf.mul(single.value, 1 - lambda) as tf.Scalar,
          loss_dense: tf.mul(dense, lambda) as tf.Scalar,
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
