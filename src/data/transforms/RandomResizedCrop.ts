/**
 * `RandomResizedCrop(size, scale=(0.08, 1.0), ratio=(3/4, 4/3), max_attempts=10,
 * interpolation='bilinear', backend='cv2')`,
 * MMSelfSup's (torchvision's) crop: up to `max_attempts` tries at an area
 * fraction from `scale` and a log-uniform aspect ratio from `ratio`, the
 * first that fits wins, else a central crop clamped to `ratio`; the crop is
 * resized to `size` (an int: square; `[h, w]`).
 *
 * The resize is `tf.image.cropAndResize`, batched over the samples' boxes.
 * It samples the crop's corner pixels exactly (align-corners style) where
 * cv2/Pillow sample pixel centres, and it interpolates bilinearly:
 * `'bicubic'`, `'area'` and `'lanczos'` are accepted and run as bilinear,
 * `'nearest'` as nearest. The result is rounded to whole grey levels, as a
 * resized 8-bit image is.
 * @module
 */
import * as tf from '@tensorflow/tfjs-core'
import type * as Rng from '../../dsl/Rng.js'
import { toBytes } from './pixels.js'
import { draws, type Transform } from './Transform.js'

export interface RandomResizedCropArgs {
  /** An int (square) or `[h, w]`. */
  readonly size: number | ReadonlyArray<number>
  readonly scale?: readonly [number, number]
  readonly ratio?: readonly [number, number]
  readonly max_attempts?: number
  readonly interpolation?: 'nearest' | 'bilinear' | 'bicubic' | 'area' | 'lanczos'
  readonly backend?: 'cv2' | 'pillow'
}

/** A crop: top row `i`, left column `j`, height `h`, width `w` (pixels). */
export interface Crop {
  readonly i: number
  readonly j: number
  readonly h: number
  readonly w: number
}

/** The crop MMSelfSup's `RandomResizedCrop.get_params` would draw, from `stream`. */
export const cropParams = (
  stream: Rng.Rng,
  height: number,
  width: number,
  scale: readonly [number, number] = [0.08, 1],
  ratio: readonly [number, number] = [3 / 4, 4 / 3],
  maxAttempts = 10,
): Crop => {
  const r = draws(stream)
  const area = height * width
  const logRatio = [Math.log(ratio[0]), Math.log(ratio[1])] as const
  for (let attempt = 0; attempt < maxAttempts; attempt++) {
    const target = area * r.uniform(scale[0], scale[1])
    const aspect = Math.exp(r.uniform(logRatio[0], logRatio[1]))
    const w = Math.round(Math.sqrt(target * aspect))
    const h = Math.round(Math.sqrt(target / aspect))
    if (w > 0 && h > 0 && w <= width && h <= height) return { i: r.int(0, height - h), j: r.int(0, width - w), h, w }
  }
  const inRatio = width / height
  const [h, w] =
    inRatio < Math.min(...ratio)
      ? [Math.round(width / Math.min(...ratio)), width]
      : inRatio > Math.max(...ratio)
        ? [height, Math.round(height * Math.max(...ratio))]
        : [height, width]
  return { i: Math.floor((height - h) / 2), j: Math.floor((width - w) / 2), h, w }
}

/** Normalised `cropAndResize` boxes `[y1, x1, y2, x2]` for pixel crops of an `height × width` image. */
export const cropBoxes = (crops: ReadonlyArray<Crop>, height: number, width: number): number[][] => {
  const ny = Math.max(1, height - 1)
  const nx = Math.max(1, width - 1)
  return crops.map((c) => [c.i / ny, c.j / nx, (c.i + c.h - 1) / ny, (c.j + c.w - 1) / nx])
}

export const randomResizedCrop = (args: RandomResizedCropArgs): Transform => {
  const [outH, outW] = typeof args.size === 'number' ? [args.size, args.size] : [args.size[0]!, args.size[1]!]
  const method = args.interpolation === 'nearest' ? 'nearest' : 'bilinear'
  return {
    type: 'RandomResizedCrop',
    apply: (images, streams) =>
      tf.tidy(() => {
        const [b, height, width] = images.shape
        const crops = streams.map((s) => cropParams(s, height, width, args.scale, args.ratio, args.max_attempts))
        const boxes = tf.tensor2d(cropBoxes(crops, height, width), [b, 4])
        const boxInd = tf.tensor1d(
          Array.from({ length: b }, (_, k) => k),
          'int32',
        )
        // Resized 8-bit images stay 8-bit (cv2 and Pillow round),
        // so the colour transforms after it see whole grey levels.
        return toBytes(tf.image.cropAndResize(images, boxes, boxInd, [outH, outW], method))
      }),
  }
}
