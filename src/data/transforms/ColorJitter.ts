/**
 * `ColorJitter(brightness=0, contrast=0, saturation=0, hue=0, backend='pillow')`,
 * MMSelfSup's version of torchvision's: per sample, a random order of the four
 * adjustments and a factor for each configured one (a number `x` means
 * `[max(0, 1 − x), 1 + x]`, hue `[−x, x]`; a pair is the range itself), each
 * applied as Pillow's `ImageEnhance` does on 8-bit images:
 * brightness `x · f`; contrast `m + f · (x − m)` with `m` the image's mean luma
 * rounded to an integer; saturation `L + f · (x − L)` with `L` the pixel's luma.
 *
 * On one channel (MNIST, Fashion-MNIST) saturation and hue change nothing and
 * are skipped, but their factors are still drawn, so the random stream is the
 * one a colour image would use. Hue on colour images is not implemented: such
 * a pipeline fails with a message when it first meets a 3-channel batch.
 *
 * Batched: at each of the four positions of the order, every adjustment that
 * some sample has there is applied to the whole batch with factor 1 (or hue 0)
 * for the other samples, which leaves their 8-bit pixels unchanged.
 * @module
 */
import * as tf from '@tensorflow/tfjs-core'
import { blend, luma, perSample, toBytes } from './pixels.js'
import { draws, type Transform } from './Transform.js'

export type Range = number | readonly [number, number]

export interface ColorJitterArgs {
  readonly brightness?: Range
  readonly contrast?: Range
  readonly saturation?: Range
  readonly hue?: Range
  readonly backend?: 'pillow' | 'cv2'
}

/** The factor range of one adjustment, or `undefined` when it is off (MMSelfSup's `_check_input`). */
export const factorRange = (
  value: Range | undefined,
  center: number,
  clipAtZero: boolean,
): readonly [number, number] | undefined => {
  if (value === undefined) return undefined
  const range: readonly [number, number] =
    typeof value === 'number' ? [clipAtZero ? Math.max(0, center - value) : center - value, center + value] : value
  return range[0] === center && range[1] === center ? undefined : range
}

const BRIGHTNESS = 0
const CONTRAST = 1
const SATURATION = 2
const HUE = 3

/** One sample's draw: the order of the four adjustments and the factors of the configured ones. */
export interface JitterParams {
  readonly order: readonly [number, number, number, number]
  readonly factors: readonly [number | undefined, number | undefined, number | undefined, number | undefined]
}

/** The order (a uniform permutation) and the factors, drawn in MMSelfSup's order: permutation, then b, c, s, h. */
export const jitterParams = (
  stream: Parameters<typeof draws>[0],
  ranges: ReadonlyArray<readonly [number, number] | undefined>,
): JitterParams => {
  const r = draws(stream)
  const order = [0, 1, 2, 3]
  for (let i = 3; i > 0; i--) {
    const j = r.int(0, i)
    ;[order[i], order[j]] = [order[j]!, order[i]!]
  }
  const factors = ranges.map((range) => (range === undefined ? undefined : r.uniform(range[0], range[1])))
  return { order: order as unknown as JitterParams['order'], factors: factors as unknown as JitterParams['factors'] }
}

const adjust = (op: number, x: tf.Tensor4D, factor: tf.Tensor4D): tf.Tensor4D =>
  tf.tidy(() => {
    if (op === BRIGHTNESS) return blend(x, tf.scalar(0), factor)
    if (op === CONTRAST) return blend(x, tf.floor(tf.add(tf.mean(luma(x), [1, 2, 3], true), 0.5)), factor)
    return blend(x, luma(x), factor)
  })

export const colorJitter = (args: ColorJitterArgs): Transform => {
  const ranges = [
    factorRange(args.brightness, 1, true),
    factorRange(args.contrast, 1, true),
    factorRange(args.saturation, 1, true),
    factorRange(args.hue, 0, false),
  ]
  return {
    type: 'ColorJitter',
    apply: (images, streams) => {
      const params = streams.map((s) => jitterParams(s, ranges))
      const channels = images.shape[3]
      if (channels !== 1 && ranges[HUE] !== undefined)
        throw new Error('ColorJitter: hue on colour images is not implemented yet (one-channel images need none)')
      // MMSelfSup jitters 8-bit images; on whole grey levels a factor of 1 changes nothing,
      // which the batching relies on.
      let current = toBytes(images)
      for (let position = 0; position < 4; position++) {
        for (const op of [BRIGHTNESS, CONTRAST, SATURATION]) {
          if (op === SATURATION && channels === 1) continue
          const factors = params.map((p) => (p.order[position] === op ? (p.factors[op] ?? 1) : 1))
          if (factors.every((f) => f === 1)) continue
          const next = tf.tidy(() => adjust(op, current, perSample(factors)))
          current.dispose()
          current = next
        }
      }
      return current
    },
  }
}
