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
import { datasetSize } from '../../data/catalog.js'

/** Dataset sizes in samples, per loader, given by the user. */
export type DatasetSizes = { readonly train?: number; readonly val?: number; readonly test?: number }

const batches = (loader: DataloaderConfig, samples: number): number => {
  const perEpoch = Loop.batchesPerEpoch(samples, loader['batch_size'] as number, loader['drop_last'] === true)
  const cap = loader['num_batch_per_epoch']
  return typeof cap === 'number' ? Math.min(cap, perEpoch) : perEpoch
}

/** The batches per epoch of every loader the program uses, or which sizes are missing. */
export const loaderSizes = (program: Program, given: DatasetSizes = {}): E.Either<ReadonlyArray<Issue>, Sizes> => {
  const issues: Issue[] = []
  const sizes: { train?: number; val?: number; test?: number } = {}
  const loaders: ReadonlyArray<readonly ['train' | 'val' | 'test', DataloaderConfig | undefined, boolean]> = [
    ['train', program.trainDataloader, program.trainLoop !== undefined],
    ['val', program.valDataloader, program.valLoop !== undefined],
    ['test', program.testDataloader, program.testLoop !== undefined],
  ]
  for (const [mode, loader, used] of loaders) {
    if (!used || loader === undefined) continue
    const samples = given[mode] ?? datasetSize(loader['dataset'])
    if (samples === undefined) {
      issues.push({ path: `${mode}_dataloader.dataset`, message: `the dry run does not know this dataset's size; pass --dataset-size ${mode}=N (samples)` })
      continue
    }
    sizes[mode] = batches(loader, samples)
  }
  return issues.length > 0 ? E.left(issues) : E.right(sizes)
}
