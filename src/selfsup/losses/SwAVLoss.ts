/**
 * MMSelfSup's `SwAVLoss`: swapped prediction of Sinkhorn codes over
 * prototypes, with an optional feature queue.
 *
 * - Before each forward the prototypes (`prototypes.weight`, `[K, feat_dim]`,
 *   no bias) are L2-normalised row-wise with no gradient, *in place*:
 *   {@link LossComponent.prepare} returns the normalised weight, which the
 *   caller stores as the parameter before differentiating.
 * - `x` holds the crops' embeddings stacked crop by crop (`bs` rows each,
 *   `bs = n / Σ num_crops`); `scores = x · Wᵀ`.
 * - For each assignment crop `i` (`crops_for_assign`): with a queue (buffer
 *   `queue`, `[len(crops_for_assign), L, feat_dim]`), once the last row of
 *   `queue[i]` or of an earlier crop's queue is non-zero (MMSelfSup's one
 *   `use_queue` flag, which stays on), `queue[i] · Wᵀ` is prepended to the
 *   crop's scores; the queue shifts down by `bs` and takes the crop's
 *   embeddings on top. Sinkhorn-Knopp gives codes, of which the last `bs` rows
 *   are the crop's.
 * - The loss is `−mean(Σ q · log_softmax(scores_v / τ))` over every other crop `v`,
 *   divided by `Σ num_crops − 1`, averaged over the assignment crops.
 *
 * Data parallel, as MMSelfSup: each replica keeps its own queue of its own
 * embeddings (`SwAVHook` gives it `queue_length / N` rows), and Sinkhorn's sums
 * are summed over the replicas, so the codes equipartition the global batch.
 *
 * The queue appears when the model's attribute `<prefix>.queue_length` is set
 * (by `SwAVHook`); until then there is none. Whether it is in use is read back
 * from the device (one boolean per assignment crop per step): the scores'
 * shape depends on it.
 * @module
 */
import * as tf from '@tensorflow/tfjs-core'
import type * as t from 'io-ts'
import * as Linear from '../../models/Linear.js'
import { sinkhornTensor } from '../numerics/sinkhornTensor.js'
import { input, join, type LossComponent } from '../Component.js'
import { detach, normalize } from '../functional.js'
import { queueLengthAttribute } from '../attributes.js'
import { args, info, refuse, totalCropsOf } from './SwAVLossDescription.js'

export { args, info }

/** The queue's buffer name under the loss's prefix. */
export const queueName = (prefix: string): string => join(prefix, 'queue')
export { queueLengthAttribute }

export const build = (a: t.TypeOf<typeof args>): LossComponent => {
  const iterations = a.sinkhorn_iterations ?? 3
  const epsilon = a.epsilon ?? 0.05
  const temperature = a.temperature ?? 0.1
  const assign = a.crops_for_assign ?? [0, 1]
  const totalCrops = totalCropsOf(a)
  const K = a.num_prototypes ?? 3000
  refuse(a)
  const weightName = (prefix: string): string => join(prefix, 'prototypes.weight')
  return {
    kind: 'loss',
    type: 'SwAVLoss',
    inputs: ['x'],
    init: (prefix, rng) => {
      const [params, next] = Linear.init(join(prefix, 'prototypes'), a.feat_dim, K, rng, false)
      return { params, buffers: {}, rng: next }
    },
    info: (prefix) => info(a, prefix),
    prepare: (params, prefix) => {
      const w = params[weightName(prefix)]
      if (w === undefined) throw new Error(`SwAVLoss: parameter ${weightName(prefix)} is missing`)
      return { [weightName(prefix)]: tf.tidy(() => normalize(w, 1)) }
    },
    forward: (params, buffers, prefix, inputs, ctx) => {
      const x = input('SwAVLoss', inputs, 'x')
      const w = params[weightName(prefix)]
      if (w === undefined) throw new Error(`SwAVLoss: parameter ${weightName(prefix)} is missing`)
      const n = x.shape[0]!
      if (n % totalCrops !== 0)
        throw new Error(`SwAVLoss: ${n} embeddings do not split into ${totalCrops} crops of equal batch size`)
      const bs = n / totalCrops
      const length = ctx.attributes?.[queueLengthAttribute(prefix)]
      let queue = buffers[queueName(prefix)]
      const updates: { [name: string]: tf.Tensor } = {}
      // A queue the hook asked for (`SwAVHook` at `epoch_queue_starts`) starts as zeros and fills batch by batch.
      const created =
        queue === undefined && typeof length === 'number' && length > 0
          ? tf.zeros([assign.length, length, a.feat_dim])
          : undefined
      queue = queue ?? created
      const [value, nextQueue] = tf.tidy((): [tf.Scalar, tf.Tensor | undefined] => {
        const embedding = detach(x)
        const output = tf.matMul(x, w, false, true)
        const frozen = detach(output)
        const queues: tf.Tensor[] = []
        let loss: tf.Tensor = tf.scalar(0)
        // MMSelfSup keeps one flag for every crop: once a crop's queue is in use, the later crops' are too.
        let useQueue = false
        assign.forEach((cropId, i) => {
          let out = tf.slice(frozen, [bs * cropId, 0], [bs, K])
          if (queue !== undefined) {
            const q = tf.squeeze(tf.slice(queue, [i, 0, 0], [1, -1, -1]), [0])
            const L = q.shape[0]!
            useQueue = useQueue || tf.any(tf.notEqual(tf.slice(q, [L - 1, 0], [1, -1]), 0)).dataSync()[0] === 1
            ctx.capture?.(`use_queue_${i}`, tf.scalar(useQueue ? 1 : 0, 'bool'))
            if (useQueue) out = tf.concat([tf.matMul(q, detach(w), false, true), out])
            const fresh = tf.slice(embedding, [cropId * bs, 0], [bs, -1])
            queues.push(
              L > bs ? tf.concat([fresh, tf.slice(q, [0, 0], [L - bs, -1])]) : tf.slice(fresh, [0, 0], [L, -1]),
            )
          }
          const codesAll = sinkhornTensor(out as tf.Tensor2D, {
            iterations,
            epsilon,
            ...(ctx.replicas === undefined ? {} : { replicas: ctx.replicas }),
          })
          ctx.capture?.('sinkhorn_calls', { scores: out, Q: codesAll })
          const codes = tf.slice(codesAll, [codesAll.shape[0] - bs, 0], [bs, K])
          let subloss: tf.Tensor = tf.scalar(0)
          for (let v = 0; v < totalCrops; v++) {
            if (v === cropId) continue
            const logits = tf.div(tf.slice(output, [bs * v, 0], [bs, K]), temperature)
            subloss = tf.sub(subloss, tf.mean(tf.sum(tf.mul(codes, tf.logSoftmax(logits as tf.Tensor2D)), 1)))
          }
          loss = tf.add(loss, tf.div(subloss, totalCrops - 1))
        })
        return [tf.div(loss, assign.length) as tf.Scalar, queues.length > 0 ? tf.stack(queues) : undefined]
      })
      if (nextQueue !== undefined) updates[queueName(prefix)] = nextQueue
      created?.dispose()
      return { value, buffers: updates }
    },
  }
}
