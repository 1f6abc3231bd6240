/**
 * The tensor interpreter's data: datasets built from the config, loaders
 * that map `(pass, batch)` to sample indices with the configured sampler,
 * and batches gathered as tensors and normalised by the model's data
 * preprocessor.
 * @module
 */
import { Effect } from 'effect'
import * as E from 'fp-ts/lib/Either.js'
import type { Issue } from '../../schema/codec.js'
import { isDict } from '../../schema/codec.js'
import { batchesPerEpoch, batchIndices, gather, infiniteBatchIndices } from '../../data/DataLoader.js'
import type { Dataset } from '../../data/Dataset.js'
import * as Datasets from '../../data/registry.js'
import * as Preprocess from '../../data/preprocess.js'
import { indicesForEpoch, isInfinite } from '../../data/sampler.js'
import type { SamplerCfg } from '../../data/sampler.js'
import type { DataloaderConfig } from '../../dsl/Program.js'
import type { Loader } from './Loader.js'
import { type GatheredBatch, viewsOf } from './views.js'

/** Build the dataset a loader's `dataset` config describes. */
export const loadDataset = (cfg: unknown, path: string): Effect.Effect<Dataset, ReadonlyArray<Issue>> =>
  Datasets.build(cfg, path)

/**
 * A loader over `dataset` as `cfg` configures it (`batch_size`, `drop_last`,
 * `sampler`, `num_batch_per_epoch`). Each pass's order is computed once and
 * cached, so a step costs only its gather.
 */
export const makeLoader = (dataset: Dataset, cfg: DataloaderConfig, path: string, options: { readonly seed: number; readonly infinite: boolean }): E.Either<ReadonlyArray<Issue>, Loader> => {
  const batchSize = cfg['batch_size'] as number
  const dropLast = cfg['drop_last'] === true
  const sampler = (isDict(cfg['sampler']) ? cfg['sampler'] : undefined) as SamplerCfg | undefined
  const full = batchesPerEpoch(dataset.length, batchSize, dropLast)
  const cap = cfg['num_batch_per_epoch']
  const batches = typeof cap === 'number' ? Math.min(cap, full) : full
  if (batches === 0) return E.left([{ path, message: `${dataset.name} has ${dataset.length} samples: not one batch of ${batchSize}${dropLast ? ' with drop_last' : ''}` }])
  const infinite = isInfinite(sampler)
  let cached: { pass: number; order: Int32Array } | undefined
  const orderOf = (pass: number): Int32Array => {
    if (cached?.pass !== pass) cached = { pass, order: indicesForEpoch(sampler, dataset.length, options.seed, pass) }
    return cached.order
  }
  return E.right({
    dataset,
    batchSize,
    seed: options.seed,
    batches,
    batch: (pass, index) =>
      infinite ? infiniteBatchIndices(sampler, dataset.length, options.seed, pass * batches + index, batchSize) : batchIndices(orderOf(pass), index, batchSize, dropLast),
  })
}

/**
 * Gather a batch (`raw`, as the dataset stores it) and apply the data preprocessor (`inputs`; the same tensor without one).
 * A dataset with a `pipeline` also yields its `views`, each preprocessed; `inputs` is then the views packed view-major.
 */
export const gatherWith =
  (preprocessor: Preprocess.Preprocessor) =>
  (loader: Loader, indices: Int32Array, epoch = 0): GatheredBatch => {
    const batch = gather(loader.dataset, indices)
    const pipeline = loader.dataset.pipeline
    if (pipeline !== undefined) return { raw: batch.inputs, targets: batch.targets, ...viewsOf(pipeline, preprocessor, batch.inputs, { seed: loader.seed, epoch, indices }) }
    if (preprocessor === Preprocess.identity) return { raw: batch.inputs, inputs: batch.inputs, targets: batch.targets }
    return { raw: batch.inputs, inputs: Preprocess.apply(preprocessor, batch.inputs), targets: batch.targets }
  }
