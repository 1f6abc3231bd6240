/**
 * MMSelfSup's `MoCo(backbone, neck, head, queue_len=65536, feat_dim=128,
 * momentum=0.999)` (v2 with `MoCoV2Neck`): queries `q = normalize(neck(backbone(v1)))`;
 * the key encoder `encoder_k` (MMEngine's `ExponentialMovingAverage` with
 * momentum `1 − momentum`) updates, then `k = normalize(encoder_k(v2))` with
 * no gradient; `l_pos = q·k`, `l_neg = q·queue`; `ContrastiveHead(l_pos, l_neg)`;
 * then the keys enter the queue. The queue starts as `normalize(randn(feat_dim, queue_len), dim=0)`. The head
 * gets `q` and the queue rather than `l_neg`, so that a plain cross-entropy scores the negatives without forming the
 * n × (Q + 1) logits (`ContrastiveHead`).
 *
 * Data parallel, as MMSelfSup: the key images are shuffled across the replicas before the key encoder and the keys
 * unshuffled after it (`batchShuffle.ts`; the identity in one process), and every replica's keys are gathered
 * (`concat_all_gather`) before they enter the queue, so the queue advances by the global batch and stays the same
 * on every replica.
 * @module
 */
import * as tf from '@tensorflow/tfjs-core'
import type * as t from 'io-ts'
import type { ModelType } from '../../models/Model.js'
import * as Rng from '../../dsl/Rng.js'
import { SHUFFLE_STREAM, shuffleAcrossReplicas } from '../batchShuffle.js'
import { normalize } from '../functional.js'
import { concatAllGather } from '../gather.js'
import { asModel, type Algorithm } from './Algorithm.js'
import { momentumProjections } from './BYOL.js'
import { buildParts, encode, infoOf, initParts } from './parts.js'
import { enqueue, randomQueue } from './queue.js'
import * as Target from './targetNet.js'
import { mocoArgs, MoCoDescription } from './algorithmDescriptions.js'

const args = mocoArgs

export const moco = (a: t.TypeOf<typeof args>): Algorithm => {
  const parts = buildParts(a)
  const queueLen = a.queue_len ?? 65536
  const featDim = a.feat_dim ?? 128
  const averaging: Target.Averaging = { _tag: 'ExponentialMovingAverage', momentum: 1 - (a.momentum ?? 0.999) }
  return {
    type: 'MoCo',
    backbone: parts.backbone,
    views: 2,
    init: (rng) => {
      const online = initParts(parts, rng)
      const [queue, next] = randomQueue(online.rng, featDim, queueLen)
      return {
        params: online.params,
        buffers: {
          ...online.buffers,
          ...Target.init('encoder_k', online.params, online.buffers),
          queue,
          queue_ptr: tf.zeros([1], 'int32'),
        },
        rng: next,
      }
    },
    info: infoOf(parts),
    loss: (params, buffers, views, _targets, ctx) => {
      const e = encode(parts, params, buffers, views[0]!, ctx)
      const q = normalize(e.z, 1)
      const online = { ...buffers, ...e.buffers }
      const shuffled = shuffleAcrossReplicas(ctx.replicas, views[1]!, Rng.split(ctx.rng, SHUFFLE_STREAM))
      const k = momentumProjections(parts, 'encoder_k', averaging, params, online, buffers, [shuffled.x], ctx)
      const key = shuffled.unshuffle(normalize(k.z[0]!, 1))
      const queue = buffers['queue'] as tf.Tensor2D
      const lPos = tf.sum(tf.mul(q, key), 1, true)
      // The negatives as `q·queue`: with the plain cross-entropy the head scores them without forming the
      // n × (Q + 1) logits (`ContrastiveHead`): a quarter of a SmallCNN-16 step at batch 256 and Q = 4096.
      const l = parts.head.forward(params, online, 'head', { pos: lPos, query: q, queue }, ctx)
      const next = enqueue(queue, buffers['queue_ptr']!, concatAllGather(ctx, key) as tf.Tensor2D)
      return {
        losses: { loss: l.value },
        features: e.z,
        buffers: { ...e.buffers, ...k.buffers, ...l.buffers, queue: next.queue, queue_ptr: next.ptr },
      }
    },
  }
}

export const MoCoModel: ModelType<t.TypeOf<typeof args>> = {
  ...MoCoDescription,
  build: (a) => asModel(moco(a)),
}
