/**
 * `KNN`: MMSelfSup's k-NN benchmark as an evaluator metric, so that a
 * `val_evaluator` can watch representation quality while a self-supervised
 * model trains, and a test loop can score a checkpoint.
 *
 * The evaluated samples arrive in loader order (use `DefaultSampler(shuffle=False)`):
 * the first `bank_size` are the labelled bank (MMSelfSup's training-set
 * features), the rest the queries — one `ConcatDataset` of the train and test
 * splits gives exactly that. The model's eval-mode output is the feature
 * (`[n, d]`, flattened if it has more axes). For each `k` in `topk` it logs
 * `knn/top1_k{k}` and `knn/top5_k{k}` in percent (`prefix` replaces `knn`).
 *
 * @example
 * ```python
 * val_dataloader = dict(batch_size=500, sampler=dict(type='DefaultSampler', shuffle=False),
 *     dataset=dict(type='ConcatDataset', datasets=[
 *         dict(type='FashionMNIST', split='train', indices=10000), dict(type='FashionMNIST', split='test')]))
 * val_evaluator = dict(type='KNN', bank_size=10000, topk=(10, 20, 100, 200), temperature=0.07)
 * ```
 * @module
 */
import type * as t from 'io-ts'
import { array, check, nonEmptyString, positiveInt, positiveNumber, string, struct } from '../schema/codec.js'
import { knnClassifyEach } from './knnClassifier.js'
import type { MetricType } from './Metric.js'

const args = struct(
  'KNN arguments (bank_size, topk, temperature, num_classes, prefix, collect_device)',
  { bank_size: positiveInt },
  {
    topk: check(array(positiveInt), (ks) => (ks.length === 0 ? 'expected at least one k' : undefined)),
    temperature: positiveNumber,
    num_classes: positiveInt,
    prefix: nonEmptyString,
    collect_device: string,
  },
)

interface Collected {
  readonly dim: number | undefined
  readonly chunks: ReadonlyArray<Float32Array>
  readonly labels: ReadonlyArray<Int32Array>
}

export const KNN: MetricType<t.TypeOf<typeof args>> = {
  name: 'KNN',
  args,
  build: (a) => {
    const ks = a.topk ?? [10, 20, 100, 200]
    const temperature = a.temperature ?? 0.07
    const prefix = a.prefix ?? 'knn'
    return {
      name: 'KNN',
      init: { dim: undefined, chunks: [], labels: [] } satisfies Collected,
      process: (acc, output, targets) => {
        const c = acc as Collected
        const n = output.shape[0] ?? 0
        const dim = output.shape.slice(1).reduce((x, y) => x * y, 1)
        if (!(targets.values instanceof Int32Array) || targets.values.length !== n) {
          throw new Error(
            `KNN needs integer class labels, one per sample; got targets ` +
              `[${targets.shape.join(', ')}] for ${n} outputs`,
          )
        }
        if (c.dim !== undefined && c.dim !== dim)
          throw new Error(`KNN: features of ${dim} values after features of ${c.dim}`)
        return {
          dim,
          chunks: [...c.chunks, Float32Array.from(output.values)],
          labels: [...c.labels, Int32Array.from(targets.values)],
        } satisfies Collected
      },
      compute: (acc) => {
        const c = acc as Collected
        const total = c.labels.reduce((s, l) => s + l.length, 0)
        if (c.dim === undefined || total <= a.bank_size)
          throw new Error(
            `KNN: ${total} samples were evaluated, but the bank alone has ` +
              `bank_size=${a.bank_size}; the queries follow the bank (a ConcatDataset of the ` +
              `train and test splits)`,
          )
        const features = new Float32Array(total * c.dim)
        const labels = new Int32Array(total)
        let at = 0
        c.chunks.forEach((chunk, i) => {
          features.set(chunk, at * c.dim!)
          labels.set(c.labels[i]!, at)
          at += c.labels[i]!.length
        })
        const split = a.bank_size
        const numClasses = a.num_classes ?? labels.reduce((m, l) => Math.max(m, l + 1), 0)
        const bank = { features: features.subarray(0, split * c.dim), labels: labels.subarray(0, split) }
        const queries = { features: features.subarray(split * c.dim), labels: labels.subarray(split) }
        const out: { [name: string]: number } = {}
        const scores = knnClassifyEach(bank, queries, { dim: c.dim, ks, temperature, numClasses })
        ks.forEach((k, n) => {
          out[`${prefix}/top1_k${k}`] = scores[n]!.top1
          out[`${prefix}/top5_k${k}`] = scores[n]!.top5
        })
        return out
      },
    }
  },
}
