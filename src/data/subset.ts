/**
 * Subsets of datasets: the first `n` samples, as MMEngine's
 * `BaseDataset(indices=n)` and `num_batch_per_epoch` slicing keep them.
 * @module
 */
import type { Dataset, Targets } from './Dataset.js'

const prod = (shape: ReadonlyArray<number>): number => shape.reduce((a, b) => a * b, 1)

/**
 * The first `n` samples of `dataset` (all of them when `n ≥ length`), copied
 * so that the full arrays can be released.
 *
 * @example
 * ```ts
 * take(mnistTrain, 1000).length  // 1000
 * ```
 */
export const take = (dataset: Dataset, n: number): Dataset => {
  if (n >= dataset.length) return dataset
  const count = Math.max(0, Math.floor(n))
  const inputs = dataset.inputs.slice(0, count * prod(dataset.sampleShape))
  const targets: Targets =
    dataset.targets.kind === 'class'
      ? { kind: 'class', labels: dataset.targets.labels.slice(0, count), numClasses: dataset.targets.numClasses }
      : {
          kind: 'values',
          values: dataset.targets.values.slice(0, count * prod(dataset.targets.shape)),
          shape: dataset.targets.shape,
        }
  return { ...dataset, length: count, inputs, targets }
}
