/**
 * A data loader as the tensor interpreter uses it: which samples make batch
 * `index` of sampler pass `pass`. Pure in `(pass, index)`, so resuming at any
 * iteration needs no replay of earlier batches.
 * @module
 */
import type { Dataset } from '../../data/Dataset.js'
import type { UniformSampling } from '../../data/deepClusterSampler.js'

export interface Loader {
  readonly dataset: Dataset
  readonly batchSize: number
  /** The run's seed: the data pipeline's random views are drawn from it. */
  readonly seed: number
  /** Batches in one pass over the data (`len(dataloader)`). */
  readonly batches: number
  /**
   * An `InfiniteSampler` stream (its passes follow one another by themselves), rather than a
   * `DefaultSampler`, whose epoch is the one `DistSamplerSeedHook` set (`set_epoch`).
   */
  readonly infinite: boolean
  /**
   * The sample indices of batch `index` of pass `pass`; with `uniform`, a `DeepClusterSampler` draws the pass
   * uniformly over those pseudo-labels (other samplers ignore it).
   */
  readonly batch: (pass: number, index: number, uniform?: UniformSampling) => Int32Array
}
