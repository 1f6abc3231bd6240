/**
 * Transform types by config `type`, and {@link decodePipeline}: from a
 * dataset's `pipeline` list (MMSelfSup's `train_pipeline`) to a
 * {@link Pipeline}. Every argument is checked (strict keys, did-you-mean);
 * issues carry config paths such as `train_dataloader.dataset.pipeline[1].transforms[0][2].prob`.
 *
 * `LoadImageFromFile` and the packing transforms (`PackSelfSupInputs`,
 * `PackInputs`, `PackClsInputs`) are accepted and do nothing: the images are
 * in memory already, and a batch is packed by the loader.
 *
 * @example
 * ```ts
 * decodePipeline([
 *   { type: 'LoadImageFromFile' },
 *   { type: 'MultiView', num_views: 2, transforms: [[
 *     { type: 'RandomResizedCrop', size: 28, scale: [0.2, 1] }, { type: 'RandomFlip', prob: 0.5 },
 *   ]] },
 *   { type: 'PackSelfSupInputs', meta_keys: ['img_path'] },
 * ], 'train_dataloader.dataset.pipeline')
 * // right({ before: [], views: [[crop, flip], [crop, flip]], multiView: true })
 * ```
 * @module
 */
import * as E from 'fp-ts/lib/Either.js'
import type * as t from 'io-ts'
import type { Issue } from '../../schema/codec.js'
import {
  array,
  boolean,
  check,
  dispatch,
  isDict,
  issuesOf,
  json,
  literal,
  nonNegativeNumber,
  number,
  positiveInt,
  show,
  string,
  struct,
  unitInterval,
} from '../../schema/codec.js'
import * as Registry from '../../schema/registry.js'
import { colorJitter } from './ColorJitter.js'
import { randomApply } from './RandomApply.js'
import { randomFlip } from './RandomFlip.js'
import { randomGaussianBlur } from './RandomGaussianBlur.js'
import { randomGrayscale } from './RandomGrayscale.js'
import { randomResizedCrop } from './RandomResizedCrop.js'
import { randomSolarize } from './RandomSolarize.js'
import type { Transform } from './Transform.js'

/**
 * A decoded pipeline: the transforms applied once per sample (`before`
 * `MultiView`), then one transform list per view. Without `MultiView` there
 * is one view with no transforms of its own.
 */
export interface Pipeline {
  readonly before: ReadonlyArray<Transform>
  readonly views: ReadonlyArray<ReadonlyArray<Transform>>
  readonly multiView: boolean
}

/**
 * A transform type: its name, its argument codec, and how to build it
 * (nested transform lists are decoded by `nested`).
 */
export interface TransformType<A> {
  readonly name: string
  readonly args: t.Decoder<unknown, A>
  readonly build: (
    args: A,
    nested: (u: unknown, path: string) => E.Either<ReadonlyArray<Issue>, ReadonlyArray<Transform>>,
    path: string,
  ) => E.Either<ReadonlyArray<Issue>, Transform | undefined>
}

const pair = (what: string) =>
  check(array(number, `a pair of numbers (${what})`), (p) =>
    p.length === 2
      ? p[0]! <= p[1]!
        ? undefined
        : `expected (min, max), got (${p[0]}, ${p[1]})`
      : `expected 2 numbers, got ${p.length}`,
  ) as unknown as t.Type<readonly [number, number], readonly [number, number], unknown>
const sizeArg = dispatch('a positive integer or a pair of them (h, w)', [
  [(u) => typeof u === 'number', positiveInt],
  [
    () => true,
    check(array(positiveInt), (p) => (p.length === 2 ? undefined : `expected (h, w), got ${p.length} numbers`)),
  ],
])
const range = dispatch('a number ≥ 0 or a pair (min, max)', [
  [(u) => typeof u === 'number', nonNegativeNumber],
  [() => true, pair('min, max')],
])
const interpolation = literal('nearest', 'bilinear', 'bicubic', 'area', 'lanczos')

const erase = <A>(type: TransformType<A>): TransformType<unknown> => type as unknown as TransformType<unknown>
const simple = <A>(
  name: string,
  args: t.Decoder<unknown, A>,
  build: (a: A) => Transform | undefined,
): TransformType<unknown> => erase<A>({ name, args, build: (a) => E.right(build(a)) })

const passThrough = (name: string, optional: Parameters<typeof struct>[2]) =>
  simple(name, struct(`${name} arguments`, {}, optional), () => undefined)

