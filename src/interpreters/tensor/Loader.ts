/**
 * A data loader as the tensor interpreter uses it: which samples make batch
 * `index` of sampler pass `pass`. Pure in `(pass, index)`, so resuming at any
 * iteration needs no replay of earlier batches.
 * @module
 */
import type { Dataset } from '../../data/Dataset.js'

export interface Loader {
  readonly dataset: Dataset
  readonly batchSize: number
  /** The run's seed: the data pipeline's random views are drawn from it. */
  readonly seed: number
  /** Batches in one pass over the data (`len(dataloader)`). */
  readonly batches: number
  /** The sample indices of batch `index` of pass `pass`. */
  readonly batch: (pass: number, index: number) => Int32Array
}
