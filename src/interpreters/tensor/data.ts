/**
 * The tensor interpreter's data: datasets built from the config, loaders
 * that map `(pass, batch)` to sample indices with the configured sampler,
 * and batches gathered as tensors and normalised by the model's data
 * preprocessor.
 * @module
 */
import type * as Effect from 'effect/Effect'
import * as E from 'fp-ts/lib/Either.js'
import type { Issue } from '../../schema/codec.js'
import { isDict } from '../../schema/codec.js'
import { batchesPerEpoch, batchIndices, gather, infiniteBatchIndices } from '../../data/DataLoader.js'
import type { Dataset } from '../../data/Dataset.js'
import * as Datasets from '../../data/registry.js'
import * as Preprocess from '../../data/preprocess.js'
import { deepClusterOrder, isDeepClusterSampler, type UniformSampling } from '../../data/deepClusterSampler.js'
import { indicesForEpoch, isInfinite } from '../../data/sampler.js'
import type { SamplerCfg } from '../../data/sampler.js'
import { roundsUp, shardedStreamSlice, shardLength, shardOrder } from '../../data/shard.js'
import type { Shard } from '../../data/shard.js'
import type { DataloaderConfig } from '../../dsl/Program.js'
import type { Loader } from './Loader.js'
import { type GatheredBatch, viewsOf } from './views.js'

/** Build the dataset a loader's `dataset` config describes. */
export const loadDataset = (cfg: unknown, path: string): Effect.Effect<Dataset, ReadonlyArray<Issue>> =>
  Datasets.build(cfg, path)

/**
 * A loader over `dataset` as `cfg` configures it (`batch_size`, `drop_last`,
 * `sampler`, `num_batch_per_epoch`). Each pass's order is computed once and
 * cached, so a step costs only its gather. With a `shard`, the loader reads
 * this rank's part of every epoch, as MMEngine's samplers do in a
 * distributed run.
 */
export const makeLoader = (
  dataset: Dataset,
  cfg: DataloaderConfig,
  path: string,
  options: { readonly seed: number; readonly infinite: boolean; readonly shard?: Shard },
): E.Either<ReadonlyArray<Issue>, Loader> => {
  const batchSize = cfg['batch_size'] as number
  const dropLast = cfg['drop_last'] === true
  const sampler = (isDict(cfg['sampler']) ? cfg['sampler'] : undefined) as SamplerCfg | undefined
  const shard = options.shard ?? { rank: 0, worldSize: 1 }
  const infinite = isInfinite(sampler)
  // InfiniteSampler's len() is the whole dataset on every rank (as in MMEngine); DefaultSampler's is the rank's part.
  const samples = infinite ? dataset.length : shardLength(dataset.length, shard, roundsUp(sampler))
  const full = batchesPerEpoch(samples, batchSize, dropLast)
  const last = { rank: shard.worldSize - 1, worldSize: shard.worldSize }
  const lastRankBatches = batchesPerEpoch(shardLength(dataset.length, last, roundsUp(sampler)), batchSize, dropLast)
  if (!infinite && lastRankBatches !== full) {
    // Ranks that disagree on the epoch's length would wait for each other forever (DDP's uneven inputs).
    const message =
      `round_up=False splits ${dataset.length} samples unevenly over ${shard.worldSize} workers ` +
      '(their epochs would differ in length); use round_up=True'
    return E.left([{ path: `${path}.sampler.round_up`, message }])
  }
  const cap = cfg['num_batch_per_epoch']
  const batches = typeof cap === 'number' ? Math.min(cap, full) : full
  if (batches === 0)
    return E.left([
      {
        path,
        message:
          `${dataset.name} has ${dataset.length} samples: not one batch of ` +
          `${batchSize}${dropLast ? ' with drop_last' : ''}`,
      },
    ])
  const clusters = isDeepClusterSampler(sampler)
  let cached: { pass: number; uniform: UniformSampling | undefined; order: Int32Array } | undefined
  const orderOf = (pass: number, uniform: UniformSampling | undefined): Int32Array => {
    const used = clusters ? uniform : undefined
    // The pseudo-labels come from the state each step: the same array (by reference) reuses the order.
    const same =
      cached?.uniform === used ||
      (cached?.uniform !== undefined &&
        used !== undefined &&
        cached.uniform.labels === used.labels &&
        cached.uniform.numClasses === used.numClasses &&
        cached.uniform.epoch === used.epoch)
    if (cached?.pass !== pass || !same) {
      const order = clusters
        ? deepClusterOrder(sampler, dataset.length, options.seed, pass, used)
        : indicesForEpoch(sampler, dataset.length, options.seed, pass)
      cached = { pass, uniform: used, order: shardOrder(order, shard.rank, shard.worldSize, roundsUp(sampler)) }
    }
    return cached.order
  }
  return E.right({
    dataset,
    batchSize,
    seed: options.seed,
    batches,
    infinite,
    batch: (pass, index, uniform) =>
      infinite
        ? shard.worldSize === 1
          ? infiniteBatchIndices(sampler, dataset.length, options.seed, pass * batches + index, batchSize)
          : shardedStreamSlice(
              sampler,
              dataset.length,
              options.seed,
              shard,
              (pass * batches + index) * batchSize,
              batchSize,
            )
        : batchIndices(orderOf(pass, uniform), index, batchSize, dropLast),
  })
}

/**
 * Gather a batch (`raw`, as the dataset stores it) and apply the data preprocessor (`inputs`; the same tensor without
 * one).
 * A dataset with a `pipeline` also yields its `views`, each preprocessed; `inputs` is then the views packed view-major.
 */
export const gatherWith =
  (preprocessor: Preprocess.Preprocessor) =>
  (loader: Loader, indices: Int32Array, epoch = 0): GatheredBatch => {
    const batch = gather(loader.dataset, indices)
    const pipeline = loader.dataset.pipeline
    if (pipeline !== undefined)
      return {
        raw: batch.inputs,
        targets: batch.targets,
        ...viewsOf(pipeline, preprocessor, batch.inputs, { seed: loader.seed, epoch, indices }),
      }
    if (preprocessor === Preprocess.identity) return { raw: batch.inputs, inputs: batch.inputs, targets: batch.targets }
    return { raw: batch.inputs, inputs: Preprocess.apply(preprocessor, batch.inputs), targets: batch.targets }
  }
