/**
 * Batches per epoch of each data loader, without loading data: from the
 * dataset catalog, or from sizes the user gives (`--dataset-size train=N`).
 * @module
 */
import * as E from 'fp-ts/lib/Either.js'
import * as Loop from '../../dsl/Loop.js'
import type { DataloaderConfig, Program } from '../../dsl/Program.js'
import type { Sizes } from '../../dsl/timeline.js'
import type { Issue } from '../../schema/codec.js'
import { datasetSize, knownDataset } from '../../data/catalog.js'

/** Dataset sizes in samples, per loader, given by the user. */
export type DatasetSizes = { readonly train?: number; readonly val?: number; readonly test?: number }

const batches = (loader: DataloaderConfig, samples: number): number => {
  const perEpoch = Loop.batchesPerEpoch(samples, loader['batch_size'] as number, loader['drop_last'] === true)
  const cap = loader['num_batch_per_epoch']
  return typeof cap === 'number' ? Math.min(cap, perEpoch) : perEpoch
}

/**
 * The samples one of `worldSize` processes sees per epoch: MMEngine's
 * `DefaultSampler` pads (or, without `round_up`, gives rank 0 the larger
 * share) to `ceil(samples / worldSize)`.
 */
export const samplesPerProcess = (samples: number, worldSize: number): number => Math.ceil(samples / worldSize)

/** Where a loader's size came from, for the plan. */
export interface LoaderSize {
  readonly loader: 'train' | 'val' | 'test'
  readonly samples: number
  /** The dataset's name when the size is its canonical one; undefined when given with --dataset-size. */
  readonly canonical: string | undefined
  readonly perProcess: number
  readonly batches: number
}

/** The batches per epoch of every loader the program uses (per process of `worldSize`), or which sizes are missing. */
export const loaderSizes = (
  program: Program,
  given: DatasetSizes = {},
  worldSize = 1,
): E.Either<ReadonlyArray<Issue>, Sizes> =>
  E.map(
    (described: ReadonlyArray<LoaderSize>) => Object.fromEntries(described.map((d) => [d.loader, d.batches])) as Sizes,
  )(describeLoaderSizes(program, given, worldSize))

/** {@link loaderSizes} with where each size came from. */
export const describeLoaderSizes = (
  program: Program,
  given: DatasetSizes = {},
  worldSize = 1,
): E.Either<ReadonlyArray<Issue>, ReadonlyArray<LoaderSize>> => {
  const issues: Issue[] = []
  const described: LoaderSize[] = []
  const loaders: ReadonlyArray<readonly ['train' | 'val' | 'test', DataloaderConfig | undefined, boolean]> = [
    ['train', program.trainDataloader, program.trainLoop !== undefined],
    ['val', program.valDataloader, program.valLoop !== undefined],
    ['test', program.testDataloader, program.testLoop !== undefined],
  ]
  for (const [mode, loader, used] of loaders) {
    if (!used || loader === undefined) continue
    const samples = given[mode] ?? datasetSize(loader['dataset'])
    if (samples === undefined) {
      issues.push({
        path: `${mode}_dataloader.dataset`,
        message: `the dry run does not know this dataset's size; pass --dataset-size ${mode}=N (samples)`,
      })
      continue
    }
    const perProcess = samplesPerProcess(samples, worldSize)
    const canonical = given[mode] === undefined ? knownDataset(loader['dataset'])?.name : undefined
    described.push({ loader: mode, samples, canonical, perProcess, batches: batches(loader, perProcess) })
  }
  return issues.length > 0 ? E.left(issues) : E.right(described)
}
