/**
 * MMSelfSup's `SimCLR(backbone, neck, head)`: the two views interleaved
 * (`stack(views, 1)`, so rows are `v1[0], v2[0], v1[1], …`) go through the
 * encoder in one batch; `z` is divided by `‖z‖ + 1e-10`; `s = z·zᵀ` without
 * its diagonal; each row's positive is its partner view, the other `2n − 2`
 * entries its negatives; `ContrastiveHead(pos, neg)`.
 *
 * Data parallel, as MMSelfSup: `z` is gathered from every replica (`GatherLayer`, see `../gather.ts`) before the
 * similarities, so the negatives are the global batch's and every replica computes the loss of all `2N` rows; the
 * gradient reaches a replica's own rows only (MMSelfSup's `GatherLayer.backward` passes back `grads[rank]`).
 * @module
 */
import * as tf from '@tensorflow/tfjs-core'
import type * as t from 'io-ts'
import type { ModelType } from '../../models/Model.js'
import { asModel, type Algorithm } from './Algorithm.js'
import { buildParts, encode, infoOf, initParts } from './parts.js'
import { gatherLayer } from '../gather.js'
import { simCLRArgs, SimCLRDescription } from './algorithmDescriptions.js'

const args = simCLRArgs

/**
 * Positives `[2n, 1]` and negatives `[2n, 2n − 2]` of the similarity matrix of interleaved pairs, both gathered
 * (MMSelfSup's `masked_select`). The indices are typed arrays filled in place: built as `number[]` with a mask
 * multiply for the positives, this took ~130 ms of a step at 2n = 512, forward and gradient (now ~12).
 */
export const positivesAndNegatives = (s: tf.Tensor2D): { readonly pos: tf.Tensor; readonly neg: tf.Tensor } => {
  const m = s.shape[0]
  // Row i's positive is its partner view, column i xor 1; every other column but i is a negative.
  const posIndex = new Int32Array(m)
  const negIndex = new Int32Array(m * (m - 2))
  let k = 0
  for (let i = 0; i < m; i++) {
    const partner = i ^ 1
    posIndex[i] = i * m + partner
    for (let j = 0; j < m; j++) if (j !== i && j !== partner) negIndex[k++] = i * m + j
  }
  const flat = tf.reshape(s, [-1])
  const pos = tf.reshape(tf.gather(flat, tf.tensor1d(posIndex, 'int32')), [m, 1])
  const neg = tf.reshape(tf.gather(flat, tf.tensor1d(negIndex, 'int32')), [m, m - 2])
  return { pos, neg }
}

export const simCLR = (a: t.TypeOf<typeof args>): Algorithm => {
  const parts = buildParts(a)
  return {
    type: 'SimCLR',
    backbone: parts.backbone,
    views: 2,
    init: (rng) => initParts(parts, rng),
    info: infoOf(parts),
    loss: (params, buffers, views, _targets, ctx) => {
      const [v1, v2] = [views[0]!, views[1]!]
      const interleaved = tf.reshape(tf.stack([v1, v2], 1), [v1.shape[0]! * 2, ...v1.shape.slice(1)])
      const e = encode(parts, params, buffers, interleaved, ctx)
      const z = gatherLayer(ctx, tf.div(e.z, tf.add(tf.norm(e.z, 'euclidean', 1, true), 1e-10)))
      const { pos, neg } = positivesAndNegatives(tf.matMul(z, z, false, true) as tf.Tensor2D)
      const l = parts.head.forward(params, { ...buffers, ...e.buffers }, 'head', { pos, neg }, ctx)
      return { losses: { loss: l.value }, buffers: { ...e.buffers, ...l.buffers }, features: e.z }
    },
  }
}

export const SimCLRModel: ModelType<t.TypeOf<typeof args>> = {
  ...SimCLRDescription,
  build: (a) => asModel(simCLR(a)),
}
