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
import type * as t from 'io-ts'
import { array, check, dispatch, nonEmptyString, nullable, positiveInt, string, struct } from '../schema/codec.js'
import type { MetricType } from './Metric.js'

const topk = dispatch('a positive integer or a list of them', [
  [(u) => typeof u === 'number', positiveInt],
  [() => true, check(array(positiveInt), (ks) => (ks.length === 0 ? 'expected at least one k' : undefined))],
])

const args = struct(
  'Accuracy arguments (topk, prefix, collect_device)',
  {},
  { topk, prefix: nullable(nonEmptyString), collect_device: string },
)

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
        const n = targets.values.length
        if (
          targets.shape.length !== 1 ||
          output.shape.length !== 2 ||
          output.shape[0] !== n ||
          !(targets.values instanceof Int32Array)
        ) {
          throw new Error(
            `Accuracy needs class logits [n, classes] and integer labels [n]; got outputs ` +
              `[${output.shape.join(', ')}] and targets [${targets.shape.join(', ')}] (use MSE ` +
              `for regression)`,
          )
        }
        const correct = [...counts.correct]
        for (let s = 0; s < n; s++) {
          const label = targets.values[s]!
          const row = s * classes
          const score = output.values[row + label]!
          // The label's rank: classes scoring higher, or equal with a lower index (torch.topk's order).
          let rank = 0
          for (let c = 0; c < classes; c++) {
            const v = output.values[row + c]!
            if (v > score || (v === score && c < label)) rank++
          }
          ks.forEach((k, i) => {
            if (rank < Math.min(k, maxK)) correct[i]! += 1
          })
        }
        return { total: counts.total + n, correct } satisfies Counts
      },
      compute: (acc) => {
        const counts = acc as Counts
        return Object.fromEntries(
          ks.map((k, i) => [
            `${a.prefix ?? 'accuracy'}/top${k}`,
            counts.total === 0 ? 0 : (100 * counts.correct[i]!) / counts.total,
          ]),
        )
      },
    }
  },
}