const rrcArgs = struct(
  'RandomResizedCrop arguments (size, scale, ratio, max_attempts, interpolation, backend)',
  { size: sizeArg },
  {
    scale: pair('scale'),
    ratio: pair('ratio'),
    max_attempts: positiveInt,
    interpolation,
    backend: literal('cv2', 'pillow'),
  },
)
const flipArgs = struct(
  'RandomFlip arguments (prob, direction)',
  {},
  { prob: unitInterval, direction: literal('horizontal', 'vertical', 'diagonal') },
)
const jitterArgs = struct(
  'ColorJitter arguments (brightness, contrast, saturation, hue, backend)',
  {},
  { brightness: range, contrast: range, saturation: range, hue: range, backend: literal('pillow', 'cv2') },
)
const greyArgs = struct(
  'RandomGrayscale arguments (prob, keep_channels, channel_weights, color_format)',
  {},
  {
    prob: unitInterval,
    keep_channels: boolean,
    channel_weights: array(nonNegativeNumber),
    color_format: literal('bgr', 'rgb'),
  },
)
const blurArgs = check(
  struct(
    'RandomGaussianBlur arguments (sigma_min, sigma_max, prob)',
    { sigma_min: nonNegativeNumber, sigma_max: nonNegativeNumber },
    { prob: unitInterval },
  ),
  (a) =>
    a.sigma_min <= a.sigma_max ? undefined : `sigma_min (${a.sigma_min}) must not exceed sigma_max (${a.sigma_max})`,
)
const solarizeArgs = struct('RandomSolarize arguments (threshold, prob)', {}, { threshold: number, prob: unitInterval })
const mmcvSolarizeArgs = struct('Solarize arguments (thr, prob)', { thr: number }, { prob: unitInterval })
const applyArgs = struct(
  'RandomApply arguments (transforms, prob)',
  { transforms: array(json, 'a list of transform dicts') },
  { prob: unitInterval },
)
const multiViewArgs = struct(
  'MultiView arguments (num_views, transforms)',
  {
    num_views: dispatch('a positive integer or a list of them', [
      [(u) => typeof u === 'number', positiveInt],
      [() => true, array(positiveInt)],
    ]),
    transforms: array(array(json, 'a list of transform dicts'), 'a list of transform lists'),
  },
  {},
)

/** The marker that a decoded `MultiView` leaves for {@link decodePipeline}. */
interface MultiViewMarker extends Transform {
  readonly views: ReadonlyArray<ReadonlyArray<Transform>>
}
const isMultiView = (t: Transform): t is MultiViewMarker => t.type === 'MultiView'

/** Every transform type loopwright provides. Add your own with `Registry.register(defaultTransformTypes, myType)`. */
export const defaultTransformTypes: Registry.Registry<TransformType<unknown>> = Registry.make(
  'transform',
  [
    passThrough('LoadImageFromFile', {
      to_float32: boolean,
      color_type: string,
      imdecode_backend: string,
      ignore_empty: boolean,
      backend_args: json,
      file_client_args: json,
    }),
    passThrough('PackSelfSupInputs', {
      key: string,
      algorithm_keys: array(string),
      pseudo_label_keys: array(string),
      meta_keys: array(string),
    }),
    passThrough('PackInputs', { input_key: string, algorithm_keys: array(string), meta_keys: array(string) }),
    passThrough('PackClsInputs', { algorithm_keys: array(string), meta_keys: array(string) }),
    simple('RandomResizedCrop', rrcArgs, randomResizedCrop),
    simple('RandomFlip', flipArgs, randomFlip),
    simple('ColorJitter', jitterArgs, colorJitter),
    simple('RandomGrayscale', greyArgs, randomGrayscale),
    simple('RandomGaussianBlur', blurArgs, randomGaussianBlur),
    simple('RandomSolarize', solarizeArgs, (a) => randomSolarize(a.threshold ?? 128, a.prob ?? 0.5)),
    simple('Solarize', mmcvSolarizeArgs, (a) => randomSolarize(a.thr, a.prob ?? 0.5, 'Solarize')),
    erase({
      name: 'RandomApply',
      args: applyArgs,
      build: (a, nested, path) =>
        E.map((inner: ReadonlyArray<Transform>) => randomApply(inner, a.prob ?? 0.5))(
          nested(a.transforms, `${path}.transforms`),
        ),
    }),
    erase({
      name: 'MultiView',
      args: multiViewArgs,
      build: (a, nested, path) => {
        const counts = typeof a.num_views === 'number' ? [a.num_views] : a.num_views
        if (counts.length !== a.transforms.length)
          return E.left([
            {
              path: `${path}.num_views`,
              message:
                `${counts.length} view counts ` + `for ${a.transforms.length} transform lists: give one count per list`,
            },
          ])
        const lists: Array<ReadonlyArray<Transform>> = []
        const issues: Issue[] = []
        a.transforms.forEach((list, g) => {
          const decoded = nested(list, `${path}.transforms[${g}]`)
          if (decoded._tag === 'Left') issues.push(...decoded.left)
          else if (decoded.right.some(isMultiView))
            issues.push({
              path: `${path}.transforms[${g}]`,
              message: 'a MultiView inside a MultiView is not supported',
            })
          else for (let v = 0; v < counts[g]!; v++) lists.push(decoded.right)
        })
        if (issues.length > 0) return E.left(issues)
        const marker: MultiViewMarker = {
          type: 'MultiView',
          views: lists,
          apply: () => {
            throw new Error('MultiView runs through its pipeline, not as one transform')
          },
        }
        return E.right(marker)
      },
    }),
  ],
  [
    ['Resize', 'images are used at their stored size (28 × 28): crop with RandomResizedCrop(size=...) instead'],
    ['CenterCrop', 'images are used at their stored size (28 × 28)'],
    ['RandomCrop', 'use RandomResizedCrop'],
    ['Normalize', "normalisation is the model's data_preprocessor (mean, std)"],
    ['RandomRotation', 'not implemented yet'],
  ],
)

