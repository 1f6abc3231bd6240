/**
 * The model's data preprocessor, as MMEngine's `ImgDataPreprocessor` (and
 * MMPretrain's `ClsDataPreprocessor`, MMSelfSup's `SelfSupDataPreprocessor`)
 * applies it to each batch: optional channel swap (`bgr_to_rgb`,
 * `rgb_to_bgr`, `to_rgb`), conversion to float, normalisation
 * `(x - mean) / std` per channel, and padding of height and width up to a
 * multiple of `pad_size_divisor` with `pad_value` (bottom and right).
 *
 * Batches are channel-last here (`[b, h, w, c]`, TF.js's layout), so `mean`
 * and `std` apply along the last axis: one value for every channel, or one
 * per channel. For flat samples (`[b, d]`) the last axis is the feature axis.
 *
 * @example
 * ```ts
 * const pre = decode({ mean: [33.46], std: [78.87] })  // right(Preprocessor)
 * const x = apply(pre.right, batch.inputs)             // float32, normalised
 * ```
 * @module
 */
import * as tf from '@tensorflow/tfjs-core'
import * as E from 'fp-ts/lib/Either.js'
import * as t from 'io-ts'
import {
  array,
  boolean,
  check,
  isDict,
  issuesOf,
  literal,
  nullable,
  number,
  positiveInt,
  positiveNumber,
  show,
  struct,
} from '../schema/codec.js'
import type { Issue } from '../schema/codec.js'
import { normalize } from '../tensor/normalize.js'

/** A decoded preprocessor: what {@link apply} does to a batch. */
export interface Preprocessor {
  /** Per-channel means (one value: all channels), or `null`: no normalisation. */
  readonly mean: ReadonlyArray<number> | null
  readonly std: ReadonlyArray<number> | null
  /** Reverse the channel order (BGR ↔ RGB). */
  readonly swapChannels: boolean
  readonly padSizeDivisor: number
  readonly padValue: number
}

/** A preprocessor that only converts to float32. */
export const identity: Preprocessor = { mean: null, std: null, swapChannels: false, padSizeDivisor: 1, padValue: 0 }

const onlyNull = new t.Type<null, null, unknown>(
  'None',
  (u): u is null => u === null,
  (u, c) =>
    u === null
      ? t.success(null)
      : t.failure(u, c, `batch augments (Mixup, CutMix, …) are not supported yet: expected None, got ${show(u)}`),
  t.identity,
)

const args = check(
  struct(
    'a data_preprocessor dict (mean, std, bgr_to_rgb, rgb_to_bgr, pad_size_divisor, pad_value, …)',
    {},
    {
      type: literal(
        'ImgDataPreprocessor',
        'mmengine.ImgDataPreprocessor',
        'BaseDataPreprocessor',
        'mmengine.BaseDataPreprocessor',
        'ClsDataPreprocessor',
        'mmpretrain.ClsDataPreprocessor',
        'SelfSupDataPreprocessor',
        'mmselfsup.SelfSupDataPreprocessor',
      ),
      mean: nullable(array(number, 'a list of numbers (one, or one per channel)')),
      std: nullable(array(positiveNumber, 'a list of positive numbers (one, or one per channel)')),
      bgr_to_rgb: boolean,
      rgb_to_bgr: boolean,
      to_rgb: boolean,
      pad_size_divisor: positiveInt,
      pad_value: number,
      non_blocking: boolean,
      num_classes: nullable(positiveInt),
      batch_augments: onlyNull,
    },
  ),
  (a) => {
    const mean = a.mean ?? null
    const std = a.std ?? null
    if ((mean === null) !== (std === null)) return 'mean and std must be given together (both lists or both None)'
    if (mean !== null && std !== null) {
      if (mean.length === 0) return 'mean and std must hold at least one value'
      if (mean.length !== std.length) return `mean has ${mean.length} values, std has ${std.length}`
    }
    if (a.bgr_to_rgb === true && a.rgb_to_bgr === true) return '`bgr_to_rgb` and `rgb_to_bgr` cannot both be True'
    return undefined
  },
)

/**
 * Decode a `data_preprocessor` dict (strict: unknown keys get a
 * did-you-mean; issues carry paths under `path`). With `sampleShape`, also
 * check that `mean`/`std` fit the channel count (the last axis), that a
 * channel swap has 3 channels and that padding has images to pad.
 *
 * @example
 * ```ts
 * decode({ mean: [0.5, 0.5], std: [1, 1] }, 'model.data_preprocessor', [28, 28, 1])
 * // left([{ path: 'model.data_preprocessor.mean', message: 'expected 1 value or 1 per channel …, got 2' }])
 * ```
 */
