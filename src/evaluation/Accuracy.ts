/**
 * MMPretrain's `Accuracy(topk=(1,), thrs=0.)`: the percentage of samples whose
 * label is among the `k` highest logits, logged as `accuracy/top{k}`
 * (`prefix` replaces `accuracy`; `collect_device` is accepted and has no effect in one process).
 * Ties count as PyTorch's `topk` breaks them: the lower class index first.
 *
 * @example
 * ```ts
 * // val_evaluator = dict(type='Accuracy', topk=(1, 5))  → { 'accuracy/top1': 97.9, 'accuracy/top5': 99.9 }
 * ```
 * @module
 */
import * as tf from '@tensorflow/tfjs-core'
import type * as t from 'io-ts'
import { array, check, dispatch, nonEmptyString, nullable, positiveInt, string, struct } from '../config/codec.js'
import type { MetricType } from './Metric.js'

const topk = dispatch('a positive integer or a list of them', [
  [(u) => typeof u === 'number', positiveInt],
  [() => true, check(array(positiveInt), (ks) => (ks.length === 0 ? 'expected at least one k' : undefined))],
])

const args = struct('Accuracy arguments (topk, prefix, collect_device)', {}, { topk, prefix: nullable(nonEmptyString), collect_device: string })

interface Counts {
  readonly total: number
  readonly correct: ReadonlyArray<number>
}

export const Accuracy: MetricType<t.TypeOf<typeof args>> = {
  name: 'Accuracy',
  args,
  build: (a) => {
    const ks = a.topk === undefined ? [1] : typeof a.topk === 'number' ? [a.topk] : [...a.topk]
    const maxK = Math.max(...ks)
    return {
      name: 'Accuracy',
      init: { total: 0, correct: ks.map(() => 0) } satisfies Counts,
      process: (acc, output, targets) => {
        const counts = acc as Counts
        const classes = output.shape.at(-1)!
        // For each sample, the rank of its label: how many classes score higher (or equal with a lower index).
        const ranks = tf.tidy(() => {
          const labels = tf.cast(targets, 'int32')
          const labelScore = tf.sum(tf.mul(output, tf.oneHot(labels as tf.Tensor1D, classes)), -1, true)
          const above = tf.greater(output, labelScore)
          const lowerIndex = tf.less(tf.range(0, classes, 1, 'int32'), tf.expandDims(labels, -1))
          const tiedBefore = tf.logicalAnd(tf.equal(output, labelScore), lowerIndex)
          return tf.sum(tf.cast(tf.logicalOr(above, tiedBefore), 'int32'), -1)
        })
        const values = ranks.dataSync()
        ranks.dispose()
        const correct = ks.map((k, i) => {
          let c = counts.correct[i]!
          for (const r of values) if (r < Math.min(k, maxK)) c++
          return c
        })
        return { total: counts.total + values.length, correct } satisfies Counts
      },
      compute: (acc) => {
        const counts = acc as Counts
        return Object.fromEntries(ks.map((k, i) => [`${a.prefix ?? 'accuracy'}/top${k}`, counts.total === 0 ? 0 : (100 * counts.correct[i]!) / counts.total]))
      },
    }
  },
}