/** Decode one transform list (nested lists, e.g. `RandomApply.transforms`, decode recursively). */
export const decodeList = (
  u: unknown,
  path: string,
  types: Registry.Registry<TransformType<unknown>> = defaultTransformTypes,
): E.Either<ReadonlyArray<Issue>, ReadonlyArray<Transform>> => {
  if (!Array.isArray(u)) return E.left([{ path, message: `expected a list of transform dicts, got ${show(u)}` }])
  const issues: Issue[] = []
  const transforms: Transform[] = []
  u.forEach((cfg, i) => {
    const at = `${path}[${i}]`
    if (!isDict(cfg) || typeof cfg['type'] !== 'string') {
      issues.push({ path: at, message: `expected a transform dict with a \`type\`, got ${show(cfg)}` })
      return
    }
    const resolved = Registry.resolve(types, cfg['type'])
    if (resolved._tag === 'Left') {
      issues.push({ path: `${at}.type`, message: resolved.left })
      return
    }
    const { type: _type, ...rest } = cfg
    const args = resolved.right.args.decode(rest)
    if (args._tag === 'Left') {
      issues.push(
        ...issuesOf(args.left).map((i) => ({ path: i.path === '' ? at : `${at}.${i.path}`, message: i.message })),
      )
      return
    }
    const built = resolved.right.build(args.right, (v, p) => decodeList(v, p, types), at)
    if (built._tag === 'Left') issues.push(...built.left)
    else if (built.right !== undefined) transforms.push(built.right)
  })
  return issues.length > 0 ? E.left(issues) : E.right(transforms)
}

/**
 * Decode a dataset's `pipeline`: transforms before an optional `MultiView`, then the views.
 * Transforms after `MultiView` other than packing are refused.
 */
export const decodePipeline = (
  u: unknown,
  path: string,
  types: Registry.Registry<TransformType<unknown>> = defaultTransformTypes,
): E.Either<ReadonlyArray<Issue>, Pipeline> => {
  const list = decodeList(u, path, types)
  if (list._tag === 'Left') return list
  const at = list.right.findIndex(isMultiView)
  if (at < 0) return E.right({ before: list.right, views: [[]], multiView: false })
  if (at < list.right.length - 1) {
    const after = list.right[at + 1]!.type
    return E.left([
      { path, message: `${after} after MultiView is not supported: put it inside each view's transform list` },
    ])
  }
  return E.right({ before: list.right.slice(0, at), views: (list.right[at] as MultiViewMarker).views, multiView: true })
}

/** Whether a pipeline changes the images at all (a pipeline of only loading and packing does not). */
export const isIdentity = (pipeline: Pipeline): boolean =>
  pipeline.before.length === 0 && pipeline.views.length === 1 && pipeline.views[0]!.length === 0