export const decode = (
  cfg: unknown,
  path = 'model.data_preprocessor',
  sampleShape?: ReadonlyArray<number>,
): E.Either<ReadonlyArray<Issue>, Preprocessor> => {
  if (cfg === undefined || cfg === null) return E.right(identity)
  const decoded = args.decode(cfg)
  const at = (p: string): string => (p === '' ? path : `${path}.${p}`)
  if (decoded._tag === 'Left')
    return E.left(issuesOf(decoded.left).map((i) => ({ path: at(i.path), message: i.message })))
  const a = decoded.right
  const pre: Preprocessor = {
    mean: a.mean ?? null,
    std: a.std ?? null,
    swapChannels: a.bgr_to_rgb === true || a.rgb_to_bgr === true || a.to_rgb === true,
    padSizeDivisor: a.pad_size_divisor ?? 1,
    padValue: a.pad_value ?? 0,
  }
  if (sampleShape !== undefined) {
    const issues: Issue[] = []
    const channels = sampleShape.at(-1) ?? 1
    if (pre.mean !== null && pre.mean.length !== 1 && pre.mean.length !== channels) {
      issues.push({
        path: at('mean'),
        message:
          `expected 1 value or 1 per channel (${channels} for samples of shape ` +
          `[${sampleShape.join(', ')}]), got ${pre.mean.length}`,
      })
    }
    if (pre.swapChannels && channels !== 3) {
      const key = a.bgr_to_rgb === true ? 'bgr_to_rgb' : a.rgb_to_bgr === true ? 'rgb_to_bgr' : 'to_rgb'
      issues.push({
        path: at(key),
        message: `a channel swap needs 3 channels; samples of shape [${sampleShape.join(', ')}] have ${channels}`,
      })
    }
    if (pre.padSizeDivisor > 1 && sampleShape.length !== 3) {
      issues.push({
        path: at('pad_size_divisor'),
        message: `padding needs images [h, w, c]; samples have shape [${sampleShape.join(', ')}]`,
      })
    }
    if (issues.length > 0) return E.left(issues)
  }
  return E.right(pre)
}

/**
 * Preprocess a batch (`[b, ...sampleShape]`, any numeric dtype): a new
 * float32 tensor the caller owns (the input is neither kept nor disposed).
 * The intermediate tensors are released inside `tf.tidy`.
 *
 * @example
 * ```ts
 * apply({ ...identity, mean: [127.5], std: [127.5] }, tf.tensor4d([0, 255], [1, 1, 2, 1]))
 * // [[[[-1], [1]]]]
 * ```
 */
export const apply = (pre: Preprocessor, inputs: tf.Tensor): tf.Tensor =>
  tf.tidy(() => {
    let x: tf.Tensor = inputs.dtype === 'float32' ? tf.clone(inputs) : tf.cast(inputs, 'float32')
    if (pre.swapChannels) x = tf.reverse(x, -1)
    if (pre.mean !== null && pre.std !== null) x = normalize(x, pre.mean, pre.std)
    if (pre.padSizeDivisor > 1 && x.rank === 4) {
      const [, h, w] = x.shape as [number, number, number, number]
      const padH = Math.ceil(h / pre.padSizeDivisor) * pre.padSizeDivisor - h
      const padW = Math.ceil(w / pre.padSizeDivisor) * pre.padSizeDivisor - w
      if (padH > 0 || padW > 0)
        x = tf.pad(
          x,
          [
            [0, 0],
            [0, padH],
            [0, padW],
            [0, 0],
          ],
          pre.padValue,
        )
    }
    return x
  })

/**
 * Which `data_preprocessor` applies, with its config path: the model's own
 * (`model.data_preprocessor`), else the top-level one — MMEngine's runner
 * does `model.setdefault('data_preprocessor', data_preprocessor)`.
 *
 * @example
 * ```ts
 * select({ type: 'MLP' }, { mean: [0], std: [1] })  // [{ mean: [0], std: [1] }, 'data_preprocessor']
 * ```
 */
export const select = (model: unknown, topLevel: unknown): readonly [cfg: unknown, path: string] =>
  isDict(model) && model['data_preprocessor'] !== undefined && model['data_preprocessor'] !== null
    ? [model['data_preprocessor'], 'model.data_preprocessor']
    : [topLevel, 'data_preprocessor']
